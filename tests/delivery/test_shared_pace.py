"""Two processes on one PostgreSQL share Telegram's overall rate instead of each taking it all."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.delivery.rate_limit import SendRateLimiter
from bot.delivery.shared_pace import DatabaseSlots
from storage.database import Database

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_two_processes_together_stay_within_the_overall_rate(
    database: Database, database_url: str
) -> None:
    other_process = Database(database_url)  # its own engine and pool, as another process has
    try:
        limiters = [
            SendRateLimiter(30, shared_slots=DatabaseSlots(db, 30))
            for db in (database, other_process)
        ]
        sent: list[float] = []

        async def send(limiter: SendRateLimiter, chat_id: int) -> None:
            await limiter.acquire(chat_id)
            sent.append(time.monotonic())

        await asyncio.gather(*(send(limiters[chat % 2], chat) for chat in range(90)))
    finally:
        await other_process.dispose()
    assert len(sent) == 90
    assert _max_in_any_second(sent) <= 30


async def test_slots_are_handed_out_in_order_one_interval_apart(database: Database) -> None:
    slots = DatabaseSlots(database, 30)
    instants = [await slots.next_slot() for _ in range(10)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(instants)]
    # Each slot here comes from its own reservation; a few ms of query latency blur the
    # mapping from the database's clock to ours.
    assert all(gap >= 1 / 30 - 0.005 for gap in gaps)
