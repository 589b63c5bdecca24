"""Several workers claiming from one outbox: disjoint batches, nothing lost, ever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from storage.database import Database
from storage.records import OutboxState
from tests.storage.factories import NOW, make_patient, message

ROWS = 1000
WORKERS = 4


async def _fill(database: Database, rows: int = ROWS) -> None:
    async with database.unit_of_work() as uow:
        patients = [await make_patient(uow) for _ in range(rows // 10)]
        await uow.outbox.add_many(
            [
                message(patient, f"k{i}", due_at=NOW - timedelta(seconds=i % 97))
                for patient in patients
                for i in range(10)
            ],
            now=NOW,
        )
        await uow.commit()


async def _work(database: Database, worker_id: str, now: datetime, *, batch: int = 25) -> list[int]:
    """Claim and 'send' until nothing is due; the ids this worker delivered."""
    delivered: list[int] = []
    while True:
        async with database.unit_of_work() as uow:
            claimed = await uow.outbox.claim_due(
                now=now, worker_id=worker_id, limit=batch, lease_seconds=30
            )
            await uow.commit()
        if not claimed:
            return delivered
        async with database.unit_of_work() as uow:
            for row in claimed:
                assert await uow.outbox.mark_sent(row.id, worker_id=worker_id, now=now)
                delivered.append(row.id)
            await uow.commit()


@pytest.fixture
async def workers(database_url: str) -> AsyncIterator[list[Database]]:
    """One Database (engine, pool) per worker, as if each were its own process."""
    engines = [Database(database_url) for _ in range(WORKERS)]
    yield engines
    for engine in engines:
        await engine.dispose()


async def _all_ids(database: Database) -> set[int]:
    async with database.unit_of_work(read_only=True) as uow:
        ids: set[int] = set()
        async for patient_id in uow.patients.iter_active_ids():
            ids.update(m.id for m in await uow.outbox.pending_for_patient(patient_id))
        return ids


async def test_four_workers_get_disjoint_batches_that_cover_every_row(
    database: Database, workers: list[Database]
) -> None:
    await _fill(database)
    expected = await _all_ids(database)
    results = await asyncio.gather(*(_work(db, f"worker-{n}", NOW) for n, db in enumerate(workers)))
    delivered = [row_id for ids in results for row_id in ids]
    assert len(delivered) == len(set(delivered)), "a row was claimed by two workers"
    assert set(delivered) == expected
    assert len(expected) == ROWS
    if database.dialect_name == "postgresql":
        # SQLite serialises claims on its write lock, and its busy handler backs off, so
        # one worker may legitimately get nothing there; PostgreSQL claims in parallel.
        assert all(results), "every worker should have taken part"
    async with database.unit_of_work() as uow:
        stats = await uow.outbox.stats(now=NOW)
    assert (stats.pending, stats.claimed) == (0, 0)


async def test_rows_of_a_dead_worker_are_delivered_after_its_lease_expires(
    database: Database, workers: list[Database]
) -> None:
    await _fill(database)
    expected = await _all_ids(database)
    async with workers[0].unit_of_work() as uow:
        orphaned = await uow.outbox.claim_due(
            now=NOW, worker_id="dead", limit=100, lease_seconds=30
        )
        await uow.commit()
    # The dead worker never records anything. The others drain what they can now...
    live = workers[1:]
    now_results = await asyncio.gather(*(_work(db, f"live-{n}", NOW) for n, db in enumerate(live)))
    # ...and, once the lease has run out, what the dead worker held.
    later = NOW + timedelta(seconds=31)
    later_results = await asyncio.gather(
        *(_work(db, f"live-{n}", later) for n, db in enumerate(live))
    )
    first = {row_id for ids in now_results for row_id in ids}
    second = [row_id for ids in later_results for row_id in ids]
    assert first.isdisjoint({m.id for m in orphaned})
    assert sorted(second) == sorted(m.id for m in orphaned)
    assert first | set(second) == expected
    async with database.unit_of_work() as uow:
        assert not await uow.outbox.mark_sent(orphaned[0].id, worker_id="dead", now=later)
        row = await uow.outbox.get(orphaned[0].patient_id, orphaned[0].id)
    assert row is not None
    assert row.state is OutboxState.SENT
    assert row.claimed_by is not None
    assert row.claimed_by.startswith("live-")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_claims_skip_rows_locked_by_an_open_claim(
    database: Database, workers: list[Database]
) -> None:
    await _fill(database, rows=100)
    async with workers[0].unit_of_work() as first:
        held = await first.outbox.claim_due(now=NOW, worker_id="a", limit=30)
        async with workers[1].unit_of_work() as second:
            # Without SKIP LOCKED this would wait for `first` to commit: a deadlock here.
            other = await asyncio.wait_for(
                second.outbox.claim_due(now=NOW, worker_id="b", limit=30), timeout=5
            )
            await second.commit()
        await first.commit()
    assert len(held) == len(other) == 30
    assert {m.id for m in held}.isdisjoint({m.id for m in other})
