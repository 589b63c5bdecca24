"""Opening hours as staff write them, and a wait counted in opening time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.opening_hours import OpeningHoursError, after_open_time, parse_opening_hours

MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS = parse_opening_hours("mon-fri 09:00-18:00; sat 10:00-14:00")


def test_weekdays_and_a_short_saturday_are_read_and_sunday_is_closed() -> None:
    assert WEEKDAYS.windows[0] == ((540, 1080),)
    assert WEEKDAYS.windows[5] == ((600, 840),)
    assert WEEKDAYS.windows[6] == ()


def test_a_day_range_may_wrap_over_the_week_end() -> None:
    hours = parse_opening_hours("fri-mon 10:00-12:00")
    assert [bool(day) for day in hours.windows] == [True, False, False, False, True, True, True]


def test_a_day_may_have_two_windows() -> None:
    assert parse_opening_hours("tue 09:00-13:00 15:00-19:00").windows[1] == (
        (540, 780),
        (900, 1140),
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "mon",
        "monday 09:00-18:00",
        "mon 9-18",
        "mon 18:00-09:00",
        "mon 22:00-02:00",
        "mon 09:00-13:00 12:00-15:00",
        "mon 25:00-26:00",
        "x" * 201,
    ],
)
def test_opening_hours_that_cannot_be_read_are_refused(text: str) -> None:
    with pytest.raises(OpeningHoursError):
        parse_opening_hours(text)


def test_without_opening_hours_a_wait_is_plain_hours() -> None:
    start = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert after_open_time(start, 24, None, MADRID) == start + timedelta(hours=24)


def test_a_question_on_friday_evening_waits_through_the_weekend() -> None:
    # Friday 17:00 in Madrid: one hour left that day, four on Saturday, then Monday.
    start = datetime(2026, 12, 4, 17, 0, tzinfo=MADRID)
    due = after_open_time(start, 8, WEEKDAYS, MADRID)
    assert due == datetime(2026, 12, 7, 12, 0, tzinfo=MADRID)


def test_a_question_asked_before_opening_counts_from_opening() -> None:
    start = datetime(2026, 12, 1, 6, 0, tzinfo=MADRID)
    assert after_open_time(start, 2, WEEKDAYS, MADRID) == datetime(
        2026, 12, 1, 11, 0, tzinfo=MADRID
    )


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    st.integers(min_value=1, max_value=200),
)
def test_the_due_time_is_never_before_the_plain_wait_and_always_in_opening_hours(
    start: datetime, hours: int
) -> None:
    begin = start.replace(tzinfo=MADRID)
    due = after_open_time(begin, hours, WEEKDAYS, MADRID).astimezone(MADRID)
    assert due >= begin + timedelta(hours=hours) - timedelta(hours=1)  # a DST hour at most
    minute = due.hour * 60 + due.minute
    assert any(s < minute <= e for s, e in WEEKDAYS.windows[due.weekday()])
