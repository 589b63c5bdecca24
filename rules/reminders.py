"""The reminder plan for one patient, and the diff that turns a re-plan into outbox changes.

`plan_reminders` answers "which reminders should exist for this patient right now?".
`today` is the patient's local date at `now`; entries after it are planned. For each
procedure P with no planned entry, let E be its earliest date (`rules.spacing`):

- `heads_up` — `heads_up_days` before E, when E is later than today ("P becomes possible
  on E"). `heads_up_days=0` means no heads-up. Reasons: those of E.
- `may_book` — on E, when E is later than today ("you may now book P"). Reasons: those
  of E.
- `retreatment_due` — replaces `may_book` when P was done before and P's own re-treatment
  rule (e.g. botox -> botox, 90 days) is among the reasons for E: on E, which is the last
  P + N unless another rule pushes it later. Skipped, like the two above, while a P is
  already planned: the patient has a plan for P, so "you may book P" would be noise.

For every planned entry X (after today):

- `before_planned` — `max(heads_up_days, 1)` days before X ("X is coming; keep the other
  procedures clear"). Reasons: the windows X blocks for each *other* procedure, BEFORE
  then AFTER, so the bot can say "keep microneedling before D1 or after D2" with
  D1/D2 = `Reason.boundary`. Two planned X of one procedure on one date give one reminder.

Instants: the reminder fires at `reminder_hour`:00 local on `local_date` (the date above),
converted with `zoneinfo`. Inside quiet hours (the window may wrap midnight) it moves to
the quiet end: the same morning, or the next one when the window wraps and the hour is
after its start. A local time that does not exist (DST gap) moves to the next valid
minute; one that exists twice (DST fold) uses the first. `local_date` stays the date
above even when quiet hours push `due_at` into the next morning. Only reminders due after
`now` are returned: the caller keeps the ones already sent, and one whose moment passed
before it was planned (e.g. a heads-up for a date three days out, planned two days out)
is not sent late.

Each reminder also carries the rules its clinic set differently from the defaults that bear
on it (`clinic_rules`): for a reminder about P, a rule X -> P with an X in the history, or
P -> X with an X planned; before a planned X, any rule between X and another procedure. So a
member whose clinic switched a rule off is told so, even though that rule now gives no
reason at all.

At send time a reminder is checked again (`reminder_now`): the history may have changed
seconds before, after the plan was made. It still holds when re-planning on its own day
would make it again: for the chain kinds, no entry of P after that day and P's earliest
date from that day (the day before E at the latest) still E; before a planned X, X still
on its date. Its words then come from the history of that
moment. `history_digest` tells a caller whether there is anything to check at all.

Keys are `kind:procedure:YYYYMMDD` with the date that causes the reminder (E for heads_up,
may_book and retreatment_due; X's date for before_planned): short, deterministic, and
unique within a plan. The guidance version is not part of the key: a new version that
leaves a reminder's date alone keeps the pending row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.guidance import ClinicRule, GuidanceSet
from rules.procedures import Procedure
from rules.spacing import Direction, Entry, HistoryIndex, Reason, earliest_in, reasons_from_entry

KEY_MAX_LENGTH = 64
DEFAULT_QUIET_START = time(22)
DEFAULT_QUIET_END = time(8)

# The longest wall-clock gap on record is a whole day (Samoa skipped 30 Dec 2011).
_MAX_GAP_MINUTES = 25 * 60


class PlanError(ValueError):
    """The settings given to the planner are invalid (zone, hour, days, naive `now`)."""


class ReminderKind(StrEnum):
    """What a reminder is about; see the module docstring for when each exists."""

    HEADS_UP = "heads_up"
    MAY_BOOK = "may_book"
    BEFORE_PLANNED = "before_planned"
    RETREATMENT_DUE = "retreatment_due"


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder that should exist: what, for which procedure, when, and why."""

    key: str
    kind: ReminderKind
    procedure: Procedure
    local_date: date
    due_at: datetime
    reasons: tuple[Reason, ...]
    guidance_version: int
    clinic_rules: tuple[ClinicRule, ...] = ()


@dataclass(frozen=True, slots=True)
class ReminderNow:
    """What a reminder that still holds says with the history as it is now."""

    reasons: tuple[Reason, ...]
    clinic_rules: tuple[ClinicRule, ...]
    guidance_version: int


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """How to move pending reminders to a new plan: rows to add, keys to cancel and keep."""

    add: tuple[PlannedReminder, ...]
    cancel: tuple[str, ...]
    keep: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        """True when nothing needs adding or cancelling."""
        return not self.add and not self.cancel


def zone_for(tz: str) -> ZoneInfo:
    """The `ZoneInfo` for an IANA name, or `PlanError` naming it."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanError(f"unknown time zone {tz!r}") from None


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `day`: a gap moves on to the next valid minute,
    a repeated time is taken the first time (fold=0)."""
    wall = datetime.combine(day, at.replace(tzinfo=None))
    for minutes in range(_MAX_GAP_MINUTES):
        candidate = wall + timedelta(minutes=minutes)
        instant = candidate.replace(tzinfo=zone, fold=0).astimezone(UTC)
        # A wall time exists iff it survives the round trip through UTC.
        if instant.astimezone(zone).replace(tzinfo=None) == candidate:
            return instant
    raise PlanError(f"no valid local time near {wall.isoformat()} in {zone.key}")


def shift_out_of_quiet(
    day: date, at: time, quiet_start: time | None, quiet_end: time | None
) -> tuple[date, time]:
    """Where a wall time inside quiet hours moves to: the quiet end (next day if it wraps)."""
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        return day, at
    if quiet_start < quiet_end:
        if quiet_start <= at < quiet_end:
            return day, quiet_end
        return day, at
    # The window wraps midnight, e.g. 22:00-08:00.
    if at >= quiet_start:
        return day + timedelta(days=1), quiet_end
    if at < quiet_end:
        return day, quiet_end
    return day, at


def _key(kind: ReminderKind, procedure: Procedure, on: date) -> str:
    # Formatting the fields by hand is several times faster than strftime.
    key = f"{kind.value}:{procedure.value}:{on.year:04d}{on.month:02d}{on.day:02d}"
    if len(key) <= KEY_MAX_LENGTH:
        return key
    # Only a very long procedure id could get here; a digest keeps the key short and stable.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{kind.value}:{digest}"


def _check_settings(
    reminder_hour: int,
    heads_up_days: int,
    now: datetime,
    quiet_start: time | None,
    quiet_end: time | None,
) -> None:
    if isinstance(reminder_hour, bool) or not 0 <= reminder_hour <= 23:
        raise PlanError(f"reminder_hour must be 0..23, got {reminder_hour!r}")
    if heads_up_days < 0:
        raise PlanError(f"heads_up_days must be >= 0, got {heads_up_days}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise PlanError("now must be timezone-aware")
    for name, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if value is not None and value.tzinfo is not None:
            raise PlanError(f"{name} is a local wall time and must not carry a time zone")


def _retreatment(procedure: Procedure, reasons: tuple[Reason, ...]) -> bool:
    """True when a done `procedure`'s own re-treatment interval is among the reasons."""
    return any(
        r.direction is Direction.AFTER
        and r.entry.procedure == procedure
        and r.rule.after == r.rule.then == procedure
        for r in reasons
    )


def _clinic_rules_for(
    kind: ReminderKind,
    procedure: Procedure,
    guidance: GuidanceSet,
    done: set[Procedure],
    planned: set[Procedure],
) -> tuple[ClinicRule, ...]:
    """The clinic's own rules that bear on one reminder (see the module docstring)."""
    if kind is ReminderKind.BEFORE_PLANNED:
        return tuple(
            rule
            for rule in guidance.clinic_rules
            if procedure in (rule.after, rule.then) and rule.after != rule.then
        )
    return tuple(
        rule
        for rule in guidance.clinic_rules
        if (rule.then == procedure and rule.after in done)
        or (rule.after == procedure and rule.then in planned)
    )


def plan_reminders(
    history: Sequence[Entry],
    guidance: GuidanceSet,
    *,
    tz: str,
    reminder_hour: int,
    heads_up_days: int,
    now: datetime,
    quiet_start: time | None = DEFAULT_QUIET_START,
    quiet_end: time | None = DEFAULT_QUIET_END,
) -> list[PlannedReminder]:
    """Every reminder that should exist for one patient and is due after `now`, in order."""
    _check_settings(reminder_hour, heads_up_days, now, quiet_start, quiet_end)
    zone = zone_for(tz)
    today = now.astimezone(zone).date()
    index = HistoryIndex.of(history)
    at = time(reminder_hour)
    found: list[PlannedReminder] = []
    done = {entry.procedure for entry in history}
    planned_procedures = {entry.procedure for entry in history if entry.on > today}

    def due(local: date) -> datetime | None:
        day, wall = shift_out_of_quiet(local, at, quiet_start, quiet_end)
        instant = local_instant(day, wall, zone)
        # Already due: the caller has it (sent or pending), so it is not planned again.
        return instant if instant > now else None

    def remind(
        kind: ReminderKind,
        procedure: Procedure,
        on: date,
        local: date,
        due_at: datetime,
        reasons: tuple[Reason, ...],
    ) -> None:
        found.append(
            PlannedReminder(
                key=_key(kind, procedure, on),
                kind=kind,
                procedure=procedure,
                local_date=local,
                due_at=due_at,
                reasons=reasons,
                guidance_version=guidance.version,
                clinic_rules=(
                    _clinic_rules_for(kind, procedure, guidance, done, planned_procedures)
                    if guidance.clinic_rules
                    else ()
                ),
            )
        )

    planned = index.after(today)
    for procedure in Procedure:
        if procedure in planned_procedures:
            continue
        earliest = earliest_in(procedure, index, guidance, today)
        if earliest.date <= today:
            continue
        heads_up_on = earliest.date - timedelta(days=heads_up_days)
        if heads_up_days > 0 and (due_at := due(heads_up_on)) is not None:
            remind(
                ReminderKind.HEADS_UP,
                procedure,
                earliest.date,
                heads_up_on,
                due_at,
                earliest.reasons,
            )
        if (due_at := due(earliest.date)) is not None:
            kind = (
                ReminderKind.RETREATMENT_DUE
                if _retreatment(procedure, earliest.reasons)
                else ReminderKind.MAY_BOOK
            )
            remind(kind, procedure, earliest.date, earliest.date, due_at, earliest.reasons)

    lead = timedelta(days=max(heads_up_days, 1))
    seen: set[tuple[Procedure, date]] = set()
    for entry in planned:
        if (entry.procedure, entry.on) in seen:
            continue
        seen.add((entry.procedure, entry.on))
        if (due_at := due(entry.on - lead)) is not None:
            reasons = tuple(
                reason
                for other in Procedure
                if other != entry.procedure
                for reason in reasons_from_entry(entry, other, guidance, today=today)
            )
            remind(
                ReminderKind.BEFORE_PLANNED,
                entry.procedure,
                entry.on,
                entry.on - lead,
                due_at,
                reasons,
            )

    found.sort(key=lambda r: (r.due_at, r.key))
    return found


def history_digest(history: Sequence[Entry]) -> str:
    """A short fingerprint of a history (order-independent): equal iff the same entries."""
    parts = sorted(f"{e.procedure.value}:{e.on.isoformat()}:{e.ref}" for e in history)
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]


def reminder_now(
    kind: ReminderKind,
    procedure: Procedure,
    on: date,
    local_date: date,
    history: Sequence[Entry],
    guidance: GuidanceSet,
) -> ReminderNow | None:
    """A reminder of `kind` about `procedure` and `on`, for `local_date`, checked against
    `history` as it is now: its words, or None once it no longer holds (module docstring)."""
    done = {entry.procedure for entry in history}
    if kind is ReminderKind.BEFORE_PLANNED:
        day = local_date
        entry = next((e for e in history if e.procedure is procedure and e.on == on), None)
        if entry is None or entry.on <= day:
            return None
        reasons = tuple(
            reason
            for other in Procedure
            if other != procedure
            for reason in reasons_from_entry(entry, other, guidance, today=day)
        )
    else:
        day = min(local_date, on - timedelta(days=1))
        if any(e.procedure is procedure and e.on > day for e in history):
            return None
        earliest = earliest_in(procedure, HistoryIndex.of(history), guidance, day)
        # The date is what the reminder is about. Its kind is not checked again: "due again"
        # rests on a re-treatment window that may have ended before `day` yet still set E.
        if earliest.date != on:
            return None
        reasons = earliest.reasons
    planned = {entry.procedure for entry in history if entry.on > day}
    return ReminderNow(
        reasons=reasons,
        clinic_rules=(
            _clinic_rules_for(kind, procedure, guidance, done, planned)
            if guidance.clinic_rules
            else ()
        ),
        guidance_version=guidance.version,
    )


def diff_plan(existing: Mapping[str, datetime], planned: Sequence[PlannedReminder]) -> PlanDiff:
    """What to add, cancel and keep so pending rows (key -> due_at) match `planned`."""
    for key, due_at in existing.items():
        # A naive time never equals an aware one; it would silently re-send everything.
        if due_at.tzinfo is None or due_at.utcoffset() is None:
            raise PlanError(f"pending reminder {key!r} has a naive due_at")
    wanted = {reminder.key: reminder for reminder in planned}
    if len(wanted) != len(planned):
        raise PlanError("planned reminders have duplicate keys")
    add: list[PlannedReminder] = []
    keep: list[str] = []
    for reminder in planned:
        if existing.get(reminder.key) == reminder.due_at:
            keep.append(reminder.key)
        else:
            add.append(reminder)
    cancel = [
        key for key, due_at in existing.items() if key not in wanted or wanted[key].due_at != due_at
    ]
    return PlanDiff(add=tuple(add), cancel=tuple(sorted(cancel)), keep=tuple(sorted(keep)))
