"""The one pace for everything the bot sends on its own: overall rate and per-chat spacing.

Written here rather than taken from PTB's AIORateLimiter because the dispatcher must keep
sending to other chats while one chat waits, pause everyone on a 429 without holding a
request open, and hand the decision back to the outbox (retry later) instead of blocking.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

# Sends leave this process slightly under the configured rate, so that network jitter never
# puts one message too many into any one-second window at Telegram.
SAFETY_MARGIN = 0.98
_PRUNE_AT = 50_000


class SlotSource(Protocol):
    """Hands out overall send slots (monotonic instants) shared beyond this process."""

    async def next_slot(self) -> float:
        """The monotonic instant of the next slot this process may use."""
        ...


class SendRateLimiter:
    """Spaces sends: at most `per_second` overall and one per `per_chat_interval` per chat."""

    def __init__(
        self,
        per_second: float,
        *,
        per_chat_interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared_slots: SlotSource | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._interval = 1.0 / (per_second * SAFETY_MARGIN)
        self._per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_free = 0.0
        self._paused_until = 0.0
        self._chat_ready: dict[int, float] = {}
        # With several processes on one token the overall pace comes from them all
        # (bot/delivery/shared_pace.py); per-chat spacing and pauses stay local.
        self._shared_slots = shared_slots

    @property
    def per_second(self) -> float:
        """The effective overall rate."""
        return 1.0 / self._interval

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` may be sent, and reserve that moment."""
        while True:
            now = self._monotonic()
            blocked_until = max(self._paused_until, self._chat_ready.get(chat_id, 0.0))
            if blocked_until > now:
                await self._sleep(blocked_until - now)
                continue
            # Hold the chat while waiting for a slot, so a second message to the same chat
            # cannot take the next slot too.
            self._chat_ready[chat_id] = now + self._per_chat_interval
            slot = await self._overall_slot(now)
            self._chat_ready[chat_id] = slot + self._per_chat_interval
            if len(self._chat_ready) > _PRUNE_AT:
                self._prune(now)
            if slot > now:
                await self._sleep(slot - now)
            if self._paused_until <= self._monotonic():
                return
            # A 429 arrived while we waited for our slot: queue again behind the pause.

    def try_acquire(self, chat_id: int) -> bool:
        """Reserve a send to `chat_id` for right now if nothing makes it wait; else False.

        The dispatcher's fast path: when the pace is far above the load, most sends need no
        timer at all. Never succeeds with shared slots (asking them is a round trip).
        """
        if self._shared_slots is not None:
            return False
        now = self._monotonic()
        if max(self._paused_until, self._chat_ready.get(chat_id, 0.0), self._next_free) > now:
            return False
        self._next_free = now + self._interval
        self._chat_ready[chat_id] = now + self._per_chat_interval
        if len(self._chat_ready) > _PRUNE_AT:
            self._prune(now)
        return True

    async def acquire_overall(self) -> None:
        """Wait for an overall slot only: for answers to what a user just did.

        A reply is not held to one message per second in its chat (a button press is often
        answered with an edit and a message), but it counts against the bot's overall rate.
        """
        while True:
            now = self._monotonic()
            if self._paused_until > now:
                await self._sleep(self._paused_until - now)
                continue
            slot = await self._overall_slot(now)
            if slot > now:
                await self._sleep(slot - now)
            if self._paused_until <= self._monotonic():
                return

    async def _overall_slot(self, now: float) -> float:
        if self._shared_slots is None:
            slot = max(now, self._next_free)
            self._next_free = slot + self._interval
            return slot
        return max(now, await self._shared_slots.next_slot())

    def pause_all(self, seconds: float) -> None:
        """Stop every send for `seconds` (Telegram answered 429 with retry_after)."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Stop sends to one chat for `seconds`."""
        until = self._monotonic() + seconds
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), until)

    def _prune(self, now: float) -> None:
        self._chat_ready = {chat: t for chat, t in self._chat_ready.items() if t > now}
