"""What a patient can do with a reminder: Booked, Remind me in 3 days, Not for me.

Every action starts from the outbox row the button was on, looked up scoped to the
presser's own patient, so a forged or someone else's id behaves like one that does not
exist. Each action is idempotent: pressing twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.usecases.payloads import (
    CHAIN_KINDS,
    ReminderContent,
    ReminderKey,
    SnoozeNotice,
    encode,
    parse_key,
    reminder_of,
)
from bot.usecases.planning import local_today, replan
from bot.usecases.treatments import LogResult, conflicts, log_treatment
from rules import Procedure, ReminderKind, Violation
from rules.reminders import local_instant, shift_out_of_quiet, zone_for
from storage.dashboard import BOOKED_ACTION
from storage.database import Database
from storage.records import (
    ActorKind,
    NewMessage,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    Patient,
)

SNOOZE_DAYS = 3
# A notice in these states is still to come: pressing again only reports its date.
_WAITING = frozenset({OutboxState.PENDING, OutboxState.CLAIMED})


class ReminderNotFoundError(LookupError):
    """No such reminder for this patient (someone else's, forged, or deleted)."""


class NotActionableError(ValueError):
    """The reminder has no such action (a reminder before a planned procedure only informs)."""


class BookedDateInPastError(ValueError):
    """A booking date before today."""


@dataclass(frozen=True)
class ReminderOnScreen:
    """The reminder a button was on: the row, what it says, and the chain it belongs to."""

    message: OutboxMessage
    key: str
    content: ReminderContent

    @property
    def chain(self) -> ReminderKey | None:
        """The reminder's parsed key when it belongs to a chain (Booked / Not for me)."""
        parsed = parse_key(self.key)
        return parsed if parsed is not None and parsed.kind in CHAIN_KINDS else None


@dataclass(frozen=True)
class Snoozed:
    """When the reminder comes again (the patient's local date), and whether this press set it."""

    on: date
    created: bool


@dataclass(frozen=True)
class Dismissed:
    """The chain that was stopped, and whether it already was."""

    procedure: Procedure
    on: date
    already: bool


@dataclass(frozen=True)
class Booked:
    """The planned entry that was logged, and the rules its date breaks (if any)."""

    result: LogResult
    violations: tuple[Violation, ...]


async def reminder_for(database: Database, patient: Patient, outbox_id: int) -> ReminderOnScreen:
    """The patient's reminder (or reminder notice) with this outbox id."""
    async with database.unit_of_work(read_only=True) as uow:
        message = await uow.outbox.get(patient.id, outbox_id)
    found = reminder_of(message) if message is not None else None
    if message is None or found is None:
        raise ReminderNotFoundError(outbox_id)
    key, content = found
    return ReminderOnScreen(message=message, key=key, content=content)


def snooze_due(patient: Patient, now: datetime) -> tuple[date, datetime]:
    """Three days from the patient's today, at their reminder hour, outside quiet hours."""
    local = local_today(patient, now) + timedelta(days=SNOOZE_DAYS)
    day, wall = shift_out_of_quiet(
        local, time(patient.reminder_hour), patient.quiet_start, patient.quiet_end
    )
    return local, local_instant(day, wall, zone_for(patient.timezone))


def _snooze_number(base: str, key: str) -> int:
    """1 for `base` itself, N for `base:N` (0 for anything else)."""
    if key == base:
        return 1
    suffix = key[len(base) + 1 :]
    return int(suffix) if suffix.isdigit() else 0


async def snooze(database: Database, patient: Patient, outbox_id: int, now: datetime) -> Snoozed:
    """Remind again in three days: one waiting notice per pressed message, however often pressed.

    The notices of one message form a series, `snooze:<id>`, then `snooze:<id>:2`, ...: while
    one is waiting (pending or being sent) a press only reports its date; once it was sent
    (or dropped) a press starts the next one. Two presses at once compute the same next key,
    and the unique (patient, key) lets only one of them add it.
    """
    shown = await reminder_for(database, patient, outbox_id)
    if shown.chain is None:
        raise NotActionableError(outbox_id)
    on, due_at = snooze_due(patient, now)
    base = f"snooze:{outbox_id}"
    zone = zone_for(patient.timezone)
    async with database.unit_of_work() as uow:
        series = await uow.outbox.in_series(patient.id, base)
        waiting = [m for m in series if m.state in _WAITING]
        if waiting:
            return Snoozed(on=waiting[0].due_at.astimezone(zone).date(), created=False)
        number = max((_snooze_number(base, m.dedupe_key) for m in series), default=0) + 1
        key = base if number == 1 else f"{base}:{number}"
        added = await uow.outbox.add(
            NewMessage(
                kind=OutboxKind.NOTICE,
                patient_id=patient.id,
                chat_id=patient.chat_id,
                due_at=due_at,
                dedupe_key=key,
                payload=encode(SnoozeNotice(shown.key, shown.content)),
            ),
            now=now,
        )
        if added is None:
            # A press at the same moment added this very key first: report its date.
            raced = [m for m in await uow.outbox.in_series(patient.id, base) if m.dedupe_key == key]
            if raced:
                on = raced[0].due_at.astimezone(zone).date()
        await uow.commit()
    return Snoozed(on=on, created=added is not None)


async def dismiss(database: Database, patient: Patient, outbox_id: int, now: datetime) -> Dismissed:
    """Not for me: stop this chain's pending reminders, and keep them out of every re-plan."""
    shown = await reminder_for(database, patient, outbox_id)
    chain = shown.chain
    if chain is None:
        raise NotActionableError(outbox_id)
    day = f"{chain.on.year:04d}{chain.on.month:02d}{chain.on.day:02d}"
    async with database.unit_of_work() as uow:
        added = await uow.dismissals.add(patient.id, chain.procedure, chain.on, now=now)
        # Also rows already due: re-planning leaves those to the dispatcher.
        await uow.outbox.cancel(
            patient.id, [f"{kind.value}:{chain.procedure.value}:{day}" for kind in CHAIN_KINDS]
        )
        await replan(uow, patient.id, now)
        await uow.commit()
    return Dismissed(procedure=chain.procedure, on=chain.on, already=not added)


async def book(
    database: Database, patient: Patient, procedure: Procedure, on: date, now: datetime
) -> Booked:
    """Log a booked (planned) procedure; the date must not be in the past."""
    if on < local_today(patient, now):
        raise BookedDateInPastError(on.isoformat())
    violations = await conflicts(database, patient, procedure, on)
    result = await log_treatment(database, patient, procedure, on, now)
    return Booked(result=result, violations=tuple(violations))


def bookable(shown: ReminderOnScreen) -> Procedure:
    """The procedure a reminder invites to book; NotActionableError before a planned one."""
    if shown.chain is None or shown.content.kind is ReminderKind.BEFORE_PLANNED:
        raise NotActionableError(shown.message.id)
    return shown.content.procedure


async def bookable_reminder(
    database: Database, patient: Patient, outbox_id: int
) -> tuple[ReminderOnScreen, Procedure]:
    """The patient's reminder that invites to book, and its procedure.

    ReminderNotFoundError for anyone else's (or a forged) id, NotActionableError for a
    reminder before a planned procedure, which only informs.
    """
    shown = await reminder_for(database, patient, outbox_id)
    return shown, bookable(shown)


async def book_from_reminder(
    database: Database, patient: Patient, outbox_id: int, on: date, now: datetime
) -> Booked:
    """ "Booked" with a date: log the reminder's procedure as planned on `on`.

    The booking is also an audit entry for the patient's clinic: the dashboard's reminders
    -> bookings conversion counts them (no date or procedure is kept in it).
    """
    _shown, procedure = await bookable_reminder(database, patient, outbox_id)
    booked = await book(database, patient, procedure, on, now)
    async with database.unit_of_work() as uow:
        membership = await uow.clinics.active_membership(patient.id)
        if membership is not None:
            await uow.audit.record(
                BOOKED_ACTION,
                at=now,
                actor_kind=ActorKind.PATIENT,
                clinic_id=membership.clinic_id,
                subject_patient_id=patient.id,
            )
            await uow.commit()
    return booked
