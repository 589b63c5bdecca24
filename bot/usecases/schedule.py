"""A patient's treatments and outlook in one read: what the calendar file and timeline show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.usecases.overview import ProcedureOutlook, outlooks
from bot.usecases.planning import guidance_for, local_today
from rules import Entry, GuidanceSet
from storage.database import Database
from storage.records import Patient, Treatment


@dataclass(frozen=True)
class Schedule:
    """Every treatment of one patient (oldest first) and, per procedure, what lies ahead.

    `outlooks` are exactly what /next shows (earliest date, windows blocked from `today`),
    computed with the guidance that applies to the patient, which is kept for the reasons a
    planned entry gives. `now` is the instant it was read, `today` the patient's date then.
    """

    patient_id: int
    timezone: str
    now: datetime
    today: date
    treatments: tuple[Treatment, ...]
    outlooks: tuple[ProcedureOutlook, ...]
    guidance: GuidanceSet

    @property
    def has_history(self) -> bool:
        """Whether the patient has logged anything at all."""
        return bool(self.treatments)

    @property
    def planned(self) -> tuple[Treatment, ...]:
        """The entries after today: the planned ones, as `rules` counts them."""
        return tuple(t for t in self.treatments if t.on > self.today)


def entry_of(treatment: Treatment) -> Entry:
    """The `rules` entry of a stored treatment (`ref` is its id, as `history()` gives it)."""
    return Entry(procedure=treatment.procedure, on=treatment.on, ref=str(treatment.id))


def plan_schedule(
    patient: Patient,
    treatments: Sequence[Treatment],
    guidance: GuidanceSet,
    now: datetime,
) -> Schedule:
    """The schedule of `patient` from their treatments, as of `now` in their time zone."""
    today = local_today(patient, now)
    ordered = tuple(sorted(treatments, key=lambda t: (t.on, t.id)))
    history = [entry_of(t) for t in ordered]
    return Schedule(
        patient_id=patient.id,
        timezone=patient.timezone,
        now=now,
        today=today,
        treatments=ordered,
        outlooks=outlooks(history, guidance, today),
        guidance=guidance,
    )


async def schedule(database: Database, patient: Patient, now: datetime) -> Schedule:
    """The patient's schedule at `now` (read-only)."""
    async with database.unit_of_work(read_only=True) as uow:
        guidance, _clinic_id = await guidance_for(uow, patient.id)
        count = await uow.treatments.count_for_patient(patient.id)
        treatments = await uow.treatments.list_for_patient(patient.id, limit=count) if count else []
    return plan_schedule(patient, treatments, guidance, now)
