"""Broadcasts share the one send path with reminders and never hold them up."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from telegram import Bot

from bot.clock import FakeClock
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rate_limit import SendRateLimiter
from bot.delivery.transport import AiohttpRequest
from bot.render.outbox import outbox_renderers
from bot.usecases.broadcasts import Audience, confirm_broadcast, draft_broadcast
from bot.usecases.treatments import log_treatment
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from storage.models import MembershipRow, PatientRow
from storage.records import BroadcastState, OutboxKind

STAFF = 900
MEMBERS = 40
FIRST = 10_000
REMINDED = FIRST + MEMBERS  # also a member: gets the broadcast and a reminder


async def _members(database: Database, now: datetime) -> int:
    async with database.unit_of_work() as uow:
        clinic = await uow.clinics.create("Aurora", now=now, timezone="Europe/Berlin")
        await uow.clinics.add_staff(clinic.id, STAFF, now=now)
        await uow.session.execute(
            insert(PatientRow),
            [
                {
                    "telegram_user_id": chat,
                    "chat_id": chat,
                    "language": "en",
                    "timezone": "Europe/Berlin",
                    "reminder_hour": 9,
                    "heads_up_days": 2,
                    "quiet_start": None,
                    "quiet_end": None,
                    "state": "active",
                    "consent_at": now,
                    "consent_version": "test",
                    "broadcasts_opt_out": False,
                    "created_at": now,
                }
                for chat in range(FIRST, REMINDED + 1)
            ],
        )
        ids = list(await uow.session.scalars(select(PatientRow.id)))
        await uow.session.execute(
            insert(MembershipRow),
            [{"patient_id": pid, "clinic_id": clinic.id, "joined_at": now} for pid in ids],
        )
        await uow.commit()
    return clinic.id


async def test_a_reminder_due_during_a_broadcast_goes_out_in_the_next_batch(
    database: Database, sandbox: Sandbox
) -> None:
    clock = FakeClock(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    for chat in range(FIRST, REMINDED + 1):
        sandbox.user(chat)
    clinic_id = await _members(database, clock.now())
    draft = await draft_broadcast(
        database, clinic_id, STAFF, body="Hello", audience=Audience("all"), now=clock.now()
    )
    queued = await confirm_broadcast(
        database, clinic_id, draft.broadcast.id, STAFF, language="en", now=clock.now()
    )
    assert queued.broadcast is not None
    # Botox 13 days ago: microneedling may be booked from tomorrow, reminded at 09:00 Berlin.
    async with database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(REMINDED)
    assert patient is not None
    await log_treatment(database, patient, Procedure.BOTOX, date(2026, 11, 11), clock.now())
    # The dispatch starts the next morning: the reminder is due, and every broadcast row
    # has been due for a day longer.
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    async with database.unit_of_work() as uow:
        due = [
            m
            for m in await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
            if m.due_at <= clock.now()
        ]
    assert due, "the set-up needs a reminder due now"

    bot = Bot(sandbox.token, base_url=sandbox.base_url, request=AiohttpRequest(8))
    await bot.initialize()
    dispatcher = Dispatcher(
        database,
        bot,
        clock,
        SendRateLimiter(500),
        renderers=outbox_renderers(),
        worker_id="test",
        batch_size=10,
    )
    try:
        await dispatcher.run_until_idle()
    finally:
        await dispatcher.close()
        await bot.shutdown()

    sends = [record for record in sandbox.sent if record.method == "sendMessage"]
    assert len(sends) == MEMBERS + 1 + len(due)
    reminder_positions = [
        index
        for index, record in enumerate(sends)
        if record.chat_id == REMINDED and "Hello" not in (record.text or "")
    ]
    assert reminder_positions, "the reminder was sent"
    assert max(reminder_positions) < 10, "claimed with the first batch, before the broadcast"
    async with database.unit_of_work() as uow:
        done = await uow.broadcasts.get(clinic_id, draft.broadcast.id)
    assert done is not None
    assert (done.state, done.sent) == (BroadcastState.DONE, MEMBERS + 1)
