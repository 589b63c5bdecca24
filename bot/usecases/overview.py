"""/next: for each procedure, the earliest date, the blocked windows ahead, and what will come."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.usecases.planning import guidance_for, local_today
from rules import (
    BlockedWindow,
    Earliest,
    Entry,
    GuidanceSet,
    Procedure,
    blocked_windows,
    earliest_date,
)
from storage.database import Database
from storage.records import OutboxKind, OutboxMessage, Patient

HORIZON_DAYS = 365


@dataclass(frozen=True)
class ProcedureOutlook:
    """When one procedure is possible, and which dates ahead are blocked."""

    earliest: Earliest
    windows: tuple[BlockedWindow, ...]


@dataclass(frozen=True)
class Overview:
    """Everything /next shows."""

    today: date
    has_history: bool
    outlooks: tuple[ProcedureOutlook, ...]
    upcoming: tuple[OutboxMessage, ...]
    clinic_name: str | None
    guidance_version: int


def outlooks(
    history: Sequence[Entry], guidance: GuidanceSet, today: date
) -> tuple[ProcedureOutlook, ...]:
    """For each procedure, its earliest date and the windows blocked within the horizon."""
    return tuple(
        ProcedureOutlook(
            earliest=earliest_date(procedure, history, guidance, today),
            windows=tuple(
                blocked_windows(procedure, history, guidance, today, horizon_days=HORIZON_DAYS)
            ),
        )
        for procedure in Procedure
    )


async def overview(database: Database, patient: Patient, now: datetime) -> Overview:
    """The patient's outlook at `now` (read-only)."""
    today = local_today(patient, now)
    async with database.unit_of_work(read_only=True) as uow:
        history = await uow.treatments.history(patient.id)
        guidance, clinic_id = await guidance_for(uow, patient.id)
        clinic = await uow.clinics.get(clinic_id) if clinic_id is not None else None
        upcoming = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
    return Overview(
        today=today,
        has_history=bool(history),
        outlooks=outlooks(history, guidance, today),
        upcoming=tuple(upcoming),
        clinic_name=clinic.name if clinic else None,
        guidance_version=guidance.version,
    )
