"""The shipped guidance, its validation, and a clinic's overrides."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from rules import (
    GuidanceError,
    GuidanceSet,
    Procedure,
    Rule,
    RuleOverride,
    apply_overrides,
    default_guidance,
    parse_guidance,
)

B, M = Procedure.BOTOX, Procedure.MICRONEEDLING


def shipped_data() -> Any:
    return json.loads(resources.files("rules").joinpath("guidance.json").read_text("utf-8"))


def test_default_guidance_has_the_four_rules_of_the_issue() -> None:
    guidance = default_guidance()
    days = {(rule.after, rule.then): rule.min_days for rule in guidance.rules}
    assert days == {(M, B): 7, (B, M): 14, (B, B): 90, (M, M): 28}
    assert guidance.version == 0


def test_each_default_rule_names_its_source_and_evidence_grade() -> None:
    grades = {(r.after, r.then): r.evidence for r in default_guidance().rules}
    assert grades == {
        (M, B): "expert_consensus",
        (B, M): "expert_consensus",
        (B, B): "manufacturer",
        (M, M): "convention",
    }
    assert all(rule.source.strip() for rule in default_guidance().rules)


def test_default_guidance_is_loaded_once() -> None:
    assert default_guidance() is default_guidance()


def test_rule_for_finds_a_rule_by_its_pair() -> None:
    rule = default_guidance().rule_for(B, M)
    assert rule is not None
    assert rule.min_days == 14


def _broken(change: Any) -> Any:
    data = copy.deepcopy(shipped_data())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"][0].update(after="laser"), "unknown procedure 'laser'"),
        (lambda d: d["rules"][0].update(min_days=-1), "whole days from 0 to 3650"),
        (lambda d: d["rules"][0].update(min_days=True), "whole days"),
        (lambda d: d["rules"][0].update(min_days="7"), "whole days"),
        (lambda d: d["rules"][0].update(min_days=4000), "whole days"),
        (lambda d: d["rules"][0].update(evidence="hearsay"), "evidence 'hearsay'"),
        (lambda d: d["rules"][0].update(source=" "), "non-empty text"),
        (lambda d: d["rules"][0].pop("source"), "exactly"),
        (lambda d: d["rules"][0].update(extra=1), "exactly"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "two rules for microneedling -> botox"),
        (lambda d: d.update(format=2), "format 2"),
        (lambda d: d.update(rules={}), "'rules' must be a list"),
        (lambda d: d.pop("format"), "exactly 'format' and 'rules'"),
    ],
)
def test_invalid_guidance_data_is_rejected_with_the_place_named(change: Any, message: str) -> None:
    with pytest.raises(GuidanceError, match=message):
        parse_guidance(_broken(change))


def test_the_shipped_file_passes_validation() -> None:
    assert parse_guidance(shipped_data()) == default_guidance()


def test_a_clinic_can_lengthen_a_rule() -> None:
    clinic = apply_overrides(default_guidance(), [RuleOverride(B, M, 21)], version=3)
    rule = clinic.rule_for(B, M)
    assert rule is not None
    assert (rule.min_days, rule.evidence, clinic.version) == (21, "clinic", 3)
    assert clinic.rule_for(M, B) == default_guidance().rule_for(M, B)


def test_a_clinic_can_switch_a_rule_off() -> None:
    clinic = apply_overrides(default_guidance(), [RuleOverride(M, M, None)], version=1)
    assert clinic.rule_for(M, M) is None
    assert len(clinic.rules) == 3


def test_overrides_leave_the_defaults_untouched() -> None:
    apply_overrides(default_guidance(), [RuleOverride(B, B, None)], version=1)
    assert default_guidance().rule_for(B, B) is not None


def test_two_overrides_for_one_pair_are_rejected() -> None:
    with pytest.raises(GuidanceError, match="two overrides"):
        apply_overrides(default_guidance(), [RuleOverride(B, M, 1), RuleOverride(B, M, 2)], 1)


def test_a_changed_set_cannot_claim_version_zero() -> None:
    with pytest.raises(GuidanceError, match="version 0"):
        apply_overrides(default_guidance(), [RuleOverride(B, M, 1)], version=0)


@pytest.mark.parametrize("days", [-1, 3651])
def test_an_override_outside_the_day_range_is_rejected(days: int) -> None:
    with pytest.raises(GuidanceError):
        RuleOverride(B, M, days)


def test_rules_accept_plain_procedure_ids_from_storage() -> None:
    rule = Rule("botox", "microneedling", 14, "x", "convention")  # type: ignore[arg-type]
    assert rule.after is Procedure.BOTOX
    assert RuleOverride("botox", "botox", None).after is Procedure.BOTOX  # type: ignore[arg-type]


def test_a_guidance_set_with_a_negative_version_is_rejected() -> None:
    with pytest.raises(GuidanceError):
        GuidanceSet(rules=(), version=-1)
