"""Reminder instants across both DST changes, checked against hand-computed UTC instants.

2026 transitions: New York 8 Mar (02:00 -> 03:00) and 1 Nov (02:00 -> 01:00); Berlin
29 Mar (02:00 -> 03:00) and 25 Oct (03:00 -> 02:00); Lord Howe 5 Apr (02:00 -> 01:30,
+11 -> +10:30) and 4 Oct (02:00 -> 02:30); Kathmandu has none (+05:45 all year).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rules import Entry, Procedure, default_guidance, local_instant, plan_reminders

NY, BERLIN, LORD_HOWE, KATHMANDU = (
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # New York, spring forward: 02:00-02:59 does not exist.
        (NY, "2026-03-07", "09:00", "2026-03-07T14:00"),
        (NY, "2026-03-08", "01:59", "2026-03-08T06:59"),
        (NY, "2026-03-08", "02:00", "2026-03-08T07:00"),
        (NY, "2026-03-08", "02:30", "2026-03-08T07:00"),
        (NY, "2026-03-08", "03:00", "2026-03-08T07:00"),
        (NY, "2026-03-08", "09:00", "2026-03-08T13:00"),
        # New York, fall back: 01:00-01:59 happens twice; the first (EDT) counts.
        (NY, "2026-10-31", "09:00", "2026-10-31T13:00"),
        (NY, "2026-11-01", "01:00", "2026-11-01T05:00"),
        (NY, "2026-11-01", "01:30", "2026-11-01T05:30"),
        (NY, "2026-11-01", "02:00", "2026-11-01T07:00"),
        (NY, "2026-11-01", "09:00", "2026-11-01T14:00"),
        # Berlin, spring forward: 02:00-02:59 does not exist.
        (BERLIN, "2026-03-28", "09:00", "2026-03-28T08:00"),
        (BERLIN, "2026-03-29", "02:00", "2026-03-29T01:00"),
        (BERLIN, "2026-03-29", "02:59", "2026-03-29T01:00"),
        (BERLIN, "2026-03-29", "09:00", "2026-03-29T07:00"),
        # Berlin, fall back: 02:00-02:59 happens twice; the first (CEST) counts.
        (BERLIN, "2026-10-25", "01:59", "2026-10-24T23:59"),
        (BERLIN, "2026-10-25", "02:00", "2026-10-25T00:00"),
        (BERLIN, "2026-10-25", "02:59", "2026-10-25T00:59"),
        (BERLIN, "2026-10-25", "03:00", "2026-10-25T02:00"),
        (BERLIN, "2026-10-25", "09:00", "2026-10-25T08:00"),
        # Lord Howe, DST ends: 01:30-01:59 happens twice (+11, then +10:30).
        (LORD_HOWE, "2026-04-04", "09:00", "2026-04-03T22:00"),
        (LORD_HOWE, "2026-04-05", "01:00", "2026-04-04T14:00"),
        (LORD_HOWE, "2026-04-05", "01:30", "2026-04-04T14:30"),
        (LORD_HOWE, "2026-04-05", "01:45", "2026-04-04T14:45"),
        (LORD_HOWE, "2026-04-05", "02:00", "2026-04-04T15:30"),
        (LORD_HOWE, "2026-04-05", "09:00", "2026-04-04T22:30"),
        # Lord Howe, DST starts: 02:00-02:29 does not exist (a 30-minute shift).
        (LORD_HOWE, "2026-10-03", "09:00", "2026-10-02T22:30"),
        (LORD_HOWE, "2026-10-04", "01:59", "2026-10-03T15:29"),
        (LORD_HOWE, "2026-10-04", "02:00", "2026-10-03T15:30"),
        (LORD_HOWE, "2026-10-04", "02:15", "2026-10-03T15:30"),
        (LORD_HOWE, "2026-10-04", "02:30", "2026-10-03T15:30"),
        (LORD_HOWE, "2026-10-04", "09:00", "2026-10-03T22:00"),
        # Kathmandu: +05:45 on every one of those days.
        (KATHMANDU, "2026-03-08", "09:00", "2026-03-08T03:15"),
        (KATHMANDU, "2026-03-29", "09:00", "2026-03-29T03:15"),
        (KATHMANDU, "2026-10-25", "09:00", "2026-10-25T03:15"),
        (KATHMANDU, "2026-11-01", "00:00", "2026-10-31T18:15"),
    ],
)
def test_local_wall_times_become_the_right_utc_instant(
    zone: str, day: str, wall: str, expected: str
) -> None:
    instant = local_instant(date.fromisoformat(day), time.fromisoformat(wall), ZoneInfo(zone))
    assert instant == utc(expected)
    assert instant.tzinfo is UTC


def test_a_whole_missing_day_moves_to_the_next_day_that_exists() -> None:
    # Samoa skipped 30 December 2011 when it crossed the date line.
    instant = local_instant(date(2011, 12, 30), time(9), ZoneInfo("Pacific/Apia"))
    assert instant == utc("2011-12-30T10:00")  # 00:00 on 31 Dec at +14:00


def microneedling_reminders(
    zone: str, botox_on: str, hour: int, quiet: tuple[time, time] | None = None
) -> list[tuple[str, datetime]]:
    """Heads-up (1 day) and may-book for microneedling 14 days after a Botox."""
    botox_day = date.fromisoformat(botox_on)
    reminders = plan_reminders(
        [Entry(Procedure.BOTOX, botox_day)],
        default_guidance(),
        tz=zone,
        reminder_hour=hour,
        heads_up_days=1,
        now=datetime.combine(botox_day + timedelta(days=1), time(12), tzinfo=UTC),
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
    )
    return [(r.key, r.due_at) for r in reminders if r.procedure is Procedure.MICRONEEDLING]


@pytest.mark.parametrize(
    ("zone", "botox_on", "hour", "heads_up", "may_book"),
    [
        (NY, "2026-02-22", 9, "2026-03-07T14:00", "2026-03-08T13:00"),
        (NY, "2026-02-22", 2, "2026-03-07T07:00", "2026-03-08T07:00"),
        (NY, "2026-10-18", 9, "2026-10-31T13:00", "2026-11-01T14:00"),
        (NY, "2026-10-18", 1, "2026-10-31T05:00", "2026-11-01T05:00"),
        (BERLIN, "2026-03-15", 9, "2026-03-28T08:00", "2026-03-29T07:00"),
        (BERLIN, "2026-03-15", 2, "2026-03-28T01:00", "2026-03-29T01:00"),
        (BERLIN, "2026-10-11", 9, "2026-10-24T07:00", "2026-10-25T08:00"),
        (BERLIN, "2026-10-11", 2, "2026-10-24T00:00", "2026-10-25T00:00"),
        (LORD_HOWE, "2026-03-22", 9, "2026-04-03T22:00", "2026-04-04T22:30"),
        (LORD_HOWE, "2026-03-22", 1, "2026-04-03T14:00", "2026-04-04T14:00"),
        (LORD_HOWE, "2026-09-20", 9, "2026-10-02T22:30", "2026-10-03T22:00"),
        (LORD_HOWE, "2026-09-20", 2, "2026-10-02T15:30", "2026-10-03T15:30"),
        (KATHMANDU, "2026-02-22", 9, "2026-03-07T03:15", "2026-03-08T03:15"),
        (KATHMANDU, "2026-10-18", 9, "2026-10-31T03:15", "2026-11-01T03:15"),
    ],
)
def test_reminders_on_dst_change_days_fire_at_the_patients_hour(
    zone: str, botox_on: str, hour: int, heads_up: str, may_book: str
) -> None:
    earliest = date.fromisoformat(botox_on) + timedelta(days=14)
    assert microneedling_reminders(zone, botox_on, hour) == [
        (f"heads_up:microneedling:{earliest:%Y%m%d}", utc(heads_up)),
        (f"may_book:microneedling:{earliest:%Y%m%d}", utc(may_book)),
    ]


def test_a_quiet_end_inside_the_spring_gap_moves_to_the_next_valid_minute() -> None:
    # Microneedling may follow on 7 March. 23:00 is quiet (22:00-02:30), so the heads-up
    # (6 March) goes at 02:30 EST on 7 March, and the may-book (7 March) at 02:30 on
    # 8 March, which New York skips: it goes at 03:00 EDT.
    reminders = microneedling_reminders(NY, "2026-02-21", 23, quiet=(time(22), time(2, 30)))
    assert [due for _key, due in reminders] == [
        utc("2026-03-07T07:30"),
        utc("2026-03-08T07:00"),
    ]


def test_a_quiet_end_inside_the_lord_howe_fold_takes_the_first_one() -> None:
    # Microneedling may follow on 4 April. Quiet 23:00-01:45 moves the may-book to 01:45
    # on 5 April, which happens twice: the first is at +11:00.
    reminders = microneedling_reminders(LORD_HOWE, "2026-03-21", 23, quiet=(time(23), time(1, 45)))
    assert [due for _key, due in reminders] == [
        utc("2026-04-03T14:45"),
        utc("2026-04-04T14:45"),
    ]


def test_today_is_the_patients_local_date_not_utcs() -> None:
    # 20:00 UTC on 20 Nov is already 21 Nov in Kathmandu: a Botox "today" there is done.
    now = utc("2026-11-20T20:00")
    reminders = plan_reminders(
        [Entry(Procedure.BOTOX, date(2026, 11, 21))],
        default_guidance(),
        tz=KATHMANDU,
        reminder_hour=9,
        heads_up_days=0,
        now=now,
    )
    assert [r.key for r in reminders] == [
        "may_book:microneedling:20261205",
        "retreatment_due:botox:20270219",
    ]
