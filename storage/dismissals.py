"""Reminder chains a patient said "Not for me" to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from rules.procedures import Procedure
from storage._base import Repository
from storage.models import ReminderDismissalRow


class DismissalRepository(Repository):
    """One row per (patient, procedure, announced date) the patient does not want reminders for."""

    async def add(self, patient_id: int, procedure: Procedure, on: date, *, now: datetime) -> bool:
        """Record a dismissal; False when it was already recorded (pressing twice is harmless)."""
        statement = (
            self._insert(ReminderDismissalRow)
            .values(patient_id=patient_id, procedure=procedure, on=on, dismissed_at=now)
            .on_conflict_do_nothing(
                index_elements=[
                    ReminderDismissalRow.patient_id,
                    ReminderDismissalRow.procedure,
                    ReminderDismissalRow.on,
                ]
            )
            .returning(ReminderDismissalRow.patient_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def for_patient(self, patient_id: int) -> set[tuple[Procedure, date]]:
        """The patient's dismissed chains as (procedure, date) pairs."""
        rows = await self._session.execute(
            select(ReminderDismissalRow.procedure, ReminderDismissalRow.on).where(
                ReminderDismissalRow.patient_id == patient_id
            )
        )
        return {(procedure, on) for procedure, on in rows.tuples()}
