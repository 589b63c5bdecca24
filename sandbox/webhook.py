"""Delivery by webhook: POST each update to the bot, retry until it answers 2xx.

`setWebhook` registers one URL, as in Telegram. A sandbox-only list of backend
URLs stands in for a load balancer in front of several bot processes: updates
(and retries of a failed one) go to the backends in turn.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from sandbox.updates import UpdateQueue

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DELIVERY_TIMEOUT_SECONDS = 10.0
RETRY_BASE_SECONDS = 0.05
RETRY_MAX_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """What setWebhook registered."""

    url: str
    secret_token: str | None
    max_connections: int


class WebhookDelivery:
    """Pushes queued updates to the webhook while one is set."""

    def __init__(self, queue: UpdateQueue, on_activity: Callable[[], None]) -> None:
        self._queue = queue
        self._on_activity = on_activity
        self.config: WebhookConfig | None = None
        self.backends: list[str] = []
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self._turn = itertools.count()
        self._session: aiohttp.ClientSession | None = None
        self._pump: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> bool:
        """Whether a webhook is set (getUpdates is then refused)."""
        return self.config is not None

    @property
    def in_flight(self) -> int:
        """Deliveries waiting for the bot's answer."""
        return len(self._deliveries)

    def info(self) -> dict[str, Any]:
        """The getWebhookInfo result."""
        info: dict[str, Any] = {
            "url": self.config.url if self.config else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.config is not None:
            info["max_connections"] = self.config.max_connections
            allowed = self._queue.allowed_updates
            if allowed:
                info["allowed_updates"] = allowed
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def set(self, config: WebhookConfig) -> bool:
        """Register (or replace) the webhook and deliver to it; False if nothing changed."""
        if config == self.config and self._pump is not None:
            # Several bot processes register the same URL: no reason to drop deliveries.
            return False
        await self._stop_pump()
        self.config = config
        self.last_error_date = None
        self.last_error_message = None
        self._start_pump(config)
        return True

    async def delete(self) -> None:
        """Remove the webhook; undelivered updates stay queued for getUpdates."""
        await self._stop_pump()
        self.config = None

    async def pause(self) -> None:
        """Stop delivering and close the HTTP client; the webhook stays registered."""
        await self._stop_pump()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def resume(self) -> None:
        """Deliver again after `pause()`, if a webhook is registered."""
        if self.config is not None and self._pump is None:
            self._start_pump(self.config)

    def _targets(self, config: WebhookConfig) -> list[str]:
        return list(self.backends) or [config.url]

    def _start_pump(self, config: WebhookConfig) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_SECONDS)
            )
        self._pump = asyncio.create_task(self._run(config), name="sandbox-webhook")
        self._pump.add_done_callback(_log_crash)

    async def _stop_pump(self) -> None:
        tasks = [t for t in (self._pump, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        # Cancellation is the expected outcome; _log_crash reports anything else.
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pump = None
        self._deliveries.clear()
        self._queue.release_all()

    async def _run(self, config: WebhookConfig) -> None:
        # One pump claims updates in order; up to max_connections deliveries run at once.
        slots = asyncio.Semaphore(config.max_connections)
        while True:
            await slots.acquire()
            update = self._queue.claim_next()
            while update is None:
                await self._queue.changed.wait(None)
                update = self._queue.claim_next()
            task = asyncio.create_task(self._deliver(config, update))
            task.add_done_callback(_log_crash)
            self._deliveries.add(task)

            def finished(done: asyncio.Task[None], slots: asyncio.Semaphore = slots) -> None:
                self._deliveries.discard(done)
                slots.release()

            task.add_done_callback(finished)

    async def _deliver(self, config: WebhookConfig, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        attempt = 0
        try:
            while True:
                targets = self._targets(config)
                url = targets[next(self._turn) % len(targets)]
                if await self._post(config, url, update):
                    self._queue.confirm(update_id)
                    self.delivered += 1
                    self._on_activity()
                    return
                attempt += 1
                # Try every backend once before backing off, as a load balancer would.
                if attempt % len(targets) == 0:
                    rounds = attempt // len(targets)
                    await asyncio.sleep(min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**rounds))
        except asyncio.CancelledError:
            self._queue.release(update_id)
            raise

    async def _post(self, config: WebhookConfig, url: str, update: dict[str, Any]) -> bool:
        assert self._session is not None
        headers = {SECRET_HEADER: config.secret_token} if config.secret_token else {}
        self._on_activity()
        try:
            async with self._session.post(url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return True
                reason = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = f"Connection failed: {exc.__class__.__name__}: {exc}"
        self.last_error_date = int(time.time())
        self.last_error_message = reason
        logger.warning(
            "webhook delivery of update %s to %s failed: %s", update["update_id"], url, reason
        )
        return False


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("webhook delivery task %s failed", task.get_name(), exc_info=error)
