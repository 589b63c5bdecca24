"""Spacing rules as data: the shipped defaults, a clinic's overrides, and their validation.

A `Rule(after=A, then=B, min_days=N)` reads "after A, B may follow after at least N days":
for an A on date `a` and a B on date `b` with `b >= a`, it requires `b - a >= N`. The same
rule also limits how close *before* a B an A may be planned (see `rules.spacing`).

A `GuidanceSet` is the rules in force plus a version number: 0 is the shipped defaults
(`default_guidance()`), and each clinic's overrides produce a set under that clinic's own
version (`apply_overrides`) so that a reminder can say which guidance produced it. A rule
switched off by a clinic is simply absent from the set, and so constrains nothing; the set
remembers every rule its clinic set differently from the defaults (`clinic_rules`), so a
reminder can say that its clinic, not the usual guidance, set the spacing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from rules.procedures import Procedure

MAX_DAYS = 3650
"""The longest spacing a rule may ask for (ten years); anything longer is a typo."""

GUIDANCE_FILE = "guidance.json"
GUIDANCE_FORMAT = 1


class GuidanceError(ValueError):
    """Guidance data (the shipped file, a rule or a clinic's override) is invalid."""


class Evidence(StrEnum):
    """How strong the source of a rule is; shown to clinics next to each rule."""

    EXPERT_CONSENSUS = "expert_consensus"
    MANUFACTURER = "manufacturer"
    CLINICAL_STUDY = "clinical_study"
    CONVENTION = "convention"
    CLINIC = "clinic"


def _check_procedure(value: object, what: str) -> Procedure:
    if isinstance(value, Procedure):
        return value
    if isinstance(value, str):
        try:
            return Procedure(value)
        except ValueError:
            pass
    known = ", ".join(p.value for p in Procedure)
    raise GuidanceError(f"{what}: unknown procedure {value!r} (known: {known})")


def _check_days(value: object, what: str) -> int:
    # bool is an int subclass; `true` days is a data error, not 1 day.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise GuidanceError(f"{what}: expected whole days from 0 to {MAX_DAYS}, got {value!r}")
    return value


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise GuidanceError(f"{what}: expected non-empty text, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """After `after`, `then` may follow after at least `min_days` days."""

    after: Procedure
    then: Procedure
    min_days: int
    source: str
    evidence: str

    def __post_init__(self) -> None:
        # Accept plain ids ("botox") as storage reads them, but keep the enum inside.
        object.__setattr__(self, "after", _check_procedure(self.after, "rule.after"))
        object.__setattr__(self, "then", _check_procedure(self.then, "rule.then"))
        _check_days(self.min_days, f"rule {self.after}->{self.then}: min_days")
        _check_text(self.source, f"rule {self.after}->{self.then}: source")
        if self.evidence not in set(Evidence):
            grades = ", ".join(e.value for e in Evidence)
            raise GuidanceError(
                f"rule {self.after}->{self.then}: evidence {self.evidence!r} is not one of {grades}"
            )


@dataclass(frozen=True, slots=True)
class ClinicRule:
    """A rule a clinic set differently from the defaults: `min_days` None is switched off."""

    after: Procedure
    then: Procedure
    min_days: int | None
    default_days: int | None

    @property
    def weaker(self) -> bool:
        """Off, or shorter than the default: the patient waits less than usual."""
        return self.default_days is not None and (
            self.min_days is None or self.min_days < self.default_days
        )


@dataclass(frozen=True, slots=True)
class GuidanceSet:
    """The rules in force for one clinic (or the defaults), identified by `version`."""

    rules: tuple[Rule, ...]
    version: int
    clinic_rules: tuple[ClinicRule, ...] = ()
    _by_pair: Mapping[tuple[Procedure, Procedure], Rule] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 0:
            raise GuidanceError(
                f"guidance version must be a whole number >= 0, got {self.version!r}"
            )
        by_pair: dict[tuple[Procedure, Procedure], Rule] = {}
        for rule in self.rules:
            pair = (rule.after, rule.then)
            if pair in by_pair:
                raise GuidanceError(f"two rules for {rule.after} -> {rule.then}")
            by_pair[pair] = rule
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "_by_pair", by_pair)

    def rule_for(self, after: Procedure, then: Procedure) -> Rule | None:
        """The rule for `then` following `after`, or None if there is none (or it is off)."""
        return self._by_pair.get((after, then))


@dataclass(frozen=True, slots=True)
class RuleOverride:
    """A clinic's change to one rule: a new `min_days`, or None to switch the rule off."""

    after: Procedure
    then: Procedure
    min_days: int | None
    source: str = "clinic override"

    def __post_init__(self) -> None:
        object.__setattr__(self, "after", _check_procedure(self.after, "override.after"))
        object.__setattr__(self, "then", _check_procedure(self.then, "override.then"))
        if self.min_days is not None:
            _check_days(self.min_days, f"override {self.after}->{self.then}: min_days")
        _check_text(self.source, f"override {self.after}->{self.then}: source")


def apply_overrides(
    base: GuidanceSet, overrides: Iterable[RuleOverride], version: int
) -> GuidanceSet:
    """`base` with each override applied (change N, add a rule, or switch one off)."""
    rules = {(rule.after, rule.then): rule for rule in base.rules}
    seen: set[tuple[Procedure, Procedure]] = set()
    differ: list[ClinicRule] = []
    for override in overrides:
        pair = (override.after, override.then)
        # Two overrides for one pair would make the result depend on their order.
        if pair in seen:
            raise GuidanceError(f"two overrides for {override.after} -> {override.then}")
        seen.add(pair)
        default = rules.get(pair)
        default_days = None if default is None else default.min_days
        if override.min_days != default_days:
            differ.append(
                ClinicRule(override.after, override.then, override.min_days, default_days)
            )
        if override.min_days is None:
            rules.pop(pair, None)
        else:
            rules[pair] = Rule(
                after=override.after,
                then=override.then,
                min_days=override.min_days,
                source=override.source,
                evidence=Evidence.CLINIC,
            )
    if seen and version == 0:
        # Version 0 names the shipped defaults; a changed set must not claim to be them.
        raise GuidanceError("version 0 is reserved for the default guidance")
    return GuidanceSet(rules=tuple(rules.values()), version=version, clinic_rules=tuple(differ))


_RULE_KEYS = frozenset({"after", "then", "min_days", "source", "evidence"})


def parse_guidance(data: object, *, version: int = 0, origin: str = GUIDANCE_FILE) -> GuidanceSet:
    """Validate guidance data shaped like `guidance.json` and build its set."""
    if not isinstance(data, Mapping) or set(data) != {"format", "rules"}:
        raise GuidanceError(f"{origin}: expected an object with exactly 'format' and 'rules'")
    if data["format"] != GUIDANCE_FORMAT:
        raise GuidanceError(f"{origin}: format {data['format']!r} is not {GUIDANCE_FORMAT}")
    raw_rules = data["rules"]
    if not isinstance(raw_rules, list):
        raise GuidanceError(f"{origin}: 'rules' must be a list")
    rules: list[Rule] = []
    for i, raw in enumerate(raw_rules):
        where = f"{origin}: rules[{i}]"
        if not isinstance(raw, Mapping) or set(raw) != _RULE_KEYS:
            keys = ", ".join(sorted(_RULE_KEYS))
            raise GuidanceError(f"{where}: expected an object with exactly {keys}")
        try:
            rules.append(
                Rule(
                    after=_check_procedure(raw["after"], "after"),
                    then=_check_procedure(raw["then"], "then"),
                    min_days=_check_days(raw["min_days"], "min_days"),
                    source=_check_text(raw["source"], "source"),
                    evidence=_check_text(raw["evidence"], "evidence"),
                )
            )
        except GuidanceError as exc:
            raise GuidanceError(f"{where}: {exc}") from None
    try:
        return GuidanceSet(rules=tuple(rules), version=version)
    except GuidanceError as exc:
        raise GuidanceError(f"{origin}: {exc}") from None


@lru_cache(maxsize=1)
def default_guidance() -> GuidanceSet:
    """The shipped guidance (version 0), loaded and validated once."""
    text = resources.files("rules").joinpath(GUIDANCE_FILE).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GuidanceError(f"{GUIDANCE_FILE}: not valid JSON ({exc})") from None
    return parse_guidance(data, version=0)
