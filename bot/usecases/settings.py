"""Changing a patient's settings; anything that moves reminder times re-plans them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time

from bot.usecases.planning import replan
from storage.database import Database
from storage.records import UNSET, Patient, Unset


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """The settings to change; every field left UNSET stays as it is."""

    language: str | Unset = UNSET
    timezone: str | Unset = UNSET
    reminder_hour: int | Unset = UNSET
    heads_up_days: int | Unset = UNSET
    quiet_start: time | Unset | None = UNSET
    quiet_end: time | Unset | None = UNSET
    broadcasts_opt_out: bool | Unset = UNSET
    aftercare_off: bool | Unset = UNSET


async def apply_settings(
    database: Database, patient_id: int, now: datetime, change: SettingsChange
) -> Patient:
    """Apply `change` and re-plan reminders in the same transaction; the patient after it."""
    async with database.unit_of_work() as uow:
        patient = await uow.patients.update_settings(patient_id, **asdict(change))
        if patient is None:
            raise LookupError(f"patient {patient_id} not found")
        await replan(uow, patient_id, now)
        await uow.commit()
    return patient


async def change_settings(
    database: Database,
    patient_id: int,
    now: datetime,
    *,
    language: str | Unset = UNSET,
    timezone: str | Unset = UNSET,
    reminder_hour: int | Unset = UNSET,
    heads_up_days: int | Unset = UNSET,
    quiet_start: time | Unset | None = UNSET,
    quiet_end: time | Unset | None = UNSET,
    broadcasts_opt_out: bool | Unset = UNSET,
) -> Patient:
    """`apply_settings` with the changes as keywords."""
    change = SettingsChange(
        language=language,
        timezone=timezone,
        reminder_hour=reminder_hour,
        heads_up_days=heads_up_days,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        broadcasts_opt_out=broadcasts_opt_out,
    )
    return await apply_settings(database, patient_id, now, change)
