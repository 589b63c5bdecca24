"""Storage the reminder life cycle needs: dismissals, recipients, due rows per patient, drops."""

from __future__ import annotations

from datetime import date, timedelta

from rules import Procedure
from storage.database import Database
from storage.records import OutboxKind, OutboxState
from tests.storage.factories import NOW, make_clinic, make_patient, message


async def test_a_dismissal_is_recorded_once_and_read_back_per_patient(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient, other = await make_patient(uow), await make_patient(uow)
        first = await uow.dismissals.add(
            patient.id, Procedure.MICRONEEDLING, date(2026, 3, 10), now=NOW
        )
        again = await uow.dismissals.add(
            patient.id, Procedure.MICRONEEDLING, date(2026, 3, 10), now=NOW
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        mine = await uow.dismissals.for_patient(patient.id)
        theirs = await uow.dismissals.for_patient(other.id)
    assert (first, again) == (True, False)
    assert mine == {(Procedure.MICRONEEDLING, date(2026, 3, 10))}
    assert theirs == set()


async def test_dismissals_are_exported_and_deleted_with_the_patient(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.dismissals.add(patient.id, Procedure.BOTOX, date(2026, 5, 1), now=NOW)
        document = await uow.privacy.export_patient(patient.id)
        assert await uow.privacy.delete_patient(patient.id)
        left = await uow.dismissals.for_patient(patient.id)
    assert document["dismissed_reminders"] == [
        {"procedure": "botox", "on": "2026-05-01", "dismissed_at": NOW.isoformat()}
    ]
    assert left == set()


async def test_recipients_come_with_their_current_clinic_only(database: Database) -> None:
    async with database.unit_of_work() as uow:
        member, loner, former = [await make_patient(uow) for _ in range(3)]
        clinic = await make_clinic(uow, contact="+34 600 000 000")
        old = await make_clinic(uow)
        await uow.clinics.join(member.id, clinic.id, now=NOW)
        await uow.clinics.join(former.id, old.id, now=NOW)
        await uow.clinics.leave(former.id, now=NOW)
        await uow.commit()
    async with database.unit_of_work(read_only=True) as uow:
        found = await uow.recipients.for_patients([member.id, loner.id, former.id, 999_999])
    assert set(found) == {member.id, loner.id, former.id}
    assert found[member.id].clinic is not None
    assert found[member.id].clinic.contact == "+34 600 000 000"
    assert found[loner.id].clinic is None
    assert found[former.id].clinic is None
    assert found[member.id].patient.chat_id == member.chat_id


async def test_due_pending_walks_patients_in_order_with_all_their_due_rows(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        one, two, three = [await make_patient(uow) for _ in range(3)]
        await uow.outbox.add_many(
            [
                message(one, "a1"),
                message(one, "a2", due_at=NOW - timedelta(days=9)),
                message(one, "future", due_at=NOW + timedelta(hours=1)),
                message(two, "b1", kind=OutboxKind.BROADCAST),
                message(three, "c1", kind=OutboxKind.NOTICE),
            ],
            now=NOW,
        )
        await uow.commit()
    kinds = (OutboxKind.REMINDER, OutboxKind.NOTICE)
    async with database.unit_of_work(read_only=True) as uow:
        first = await uow.outbox.due_pending(now=NOW, kinds=kinds, max_patients=1)
        rest = await uow.outbox.due_pending(
            now=NOW, kinds=kinds, after_patient_id=first[-1].patient_id
        )
    assert [m.dedupe_key for m in first] == ["a2", "a1"]
    assert [m.dedupe_key for m in rest] == ["c1"]


async def test_drop_cancels_live_rows_with_the_reason_and_leaves_finished_ones(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add_many([message(patient, "x"), message(patient, "y")], now=NOW)
        claimed = await uow.outbox.claim_due(now=NOW, worker_id="w", limit=1)
        await uow.outbox.mark_sent(claimed[0].id, worker_id="w", now=NOW)
        (pending,) = await uow.outbox.pending_for_patient(patient.id)
        dropped = await uow.outbox.drop([claimed[0].id, pending.id], reason="overtaken")
        after = await uow.outbox.get(patient.id, pending.id)
        sent = await uow.outbox.get(patient.id, claimed[0].id)
    assert dropped == 1
    assert after is not None
    assert (after.state, after.last_error) == (OutboxState.CANCELLED, "overtaken")
    assert sent is not None
    assert sent.state is OutboxState.SENT


async def test_mark_sent_many_records_each_rows_own_values_and_only_rows_still_ours(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        clinic = await make_clinic(uow)
        broadcast = await uow.broadcasts.create(
            clinic.id, author_user_id=1, text="hi", audience={}, now=NOW
        )
        await uow.outbox.add_many(
            [
                message(patient, "a"),
                message(patient, "b", broadcast_id=broadcast.id),
                message(patient, "c"),
            ],
            now=NOW,
        )
        a, b, c = await uow.outbox.claim_due(now=NOW, worker_id="w", limit=10)
        # c's lease ran out and another worker took it over.
        await uow.outbox.release("w", message_ids=[c.id])
        await uow.outbox.claim_due(now=NOW, worker_id="other", limit=10)
        later = NOW + timedelta(seconds=3)
        recorded = await uow.outbox.mark_sent_many(
            [(a.id, 11, NOW), (b.id, 12, later), (c.id, 13, later)], worker_id="w"
        )
        await uow.commit()
    async with database.unit_of_work(read_only=True) as uow:
        rows = {m.dedupe_key: m for m in await _all(uow, patient.id)}
        counted = await uow.broadcasts.get(clinic.id, broadcast.id)
    assert recorded == sorted([a.id, b.id])
    assert (rows["a"].state, rows["a"].telegram_message_id, rows["a"].sent_at) == (
        OutboxState.SENT,
        11,
        NOW,
    )
    assert (rows["b"].telegram_message_id, rows["b"].sent_at) == (12, later)
    assert rows["b"].lease_until is None
    assert (rows["c"].state, rows["c"].claimed_by) == (OutboxState.CLAIMED, "other")
    assert counted is not None
    assert counted.sent == 1


async def _all(uow, patient_id: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from storage.models import OutboxRow
    from storage.outbox import to_message

    found = await uow.session.scalars(select(OutboxRow).where(OutboxRow.patient_id == patient_id))
    return [to_message(row) for row in found]
