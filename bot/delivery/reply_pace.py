"""Replies share the outbox's pace: Telegram's limit counts every message of the token.

An answer to a patient takes the next slot ahead of the outbox's queued sends (`Lane.REPLY`);
a broadcast's progress edits say `rate_limit_args=Lane.PROGRESS` and take what is left.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.rate_limit import Lane, SendRateLimiter
from bot.delivery.sender import retry_after_seconds

logger = logging.getLogger(__name__)

# Methods that put a message in a chat (or change one) and so count against the limit.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "copyMessage",
        "forwardMessage",
    }
)
# A refused reply is tried again after each `retry_after` until this much time has gone by:
# a patient waiting longer than that is better told by the error handler.
RETRY_FOR_SECONDS = 30.0


class RepliesShareThePace(BaseRateLimiter[Lane]):
    """python-telegram-bot's rate-limiter hook, taking overall slots from the one pace.

    Without it, answers to patients would go out beside a dispatcher already sending at the
    full rate, and Telegram would answer 429. The pace exists once the database is open, so
    it is looked up on each request; until then (start-up) nothing waits.
    """

    def __init__(
        self,
        pace: Callable[[], SendRateLimiter | None],
        *,
        retry_for: float = RETRY_FOR_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._pace = pace
        self._retry_for = retry_for
        self._monotonic = monotonic
        self._sleep = sleep

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a slot in the request's lane if it sends a message, then make it.

        A 429 gives the slot back, waits `retry_after`, and the request is made again, until
        `retry_for` seconds have passed since the first try.
        """
        pace = self._pace() if endpoint in SEND_METHODS else None
        if pace is None:
            return await callback(*args, **kwargs)
        lane = Lane.REPLY if rate_limit_args is None else rate_limit_args
        started = self._monotonic()
        while True:
            slot = await pace.acquire_overall(lane)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as flood:
                # Telegram did not count the refused send: its slot goes to the next one.
                pace.release(slot)
                wait = max(retry_after_seconds(flood), 0.0)
                if self._monotonic() + wait - started > self._retry_for:
                    logger.warning("429 on %s: still refused after %.0f s", endpoint, wait)
                    raise
                # This request waits, not everyone: a flood is the outbox's to detect, and
                # a 429 about one chat says nothing about the others.
                logger.warning("429 on %s: sent again in %.1f s", endpoint, wait)
                await self._sleep(wait)
