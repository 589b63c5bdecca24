"""Aftercare notes: what a patient reads after a procedure, and a clinic changing its own.

The shipped lines (`rules/aftercare.json`) apply unless the patient's clinic replaced or
extended them for that procedure. Only a treatment saved as *done* (on or before the
patient's today) gets a note, and not when the patient turned notes off in /settings. An
owner (or the operator) changes a clinic's note; every change is a new version with who,
when and why, and an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.usecases.clinics import NotStaffError, require_staff
from bot.usecases.team import require_owner
from rules import Procedure
from rules.aftercare import (
    MAX_CLINIC_TEXT,
    AftercareLine,
    AftercareMode,
    AftercareNote,
    ClinicAftercare,
    compose,
    default_aftercare,
)
from storage.database import Database
from storage.records import ActorKind, AftercareChange, Clinic, Patient, StaffRole
from storage.unit_of_work import UnitOfWork

MAX_REASON = 300
AftercareChoice = Literal["replace", "extend", "default"]

__all__ = ["MAX_CLINIC_TEXT", "MAX_REASON"]


def _clinic_note(change: AftercareChange | None) -> ClinicAftercare | None:
    if change is None or change.text is None or change.mode == "default":
        return None
    return ClinicAftercare(change.procedure, AftercareMode(change.mode), change.text)


async def note_after(
    database: Database, patient: Patient, procedure: Procedure, on: date, today: date
) -> AftercareNote | None:
    """The note to show after saving `procedure` on `on`; None for planned entries or if off."""
    if on > today or patient.aftercare_off:
        return None
    async with database.unit_of_work(read_only=True) as uow:
        membership = await uow.clinics.active_membership(patient.id)
        current = {} if membership is None else await uow.aftercare.current(membership.clinic_id)
    return compose(procedure, default_aftercare(), _clinic_note(current.get(procedure)))


@dataclass(frozen=True)
class AftercareView:
    """A clinic's aftercare for one procedure as staff see it."""

    clinic: Clinic
    procedure: Procedure
    defaults: tuple[AftercareLine, ...]
    change: AftercareChange | None
    can_change: bool

    @property
    def note(self) -> AftercareNote | None:
        """What its members read now."""
        return compose(self.procedure, {self.procedure: self.defaults}, _clinic_note(self.change))


async def aftercare_view(
    database: Database, clinic_id: int, by: int, procedure: Procedure
) -> AftercareView:
    """The clinic's note for `procedure` beside the defaults (NotStaffError for outsiders)."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await require_staff(uow, clinic_id, by)
        member = await uow.clinics.staff_member(clinic_id, by)
        current = await uow.aftercare.current(clinic_id)
    return AftercareView(
        clinic=clinic,
        procedure=procedure,
        defaults=default_aftercare().get(procedure, ()),
        change=current.get(procedure),
        can_change=member is not None and member.role is StaffRole.OWNER,
    )


async def operator_view(database: Database, clinic_id: int, procedure: Procedure) -> AftercareView:
    """The clinic's note for `procedure` as the operator sees it (NotStaffError if no clinic)."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await _allowed(uow, clinic_id, None)
        current = await uow.aftercare.current(clinic_id)
    return AftercareView(
        clinic=clinic,
        procedure=procedure,
        defaults=default_aftercare().get(procedure, ()),
        change=current.get(procedure),
        can_change=True,
    )


class BadAftercareError(ValueError):
    """The text or the reason is empty or too long."""


async def _allowed(uow: UnitOfWork, clinic_id: int, by: int | None) -> Clinic:
    if by is not None:
        return await require_owner(uow, clinic_id, by)
    clinic = await uow.clinics.get(clinic_id)
    if clinic is None:
        raise NotStaffError(f"no clinic {clinic_id}")
    return clinic


async def change_aftercare(
    database: Database,
    clinic_id: int,
    by: int | None,
    procedure: Procedure,
    *,
    choice: AftercareChoice,
    text: str | None,
    reason: str,
    now: datetime,
) -> AftercareChange | None:
    """Replace or extend the defaults with `text`, or go back to them; None if unchanged.

    `by` is an owner's Telegram id (NotOwnerError/NotStaffError otherwise) or None for the
    operator. BadAftercareError for an empty or too long text or reason.
    """
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise BadAftercareError(f"a reason has 1 to {MAX_REASON} characters")
    body = None if choice == "default" else (text or "").strip()
    if body is not None and (not body or len(body) > MAX_CLINIC_TEXT):
        raise BadAftercareError(f"an aftercare note has 1 to {MAX_CLINIC_TEXT} characters")
    async with database.unit_of_work() as uow:
        await _allowed(uow, clinic_id, by)
        current = (await uow.aftercare.current(clinic_id)).get(procedure)
        if (current is None and choice == "default") or (
            current is not None and (current.mode, current.text) == (choice, body)
        ):
            return None
        change = await uow.aftercare.record(
            clinic_id,
            procedure,
            mode=choice,
            text=body,
            reason=reason,
            changed_by=by,
            now=now,
        )
        await uow.audit.record(
            "aftercare.changed",
            at=now,
            actor_kind=ActorKind.OPERATOR if by is None else ActorKind.STAFF,
            actor_id=by,
            clinic_id=clinic_id,
            details={"version": change.version, "procedure": procedure.value, "mode": choice},
        )
        await uow.commit()
        return change
