"""The one pace for everything the bot sends: overall rate, per-chat spacing, and lanes.

Written here rather than taken from PTB's AIORateLimiter because the dispatcher must keep
sending to other chats while one chat waits, pause everyone on a 429 without holding a
request open, hand the decision back to the outbox (retry later) instead of blocking, give
back the slot of a send Telegram refused, and let an answer to a patient go ahead of a
broadcast's queued sends.

Every send waits in one of three lanes: a `REPLY` (the answer to what someone just did)
takes the next slot before any queued `OUTBOX` send (reminders, broadcasts), and a
broadcast's `PROGRESS` edits take only what both leave. The outbox yields, it is not
starved: replies come one per update, so the outbox gets every slot they leave.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import Protocol

# Sends leave this process slightly under the configured rate, so that network jitter never
# puts one message too many into any one-second window at Telegram.
SAFETY_MARGIN = 0.98
# Sends may follow each other this much faster than the rate; the window still caps what is
# accepted. The room is what lets a refused send's slot (Telegram does not count a 429) be
# used again: a refusal leaves a hole of one gap in the window's repeating pattern, so a
# shorter gap makes it cheaper. Measured with 2% refused (bench/broadcast_bench.py, 3,000
# members): 1.2 reached 0.972 of the rate, 1.5 0.976, 2.0 0.979 with bursts at 60/s.
CATCH_UP = 1.5
_PRUNE_AT = 50_000
_STALE_RESERVED_S = 0.5


class Lane(IntEnum):
    """Which sends go first when several wait for the next slot (lower first)."""

    REPLY = 0
    OUTBOX = 1
    PROGRESS = 2


class _Ticket:
    """One send waiting in its lane; woken when it is first in line, or the line changes."""

    __slots__ = ("lane", "seq", "woken")

    def __init__(self, lane: Lane, seq: int) -> None:
        self.lane = lane
        self.seq = seq
        self.woken = asyncio.Event()

    def __lt__(self, other: _Ticket) -> bool:
        return (self.lane, self.seq) < (other.lane, other.seq)


class SlotSource(Protocol):
    """Hands out overall send slots (monotonic instants) shared beyond this process."""

    async def next_slot(self) -> float:
        """The monotonic instant of the next slot this process may use."""
        ...


class SendRateLimiter:
    """Spaces sends: at most `per_second` overall and one per `per_chat_interval` per chat.

    The overall pace is a sliding window like Telegram's own: at most `per_second` sends in
    any window a little longer than a second (SAFETY_MARGIN), each send at least a minimum
    gap after the one before. Every slot handed out stays in the window, whatever became of
    its send, until `release` says Telegram refused it; releasing only loosens the window,
    so any `per_second + 1` accepted sends in a row span more than the window.

    Waiting sends form one line ordered by lane, then by arrival. Only the first in line
    waits for the slot, and a send of a better lane that arrives meanwhile takes its place
    at once, so a reply never waits behind the outbox's queued sends.
    """

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
        if per_chat_interval <= 0:
            raise ValueError("per_chat_interval must be positive")
        self._per_window = max(1, math.floor(per_second))
        self._window = self._per_window / (per_second * SAFETY_MARGIN)
        self._even_gap = self._window / self._per_window
        self._gap = self._even_gap / CATCH_UP
        self._per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._sleep = sleep
        # The slots taken within the last window, oldest first; each was taken at its time.
        self._slots: deque[float] = deque()
        self._line: list[_Ticket] = []
        self._arrivals = itertools.count()
        self._paused_until = 0.0
        self._chat_ready: dict[int, float] = {}
        # Kept apart from _chat_ready, which holds math.inf while a send to the chat queues.
        self._chat_paused: dict[int, float] = {}
        # With several processes on one token the overall pace comes from them all
        # (bot/delivery/shared_pace.py); per-chat spacing, lanes and pauses stay local.
        self._shared_slots = shared_slots
        # A shared slot already reserved, for whoever is first in line when it comes.
        self._reserved: float | None = None

    @property
    def per_second(self) -> float:
        """The most sends this pace lets Telegram accept per second, over time."""
        return self._per_window / self._window

    @property
    def waiting(self) -> int:
        """Sends waiting for a slot, every lane together."""
        return len(self._line)

    async def acquire(self, chat_id: int, lane: Lane = Lane.OUTBOX) -> float:
        """Wait until a message to `chat_id` may be sent; return the slot it was given."""
        while True:
            await self._chat_free(chat_id)
            # Held while queued for a slot, so a second message to the chat cannot follow
            # closely.
            held = self._chat_ready.get(chat_id, 0.0)
            self._chat_ready[chat_id] = math.inf
            try:
                slot = await self._next_slot(self._gap, lane)
            except BaseException:
                self._chat_ready[chat_id] = held
                raise
            if self._chat_paused.get(chat_id, 0.0) > slot:
                # A 429 about this chat came while we queued: wait it out, then queue again.
                self.release(slot)
                self._chat_ready[chat_id] = held
                continue
            self._chat_ready[chat_id] = slot + self._per_chat_interval
            if len(self._chat_ready) > _PRUNE_AT:
                self._prune(slot)
            return slot

    def try_acquire(self, chat_id: int) -> float | None:
        """The slot for a send to `chat_id` right now if nothing makes it wait; else None.

        The dispatcher's fast path: when the pace is far above the load, most sends need no
        timer at all. Never succeeds with shared slots (asking them is a round trip) or
        while other sends wait in line.
        """
        if self._shared_slots is not None or self._line:
            return None
        now = self._monotonic()
        if max(self._paused_until, self._chat_blocked_until(chat_id)) > now:
            return None
        if self._local_slot(now, self._gap) > now:
            return None
        self._slots.append(now)
        self._chat_ready[chat_id] = now + self._per_chat_interval
        if len(self._chat_ready) > _PRUNE_AT:
            self._prune(now)
        return now

    async def acquire_overall(self, lane: Lane = Lane.REPLY) -> float:
        """Wait for an overall slot only: for answers to what a user just did.

        A reply is not held to one message per second in its chat (a button press is often
        answered with an edit and a message), but it counts against the bot's overall rate.
        Replies keep the even gap, never the catch-up one: a burst of them would fill the
        window and leave the next person waiting for it to pass.
        """
        return await self._next_slot(self._even_gap, lane)

    def release(self, slot: float) -> None:
        """Give back `slot`: Telegram refused its send (429), so it did not count.

        A no-op with shared slots, and for a slot already out of the window.
        """
        if self._shared_slots is not None:
            return
        slots = self._slots
        if not slots or slot < slots[0]:
            return
        # The slot is recent, so it is searched for from the newest end.
        for index in range(len(slots) - 1, -1, -1):
            if slots[index] <= slot:
                if slots[index] == slot:
                    del slots[index]
                    self._nudge()
                return

    async def _chat_free(self, chat_id: int) -> None:
        while True:
            now = self._monotonic()
            ready = self._chat_blocked_until(chat_id)
            if ready <= now:
                return
            # A chat held by a send still queued is looked at again after a while.
            await self._sleep(min(ready - now, self._per_chat_interval))

    def _chat_blocked_until(self, chat_id: int) -> float:
        return max(self._chat_ready.get(chat_id, 0.0), self._chat_paused.get(chat_id, 0.0))

    async def _next_slot(self, gap: float, lane: Lane) -> float:
        """Wait in line for the next slot; the first in line takes it when it comes.

        The slot is taken only when it comes: a slot given back in the meantime (a 429) is
        used by the very next send, which reserving slots ahead would have made impossible.
        """
        ticket = _Ticket(lane, next(self._arrivals))
        heapq.heappush(self._line, ticket)
        self._nudge()
        try:
            while True:
                if self._line[0] is not ticket:
                    await ticket.woken.wait()
                    ticket.woken.clear()
                    continue
                now = self._monotonic()
                slot = await self._slot_for_head(now, gap)
                if self._line[0] is not ticket:
                    continue  # a better lane arrived while a shared slot was asked for
                if slot <= now:
                    self._take(slot)
                    return slot
                await self._wait(ticket, slot - now)
        finally:
            self._leave(ticket)

    async def _slot_for_head(self, now: float, gap: float) -> float:
        """When the first in line may send (now or later)."""
        if self._shared_slots is None:
            return max(self._paused_until, self._local_slot(now, gap))
        # The shared source drops slots that went unused for long itself; one reserved here
        # and then held through a pause (a 429) is dropped too rather than used late.
        if self._reserved is None or self._reserved < now - _STALE_RESERVED_S:
            self._reserved = await self._shared_slots.next_slot()
        return max(self._paused_until, self._reserved, now)

    def _take(self, slot: float) -> None:
        if self._shared_slots is None:
            self._slots.append(slot)
        else:
            self._reserved = None

    async def _wait(self, ticket: _Ticket, seconds: float) -> None:
        """Sleep `seconds`, or less if the line changed (a better lane, a slot given back)."""
        if ticket.lane == min(Lane) and self._shared_slots is None:
            # Nothing overtakes a reply; a slot given back only comes sooner, and is
            # looked at when the sleep ends.
            await self._sleep(seconds)
            return
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        woken = asyncio.ensure_future(ticket.woken.wait())
        try:
            await asyncio.wait({sleeping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, woken):
                if not task.done():
                    task.cancel()
            ticket.woken.clear()

    def _leave(self, ticket: _Ticket) -> None:
        if ticket in self._line:
            self._line.remove(ticket)
            heapq.heapify(self._line)
        self._nudge()

    def _nudge(self) -> None:
        """Tell whoever is first in line to look again."""
        if self._line:
            self._line[0].woken.set()

    def _local_slot(self, now: float, gap: float) -> float:
        """The earliest instant from `now` on that keeps the window and the gap."""
        slots = self._slots
        horizon = now - self._window
        while slots and slots[0] <= horizon:
            slots.popleft()
        if not slots:
            return now
        slot = max(now, slots[-1] + gap)
        if len(slots) >= self._per_window:
            slot = max(slot, slots[-self._per_window] + self._window)
        return slot

    def pause_all(self, seconds: float) -> None:
        """Stop every send for `seconds` (Telegram answered 429 with retry_after)."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Stop sends to one chat for `seconds`."""
        now = self._monotonic()
        self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), now + seconds)
        if len(self._chat_paused) > _PRUNE_AT:
            self._prune(now)

    def _prune(self, now: float) -> None:
        self._chat_ready = {chat: t for chat, t in self._chat_ready.items() if t > now}
        self._chat_paused = {chat: t for chat, t in self._chat_paused.items() if t > now}
