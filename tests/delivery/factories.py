"""Outbox rows for dispatcher tests: patients and due reminders written straight to storage."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from itertools import count

from bot.usecases.payloads import reminder_payload
from rules import PlannedReminder, Procedure, ReminderKind
from sandbox import Sandbox
from storage.database import Database
from storage.records import NewMessage, OutboxKind, Patient, PatientState
from storage.schema import upgrade_to_head

_days = count(0)


def reminder_message(
    patient: Patient,
    due_at: datetime,
    *,
    kind: ReminderKind = ReminderKind.MAY_BOOK,
    procedure: Procedure = Procedure.MICRONEEDLING,
    on: date | None = None,
) -> NewMessage:
    """A reminder row as `replan` writes it (key and payload), due at `due_at`."""
    on = on or date(2027, 1, 1) + timedelta(days=next(_days))
    planned = PlannedReminder(
        key=f"{kind.value}:{procedure.value}:{on:%Y%m%d}",
        kind=kind,
        procedure=procedure,
        local_date=on,
        due_at=due_at,
        reasons=(),
        guidance_version=0,
    )
    return NewMessage(
        kind=OutboxKind.REMINDER,
        patient_id=patient.id,
        chat_id=patient.chat_id,
        due_at=due_at,
        dedupe_key=planned.key,
        payload=reminder_payload(planned),
    )


async def patients_with_due_reminders(
    database: Database,
    sandbox: Sandbox | None,
    count_: int,
    *,
    now: datetime,
    due_at: datetime | None = None,
    first_user_id: int = 500_000,
    state: PatientState = PatientState.ACTIVE,
) -> list[Patient]:
    """`count_` patients (sandbox users too), each with one reminder due at `due_at`."""
    made: list[Patient] = []
    async with database.unit_of_work() as uow:
        for index in range(count_):
            user_id = first_user_id + index
            patient, _ = await uow.patients.get_or_create(
                telegram_user_id=user_id,
                chat_id=user_id,
                now=now,
                timezone="Europe/Berlin",
                consent_at=now,
                consent_version="test",
            )
            if state is not PatientState.ACTIVE:
                await uow.patients.set_state(patient.id, state)
            made.append(patient)
        await uow.outbox.add_many(
            [reminder_message(p, due_at or now - timedelta(minutes=1)) for p in made], now=now
        )
        await uow.commit()
    if sandbox is not None:
        for patient in made:
            sandbox.user(patient.telegram_user_id)
    return made


def seed_due_reminders(url: str, count_: int, *, first_user_id: int) -> None:
    """Migrate the database at `url` and give it `count_` patients with a reminder due now.

    For process tests: runs its own event loop, before the bot processes start.
    """

    async def seed() -> None:
        await upgrade_to_head(url)
        database = Database(url)
        try:
            await patients_with_due_reminders(
                database, None, count_, now=datetime.now(UTC), first_user_id=first_user_id
            )
        finally:
            await database.dispose()

    asyncio.run(seed())
