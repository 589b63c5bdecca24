"""The path every send method passes: injected faults, then rate limits, then counting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable

from sandbox.errors import ApiError, too_many_requests
from sandbox.faults import FaultInjector, FaultKind
from sandbox.limits import RateLimiter
from sandbox.records import BotMessage, SentRecord
from sandbox.state import ChatState, SandboxState

DedupeKey = Callable[[BotMessage], Hashable | None]

# Methods that count as sends: rate-limited, fault-injected, recorded in `sent`.
SEND_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)


class SendGate:
    """Admits sends, applies faults, enforces limits and records what was delivered."""

    def __init__(self, state: SandboxState, limiter: RateLimiter, faults: FaultInjector) -> None:
        self.state = state
        self.limiter = limiter
        self.faults = faults
        self.dedupe_key: DedupeKey | None = None
        self._closing = asyncio.Event()

    def close(self) -> None:
        """Cut every held request short (the sandbox is stopping)."""
        self._closing.set()

    def reopen(self) -> None:
        """Allow holding requests again (the sandbox started)."""
        self._closing = asyncio.Event()

    async def admit(self, chat_id: int | str, *, paid: bool = False) -> FaultKind | None:
        """Apply a fault or a rate limit to a send; return a fault to apply after delivery.

        A send with `allow_paid_broadcast` is held to the paid limit instead of the free one.

        Everything after the last await here runs without yielding, so the rate
        check and the delivery that follows it cannot interleave with another send.
        """
        fault = self.faults.draw(chat_id)
        if fault is not None:
            self.state.counters.injected[fault] += 1
            config = self.faults.config
            if fault == "429":
                raise too_many_requests(config.retry_after)
            if fault == "500":
                raise ApiError(500, "Internal Server Error")
            if fault == "502":
                raise ApiError(502, "Bad Gateway")
            if fault == "slow":
                await self.hold(config.slow_seconds)
            elif fault == "timeout":
                await self.hold(config.hang_seconds)
                raise ApiError(504, "Gateway Timeout")
        chat = self.state.chats.get(chat_id) if isinstance(chat_id, int) else None
        try:
            self.limiter.check(chat.window if chat else None, time.monotonic(), paid=paid)
        except ApiError:
            self.state.counters.rejected_429 += 1
            raise
        return fault if fault == "delivered_timeout" else None

    async def after_delivery(self, fault: FaultKind | None) -> None:
        """Hold and fail the answer of a send that did go out (`delivered_timeout`)."""
        if fault == "delivered_timeout":
            await self.hold(self.faults.config.hang_seconds)
            raise ApiError(504, "Gateway Timeout")

    async def hold(self, seconds: float) -> None:
        """Sleep, but wake at once when the sandbox stops."""
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            return

    def record(self, chat: ChatState, method: str, message: BotMessage) -> None:
        """Count an accepted send or edit: windows, `sent`, counters, duplicates."""
        paid = message.params.get("allow_paid_broadcast") in (True, "true", "True", "1")
        self.limiter.record(chat.window, time.monotonic(), paid=paid)
        state = self.state
        state.counters.delivered += 1
        state.sent.append(
            SentRecord(
                seq=len(state.sent) + 1,
                chat_id=chat.chat_id,
                method=method,
                message_id=message.message_id,
                text=message.text,
                at=time.time(),
                paid=paid,
            )
        )
        if self.dedupe_key is not None and method.startswith("send"):
            key = self.dedupe_key(message)
            if key is not None:
                if key in state.seen_keys:
                    state.counters.duplicates += 1
                else:
                    state.seen_keys.add(key)
