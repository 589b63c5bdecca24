"""A clinic's opening hours, and a wait counted in them ("24 hours of opening time").

Written as `mon-fri 09:00-18:00; sat 10:00-14:00`: a day or a range of days (`mon`..`sun`,
ranges may wrap, `fri-mon`), then one or more `HH:MM-HH:MM` windows, groups separated by
`;`. A window may not cross midnight (a clinic open past midnight writes two windows), and
days not named are closed. Times are wall-clock times in the clinic's zone: the arithmetic
walks local days, so a DST change makes that day's hour of opening time an hour of the wall
clock, as staff experience it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SPEC = 200
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
# A year of closed days is more than any clinic: the walk gives up rather than loop forever.
_MAX_DAYS_WALKED = 400


class OpeningHoursError(ValueError):
    """The opening hours are not written as `mon-fri 09:00-18:00; sat 10:00-14:00`."""


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Open windows per weekday (0 = Monday), each (start, end) in minutes after midnight."""

    windows: tuple[tuple[tuple[int, int], ...], ...]

    def is_never_open(self) -> bool:
        """True when no day has a window."""
        return not any(self.windows)


def _days(text: str) -> list[int]:
    if "-" in text:
        first, last = text.split("-", 1)
        if first not in DAYS or last not in DAYS:
            raise OpeningHoursError(f"{text!r} is not a day range such as mon-fri")
        start, end = DAYS.index(first), DAYS.index(last)
        return [(start + i) % 7 for i in range((end - start) % 7 + 1)]
    if text not in DAYS:
        raise OpeningHoursError(f"{text!r} is not a day (mon, tue, wed, thu, fri, sat, sun)")
    return [DAYS.index(text)]


def _window(text: str) -> tuple[int, int]:
    match = _WINDOW.match(text)
    if match is None:
        raise OpeningHoursError(f"{text!r} is not a time window such as 09:00-18:00")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > 24 * 60 or end <= start:
        raise OpeningHoursError(f"{text!r} must end after it starts, on the same day")
    return start, end


def parse_opening_hours(text: str) -> OpeningHours:
    """Read `mon-fri 09:00-18:00; sat 10:00-14:00`; OpeningHoursError if it cannot."""
    if len(text) > MAX_SPEC:
        raise OpeningHoursError(f"opening hours are at most {MAX_SPEC} characters")
    per_day: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    groups = [group.strip().lower() for group in text.split(";") if group.strip()]
    if not groups:
        raise OpeningHoursError("no opening hours given")
    for group in groups:
        parts = group.split()
        if len(parts) < 2:
            raise OpeningHoursError(f"{group!r}: write the days, then the hours (mon 09:00-13:00)")
        windows = [_window(part.strip(",")) for part in parts[1:]]
        for day in _days(parts[0]):
            per_day[day].extend(windows)
    merged: list[tuple[tuple[int, int], ...]] = []
    for windows in per_day:
        ordered = sorted(windows)
        for (_, end), (start, _) in pairwise(ordered):
            if start < end:
                raise OpeningHoursError("two windows of one day overlap")
        merged.append(tuple(ordered))
    hours = OpeningHours(tuple(merged))
    if hours.is_never_open():
        raise OpeningHoursError("the clinic would never be open")
    return hours


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone) + timedelta(minutes=minute)


def after_open_time(
    start: datetime, hours: float, opening: OpeningHours | None, zone: ZoneInfo
) -> datetime:
    """The instant `hours` of opening time after `start` (plain hours when `opening` is None)."""
    if opening is None:
        return start + timedelta(hours=hours)
    left = round(hours * 60)
    local = start.astimezone(zone)
    day, minute = local.date(), local.hour * 60 + local.minute
    for _ in range(_MAX_DAYS_WALKED):
        for window_start, window_end in opening.windows[day.weekday()]:
            begin = max(window_start, minute)
            if begin >= window_end:
                continue
            if begin + left <= window_end:
                return _local(day, begin + left, zone)
            left -= window_end - begin
        day, minute = day + timedelta(days=1), 0
    raise OpeningHoursError("the clinic is not open within a year")
