"""Logging, moving and deleting treatments; each change re-plans reminders in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.usecases.planning import guidance_for, local_today, replan
from rules import (
    Earliest,
    Entry,
    PlanDiff,
    Procedure,
    Violation,
    check_entry,
    earliest_date,
)
from storage.database import Database
from storage.records import Patient, Treatment
from storage.treatments import DuplicateTreatmentError
from storage.unit_of_work import UnitOfWork

EARLIEST_ACCEPTED = date(2000, 1, 1)
FURTHEST_AHEAD = timedelta(days=730)


class DateOutOfRangeError(ValueError):
    """A treatment date before 2000 or more than two years ahead."""


class TreatmentNotFoundError(LookupError):
    """The treatment does not exist, or is not this patient's (the two look the same)."""


class AlreadyOnThatDateError(ValueError):
    """Moving an entry onto a date that already holds the same procedure."""


@dataclass(frozen=True)
class LogResult:
    """A saved (or already present) treatment and what it means for the other procedures."""

    treatment: Treatment
    already_logged: bool
    next_dates: tuple[Earliest, ...]
    plan: PlanDiff


def date_bounds(today: date) -> tuple[date, date]:
    """The first and last date a treatment can have, seen from `today`."""
    return EARLIEST_ACCEPTED, today + FURTHEST_AHEAD


def check_date_range(on: date, today: date) -> None:
    """Refuse dates no treatment can have: before 2000, or more than two years ahead."""
    first, last = date_bounds(today)
    if not first <= on <= last:
        raise DateOutOfRangeError(on.isoformat())


async def conflicts(
    database: Database,
    patient: Patient,
    procedure: Procedure,
    on: date,
    *,
    replacing: int | None = None,
) -> list[Violation]:
    """The rules a proposed entry would break against the patient's history."""
    async with database.unit_of_work(read_only=True) as uow:
        history = await uow.treatments.history(patient.id)
        guidance, _ = await guidance_for(uow, patient.id)
    proposed = Entry(procedure, on, "" if replacing is None else str(replacing))
    return check_entry(proposed, history, guidance)


async def log_treatment(
    database: Database, patient: Patient, procedure: Procedure, on: date, now: datetime
) -> LogResult:
    """Save a treatment once (the same procedure on the same date is not stored twice)."""
    check_date_range(on, local_today(patient, now))
    async with database.unit_of_work() as uow:
        treatment, stored = await uow.treatments.add_once(patient.id, procedure, on, now=now)
        already = not stored
        diff = await replan(uow, patient.id, now)
        next_dates = await _next_dates(uow, patient, now)
        await uow.commit()
    return LogResult(treatment=treatment, already_logged=already, next_dates=next_dates, plan=diff)


async def change_date(
    database: Database, patient: Patient, treatment_id: int, on: date, now: datetime
) -> Treatment:
    """Move one of the patient's treatments to another date and re-plan."""
    check_date_range(on, local_today(patient, now))
    async with database.unit_of_work() as uow:
        try:
            treatment = await uow.treatments.change_date(patient.id, treatment_id, on, now=now)
        except DuplicateTreatmentError:
            raise AlreadyOnThatDateError(on.isoformat()) from None
        if treatment is None:
            raise TreatmentNotFoundError(treatment_id)
        await replan(uow, patient.id, now)
        await uow.commit()
    return treatment


async def delete_treatment(
    database: Database, patient: Patient, treatment_id: int, now: datetime
) -> None:
    """Delete one of the patient's treatments and re-plan."""
    async with database.unit_of_work() as uow:
        if not await uow.treatments.delete(patient.id, treatment_id):
            raise TreatmentNotFoundError(treatment_id)
        await replan(uow, patient.id, now)
        await uow.commit()


async def get_treatment(database: Database, patient: Patient, treatment_id: int) -> Treatment:
    """One of the patient's treatments, or TreatmentNotFoundError."""
    async with database.unit_of_work(read_only=True) as uow:
        treatment = await uow.treatments.get(patient.id, treatment_id)
    if treatment is None:
        raise TreatmentNotFoundError(treatment_id)
    return treatment


async def _next_dates(uow: UnitOfWork, patient: Patient, now: datetime) -> tuple[Earliest, ...]:
    history = await uow.treatments.history(patient.id)
    guidance, _ = await guidance_for(uow, patient.id)
    today = local_today(patient, now)
    return tuple(earliest_date(p, history, guidance, today) for p in Procedure)
