"""The Telegram rate shared by every bot process on one PostgreSQL database.

The limit (about 30 messages a second) belongs to the bot token, so replicas must share it.
They coordinate through PostgreSQL, which every replica already depends on, rather than
Redis, which would be a second piece of infrastructure to run, secure and back up for one
counter: each process reserves a block of consecutive slots with one atomic upsert
(`storage/pace.py`) and sends in them. A block covers at most half a second of the rate, so
a process that dies wastes at most that much capacity, never exceeds the rate.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from storage.database import Database

PACE_NAME = "telegram"
# Slots are mapped from the database's clock to each process's with the error of one query's
# latency, so processes may disagree by some milliseconds; a wider margin than one process
# needs (rate_limit.SAFETY_MARGIN) keeps their messages in separate seconds anyway.
SHARED_SAFETY_MARGIN = 0.95


class DatabaseSlots:
    """Send slots reserved in blocks from the shared `send_pace` row."""

    def __init__(
        self,
        database: Database,
        per_second: float,
        *,
        name: str = PACE_NAME,
        block_seconds: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._database = database
        self._name = name
        self._interval = 1.0 / (per_second * SHARED_SAFETY_MARGIN)
        self._max_block = max(1, int(per_second * block_seconds))
        self._monotonic = monotonic
        self._slots: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._waiting = 0

    async def next_slot(self) -> float:
        """The monotonic instant of this process's next slot."""
        self._waiting += 1
        try:
            async with self._lock:
                now = self._monotonic()
                # A slot left unused until well after its time is dropped: using it late
                # would bunch messages together beside other processes' punctual ones.
                while self._slots and self._slots[0] < now - self._interval:
                    self._slots.popleft()
                if not self._slots:
                    await self._reserve(max(1, min(self._waiting, self._max_block)))
                return self._slots.popleft()
        finally:
            self._waiting -= 1

    async def _reserve(self, count: int) -> None:
        async with self._database.unit_of_work() as uow:
            asked = self._monotonic()
            first, database_now = await uow.pace.reserve(self._name, count, self._interval)
            answered = self._monotonic()
            await uow.commit()
        # The database read its clock somewhere between asking and answering: the middle
        # halves the error of mapping its clock to ours.
        base = (asked + answered) / 2 + (first - database_now).total_seconds()
        self._slots.extend(base + index * self._interval for index in range(count))
