"""Broadcasts: queued once, scoped by clinic, counted as deliveries are recorded."""

from __future__ import annotations

from typing import Any

from storage.broadcasts import dedupe_key
from storage.database import Database
from storage.records import BroadcastState, OutboxKind, Priority
from storage.unit_of_work import UnitOfWork
from tests.storage.factories import NOW, make_clinic, make_patient, message

AUDIENCE: dict[str, Any] = {"kind": "all"}


async def _draft(uow: UnitOfWork, clinic_id: int, text: str = "Hello") -> int:
    broadcast = await uow.broadcasts.create(
        clinic_id, author_user_id=500, text=text, audience=AUDIENCE, now=NOW
    )
    return broadcast.id


async def test_queue_makes_one_outbox_row_per_recipient_once(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        patients = [await make_patient(uow) for _ in range(3)]
        broadcast_id = await _draft(uow, clinic.id)
        recipients = [(p.id, p.chat_id) for p in patients]
        queued = await uow.broadcasts.queue(
            clinic.id,
            broadcast_id,
            recipients=recipients,
            payload={"text": "Hello"},
            due_at=NOW,
            now=NOW,
            blocked=2,
        )
        replayed = await uow.broadcasts.queue(
            clinic.id, broadcast_id, recipients=recipients, payload={}, due_at=NOW, now=NOW
        )
        rows = [await uow.outbox.pending_for_patient(p.id) for p in patients]
    assert queued is not None
    assert (queued.state, queued.total, queued.blocked) == (BroadcastState.SENDING, 5, 2)
    assert replayed is None
    for (row,) in rows:
        assert (row.kind, row.dedupe_key, row.broadcast_id, row.priority) == (
            OutboxKind.BROADCAST,
            dedupe_key(broadcast_id),
            broadcast_id,
            Priority.BROADCAST,
        )


async def test_another_clinics_broadcast_cannot_be_seen_queued_or_cancelled(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        mine, theirs = await make_clinic(uow), await make_clinic(uow)
        patient = await make_patient(uow)
        broadcast_id = await _draft(uow, theirs.id)
        assert await uow.broadcasts.get(mine.id, broadcast_id) is None
        assert (
            await uow.broadcasts.queue(
                mine.id,
                broadcast_id,
                recipients=[(patient.id, patient.chat_id)],
                payload={},
                due_at=NOW,
                now=NOW,
            )
            is None
        )
        assert not await uow.broadcasts.cancel(mine.id, broadcast_id, now=NOW)
        assert await uow.broadcasts.recent(mine.id) == []
        assert await uow.outbox.pending_for_patient(patient.id) == []
        still = await uow.broadcasts.get(theirs.id, broadcast_id)
    assert still is not None
    assert still.state is BroadcastState.DRAFT


async def test_outcomes_update_the_counts_and_the_last_one_finishes_it(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        sent, failed, blocked = [await make_patient(uow) for _ in range(3)]
        broadcast_id = await _draft(uow, clinic.id)
        await uow.broadcasts.queue(
            clinic.id,
            broadcast_id,
            recipients=[(p.id, p.chat_id) for p in (sent, failed, blocked)],
            payload={},
            due_at=NOW,
            now=NOW,
        )
        rows = {m.patient_id: m for m in await uow.outbox.claim_due(now=NOW, worker_id="w")}
        await uow.outbox.mark_sent(rows[sent.id].id, worker_id="w", now=NOW)
        await uow.outbox.mark_failed(rows[failed.id].id, worker_id="w", reason="400")
        assert await uow.broadcasts.finish_if_done(broadcast_id, now=NOW) is None
        assert await uow.broadcasts.outstanding(clinic.id, broadcast_id) == 1
        await uow.outbox.mark_failed(rows[blocked.id].id, worker_id="w", reason="403", blocked=True)
        done = await uow.broadcasts.finish_if_done(broadcast_id, now=NOW)
    assert done is not None
    assert (done.state, done.total, done.sent, done.failed, done.blocked) == (
        BroadcastState.DONE,
        3,
        1,
        1,
        1,
    )
    assert done.finished_at == NOW


async def test_a_member_blocked_by_another_message_counts_as_blocked(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        patient = await make_patient(uow)
        broadcast_id = await _draft(uow, clinic.id)
        await uow.broadcasts.queue(
            clinic.id,
            broadcast_id,
            recipients=[(patient.id, patient.chat_id)],
            payload={},
            due_at=NOW,
            now=NOW,
        )
        await uow.outbox.add(message(patient, "reminder"), now=NOW)
        assert await uow.outbox.cancel_all_pending(patient.id, blocked=True) == 2
        done = await uow.broadcasts.finish_if_done(broadcast_id, now=NOW)
    assert done is not None
    assert (done.blocked, done.sent) == (1, 0)


async def test_cancelling_stops_deliveries_not_yet_sent(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        patients = [await make_patient(uow) for _ in range(2)]
        broadcast_id = await _draft(uow, clinic.id)
        await uow.broadcasts.queue(
            clinic.id,
            broadcast_id,
            recipients=[(p.id, p.chat_id) for p in patients],
            payload={},
            due_at=NOW,
            now=NOW,
        )
        assert await uow.broadcasts.cancel(clinic.id, broadcast_id, now=NOW)
        assert await uow.outbox.claim_due(now=NOW, worker_id="w") == []
        assert await uow.broadcasts.outstanding(clinic.id, broadcast_id) == 0
        cancelled = await uow.broadcasts.get(clinic.id, broadcast_id)
    assert cancelled is not None
    assert cancelled.state is BroadcastState.CANCELLED
    assert cancelled.finished_at == NOW


async def test_recent_lists_newest_first(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        ids = [await _draft(uow, clinic.id, text=f"n{i}") for i in range(3)]
        recent = await uow.broadcasts.recent(clinic.id, limit=2)
    assert [b.id for b in recent] == [ids[2], ids[1]]
