"""A clinic's spacing guidance: read it beside the defaults, change one rule, re-plan members.

A change is versioned by storage (who, when, old -> new, why). The change commits first;
then every active member's reminders are re-planned in batches of their own transactions,
so a clinic with thousands of patients never holds the database's write lock for long (a
re-plan costs a few milliseconds per member). Re-planning is a diff: members whose plan does
not change keep their rows untouched, so running it twice is harmless. The audit entry
`guidance.replanned` marks a version as fully re-planned; a process that died half-way
leaves it missing, and `resume_replans` (run at start) finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import product
from typing import Literal

from bot.usecases.clinics import NotStaffError, require_staff
from bot.usecases.planning import replan
from bot.usecases.team import NotOwnerError, require_owner
from rules import Procedure, default_guidance
from rules.guidance import MAX_DAYS
from storage.database import Database
from storage.records import ActorKind, Clinic, GuidanceChange, PatientState, StaffRole

REPLAN_BATCH = 100
MAX_REASON_LENGTH = 300
CHANGED, REPLANNED = "guidance.changed", "guidance.replanned"


@dataclass(frozen=True)
class RuleView:
    """One rule at a clinic: the default days and the clinic's (None: off or no default)."""

    after: Procedure
    then: Procedure
    default_days: int | None
    days: int | None
    overridden: bool
    source: str | None
    # The default's source, overridden or not (the dashboard shows it beside the default).
    default_source: str | None = None


@dataclass(frozen=True)
class GuidanceView:
    """What /guidance shows."""

    clinic: Clinic
    version: int
    rules: tuple[RuleView, ...]
    history: tuple[GuidanceChange, ...]
    members: int
    # Only owners change guidance; staff see the rules without the buttons.
    can_change: bool = False


async def guidance_view(
    database: Database,
    clinic_id: int,
    telegram_user_id: int,
    now: datetime,
    *,
    history_limit: int = 5,
) -> GuidanceView:
    """The clinic's rules beside the defaults (NotStaffError for anyone but its staff)."""
    async with database.unit_of_work() as uow:
        clinic = await require_staff(uow, clinic_id, telegram_user_id)
        member = await uow.clinics.staff_member(clinic_id, telegram_user_id)
        current = await uow.guidance.current(clinic_id)
        history = await uow.guidance.history(clinic_id, limit=history_limit)
        members = await uow.clinics.members(clinic_id, states=(PatientState.ACTIVE,))
        await uow.audit.record(
            "staff.viewed_guidance",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinic_id,
        )
        await uow.commit()
    overrides = {(o.after, o.then): o for o in current.overrides}
    defaults = default_guidance()
    rules = []
    for after, then in product(Procedure, Procedure):
        default = defaults.rule_for(after, then)
        override = overrides.get((after, then))
        rules.append(
            RuleView(
                after=after,
                then=then,
                default_days=None if default is None else default.min_days,
                days=(
                    override.min_days
                    if override is not None
                    else (None if default is None else default.min_days)
                ),
                overridden=override is not None,
                source=None if override is not None or default is None else default.source,
                default_source=None if default is None else default.source,
            )
        )
    return GuidanceView(
        clinic=clinic,
        version=current.version,
        rules=tuple(rules),
        history=tuple(history),
        members=len(members),
        can_change=member is not None and member.role is StaffRole.OWNER,
    )


class BadRuleValueError(ValueError):
    """Typed days are not a whole number in range, nor `off`, nor `default`."""


NewValue = int | Literal["off", "default"]


def parse_rule_value(text: str) -> NewValue:
    """`21` days, `off` (switch the rule off) or `default` (drop the clinic's change)."""
    word = text.strip().casefold()
    if word in {"off", "no", "desactivar", "apagar"}:
        return "off"
    if word in {"default", "defecto", "por defecto"}:
        return "default"
    if word.isascii() and word.isdigit() and 0 <= int(word) <= MAX_DAYS:
        return int(word)
    raise BadRuleValueError(text)


ChangeKind = Literal["changed", "unchanged", "out_of_date", "not_allowed", "not_owner"]


@dataclass(frozen=True)
class RuleChange:
    """What applying a change did; `members` will be re-planned (`replan_after_change`)."""

    kind: ChangeKind
    change: GuidanceChange | None = None
    members: int = 0


async def change_rule(
    database: Database,
    clinic_id: int,
    telegram_user_id: int,
    *,
    after: Procedure,
    then: Procedure,
    value: NewValue,
    reason: str,
    expected_version: int,
    now: datetime,
) -> RuleChange:
    """Change one rule for the clinic, versioned; re-planning follows separately.

    Only an owner may: staff get "not_owner", anyone else "not_allowed". `expected_version`
    is the version the owner looked at: if someone changed the guidance since, nothing
    happens ("out of date") rather than overwriting blindly.
    """
    reason = reason.strip()[:MAX_REASON_LENGTH]
    async with database.unit_of_work() as uow:
        try:
            await require_owner(uow, clinic_id, telegram_user_id)
        except NotOwnerError:
            return RuleChange("not_owner")
        except NotStaffError:
            return RuleChange("not_allowed")
        current = await uow.guidance.current(clinic_id)
        if current.version != expected_version:
            return RuleChange("out_of_date")
        if value == "default":
            change = await uow.guidance.reset_override(
                clinic_id, after, then, changed_by=telegram_user_id, reason=reason, now=now
            )
            if change is None:
                return RuleChange("unchanged")
        else:
            days = None if value == "off" else value
            existing = {(o.after, o.then): o for o in current.overrides}.get((after, then))
            if existing is not None and existing.min_days == days:
                return RuleChange("unchanged")
            change = await uow.guidance.set_override(
                clinic_id, after, then, days, changed_by=telegram_user_id, reason=reason, now=now
            )
        await uow.audit.record(
            CHANGED,
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinic_id,
            details={
                "version": change.version,
                "after": after.value,
                "then": then.value,
                "old_days": change.old_days,
                "old_default": change.old_default,
                "new_days": change.new_days,
                "new_default": change.new_default,
            },
        )
        members = await uow.clinics.members(clinic_id, states=(PatientState.ACTIVE,))
        await uow.commit()
    return RuleChange("changed", change, len(members))


@dataclass(frozen=True)
class Replanned:
    """How a re-plan after a change went."""

    version: int
    members: int
    moved: int


async def replan_after_change(
    database: Database, clinic_id: int, actor: int | None, version: int, now: datetime
) -> Replanned:
    """Re-plan every active member for the clinic's guidance, then record it as done."""
    members, moved = await replan_clinic(database, clinic_id, now)
    async with database.unit_of_work() as uow:
        await uow.audit.record(
            REPLANNED,
            at=now,
            actor_kind=ActorKind.STAFF if actor is not None else ActorKind.SYSTEM,
            actor_id=actor,
            clinic_id=clinic_id,
            details={"version": version, "members": members, "changed": moved},
        )
        await uow.commit()
    return Replanned(version, members, moved)


async def unfinished_replans(database: Database) -> list[tuple[int, int]]:
    """(clinic id, version) of clinics whose latest change was never fully re-planned."""
    unfinished = []
    async with database.unit_of_work(read_only=True) as uow:
        for clinic in await uow.clinics.list_all():
            if clinic.guidance_version == 0:
                continue
            # Newest first: the re-plan's entry, if any, comes before its change's.
            for entry in await uow.audit.for_clinic(clinic.id, limit=1000):
                if entry.details.get("version") != clinic.guidance_version:
                    continue
                if entry.action == REPLANNED:
                    break
                if entry.action == CHANGED:
                    unfinished.append((clinic.id, clinic.guidance_version))
                    break
    return unfinished


async def resume_replans(database: Database, now: datetime) -> list[Replanned]:
    """Finish re-plans a stopped process left half done (a diff: safe to repeat)."""
    return [
        await replan_after_change(database, clinic_id, None, version, now)
        for clinic_id, version in await unfinished_replans(database)
    ]


async def replan_clinic(
    database: Database, clinic_id: int, now: datetime, *, batch: int = REPLAN_BATCH
) -> tuple[int, int]:
    """Re-plan every active member of the clinic, `batch` per transaction.

    Returns (members re-planned, members whose reminders changed).
    """
    async with database.unit_of_work() as uow:
        members = await uow.clinics.members(clinic_id, states=(PatientState.ACTIVE,))
    ids = [member.patient_id for member in members]
    moved = 0
    for start in range(0, len(ids), batch):
        async with database.unit_of_work() as uow:
            for patient_id in ids[start : start + batch]:
                diff = await replan(uow, patient_id, now)
                moved += bool(diff.add or diff.cancel)
            await uow.commit()
    return len(ids), moved


async def guidance_change(
    database: Database, clinic_id: int, telegram_user_id: int, version: int
) -> tuple[Clinic, GuidanceChange] | None:
    """One versioned change of the clinic (for the notice broadcast); None if unknown."""
    async with database.unit_of_work(read_only=True) as uow:
        try:
            clinic = await require_staff(uow, clinic_id, telegram_user_id)
        except NotStaffError:
            return None
        for change in await uow.guidance.history(clinic_id, limit=1000):
            if change.version == version:
                return clinic, change
    return None
