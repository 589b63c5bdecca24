"""Table tests of the spacing arithmetic: the seed text's guidance and the defaults."""

from __future__ import annotations

from datetime import date

import pytest

from rules import (
    Direction,
    Entry,
    GuidanceSet,
    Procedure,
    RuleOverride,
    apply_overrides,
    blocked_windows,
    check_entry,
    default_guidance,
    earliest_date,
    reasons_from_entry,
)

B, M = Procedure.BOTOX, Procedure.MICRONEEDLING
G = default_guidance()


def d(text: str) -> date:
    return date.fromisoformat(text)


def botox(on: str, ref: str = "") -> Entry:
    return Entry(B, d(on), ref)


def needling(on: str, ref: str = "") -> Entry:
    return Entry(M, d(on), ref)


def without(*pairs: tuple[Procedure, Procedure]) -> GuidanceSet:
    return apply_overrides(G, [RuleOverride(a, b, None) for a, b in pairs], version=1)


# The seed text: "microneedling at least one week before Botox, or at least two weeks after".
@pytest.mark.parametrize(
    ("microneedling_on", "allowed"),
    [
        ("2026-11-01", True),  # 19 days before
        ("2026-11-13", True),  # exactly 7 days before
        ("2026-11-14", False),  # 6 days before
        ("2026-11-19", False),  # the day before
        ("2026-11-20", False),  # the same day: 0 days apart
        ("2026-11-21", False),  # the day after
        ("2026-12-03", False),  # 13 days after
        ("2026-12-04", True),  # exactly 14 days after
        ("2027-01-01", True),
    ],
)
def test_microneedling_keeps_a_week_before_or_two_weeks_after_botox(
    microneedling_on: str, allowed: bool
) -> None:
    assert (check_entry(needling(microneedling_on), [botox("2026-11-20")], G) == []) is allowed
    # The same pair judged from the other side: Botox proposed against the microneedling.
    assert (check_entry(botox("2026-11-20"), [needling(microneedling_on)], G) == []) is allowed


@pytest.mark.parametrize(
    ("history", "procedure", "today", "earliest"),
    [
        pytest.param([], M, "2026-11-21", "2026-11-21", id="nothing-logged"),
        pytest.param(
            [botox("2026-11-20")], M, "2026-11-21", "2026-12-04", id="14-days-after-botox"
        ),
        pytest.param([botox("2026-11-20")], M, "2026-12-10", "2026-12-10", id="after-botox-passed"),
        pytest.param([needling("2026-11-20")], B, "2026-11-21", "2026-11-27", id="7-days-after-mn"),
        pytest.param([botox("2026-11-20")], B, "2026-11-21", "2027-02-18", id="botox-90-days"),
        pytest.param([needling("2026-11-20")], M, "2026-11-21", "2026-12-18", id="mn-28-days"),
        pytest.param([botox("2026-12-20")], M, "2026-11-21", "2026-11-21", id="planned-botox-far"),
        pytest.param([botox("2026-11-25")], M, "2026-11-21", "2026-12-09", id="planned-botox-near"),
        pytest.param([needling("2026-12-05")], B, "2026-11-21", "2026-11-21", id="planned-mn-far"),
        pytest.param([needling("2026-11-30")], B, "2026-11-21", "2026-12-07", id="planned-mn-near"),
        pytest.param([botox("2026-11-21")], M, "2026-11-21", "2026-12-05", id="botox-today"),
        pytest.param(
            [botox("2026-10-01"), needling("2026-11-01"), botox("2026-12-15")],
            M,
            "2026-11-05",
            "2026-11-29",
            id="several-entries",
        ),
        pytest.param(
            # The free days between windows are blocked by the next one: the answer chains.
            [needling("2026-11-01"), botox("2026-12-01")],
            M,
            "2026-11-05",
            "2026-12-15",
            id="chained-windows",
        ),
        pytest.param(
            [botox("2026-11-21"), needling("2026-11-21")],
            M,
            "2026-11-21",
            "2026-12-19",
            id="same-day-entries",
        ),
    ],
)
def test_earliest_date_with_the_default_guidance(
    history: list[Entry], procedure: Procedure, today: str, earliest: str
) -> None:
    assert earliest_date(procedure, history, G, d(today)).date == d(earliest)


def test_a_planned_botox_blocks_microneedling_from_a_week_before_to_two_weeks_after() -> None:
    # The issue: a planned Botox on B forbids microneedling on B - 7 < M < B + 14.
    windows = blocked_windows(M, [botox("2026-12-20")], G, d("2026-11-21"))
    assert [(w.start, w.end) for w in windows] == [(d("2026-12-14"), d("2027-01-02"))]
    assert [(r.direction, r.boundary) for r in windows[0].reasons] == [
        (Direction.AFTER, d("2027-01-03")),
        (Direction.BEFORE, d("2026-12-13")),
    ]


def test_microneedling_waits_fourteen_days_after_botox_and_says_why() -> None:
    earliest = earliest_date(M, [botox("2026-11-20")], G, d("2026-11-21"))
    assert earliest.date == d("2026-12-04")
    (reason,) = earliest.reasons
    assert reason.entry == botox("2026-11-20")
    assert reason.rule == G.rule_for(B, M)
    assert reason.direction is Direction.AFTER
    assert reason.boundary == d("2026-12-04")
    assert reason.describe() == (
        "because of botox on 2026-11-20, microneedling should wait until 2026-12-04: "
        "at least 14 days after botox"
    )


def test_earliest_today_has_no_reasons() -> None:
    earliest = earliest_date(M, [botox("2026-01-01")], G, d("2026-11-21"))
    assert (earliest.date, earliest.reasons) == (d("2026-11-21"), ())


def test_the_decisive_reason_comes_first() -> None:
    history = [needling("2026-11-01"), botox("2026-12-01")]
    earliest = earliest_date(M, history, G, d("2026-11-05"))
    assert earliest.reasons[0].entry == botox("2026-12-01")
    assert earliest.reasons[0].boundary == earliest.date
    assert {r.entry for r in earliest.reasons} == set(history)


def test_same_procedure_rule_blocks_both_sides_of_a_planned_botox() -> None:
    windows = blocked_windows(B, [botox("2027-03-01")], G, d("2026-11-21"))
    assert [(w.start, w.end) for w in windows] == [(d("2026-12-02"), d("2027-05-29"))]


def test_a_rule_switched_off_constrains_nothing() -> None:
    guidance = without((B, M), (M, B))
    assert earliest_date(M, [botox("2026-11-21")], guidance, d("2026-11-21")).date == d(
        "2026-11-21"
    )
    assert check_entry(needling("2026-11-21"), [botox("2026-11-21")], guidance) == []


def test_a_zero_day_rule_allows_the_same_day() -> None:
    guidance = apply_overrides(G, [RuleOverride(B, M, 0), RuleOverride(M, B, 0)], version=1)
    assert check_entry(needling("2026-11-21"), [botox("2026-11-21")], guidance) == []


def test_windows_are_merged_when_they_overlap_or_touch() -> None:
    # mn 11-01 blocks mn to 11-28; botox 12-06 blocks mn 11-30 .. 12-19; botox 11-15
    # blocks 11-09 .. 11-28: 11-29 is the only free day.
    history = [needling("2026-11-01"), botox("2026-11-15"), botox("2026-12-06")]
    windows = blocked_windows(M, history, without((B, B)), d("2026-11-05"))
    assert [(w.start, w.end) for w in windows] == [
        (d("2026-11-05"), d("2026-11-28")),
        (d("2026-11-30"), d("2026-12-19")),
    ]
    touching = [needling("2026-11-01"), botox("2026-12-05")]
    merged = blocked_windows(M, touching, G, d("2026-11-05"))
    assert [(w.start, w.end) for w in merged] == [(d("2026-11-05"), d("2026-12-18"))]
    assert len(merged[0].reasons) == 3


def test_windows_start_at_today_but_keep_their_true_end() -> None:
    windows = blocked_windows(B, [botox("2026-11-20")], G, d("2026-11-21"), horizon_days=10)
    assert [(w.start, w.end) for w in windows] == [(d("2026-11-21"), d("2027-02-17"))]
    assert windows[0].reasons[0].start == d("2026-11-20")


def test_windows_beyond_the_horizon_are_left_out() -> None:
    history = [botox("2027-06-01")]
    assert blocked_windows(M, history, G, d("2026-11-21"), horizon_days=30) == []
    assert len(blocked_windows(M, history, G, d("2026-11-21"), horizon_days=365)) == 1


def test_a_negative_horizon_is_an_error() -> None:
    with pytest.raises(ValueError, match="horizon_days"):
        blocked_windows(M, [], G, d("2026-11-21"), horizon_days=-1)


def test_a_microneedling_six_days_before_a_planned_botox_is_a_violation() -> None:
    (violation,) = check_entry(needling("2026-12-14"), [botox("2026-12-20")], G)
    assert violation.entry == botox("2026-12-20")
    assert violation.rule == G.rule_for(M, B)
    assert violation.direction is Direction.BEFORE
    assert (violation.days_apart, violation.days_required) == (6, 7)


def test_a_microneedling_thirteen_days_after_botox_is_a_violation() -> None:
    (violation,) = check_entry(needling("2026-12-03"), [botox("2026-11-20")], G)
    assert violation.direction is Direction.AFTER
    assert (violation.days_apart, violation.days_required) == (13, 14)


def test_same_day_botox_and_microneedling_break_both_rules() -> None:
    violations = check_entry(needling("2026-11-20"), [botox("2026-11-20")], G)
    assert {(v.rule.after, v.rule.then, v.days_apart) for v in violations} == {
        (B, M, 0),
        (M, B, 0),
    }


def test_two_botox_on_one_day_break_the_ninety_day_rule_once() -> None:
    (violation,) = check_entry(botox("2026-11-20"), [botox("2026-11-20")], G)
    assert (violation.days_apart, violation.days_required) == (0, 90)


@pytest.mark.parametrize(
    ("other", "violations"),
    [("2026-08-23", 1), ("2026-08-22", 0), ("2027-02-17", 1), ("2027-02-18", 0)],
)
def test_botox_is_spaced_ninety_days_from_botox_on_either_side(other: str, violations: int) -> None:
    assert len(check_entry(botox("2026-11-20"), [botox(other)], G)) == violations


def test_check_entry_reports_every_conflicting_entry_in_date_order() -> None:
    history = [botox("2026-12-05"), botox("2026-11-20"), needling("2026-01-01")]
    violations = check_entry(needling("2026-12-01"), history, G)
    assert [(v.entry.on, v.direction) for v in violations] == [
        (d("2026-11-20"), Direction.AFTER),
        (d("2026-12-05"), Direction.BEFORE),
    ]


def test_an_edited_entry_is_not_checked_against_its_old_self() -> None:
    history = [botox("2026-11-20", ref="42")]
    assert check_entry(botox("2026-12-01", ref="42"), history, G) == []
    assert len(check_entry(botox("2026-12-01", ref="43"), history, G)) == 1


def test_reasons_from_a_planned_entry_list_before_then_after() -> None:
    reasons = reasons_from_entry(botox("2026-12-20"), M, G, today=d("2026-12-01"))
    assert [(r.direction, r.boundary) for r in reasons] == [
        (Direction.BEFORE, d("2026-12-13")),
        (Direction.AFTER, d("2027-01-03")),
    ]
    assert all(r.entry_planned for r in reasons)


def test_a_reason_says_whether_its_entry_was_planned_on_the_day_asked_about() -> None:
    history = [botox("2026-12-10")]
    before = earliest_date(M, history, G, d("2026-12-05"))
    after = earliest_date(M, history, G, d("2026-12-15"))
    assert [r.entry_planned for r in before.reasons] == [True, True]
    assert [r.entry_planned for r in after.reasons] == [False]
    assert before.reasons[0].describe().startswith("because of planned botox on 2026-12-10")
    windows = blocked_windows(M, history, G, d("2026-12-09"))
    assert all(r.entry_planned for w in windows for r in w.reasons)


def test_the_answer_does_not_depend_on_history_order() -> None:
    history = [botox("2026-12-01"), needling("2026-11-01"), botox("2026-10-01")]
    today = d("2026-11-05")
    assert earliest_date(M, history, G, today) == earliest_date(M, history[::-1], G, today)
    assert blocked_windows(M, history, G, today) == blocked_windows(M, history[::-1], G, today)
