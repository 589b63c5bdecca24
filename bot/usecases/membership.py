"""A patient's link to a clinic, seen from the patient's side: which one, and leaving it."""

from __future__ import annotations

from datetime import datetime

from bot.usecases.planning import replan
from storage.database import Database
from storage.records import ActorKind, Clinic


async def current_clinic(database: Database, patient_id: int) -> Clinic | None:
    """The clinic the patient belongs to now, or None."""
    async with database.unit_of_work(read_only=True) as uow:
        membership = await uow.clinics.active_membership(patient_id)
        if membership is None:
            return None
        return await uow.clinics.get(membership.clinic_id)


async def leave_clinic(
    database: Database, patient_id: int, clinic_id: int, now: datetime
) -> Clinic | None:
    """Leave `clinic_id` if it is the patient's clinic now, and re-plan; the clinic left or None.

    The clinic id comes from a button, so it is only a check: a stale button from an
    earlier clinic never ends the membership of a clinic joined since.
    """
    async with database.unit_of_work() as uow:
        membership = await uow.clinics.active_membership(patient_id)
        if membership is None or membership.clinic_id != clinic_id:
            return None
        clinic = await uow.clinics.get(clinic_id)
        await uow.clinics.leave(patient_id, now=now)
        await uow.audit.record(
            "patient.left_clinic",
            at=now,
            actor_kind=ActorKind.PATIENT,
            clinic_id=clinic_id,
            subject_patient_id=patient_id,
        )
        # The clinic's guidance no longer applies: reminders follow the defaults from now on.
        await replan(uow, patient_id, now)
        await uow.commit()
    return clinic
