"""Updates of different chats at once, updates of one chat (and of one user) strictly in order.

python-telegram-bot handles one update at a time by default, so one slow answer holds up
every patient behind it. `BaseUpdateProcessor` is PTB's extension point for that; this one
follows teloxide's default dispatcher: each chat is a queue of its own, the queues run
concurrently, at most `limit` updates are handled at once, and an update waits for the ones
before it from the same chat and from the same user (a staff member pressing in two chats).

Per-chat order is what the flows rely on: a conversation's state, a double press that must
save once, "the question asked last". Races between chats of one patient are left to the
database's constraints.

PTB's `process_update` takes its own semaphore before ours; it is given a bound no process
reaches, because a slot must only be taken once an update is next in its chat: otherwise a
burst from one chat would hold every slot while it waits for itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from contextlib import AsyncExitStack
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

_UNBOUNDED = 2**30


class _Queue:
    """A lock for one chat or user, and how many updates hold or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, ordered within a chat and within a user; `limit` at once."""

    __slots__ = ("_limit", "_queues", "_slots")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        super().__init__(_UNBOUNDED)
        self._limit = limit
        self._slots = asyncio.BoundedSemaphore(limit)
        self._queues: dict[Hashable, _Queue] = {}

    @property
    def limit(self) -> int:
        """The most updates handled at the same time."""
        return self._limit

    @property
    def waiting_chats(self) -> int:
        """Chats and users with an update in hand or waiting (for tests and metrics)."""
        return len(self._queues)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this chat's and user's turn, then for a slot, then handle the update."""
        keys = _keys(update)
        async with AsyncExitStack() as stack:
            # Always chat before user: two updates never wait for each other in a circle.
            for key in keys:
                await stack.enter_async_context(self._turn(key))
            async with self._slots:
                await coroutine

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close; updates still in hand finish with the application."""

    def _turn(self, key: Hashable) -> _Turn:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue()
        return _Turn(self._queues, key, queue)


class _Turn:
    """Holds one chat's (or user's) lock; forgets the lock when no update needs it."""

    __slots__ = ("_key", "_queue", "_queues")

    def __init__(self, queues: dict[Hashable, _Queue], key: Hashable, queue: _Queue) -> None:
        self._queues = queues
        self._key = key
        self._queue = queue

    async def __aenter__(self) -> None:
        self._queue.users += 1
        try:
            await self._queue.lock.acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._queue.lock.release()
        self._leave()

    def _leave(self) -> None:
        self._queue.users -= 1
        if self._queue.users == 0:
            self._queues.pop(self._key, None)


def _keys(update: object) -> tuple[Hashable, ...]:
    """("chat", id) then ("user", id), for whichever the update has."""
    if not isinstance(update, Update):
        return ()
    keys: list[Hashable] = []
    if update.effective_chat is not None:
        keys.append(("chat", update.effective_chat.id))
    if update.effective_user is not None:
        keys.append(("user", update.effective_user.id))
    return tuple(keys)
