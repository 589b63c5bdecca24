"""Replies share the outbox's pace: Telegram's limit counts every message of the token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.rate_limit import SendRateLimiter

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


class RepliesShareThePace(BaseRateLimiter[None]):
    """python-telegram-bot's rate-limiter hook, taking overall slots from the one pace.

    Without it, answers to patients would go out beside a dispatcher already sending at the
    full rate, and Telegram would answer 429. The pace exists once the database is open, so
    it is looked up on each request; until then (start-up) nothing waits.
    """

    def __init__(self, pace: Callable[[], SendRateLimiter | None]) -> None:
        self._pace = pace

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
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a slot if this request sends a message, then make it (retrying one 429)."""
        pace = self._pace() if endpoint in SEND_METHODS else None
        if pace is None:
            return await callback(*args, **kwargs)
        slot = await pace.acquire_overall()
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as flood:
            # Telegram did not count the refused send: its slot goes to the next one.
            pace.release(slot)
            seconds = flood.retry_after
            wait = seconds if isinstance(seconds, int | float) else seconds.total_seconds()
            logger.warning("429 on %s: everything waits %.0f s, then one retry", endpoint, wait)
            pace.pause_all(wait)
            retry_slot = await pace.acquire_overall()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter:
                pace.release(retry_slot)
                raise
