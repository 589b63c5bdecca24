"""The reminder plan's kinds, keys, quiet hours and diff (time zones: test_reminders_tz.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from rules import (
    ClinicRule,
    Direction,
    Entry,
    PlanError,
    Procedure,
    ReminderKind,
    RuleOverride,
    apply_overrides,
    default_guidance,
    diff_plan,
    history_digest,
    plan_reminders,
    reminder_now,
)

B, M = Procedure.BOTOX, Procedure.MICRONEEDLING
G = default_guidance()


def d(text: str) -> date:
    return date.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plan(history: list[Entry], now: str, **options: Any) -> list[Any]:
    settings: dict[str, Any] = {"tz": "UTC", "reminder_hour": 9, "heads_up_days": 3}
    settings.update(options)
    guidance = settings.pop("guidance", G)
    return plan_reminders(history, guidance, now=utc(now), **settings)


def summary(reminders: list[Any]) -> list[tuple[str, str]]:
    return [(r.key, r.due_at.isoformat()) for r in reminders]


def test_after_botox_the_plan_announces_microneedling_then_botox_retreatment() -> None:
    reminders = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00")
    assert summary(reminders) == [
        ("heads_up:microneedling:20261204", "2026-12-01T09:00:00+00:00"),
        ("may_book:microneedling:20261204", "2026-12-04T09:00:00+00:00"),
        ("heads_up:botox:20270218", "2027-02-15T09:00:00+00:00"),
        ("retreatment_due:botox:20270218", "2027-02-18T09:00:00+00:00"),
    ]
    may_book = reminders[1]
    assert (may_book.kind, may_book.procedure, may_book.local_date) == (
        ReminderKind.MAY_BOOK,
        M,
        d("2026-12-04"),
    )
    assert may_book.reasons[0].boundary == d("2026-12-04")
    assert may_book.guidance_version == 0


def test_heads_up_days_zero_means_no_heads_up() -> None:
    reminders = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00", heads_up_days=0)
    assert [r.kind for r in reminders] == [ReminderKind.MAY_BOOK, ReminderKind.RETREATMENT_DUE]


def test_a_planned_botox_gets_a_reminder_saying_which_microneedling_dates_to_avoid() -> None:
    reminders = plan([Entry(B, d("2026-12-20"))], "2026-11-21T10:00")
    (before,) = reminders
    assert before.kind is ReminderKind.BEFORE_PLANNED
    assert before.key == "before_planned:botox:20261220"
    assert before.local_date == d("2026-12-17")
    assert [(r.procedure, r.direction, r.boundary) for r in before.reasons] == [
        (M, Direction.BEFORE, d("2026-12-13")),
        (M, Direction.AFTER, d("2027-01-03")),
    ]


def test_a_planned_procedure_gets_a_reminder_a_day_before_even_without_heads_up() -> None:
    (before,) = plan([Entry(B, d("2026-12-20"))], "2026-11-21T10:00", heads_up_days=0)
    assert before.local_date == d("2026-12-19")


def test_no_retreatment_or_may_book_reminder_while_that_procedure_is_planned() -> None:
    history = [Entry(B, d("2026-11-20")), Entry(B, d("2027-03-01"))]
    reminders = plan(history, "2026-11-21T10:00")
    assert {(r.kind, r.procedure) for r in reminders} == {
        (ReminderKind.HEADS_UP, M),
        (ReminderKind.MAY_BOOK, M),
        (ReminderKind.BEFORE_PLANNED, B),
    }


def test_retreatment_due_moves_past_a_planned_microneedling_that_blocks_botox() -> None:
    # Botox 90 days ends 2027-02-17, but microneedling on 2027-02-15 blocks botox to 02-21.
    history = [Entry(B, d("2026-11-20")), Entry(M, d("2027-02-15"))]
    reminders = plan(history, "2026-12-10T10:00")
    (due,) = [r for r in reminders if r.procedure is B and r.kind is not ReminderKind.HEADS_UP]
    assert (due.kind, due.local_date) == (ReminderKind.RETREATMENT_DUE, d("2027-02-22"))


def test_may_book_when_only_another_procedure_blocks() -> None:
    history = [Entry(B, d("2026-01-01")), Entry(M, d("2026-11-20"))]
    reminders = plan(history, "2026-11-20T18:00")
    (botox,) = [r for r in reminders if r.procedure is B and r.kind is not ReminderKind.HEADS_UP]
    assert (botox.kind, botox.local_date) == (ReminderKind.MAY_BOOK, d("2026-11-27"))


def test_reminders_already_due_are_not_returned() -> None:
    history = [Entry(B, d("2026-11-20"))]
    assert [r.key for r in plan(history, "2026-12-01T09:00")] == [
        "may_book:microneedling:20261204",
        "heads_up:botox:20270218",
        "retreatment_due:botox:20270218",
    ]


def test_a_reminder_hour_inside_quiet_hours_moves_to_the_quiet_end() -> None:
    (first, *_) = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00", reminder_hour=6)
    assert first.due_at == utc("2026-12-01T08:00")
    assert first.local_date == d("2026-12-01")


def test_a_late_reminder_hour_in_wrapping_quiet_hours_moves_to_the_next_morning() -> None:
    (first, *_) = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00", reminder_hour=23)
    assert first.due_at == utc("2026-12-02T08:00")
    assert first.local_date == d("2026-12-01")


@pytest.mark.parametrize(
    ("quiet_start", "quiet_end", "hour", "expected"),
    [
        (None, None, 23, "2026-12-01T23:00"),
        (time(22), None, 23, "2026-12-01T23:00"),
        (time(8), time(8), 3, "2026-12-01T03:00"),
        (time(1), time(6, 30), 3, "2026-12-01T06:30"),
        (time(1), time(6, 30), 6, "2026-12-01T06:30"),
        (time(1), time(6, 30), 7, "2026-12-01T07:00"),
        (time(1), time(6, 30), 0, "2026-12-01T00:00"),
        (time(22), time(8), 22, "2026-12-02T08:00"),
        (time(22), time(8), 8, "2026-12-01T08:00"),
        (time(22), time(8), 0, "2026-12-01T08:00"),
    ],
)
def test_quiet_hours(
    quiet_start: time | None, quiet_end: time | None, hour: int, expected: str
) -> None:
    (first, *_) = plan(
        [Entry(B, d("2026-11-20"))],
        "2026-11-20T18:00",
        reminder_hour=hour,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )
    assert first.due_at == utc(expected)


def test_each_reminder_names_the_guidance_version_that_produced_it() -> None:
    clinic = apply_overrides(G, [RuleOverride(B, M, 21)], version=7)
    reminders = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00", guidance=clinic)
    assert {r.guidance_version for r in reminders} == {7}
    assert reminders[0].key == "heads_up:microneedling:20261211"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reminder_hour": 24}, "reminder_hour"),
        ({"reminder_hour": -1}, "reminder_hour"),
        ({"heads_up_days": -1}, "heads_up_days"),
        ({"tz": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"tz": ""}, "unknown time zone"),
        ({"quiet_start": time(22, tzinfo=UTC)}, "quiet_start"),
    ],
)
def test_invalid_settings_are_a_plan_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan([], "2026-11-20T18:00", **options)


def test_a_naive_now_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="timezone-aware"):
        plan_reminders([], G, tz="UTC", reminder_hour=9, heads_up_days=3, now=datetime(2026, 1, 1))


def test_diff_against_nothing_adds_everything() -> None:
    reminders = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00")
    diff = diff_plan({}, reminders)
    assert (diff.add, diff.cancel, diff.keep) == (tuple(reminders), (), ())


def test_diff_cancels_removed_keys_and_replaces_moved_ones() -> None:
    reminders = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00")
    first, second, third, fourth = reminders
    existing = {
        first.key: first.due_at,
        second.key: second.due_at + timedelta(hours=1),
        "may_book:botox:20260101": utc("2026-01-01T09:00"),
        third.key: third.due_at,
    }
    diff = diff_plan(existing, reminders)
    assert diff.add == (second, fourth)
    assert diff.cancel == ("may_book:botox:20260101", second.key)
    assert diff.keep == tuple(sorted([first.key, third.key]))


def test_diff_compares_instants_not_their_zone() -> None:
    (first, *_) = plan([Entry(B, d("2026-11-20"))], "2026-11-20T18:00")
    from zoneinfo import ZoneInfo

    same_instant = first.due_at.astimezone(ZoneInfo("Asia/Kathmandu"))
    assert diff_plan({first.key: same_instant}, [first]).keep == (first.key,)


def test_diff_rejects_a_naive_pending_due_at() -> None:
    with pytest.raises(PlanError, match="naive"):
        diff_plan({"k": datetime(2026, 1, 1)}, [])


def test_a_reminder_names_the_clinics_own_rules_that_bear_on_it() -> None:
    guidance = apply_overrides(
        G,
        [
            RuleOverride(B, M, None),  # off (usual 14)
            RuleOverride(M, B, 7),  # the same as usual: not the clinic's own
            RuleOverride(M, M, 21),  # shorter than the usual 28
        ],
        version=2,
    )
    assert guidance.clinic_rules == (
        ClinicRule(B, M, None, 14),
        ClinicRule(M, M, 21, 28),
    )
    assert guidance.clinic_rules[0].weaker
    assert not ClinicRule(B, B, 120, 90).weaker
    history = [Entry(M, d("2026-11-14"), "1"), Entry(B, d("2026-11-21"), "2")]
    reminders = plan(history, "2026-11-24T09:30:00", guidance=guidance)
    micro = [r for r in reminders if r.procedure is M]
    assert micro
    assert all(r.clinic_rules == guidance.clinic_rules for r in micro)
    assert all(r.clinic_rules == () for r in reminders if r.procedure is B)

    planned = [Entry(B, d("2026-11-21"), "2"), Entry(M, d("2026-12-20"), "3")]
    (before,) = [
        r
        for r in plan(planned, "2026-11-24T09:30:00", guidance=guidance)
        if r.kind is ReminderKind.BEFORE_PLANNED
    ]
    # Before a planned microneedling: rules between it and the other procedure only.
    assert before.clinic_rules == (ClinicRule(B, M, None, 14),)
    assert plan(history, "2026-11-24T09:30:00")[0].clinic_rules == ()


# --- checked again at send time -----------------------------------------------------------

HEADS_UP, MAY_BOOK, BEFORE = (
    ReminderKind.HEADS_UP,
    ReminderKind.MAY_BOOK,
    ReminderKind.BEFORE_PLANNED,
)


def test_a_reminder_holds_while_its_history_stands_and_says_what_it_said() -> None:
    history = [Entry(B, d("2026-11-23"), "1")]
    now = reminder_now(MAY_BOOK, M, d("2026-12-07"), d("2026-12-07"), history, G)
    assert now is not None
    assert [(r.entry.on, r.direction) for r in now.reasons] == [(d("2026-11-23"), Direction.AFTER)]
    assert not now.reasons[0].entry_planned


def test_a_reminder_no_longer_holds_once_its_entry_is_deleted_or_moved() -> None:
    on, local = d("2026-12-07"), d("2026-12-05")
    assert reminder_now(HEADS_UP, M, on, local, [], G) is None
    assert reminder_now(HEADS_UP, M, on, local, [Entry(B, d("2026-11-30"), "1")], G) is None


def test_a_reminder_to_book_no_longer_holds_once_that_procedure_is_planned() -> None:
    history = [Entry(B, d("2026-11-23"), "1"), Entry(M, d("2026-12-09"), "2")]
    assert reminder_now(HEADS_UP, M, d("2026-12-07"), d("2026-12-05"), history, G) is None


def test_a_reminder_before_a_planned_entry_holds_only_while_it_stays_on_its_date() -> None:
    planned = [Entry(B, d("2026-12-10"), "1")]
    now = reminder_now(BEFORE, B, d("2026-12-10"), d("2026-12-08"), planned, G)
    assert now is not None
    assert all(r.entry_planned for r in now.reasons)
    moved = [Entry(B, d("2026-12-11"), "1")]
    assert reminder_now(BEFORE, B, d("2026-12-10"), d("2026-12-08"), moved, G) is None


def test_the_history_digest_ignores_order_and_sees_every_change() -> None:
    a, b = Entry(B, d("2026-11-23"), "1"), Entry(M, d("2026-12-20"), "2")
    assert history_digest([a, b]) == history_digest([b, a])
    assert history_digest([a, b]) != history_digest([a])
    assert history_digest([a]) != history_digest([Entry(B, d("2026-11-24"), "1")])
    assert history_digest([]) != history_digest([a])
