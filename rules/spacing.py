"""The spacing arithmetic: earliest dates, blocked windows and checks of a proposed entry.

Semantics (issue 3). Entries are calendar dates; "at least N days after" means
`later - earlier >= N`. For a procedure P and an entry X (of any procedure, done or
planned) on date `x`, a date `d` is blocked for P when

- `d >= x` and `d - x < N(X -> P)`: P would follow X too soon (direction AFTER), i.e.
  the dates `x .. x + N - 1`; or
- `d <= x` and `x - d < N(P -> X)`: P would precede X too closely (direction BEFORE), i.e.
  the dates `x - N + 1 .. x`.

So a planned Botox on B blocks microneedling on `B - 7 < M < B + 14` with the defaults,
and an entry on the same date as another is 0 days apart, which breaks every rule with
N > 0 in either direction. A rule that is absent (switched off) or has N = 0 blocks
nothing. Entries after `today` are "planned"; they constrain exactly like done ones, and a
`Reason` says so (`entry_planned`), so that a text can say "your planned Botox on 10 Dec".
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from rules.guidance import GuidanceSet, Rule
from rules.procedures import Procedure

DEFAULT_HORIZON_DAYS = 730


class Direction(StrEnum):
    """Which side of the causing entry the constrained procedure must keep to."""

    # The procedure must come at least N days after the entry: rule entry -> procedure.
    AFTER = "after"
    # The procedure must come at least N days before the entry: rule procedure -> entry.
    BEFORE = "before"


@dataclass(frozen=True, slots=True)
class Entry:
    """A procedure done or planned on a calendar date; `ref` is the caller's opaque id."""

    procedure: Procedure
    on: date
    ref: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why `procedure` is blocked on `start .. end` (inclusive): `entry` and its `rule`.

    `entry_planned`: the entry lies after the `today` the question was asked for (it is a
    plan, not a treatment had); a fact of that day, so a text written later asks again.
    """

    procedure: Procedure
    entry: Entry
    rule: Rule
    direction: Direction
    start: date
    end: date
    entry_planned: bool = False

    @property
    def boundary(self) -> date:
        """AFTER: first allowed date after the entry; BEFORE: last allowed date before it."""
        if self.direction is Direction.AFTER:
            return self.end + timedelta(days=1)
        return self.start - timedelta(days=1)

    def describe(self) -> str:
        """An English sentence for logs and debugging (the bot renders its own texts)."""
        planned = "planned " if self.entry_planned else ""
        if self.direction is Direction.AFTER:
            return (
                f"because of {planned}{self.entry.procedure} on {self.entry.on.isoformat()}, "
                f"{self.procedure} should wait until {self.boundary.isoformat()}: "
                f"at least {self.rule.min_days} days after {self.entry.procedure}"
            )
        return (
            f"because of {planned}{self.entry.procedure} on {self.entry.on.isoformat()}, "
            f"{self.procedure} should be done by {self.boundary.isoformat()}: "
            f"at least {self.rule.min_days} days before {self.entry.procedure}"
        )


@dataclass(frozen=True, slots=True)
class Earliest:
    """The earliest allowed date for `procedure`; `reasons` pushed it past today, decisive first."""

    procedure: Procedure
    date: date
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class BlockedWindow:
    """Dates `start .. end` (inclusive) on which a procedure is blocked, and why."""

    start: date
    end: date
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Violation:
    """`proposed` is `days_apart` days from `entry`, where `rule` asks for `days_required`."""

    proposed: Entry
    entry: Entry
    rule: Rule
    direction: Direction
    days_apart: int
    days_required: int


# A window before it becomes a Reason: (start ordinal, end ordinal, entry, rule, direction).
# Ordinals keep the hot loops on ints; Reasons are built only for the windows reported.
_Window = tuple[int, int, Entry, Rule, Direction]


@dataclass(frozen=True, slots=True)
class HistoryIndex:
    """A history grouped by procedure and sorted by date, so old entries can be skipped."""

    ordinals: dict[Procedure, list[int]]
    entries: dict[Procedure, list[Entry]]

    @classmethod
    def of(cls, history: Iterable[Entry]) -> HistoryIndex:
        """Index `history` (any order; the result does not depend on it)."""
        groups: dict[Procedure, list[tuple[int, str, Entry]]] = {}
        for entry in history:
            groups.setdefault(entry.procedure, []).append((entry.on.toordinal(), entry.ref, entry))
        ordinals: dict[Procedure, list[int]] = {}
        entries: dict[Procedure, list[Entry]] = {}
        for procedure, rows in groups.items():
            # Sorting on (date, ref) makes reason order independent of the input order.
            rows.sort(key=lambda row: (row[0], row[1]))
            ordinals[procedure] = [row[0] for row in rows]
            entries[procedure] = [row[2] for row in rows]
        return cls(ordinals=ordinals, entries=entries)

    def last_on_or_before(self, procedure: Procedure, day: date) -> Entry | None:
        """The latest entry of `procedure` on or before `day`, if any."""
        ords = self.ordinals.get(procedure)
        if not ords:
            return None
        i = bisect_left(ords, day.toordinal() + 1)
        return self.entries[procedure][i - 1] if i else None

    def after(self, day: date) -> list[Entry]:
        """Every entry strictly after `day` (the planned ones), by date then procedure."""
        cut = day.toordinal() + 1
        found = [
            entry
            for procedure, ords in self.ordinals.items()
            for entry in self.entries[procedure][bisect_left(ords, cut) :]
        ]
        found.sort(key=lambda e: (e.on, e.procedure, e.ref))
        return found


_NEVER = 10**9  # An ordinal beyond any date, for "no bound".


def _windows(
    procedure: Procedure, index: HistoryIndex, guidance: GuidanceSet, lo: int, hi: int
) -> list[_Window]:
    """Windows blocking `procedure` that end on or after `lo` and start before `hi`."""
    found: list[_Window] = []
    for other, ords in index.ordinals.items():
        after_rule = guidance.rule_for(other, procedure)
        before_rule = guidance.rule_for(procedure, other)
        n_after = after_rule.min_days if after_rule is not None else 0
        n_before = before_rule.min_days if before_rule is not None else 0
        if n_after <= 0 and n_before <= 0:
            continue
        # Only entries whose windows can reach [lo, hi) matter; bisect past the others.
        first = min(lo - n_after + 1 if n_after > 0 else _NEVER, lo if n_before > 0 else _NEVER)
        last = max(hi if n_after > 0 else -_NEVER, hi + n_before - 1 if n_before > 0 else -_NEVER)
        entries = index.entries[other]
        for i in range(bisect_left(ords, first), bisect_left(ords, last)):
            x = ords[i]
            entry = entries[i]
            if after_rule is not None and n_after > 0 and x + n_after - 1 >= lo and x < hi:
                found.append((x, x + n_after - 1, entry, after_rule, Direction.AFTER))
            if before_rule is not None and n_before > 0 and x >= lo and x - n_before + 1 < hi:
                found.append((x - n_before + 1, x, entry, before_rule, Direction.BEFORE))
    return found


def _reason(procedure: Procedure, window: _Window, today: int) -> Reason:
    start, end, entry, rule, direction = window
    return Reason(
        procedure=procedure,
        entry=entry,
        rule=rule,
        direction=direction,
        start=date.fromordinal(start),
        end=date.fromordinal(end),
        entry_planned=entry.on.toordinal() > today,
    )


def _reason_order(window: _Window) -> tuple[int, int, date, str, str, str]:
    # Decisive first: the window that ends last is the one that sets the date. The enums
    # are str subclasses and compare as their ids; `.value` would cost an enum lookup.
    start, end, entry, _rule, direction = window
    return (-end, start, entry.on, entry.procedure, entry.ref, direction)


def _reasons(procedure: Procedure, windows: list[_Window], today: int) -> tuple[Reason, ...]:
    return tuple(_reason(procedure, w, today) for w in sorted(windows, key=_reason_order))


def earliest_in(
    procedure: Procedure, index: HistoryIndex, guidance: GuidanceSet, today: date
) -> Earliest:
    """`earliest_date` on an already built index (for callers asking several questions)."""
    t = today.toordinal()
    windows = _windows(procedure, index, guidance, t, _NEVER)
    windows.sort(key=lambda w: w[0])
    day = t
    for w in windows:
        if w[0] > day:
            break
        if w[1] >= day:
            day = w[1] + 1
    if day == t:
        return Earliest(procedure=procedure, date=today, reasons=())
    # Every window that starts before the answer blocked some day from today up to it.
    blocking = [w for w in windows if w[0] < day]
    return Earliest(
        procedure=procedure, date=date.fromordinal(day), reasons=_reasons(procedure, blocking, t)
    )


def earliest_date(
    procedure: Procedure, history: Sequence[Entry], guidance: GuidanceSet, today: date
) -> Earliest:
    """The earliest date on or after `today` on which `procedure` breaks no rule."""
    return earliest_in(procedure, HistoryIndex.of(history), guidance, today)


def blocked_windows(
    procedure: Procedure,
    history: Sequence[Entry],
    guidance: GuidanceSet,
    today: date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> list[BlockedWindow]:
    """Merged, sorted blocked windows starting before `today + horizon_days`, clipped to today."""
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be >= 0, got {horizon_days}")
    t = today.toordinal()
    windows = _windows(procedure, HistoryIndex.of(history), guidance, t, t + horizon_days)
    windows.sort(key=lambda w: w[0])
    merged: list[tuple[int, int, list[_Window]]] = []
    for w in windows:
        start = max(w[0], t)
        # Adjacent windows (one ends the day before the next starts) leave no free day.
        if merged and start <= merged[-1][1] + 1:
            last_start, last_end, group = merged[-1]
            group.append(w)
            merged[-1] = (last_start, max(last_end, w[1]), group)
        else:
            merged.append((start, w[1], [w]))
    # The end is not clipped to the horizon: a window's true end is the useful answer.
    return [
        BlockedWindow(
            start=date.fromordinal(start),
            end=date.fromordinal(end),
            reasons=_reasons(procedure, group, t),
        )
        for start, end, group in merged
    ]


def reasons_from_entry(
    entry: Entry, procedure: Procedure, guidance: GuidanceSet, *, today: date
) -> tuple[Reason, ...]:
    """The windows `entry` blocks for `procedure` (BEFORE then AFTER), unclipped."""
    found: list[Reason] = []
    planned = entry.on > today
    before = guidance.rule_for(procedure, entry.procedure)
    if before is not None and before.min_days > 0:
        start = entry.on - timedelta(days=before.min_days - 1)
        found.append(Reason(procedure, entry, before, Direction.BEFORE, start, entry.on, planned))
    after = guidance.rule_for(entry.procedure, procedure)
    if after is not None and after.min_days > 0:
        end = entry.on + timedelta(days=after.min_days - 1)
        found.append(Reason(procedure, entry, after, Direction.AFTER, entry.on, end, planned))
    return tuple(found)


def check_entry(entry: Entry, history: Sequence[Entry], guidance: GuidanceSet) -> list[Violation]:
    """The rules a proposed `entry` breaks against `history` (empty when it is fine).

    A history entry with the same non-empty `ref` is the entry being edited and is skipped.
    """
    violations: list[Violation] = []
    for other in history:
        if entry.ref and other.ref == entry.ref:
            continue
        apart = (entry.on - other.on).days
        if apart >= 0:
            rule = guidance.rule_for(other.procedure, entry.procedure)
            if rule is not None and apart < rule.min_days:
                violations.append(
                    Violation(entry, other, rule, Direction.AFTER, apart, rule.min_days)
                )
        # Same day: one rule for the same procedure is broken once, not once per side.
        if apart < 0 or (apart == 0 and other.procedure != entry.procedure):
            rule = guidance.rule_for(entry.procedure, other.procedure)
            if rule is not None and -apart < rule.min_days:
                violations.append(
                    Violation(entry, other, rule, Direction.BEFORE, -apart, rule.min_days)
                )
    violations.sort(
        key=lambda v: (v.entry.on, v.entry.procedure.value, v.entry.ref, v.direction.value)
    )
    return violations
