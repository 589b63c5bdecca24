"""/timeline: what the picture says — its range, marks, numbered windows, dates and legend.

`timeline_view` decides everything the picture shows, in the patient's language and date
format, as plain data: tests read it like a text, and `bot.render.timeline_drawing` only
draws it. The picture reaches back over the recent past (and to the last treatment of each
procedure within a year), forward past every planned entry, first possible day and window
to wait, and numbers the windows in date order; the legend gives each window's decisive
reason in /next's words, as many as fit.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date, timedelta

from bot.i18n import Translator
from bot.render.outlook import EN_DASH
from bot.render.reasons import reason_sentence, relevant_reasons
from bot.render.words import capitalised, plain, procedure_name, provider_prompt
from bot.usecases.schedule import Schedule
from rules import BlockedWindow, Procedure

# A phone screen's width, portrait 4:5 (Telegram shows it whole, without cropping).
WIDTH_PX = 1080
HEIGHT_PX = 1350
DPI = 100
# The lanes, top to bottom.
LANES = (Procedure.BOTOX, Procedure.MICRONEEDLING)

# How far back the picture reaches: the recent past, and the last of each procedure within
# a year (so a lane is not empty only because that treatment was a while ago). Ahead it
# stops a little past a year: the windows (as /next's) are worked out a year ahead, and an
# entry planned further out is in /history and the calendar file.
RECENT_DAYS = 120
LAST_OF_EACH_DAYS = 365
MIN_PAST_DAYS = 21
MIN_AHEAD_DAYS = 30
MAX_AHEAD_DAYS = 400
# Where the axis sits (left, bottom, width, height as fractions of the figure), and the
# pixels a date label needs: closer labels in one lane are left out.
AXES_BOX = (0.04, 0.56, 0.92, 0.32)
LABEL_PX = 86
# Tick labels ("15 Nov") fit the axis's width this many times over.
MAX_TICKS = 8
# The legend's numbered sentences: at most MAX_LISTED, wrapped to WRAP characters, in the
# REASON_LINES lines between the key and the footer. LINE is a 15 pt line at 1.3 spacing
# as a fraction of the figure's height.
MAX_LISTED = 8
WRAP = 80
FOOTER_WRAP = 92
LINE = 15 * 1.39 * 1.3 / HEIGHT_PX
REASONS_TOP = 0.425
FOOTER_BOTTOM = 0.025
REASON_LINES = 15.0
REASON_GAP = 0.4


@dataclass(frozen=True, slots=True)
class Mark:
    """A treatment on the axis; `label` is its date, or None where there is no room."""

    procedure: Procedure
    day: date
    planned: bool
    label: str | None


@dataclass(frozen=True, slots=True)
class Shade:
    """Days `start .. end` (inclusive, within the axis) on which `procedure` should wait."""

    procedure: Procedure
    start: date
    end: date
    number: int


@dataclass(frozen=True, slots=True)
class FirstDay:
    """The first possible day of a procedure, with its date label."""

    procedure: Procedure
    day: date
    label: str


@dataclass(frozen=True, slots=True)
class Key:
    """The symbol legend's labels."""

    planned: str
    first_day: str
    wait: str
    today: str


@dataclass(frozen=True, slots=True)
class TimelineView:
    """Everything the picture shows, already in the patient's language."""

    title: str
    subtitle: str
    start: date
    end: date
    today: date
    lanes: tuple[tuple[Procedure, str], ...]
    marks: tuple[Mark, ...]
    shades: tuple[Shade, ...]
    first_days: tuple[FirstDay, ...]
    ticks: tuple[tuple[date, str], ...]
    key: Key
    reasons_heading: str
    reasons: tuple[tuple[int, str], ...]
    more: str | None
    footer: str

    @property
    def days(self) -> int:
        """How many days the axis spans."""
        return (self.end - self.start).days + 1


def nothing_to_draw(t: Translator) -> str:
    """/timeline from a patient who has logged nothing yet."""
    return t.gettext(
        "There is nothing to draw yet: log a treatment with /log, or just write “had botox "
        "yesterday”."
    )


def picture_filename(today: date) -> str:
    """`interval-timeline-2026-11-24.png`."""
    return f"interval-timeline-{today.isoformat()}.png"


def timeline_caption(schedule: Schedule, t: Translator) -> str:
    """The caption under the picture."""
    return (
        t.gettext(
            "📈 Your timeline as of {date}: hatched, numbered stretches are days to wait; the "
            "numbers are explained below the chart."
        ).format(date=t.long_date(schedule.today))
        + "\n\n"
        + provider_prompt(t)
    )


def _axis_range(schedule: Schedule) -> tuple[date, date]:
    today = schedule.today
    start = today - timedelta(days=MIN_PAST_DAYS)
    last_of_each: dict[Procedure, date] = {}
    for treatment in schedule.treatments:
        if treatment.on <= today:
            last_of_each[treatment.procedure] = treatment.on
            if (today - treatment.on).days <= RECENT_DAYS:
                start = min(start, treatment.on)
    for day in last_of_each.values():
        if (today - day).days <= LAST_OF_EACH_DAYS:
            start = min(start, day)
    ahead = [today + timedelta(days=MIN_AHEAD_DAYS)]
    ahead.extend(t.on for t in schedule.planned)
    for outlook in schedule.outlooks:
        ahead.append(outlook.earliest.date)
        ahead.extend(window.end for window in outlook.windows)
    end = min(max(ahead), today + timedelta(days=MAX_AHEAD_DAYS))
    # A margin on both sides, so nothing sits on the frame.
    margin = timedelta(days=max(3, ((end - start).days + 1) // 25))
    return start - margin, end + margin


def _tick_days(start: date, end: date) -> list[date]:
    """Mondays, or the 1st and 15th, or every n-th month's 1st: the finest with few enough."""
    mondays = [start + timedelta(days=(7 - start.weekday()) % 7)]
    while mondays[-1] + timedelta(days=7) <= end:
        mondays.append(mondays[-1] + timedelta(days=7))
    firsts: list[date] = []
    month = date(start.year, start.month, 1)
    while month <= end:
        firsts.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    halves = sorted(d for m in firsts for d in (m, m.replace(day=15)) if start <= d <= end)
    firsts = [m for m in firsts if m >= start]
    candidates = [mondays, halves, *([m for m in firsts if (m.month - 1) % step == 0]
                                     for step in (1, 2, 3, 6, 12))]  # fmt: skip
    return next((days for days in candidates if len(days) <= MAX_TICKS), candidates[-1])


def _ticks(start: date, end: date, t: Translator) -> tuple[tuple[date, str], ...]:
    days = _tick_days(start, end)
    ticks: list[tuple[date, str]] = []
    for index, day in enumerate(days):
        label = t.short_date(day)
        # The year under the first tick and under every tick that starts a new one.
        if index == 0 or day.year != days[index - 1].year:
            label += f"\n{day.year}"
        ticks.append((day, label))
    return tuple(ticks)


def _marks(schedule: Schedule, start: date, end: date, t: Translator) -> tuple[Mark, ...]:
    shown = [tr for tr in schedule.treatments if start <= tr.on <= end]
    min_gap = ((end - start).days + 1) * LABEL_PX / (AXES_BOX[2] * WIDTH_PX)
    taken: dict[Procedure, list[date]] = {p: [] for p in Procedure}
    for outlook in schedule.outlooks:
        taken[outlook.earliest.procedure].append(outlook.earliest.date)
    # Planned entries get their date first, then the past from the most recent back.
    order = sorted(shown, key=lambda tr: (tr.on <= schedule.today, -tr.on.toordinal()))
    labelled: set[int] = set()
    for treatment in order:
        lane = taken[treatment.procedure]
        if all(abs((treatment.on - other).days) >= min_gap for other in lane):
            lane.append(treatment.on)
            labelled.add(treatment.id)
    return tuple(
        Mark(
            procedure=tr.procedure,
            day=tr.on,
            planned=tr.on > schedule.today,
            label=t.short_date(tr.on) if tr.id in labelled else None,
        )
        for tr in shown
    )


def _day(day: date, today: date, t: Translator) -> str:
    """`4 Dec`, or `4 Dec 2027` for a day in another year than today's: a picture spans years."""
    return t.short_date(day) if day.year == today.year else f"{t.short_date(day)} {day.year}"


def _why(window: BlockedWindow, today: date, t: Translator) -> str:
    """The window's dates and its decisive reason (the one that sets its end), like /next's."""
    span = _day(window.end, today, t)
    if window.start != window.end:
        # One year is enough for a stretch within one: "30 Jan - 18 Feb 2027".
        same_year = window.start.year == window.end.year
        first = t.short_date(window.start) if same_year else _day(window.start, today, t)
        span = f"{first} {EN_DASH} {span}"
    sentences: list[str] = []
    for reason in relevant_reasons(window.reasons, today):
        sentence = reason_sentence(reason, t)
        if sentence not in sentences:
            sentences.append(sentence)
    if not sentences:
        return span
    # A picture has room for one reason a window; /next lists every one of them.
    text = f"{span}: {sentences[0]}"
    others = len(sentences) - 1
    if others:
        text += " " + t.ngettext(
            "(and {count} more reason: see /next)", "(and {count} more reasons: see /next)", others
        ).format(count=others)
    return text


def _fitting(reasons: list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    """The first reasons, wrapped, that fit the space under the key (one line kept for "more")."""
    fitting: list[tuple[int, str]] = []
    used = 0.0
    for index, (number, text) in enumerate(reasons):
        lines = textwrap.wrap(text, WRAP)
        reserve = 1.0 if index < len(reasons) - 1 else 0.0
        if index == MAX_LISTED or used + len(lines) + reserve > REASON_LINES:
            break
        fitting.append((number, "\n".join(lines)))
        used += len(lines) + REASON_GAP
    return tuple(fitting)


def timeline_view(schedule: Schedule, t: Translator) -> TimelineView:
    """What the picture of `schedule` shows, in the patient's language."""
    start, end = _axis_range(schedule)
    windows = sorted(
        (
            (window, outlook.earliest.procedure)
            for outlook in schedule.outlooks
            for window in outlook.windows
            if window.start <= end
        ),
        key=lambda pair: (pair[0].start, LANES.index(pair[1])),
    )
    shades = tuple(
        Shade(procedure, window.start, min(window.end, end), number)
        for number, (window, procedure) in enumerate(windows, start=1)
    )
    listed = _fitting(
        [
            (number, _why(window, schedule.today, t))
            for number, (window, _procedure) in enumerate(windows, start=1)
        ]
    )
    hidden = len(windows) - len(listed)
    return TimelineView(
        title=t.gettext("Your timeline"),
        subtitle=t.gettext("As of {date}").format(date=t.long_date(schedule.today)),
        start=start,
        end=end,
        today=schedule.today,
        lanes=tuple((p, capitalised(procedure_name(p, t))) for p in LANES),
        marks=_marks(schedule, start, end, t),
        shades=shades,
        first_days=tuple(
            FirstDay(o.earliest.procedure, o.earliest.date, t.short_date(o.earliest.date))
            for o in schedule.outlooks
            if o.earliest.date <= end
        ),
        ticks=_ticks(start, end, t),
        key=Key(
            planned=t.gettext("planned (hollow)"),
            first_day=t.gettext("first possible day"),
            wait=t.gettext("days to wait (numbered)"),
            today=t.gettext("today"),
        ),
        reasons_heading=t.gettext("Why those days:")
        if windows
        else t.gettext("No days to wait ahead."),
        reasons=listed,
        more=t.ngettext("… and {count} more", "… and {count} more", hidden).format(count=hidden)
        if hidden > 0
        else None,
        footer="\n".join(textwrap.wrap(plain(provider_prompt(t)), FOOTER_WRAP)),
    )
