"""The outbox: adding without duplicates, cancelling, claiming with leases, outcomes."""

from __future__ import annotations

from datetime import timedelta

from storage.database import Database
from storage.records import OutboxKind, OutboxState, Priority
from tests.storage.factories import NOW, make_patient, message


async def test_add_many_reports_keys_that_already_exist(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        first = await uow.outbox.add_many([message(patient, "a"), message(patient, "b")], now=NOW)
        second = await uow.outbox.add_many(
            [message(patient, "b"), message(patient, "c"), message(patient, "c")], now=NOW
        )
        pending = await uow.outbox.pending_for_patient(patient.id)
    assert [m.dedupe_key for m in first.added] == ["a", "b"]
    assert [m.dedupe_key for m in second.added] == ["c"]
    assert second.existing == ((patient.id, "b"), (patient.id, "c"))
    assert sorted(m.dedupe_key for m in pending) == ["a", "b", "c"]


async def test_the_same_key_is_fine_for_two_patients(database: Database) -> None:
    async with database.unit_of_work() as uow:
        one, two = await make_patient(uow), await make_patient(uow)
        result = await uow.outbox.add_many(
            [message(one, "broadcast:1"), message(two, "broadcast:1")], now=NOW
        )
    assert len(result.added) == 2


async def test_a_cancelled_key_added_again_comes_back_with_the_new_time(
    database: Database,
) -> None:
    later = NOW + timedelta(days=1)
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "may_book:x"), now=NOW)
        assert await uow.outbox.cancel(patient.id, ["may_book:x"]) == 1
        result = await uow.outbox.add_many(
            [message(patient, "may_book:x", due_at=later, payload={"v": 2})], now=NOW
        )
    assert result.added == ()
    (revived,) = result.revived
    assert (revived.state, revived.due_at, revived.payload) == (
        OutboxState.PENDING,
        later,
        {"v": 2},
    )


async def test_a_sent_key_is_never_added_again(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "k"), now=NOW)
        (claimed,) = await uow.outbox.claim_due(now=NOW, worker_id="w")
        assert await uow.outbox.mark_sent(claimed.id, worker_id="w", now=NOW)
        again = await uow.outbox.add(message(patient, "k"), now=NOW)
        revive_off = await uow.outbox.add_many(
            [message(patient, "k")], now=NOW, revive_cancelled=False
        )
    assert again is None
    assert revive_off.existing == ((patient.id, "k"),)


async def test_cancel_touches_only_that_patients_keys(database: Database) -> None:
    async with database.unit_of_work() as uow:
        one, two = await make_patient(uow), await make_patient(uow)
        await uow.outbox.add_many(
            [message(one, "a"), message(one, "b"), message(two, "a")], now=NOW
        )
        assert await uow.outbox.cancel(one.id, ["a"]) == 1
        assert await uow.outbox.cancel(one.id, []) == 0
        left_one = [m.dedupe_key for m in await uow.outbox.pending_for_patient(one.id)]
        left_two = [m.dedupe_key for m in await uow.outbox.pending_for_patient(two.id)]
        assert await uow.outbox.cancel_all_pending(one.id) == 1
        assert await uow.outbox.pending_for_patient(one.id) == []
    assert left_one == ["b"]
    assert left_two == ["a"]


async def test_pending_for_patient_filters_by_kind_soonest_first(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add_many(
            [
                message(patient, "late", due_at=NOW + timedelta(days=2)),
                message(patient, "soon", due_at=NOW + timedelta(days=1)),
                message(patient, "news", kind=OutboxKind.NOTICE),
            ],
            now=NOW,
        )
        reminders = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
    assert [m.dedupe_key for m in reminders] == ["soon", "late"]


async def test_claims_due_rows_reminders_first_then_by_due_time(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add_many(
            [
                message(
                    patient,
                    "broadcast-old",
                    kind=OutboxKind.BROADCAST,
                    due_at=NOW - timedelta(hours=5),
                ),
                message(patient, "reminder-new", due_at=NOW - timedelta(minutes=1)),
                message(patient, "reminder-old", due_at=NOW - timedelta(hours=1)),
                message(patient, "notice", kind=OutboxKind.NOTICE),
                message(patient, "future", due_at=NOW + timedelta(seconds=1)),
            ],
            now=NOW,
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        claimed = await uow.outbox.claim_due(now=NOW, worker_id="w", limit=3, lease_seconds=30)
        await uow.commit()
    assert [m.dedupe_key for m in claimed] == ["reminder-old", "reminder-new", "notice"]
    assert {m.state for m in claimed} == {OutboxState.CLAIMED}
    assert {m.claimed_by for m in claimed} == {"w"}
    assert {m.lease_until for m in claimed} == {NOW + timedelta(seconds=30)}
    assert [m.priority for m in claimed] == [Priority.REMINDER, Priority.REMINDER, Priority.NOTICE]
    async with database.unit_of_work() as uow:
        rest = await uow.outbox.claim_due(now=NOW, worker_id="v", limit=10)
    assert [m.dedupe_key for m in rest] == ["broadcast-old"]


async def test_a_claimed_row_is_not_claimed_again_while_its_lease_holds(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "k"), now=NOW)
        (first,) = await uow.outbox.claim_due(now=NOW, worker_id="a", lease_seconds=60)
        during = await uow.outbox.claim_due(now=NOW + timedelta(seconds=59), worker_id="b")
        after = await uow.outbox.claim_due(now=NOW + timedelta(seconds=61), worker_id="b")
    assert during == []
    assert [m.id for m in after] == [first.id]
    assert after[0].claimed_by == "b"


async def test_recording_an_outcome_after_losing_the_lease_changes_nothing(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "k"), now=NOW)
        (row,) = await uow.outbox.claim_due(now=NOW, worker_id="slow", lease_seconds=10)
        await uow.outbox.claim_due(now=NOW + timedelta(seconds=11), worker_id="fast")
        assert not await uow.outbox.mark_sent(row.id, worker_id="slow", now=NOW)
        assert not await uow.outbox.mark_failed(row.id, worker_id="slow", reason="x")
        assert not await uow.outbox.retry_later(row.id, worker_id="slow", due_at=NOW, error="x")
        assert await uow.outbox.mark_sent(row.id, worker_id="fast", now=NOW, telegram_message_id=77)
        final = await uow.outbox.get(patient.id, row.id)
    assert final is not None
    assert (final.state, final.claimed_by, final.telegram_message_id) == (
        OutboxState.SENT,
        "fast",
        77,
    )
    assert final.sent_at == NOW


async def test_retry_later_puts_the_row_back_with_one_more_attempt(database: Database) -> None:
    later = NOW + timedelta(seconds=30)
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "k"), now=NOW)
        (row,) = await uow.outbox.claim_due(now=NOW, worker_id="w")
        assert await uow.outbox.retry_later(row.id, worker_id="w", due_at=later, error="502")
        assert await uow.outbox.claim_due(now=NOW, worker_id="w") == []
        (again,) = await uow.outbox.claim_due(now=later, worker_id="w")
    assert (again.attempts, again.last_error) == (1, "502")


async def test_mark_failed_keeps_the_reason(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "k"), now=NOW)
        (row,) = await uow.outbox.claim_due(now=NOW, worker_id="w")
        assert await uow.outbox.mark_failed(row.id, worker_id="w", reason="chat not found")
        failed = await uow.outbox.get(patient.id, row.id)
        assert await uow.outbox.claim_due(now=NOW + timedelta(days=9), worker_id="w") == []
    assert failed is not None
    assert (failed.state, failed.last_error, failed.attempts) == (
        OutboxState.FAILED,
        "chat not found",
        1,
    )


async def test_release_gives_claimed_rows_back_unsent(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add_many([message(patient, k) for k in "abc"], now=NOW)
        claimed = await uow.outbox.claim_due(now=NOW, worker_id="w", lease_seconds=600)
        await uow.outbox.claim_due(now=NOW, worker_id="other")
        assert await uow.outbox.release("w", message_ids=[claimed[0].id]) == 1
        assert await uow.outbox.release("w") == 2
        again = await uow.outbox.claim_due(now=NOW, worker_id="next")
    assert len(again) == 3
    assert {m.attempts for m in again} == {0}


async def test_extend_lease_keeps_a_slow_batch(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "k"), now=NOW)
        (row,) = await uow.outbox.claim_due(now=NOW, worker_id="w", lease_seconds=10)
        extended = await uow.outbox.extend_lease(
            [row.id], worker_id="w", lease_until=NOW + timedelta(minutes=5)
        )
        stolen = await uow.outbox.claim_due(now=NOW + timedelta(minutes=1), worker_id="x")
    assert extended == 1
    assert stolen == []


async def test_a_cancelled_claim_cannot_be_recorded_as_sent(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add(message(patient, "k"), now=NOW)
        (row,) = await uow.outbox.claim_due(now=NOW, worker_id="w")
        assert await uow.outbox.cancel_all_pending(patient.id) == 1
        assert not await uow.outbox.mark_sent(row.id, worker_id="w", now=NOW)


async def test_stats_count_depth_and_the_oldest_due_time(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add_many(
            [
                message(patient, "b", kind=OutboxKind.BROADCAST, due_at=NOW - timedelta(hours=2)),
                message(patient, "r", due_at=NOW - timedelta(hours=1)),
                message(patient, "f", due_at=NOW + timedelta(hours=1)),
                message(patient, "c", due_at=NOW - timedelta(minutes=5)),
            ],
            now=NOW,
        )
        await uow.outbox.claim_due(now=NOW, worker_id="w", limit=1)
        stats = await uow.outbox.stats(now=NOW)
        empty = await uow.outbox.stats(now=NOW - timedelta(days=1))
    assert (stats.pending, stats.due, stats.claimed) == (3, 2, 1)
    assert stats.oldest_due_at == NOW - timedelta(hours=2)
    assert empty.due == 0


async def test_purge_drops_old_finished_rows_only(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add_many([message(patient, "old"), message(patient, "live")], now=NOW)
        await uow.outbox.cancel(patient.id, ["old"])
        assert await uow.outbox.purge_finished(before=NOW + timedelta(days=1)) == 1
        left = await uow.outbox.pending_for_patient(patient.id)
    assert [m.dedupe_key for m in left] == ["live"]


async def test_sent_reminders_are_counted_for_statistics(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.outbox.add_many([message(patient, "a"), message(patient, "b")], now=NOW)
        for row in await uow.outbox.claim_due(now=NOW, worker_id="w"):
            await uow.outbox.mark_sent(row.id, worker_id="w", now=NOW)
        since = await uow.outbox.count_sent_since([patient.id], since=NOW - timedelta(days=30))
        nobody = await uow.outbox.count_sent_since([], since=NOW)
    assert (since, nobody) == (2, 0)


async def test_a_series_is_its_key_and_the_numbered_keys_after_it_and_nothing_else(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        patient, other = await make_patient(uow), await make_patient(uow)
        for key in ("snooze:7", "snooze:7:2", "snooze:70", "snooze:71:2", "may_book:x"):
            await uow.outbox.add(message(patient, key, kind=OutboxKind.NOTICE), now=NOW)
        await uow.outbox.add(message(other, "snooze:7:3", kind=OutboxKind.NOTICE), now=NOW)
        series = await uow.outbox.in_series(patient.id, "snooze:7")
    assert [m.dedupe_key for m in series] == ["snooze:7", "snooze:7:2"]
