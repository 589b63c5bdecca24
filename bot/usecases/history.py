"""A patient's treatment history as the chat shows it: pages, proposed entries, saves and moves.

These compose the use-cases in `treatments.py` with the reads the screens need next (the
conflicts of a proposal, the reminders that will come), so each handler makes one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.usecases.aftercare import note_after
from bot.usecases.overview import Overview, overview
from bot.usecases.payloads import PayloadError, ReminderContent, decode_message
from bot.usecases.planning import guidance_for, local_today
from bot.usecases.treatments import (
    LogResult,
    change_date,
    check_date_range,
    conflicts,
    delete_treatment,
    get_treatment,
    log_treatment,
)
from rules import Entry, Procedure, Violation, check_entry
from rules.aftercare import AftercareNote
from storage.database import Database
from storage.records import OutboxMessage, Patient, Treatment

PAGE_SIZE = 5


@dataclass(frozen=True)
class HistoryPage:
    """One page of treatments, newest first; `page` is 0-based and within `0 .. pages - 1`."""

    entries: tuple[Treatment, ...]
    page: int
    pages: int
    total: int
    today: date


@dataclass(frozen=True)
class Review:
    """A proposed entry before it is saved: when it is, and which rules it would break."""

    procedure: Procedure
    on: date
    today: date
    violations: tuple[Violation, ...]
    # The same procedure on the same date is already stored: saving changes nothing.
    duplicate: bool


@dataclass(frozen=True)
class Saved:
    """A saved (or already stored) treatment and the outlook after it (dates, reminders)."""

    result: LogResult
    outlook: Overview
    # The aftercare note for a newly saved done treatment (None: planned, off, or nothing).
    aftercare: AftercareNote | None = None


@dataclass(frozen=True)
class Move:
    """A date change: either done, or held back because it breaks the rules in `violations`."""

    treatment: Treatment
    moved: bool
    violations: tuple[Violation, ...]
    today: date


async def history_page(
    database: Database, patient: Patient, page: int, now: datetime, *, per_page: int = PAGE_SIZE
) -> HistoryPage:
    """Page `page` of the patient's treatments; a page past the end shows the last one."""
    async with database.unit_of_work(read_only=True) as uow:
        total = await uow.treatments.count_for_patient(patient.id)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 0), pages - 1)
        entries = await uow.treatments.list_for_patient(
            patient.id, limit=per_page, offset=page * per_page
        )
    return HistoryPage(
        entries=tuple(entries),
        page=page,
        pages=pages,
        total=total,
        today=local_today(patient, now),
    )


async def review_entry(
    database: Database,
    patient: Patient,
    procedure: Procedure,
    on: date,
    now: datetime,
) -> Review:
    """Check a proposed new entry against the patient's history before saving it.

    Raises DateOutOfRangeError for a date no treatment can have.
    """
    today = local_today(patient, now)
    check_date_range(on, today)
    async with database.unit_of_work(read_only=True) as uow:
        history = await uow.treatments.history(patient.id)
        guidance, _clinic = await guidance_for(uow, patient.id)
    # An identical stored entry is a repeat, not a conflict: saving it again changes nothing.
    duplicate = any(e.procedure is procedure and e.on == on for e in history)
    others = [e for e in history if not (e.procedure is procedure and e.on == on)]
    violations = check_entry(Entry(procedure, on), others, guidance)
    return Review(
        procedure=procedure, on=on, today=today, violations=tuple(violations), duplicate=duplicate
    )


async def save_entry(
    database: Database, patient: Patient, procedure: Procedure, on: date, now: datetime
) -> Saved:
    """Save a treatment once, then read the outlook it leads to and its aftercare note."""
    result = await log_treatment(database, patient, procedure, on, now)
    note = (
        None
        if result.already_logged
        else await note_after(database, patient, procedure, on, local_today(patient, now))
    )
    return Saved(result=result, outlook=await overview(database, patient, now), aftercare=note)


async def move_treatment(
    database: Database,
    patient: Patient,
    treatment_id: int,
    on: date,
    now: datetime,
    *,
    despite_conflicts: bool = False,
) -> Move:
    """Move one of the patient's treatments, unless the new date breaks a rule and not forced.

    Raises TreatmentNotFoundError (also for another patient's id) and DateOutOfRangeError.
    """
    today = local_today(patient, now)
    check_date_range(on, today)
    current = await get_treatment(database, patient, treatment_id)
    violations = tuple(
        await conflicts(database, patient, current.procedure, on, replacing=treatment_id)
    )
    if violations and not despite_conflicts:
        return Move(treatment=current, moved=False, violations=violations, today=today)
    moved = await change_date(database, patient, treatment_id, on, now)
    return Move(treatment=moved, moved=True, violations=violations, today=today)


async def remove_treatment(
    database: Database, patient: Patient, treatment_id: int, now: datetime
) -> Treatment:
    """Delete one of the patient's treatments and re-plan; the deleted entry, for the answer.

    Raises TreatmentNotFoundError (also for another patient's id, or a second press).
    """
    treatment = await get_treatment(database, patient, treatment_id)
    await delete_treatment(database, patient, treatment_id, now)
    return treatment


def reminder_contents(messages: Iterable[OutboxMessage]) -> tuple[ReminderContent, ...]:
    """Read reminder payloads back; a row whose payload cannot be read is left out."""
    contents: list[ReminderContent] = []
    for message in messages:
        try:
            payload = decode_message(message)
        except PayloadError:
            # An unreadable payload is the dispatcher's problem to report, not this screen's.
            continue
        if isinstance(payload, ReminderContent):
            contents.append(payload)
    return tuple(contents)
