"""One send through the shared pace, with Telegram's answer turned into an outcome.

- ok: `Delivered` with Telegram's message id.
- 429 `RetryAfter`: the chat waits `retry_after` (every chat waits when 429s come as a
  flood); a short wait is done in place and the message resent, a long one is
  `RetryLater` at that time.
- `TimedOut`, `NetworkError`, 5xx: `RetryLater` with exponential backoff and jitter;
  `Failed` with the reason once `max_attempts` is reached.
- 403 `Forbidden`: `Failed(blocked=True)`; the caller marks the patient blocked.
- any other 400 `BadRequest`: `Failed` with the reason, no retry.
- the process began stopping before the send: `NotSent`, the row is released unsent.

Reasons name the error, never the message text.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import warnings
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.clock import Clock
from bot.delivery.rate_limit import SendRateLimiter
from bot.delivery.rendering import Rendered
from bot.delivery.transport import send_html
from storage.records import OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    """Telegram accepted the message."""

    telegram_message_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class RetryLater:
    """Try again at `due_at` (the row goes back to pending with one more attempt)."""

    due_at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class Failed:
    """Give up with `reason`; `blocked` when the patient blocked the bot."""

    reason: str
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class NotSent:
    """Nothing was sent (shutting down, or the row must not go out): release or drop it."""

    reason: str
    drop: bool = False


Outcome = Delivered | RetryLater | Failed | NotSent


def outcome_label(outcome: Outcome) -> str:
    """A short name for metrics: sent, retry, failed, blocked, dropped or released."""
    if isinstance(outcome, Delivered):
        return "sent"
    if isinstance(outcome, RetryLater):
        return "retry"
    if isinstance(outcome, Failed):
        return "blocked" if outcome.blocked else "failed"
    return "dropped" if outcome.drop else "released"


class DeliveryObserver(Protocol):
    """Where delivery events go (the process's metrics); every method must be cheap."""

    def outcome(self, kind: str, label: str) -> None:
        """One outbox row's outcome was recorded (`outcome_label`)."""

    def telegram_error(self, code: str) -> None:
        """Telegram (or the network) answered a send with an error: 429, 403, 400, 5xx, ..."""


class NoObserver:
    """Discards every event."""

    def outcome(self, kind: str, label: str) -> None:
        """Ignore."""

    def telegram_error(self, code: str) -> None:
        """Ignore."""


_SERVER_ERROR = re.compile(r"\(5\d\d\)|Bad Gateway")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried, and how long a 429 may be waited out in place.

    With the defaults a row is tried 10 times over about five hours (30 s doubling to an
    hour, each delay jittered down by up to half), so a Telegram outage of a few hours
    delays reminders instead of losing them.
    """

    max_attempts: int = 10
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    # A 429 this short is waited out while the row stays claimed; longer ones go back to
    # the outbox so that the claim (and its lease) is not held for long. Off by default:
    # a row waiting in place holds its whole batch back from being recorded, and the next
    # batch waits for that (a broadcast with 2% of 429s reached 0.89 of the rate so).
    wait_in_place: timedelta = timedelta(0)
    max_waits_in_place: int = 3

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """The pause before try `attempt + 1`: exponential, capped, with "equal jitter"."""
        full: timedelta = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return full * rng.uniform(0.5, 1.0)


class FloodGuard:
    """Tells a 429 about one chat from a flood: everyone pauses only in a flood.

    Telegram answers 429 both when one chat gets too much and when the bot as a whole
    does. Pausing every send on each 429 would let a few chat-level answers (or a small
    share of random ones) halve the overall rate, so the whole pace pauses only when at
    least `share` of the last `window` answers were 429 (and at least `minimum` of them).
    """

    def __init__(self, *, window: int = 50, share: float = 0.2, minimum: int = 5) -> None:
        self._recent: deque[bool] = deque(maxlen=window)
        self._share = share
        self._minimum = minimum

    def record(self, *, limited: bool) -> bool:
        """Count one answer; True when the 429s now look like a flood."""
        self._recent.append(limited)
        floods = sum(self._recent)
        return limited and floods >= self._minimum and floods >= self._share * len(self._recent)


def retry_after_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        # PTB 22 warns that the int form is deprecated; both forms are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class Sender:
    """Sends one rendered outbox message through the shared pace and classifies the answer."""

    def __init__(
        self,
        bot: Bot,
        limiter: SendRateLimiter,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        stopping: asyncio.Event | None = None,
        observer: DeliveryObserver | None = None,
        paid: bool = False,
    ) -> None:
        self._bot = bot
        self._paid = paid
        self._observer = observer or NoObserver()
        self._limiter = limiter
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        self._stopping = stopping or asyncio.Event()
        self._flood = FloodGuard()

    async def send(self, message: OutboxMessage, rendered: Rendered) -> Outcome:
        """Send `rendered` to the message's chat; never raises for Telegram's answers."""
        waits = 0
        while True:
            slot = await self._acquire(message.chat_id)
            if slot is None:
                return NotSent("shutting down")
            try:
                message_id = await send_html(
                    self._bot,
                    message.chat_id,
                    rendered.text,
                    rendered.reply_markup,
                    paid=self._paid,
                )
            except RetryAfter as exc:
                self._observer.telegram_error("429")
                # Telegram does not count a refused send: its slot goes to the next one.
                self._limiter.release(slot)
                seconds = max(retry_after_seconds(exc), 0.0)
                self._limited(message, seconds)
                if seconds <= self._retry.wait_in_place.total_seconds() and (
                    waits < self._retry.max_waits_in_place
                ):
                    # The chat's pause makes the next acquire wait `retry_after`.
                    self._limiter.pause_chat(message.chat_id, seconds)
                    waits += 1
                    continue
                # The outbox row waits instead (its due time), not the pace.
                due_at = self._clock.now() + timedelta(seconds=seconds)
                return RetryLater(due_at, f"429: retry after {seconds:g} s")
            except Forbidden as exc:
                self._observer.telegram_error("403")
                self._flood.record(limited=False)
                return Failed(f"403: {exc.message}", blocked=True)
            except BadRequest as exc:
                self._observer.telegram_error("400")
                self._flood.record(limited=False)
                return Failed(f"400: {exc.message}")
            except TimedOut as exc:
                self._observer.telegram_error("timeout")
                return self._backoff(message, f"timeout: {exc.message}")
            except NetworkError as exc:
                # PTB raises NetworkError for 5xx answers and for transport failures alike.
                server = _SERVER_ERROR.search(exc.message) is not None
                self._observer.telegram_error("5xx" if server else "network")
                return self._backoff(message, f"{'5xx' if server else 'network'}: {exc.message}")
            except TelegramError as exc:
                # 401/404 (token), 409, a chat that migrated: not something a retry fixes.
                self._observer.telegram_error("other")
                return Failed(f"{type(exc).__name__}: {exc.message}")
            self._flood.record(limited=False)
            return Delivered(telegram_message_id=message_id, at=self._clock.now())

    def backoff(self, message: OutboxMessage, error: str) -> Outcome:
        """The outcome of a transient failure of `message`: retry later, or give up."""
        return self._backoff(message, error)

    def _backoff(self, message: OutboxMessage, error: str) -> Outcome:
        attempt = message.attempts + 1
        if attempt >= self._retry.max_attempts:
            return Failed(f"{error} (gave up after {attempt} attempts)")
        delay = self._retry.delay(attempt, self._rng)
        return RetryLater(self._clock.now() + delay, error)

    def _limited(self, message: OutboxMessage, seconds: float) -> None:
        if self._flood.record(limited=True):
            self._limiter.pause_all(seconds)
            logger.warning(
                "429 flood: every send waits %.0f s (outbox %s, patient %s)",
                seconds,
                message.id,
                message.patient_id,
            )

    async def _acquire(self, chat_id: int) -> float | None:
        """Wait for a send slot; None if the process began stopping first."""
        if self._stopping.is_set():
            return None
        slot = self._limiter.try_acquire(chat_id)
        if slot is not None:
            return slot
        acquire = asyncio.ensure_future(self._limiter.acquire(chat_id))
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({acquire, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not acquire.done():
                acquire.cancel()
        if not acquire.done() or acquire.cancelled():
            return None
        slot = acquire.result()
        if self._stopping.is_set():
            self._limiter.release(slot)
            return None
        return slot
