"""Properties over random histories and guidance sets (Hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import (
    Entry,
    GuidanceSet,
    Procedure,
    Reason,
    RuleOverride,
    apply_overrides,
    blocked_windows,
    check_entry,
    default_guidance,
    diff_plan,
    earliest_date,
    plan_reminders,
    reminder_now,
)
from tests.rules.strategies import (
    PAIRS,
    ZONES,
    guidance_sets,
    histories,
    nows,
    procedures,
    todays,
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Procedure, list[Entry], GuidanceSet, date]:
    today = draw(todays)
    return draw(procedures), draw(histories(today)), draw(guidance_sets()), today


def _allowed(procedure: Procedure, on: date, history: list[Entry], guidance: GuidanceSet) -> bool:
    return check_entry(Entry(procedure, on), history, guidance) == []


@given(scenarios())
def test_the_earliest_date_breaks_no_rule(
    scenario: tuple[Procedure, list[Entry], GuidanceSet, date],
) -> None:
    procedure, history, guidance, today = scenario
    earliest = earliest_date(procedure, history, guidance, today)
    assert earliest.date >= today
    assert _allowed(procedure, earliest.date, history, guidance)


@given(scenarios())
def test_no_date_before_the_earliest_is_allowed(
    scenario: tuple[Procedure, list[Entry], GuidanceSet, date],
) -> None:
    procedure, history, guidance, today = scenario
    earliest = earliest_date(procedure, history, guidance, today)
    day = today
    while day < earliest.date:
        assert not _allowed(procedure, day, history, guidance)
        day += timedelta(days=1)


@given(scenarios())
def test_reasons_exist_exactly_when_today_is_blocked(
    scenario: tuple[Procedure, list[Entry], GuidanceSet, date],
) -> None:
    procedure, history, guidance, today = scenario
    earliest = earliest_date(procedure, history, guidance, today)
    assert bool(earliest.reasons) == (earliest.date > today)
    for reason in earliest.reasons:
        assert reason.start < earliest.date
        assert reason.end >= today
    if earliest.reasons:
        assert earliest.reasons[0].end + timedelta(days=1) == earliest.date


@given(scenarios(), st.data())
def test_adding_an_entry_never_makes_the_earliest_date_earlier(
    scenario: tuple[Procedure, list[Entry], GuidanceSet, date], data: st.DataObject
) -> None:
    procedure, history, guidance, today = scenario
    extra = Entry(data.draw(procedures), today + timedelta(days=data.draw(st.integers(-200, 200))))
    before = earliest_date(procedure, history, guidance, today).date
    after = earliest_date(procedure, [*history, extra], guidance, today).date
    assert after >= before


@given(scenarios(), st.data())
def test_adding_or_lengthening_a_rule_never_makes_the_earliest_date_earlier(
    scenario: tuple[Procedure, list[Entry], GuidanceSet, date], data: st.DataObject
) -> None:
    procedure, history, guidance, today = scenario
    after, then = data.draw(st.sampled_from(PAIRS))
    current = guidance.rule_for(after, then)
    longer = (current.min_days if current else 0) + data.draw(st.integers(0, 60))
    stricter = apply_overrides(guidance, [RuleOverride(after, then, longer)], version=99)
    assert (
        earliest_date(procedure, history, stricter, today).date
        >= earliest_date(procedure, history, guidance, today).date
    )


@given(scenarios())
def test_blocked_windows_are_exactly_the_days_check_entry_rejects(
    scenario: tuple[Procedure, list[Entry], GuidanceSet, date],
) -> None:
    procedure, history, guidance, today = scenario
    horizon = 300
    windows = blocked_windows(procedure, history, guidance, today, horizon_days=horizon)
    blocked: set[date] = set()
    for previous, window in zip([None, *windows], windows, strict=False):
        assert today <= window.start <= window.end
        assert window.reasons
        if previous is not None:
            # Sorted, and separated by at least one free day (otherwise they would be merged).
            assert window.start > previous.end + timedelta(days=1)
        day = window.start
        while day <= window.end:
            blocked.add(day)
            day += timedelta(days=1)
    for offset in range(horizon):
        day = today + timedelta(days=offset)
        assert (day in blocked) == (not _allowed(procedure, day, history, guidance))


@given(st.data())
@settings(max_examples=150)
def test_the_reminder_plan_is_deterministic_and_replanning_changes_nothing(
    data: st.DataObject,
) -> None:
    today = data.draw(todays)
    history = data.draw(histories(today))
    guidance = data.draw(guidance_sets())
    now = data.draw(nows(today))
    options = {
        "tz": data.draw(st.sampled_from(ZONES)),
        "reminder_hour": data.draw(st.integers(0, 23)),
        "heads_up_days": data.draw(st.integers(0, 10)),
        "now": now,
        "quiet_start": data.draw(st.sampled_from([None, time(22), time(1), time(23, 30)])),
        "quiet_end": data.draw(st.sampled_from([None, time(8), time(6, 15), time(2, 15)])),
    }
    plan = plan_reminders(history, guidance, **options)  # type: ignore[arg-type]
    shuffled = list(history)
    random.Random(data.draw(st.integers())).shuffle(shuffled)
    assert plan_reminders(shuffled, guidance, **options) == plan  # type: ignore[arg-type]

    keys = [r.key for r in plan]
    assert len(set(keys)) == len(keys)
    assert all(len(key) <= 64 for key in keys)
    assert all(r.due_at > now and r.due_at.utcoffset() == timedelta(0) for r in plan)
    assert plan == sorted(plan, key=lambda r: (r.due_at, r.key))
    assert all(r.guidance_version == guidance.version for r in plan)

    diff = diff_plan({r.key: r.due_at for r in plan}, plan)
    assert diff.is_empty
    assert diff.keep == tuple(sorted(keys))


@given(st.data())
def test_a_new_entry_changes_only_the_reminders_it_affects(data: st.DataObject) -> None:
    today = data.draw(todays)
    history = data.draw(histories(today, max_size=5))
    now = data.draw(nows(today))
    guidance = default_guidance()
    options = {"tz": "Europe/Berlin", "reminder_hour": 9, "heads_up_days": 3, "now": now}
    old = plan_reminders(history, guidance, **options)  # type: ignore[arg-type]
    extra = Entry(data.draw(procedures), today + timedelta(days=data.draw(st.integers(-50, 50))))
    new = plan_reminders([*history, extra], guidance, **options)  # type: ignore[arg-type]
    diff = diff_plan({r.key: r.due_at for r in old}, new)
    assert set(diff.keep) | {r.key for r in diff.add} == {r.key for r in new}
    assert set(diff.keep) | set(diff.cancel) == {r.key for r in old}
    assert not set(diff.keep) & set(diff.cancel)


@given(st.data())
@settings(max_examples=150)
def test_every_planned_reminder_still_holds_against_the_history_it_was_planned_from(
    data: st.DataObject,
) -> None:
    today = data.draw(todays)
    history = data.draw(histories(today))
    guidance = data.draw(guidance_sets())
    options = {
        "tz": "Europe/Berlin",
        "reminder_hour": data.draw(st.integers(0, 23)),
        "heads_up_days": data.draw(st.integers(0, 10)),
        "now": data.draw(nows(today)),
    }
    for planned in plan_reminders(history, guidance, **options):  # type: ignore[arg-type]
        key = planned.key.split(":")
        on = date(int(key[2][:4]), int(key[2][4:6]), int(key[2][6:]))
        now = reminder_now(
            planned.kind, planned.procedure, on, planned.local_date, history, guidance
        )
        assert now is not None, planned
        assert now.guidance_version == guidance.version
        if planned.kind.value != "before_planned":
            # The same windows, fewer when some ended before the reminder's day; the entry may
            # have become a done one by then.
            def plain(reasons: tuple[Reason, ...]) -> set[Reason]:
                return {replace(r, entry_planned=False) for r in reasons}

            assert plain(now.reasons) <= plain(planned.reasons)
