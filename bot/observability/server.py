"""The operator's port: `/healthz` (JSON, 200 or 503) and `/metrics` (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.clock import Clock
from bot.observability.metrics import Metrics
from storage.database import Database

logger = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 2.0
# The dispatcher wakes every few seconds; a minute without a cycle means it is stuck.
DISPATCHER_STALE_AFTER_S = 60.0


class OperatorServer:
    """A small aiohttp server beside the bot, on METRICS_PORT."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        database: Database,
        clock: Clock,
        seconds_since_dispatch: Callable[[], float | None],
        host: str,
        port: int,
    ) -> None:
        self._metrics = metrics
        self._database = database
        self._clock = clock
        self._seconds_since_dispatch = seconds_since_dispatch
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics_page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        logger.info("health and metrics on http://%s:%s", self._host, self._port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the process can do its job, and why not."""
        report: dict[str, Any] = {}
        healthy = True
        try:
            await asyncio.wait_for(self._ping_database(), DATABASE_TIMEOUT_S)
            report["database"] = "ok"
        except Exception as exc:  # any failure to reach it means "unhealthy", with the reason
            healthy = False
            report["database"] = f"unreachable: {type(exc).__name__}"
        since = self._seconds_since_dispatch()
        alive = since is not None and since <= DISPATCHER_STALE_AFTER_S
        healthy = healthy and alive
        report["dispatcher"] = {
            "alive": alive,
            "seconds_since_cycle": None if since is None else round(since, 1),
        }
        report["seconds_since_last_update"] = round(self._metrics.seconds_since_last_update(), 1)
        report["status"] = "ok" if healthy else "unavailable"
        return healthy, report

    async def _ping_database(self) -> None:
        async with self._database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _healthz(self, _request: web.Request) -> web.Response:
        healthy, report = await self.health()
        return web.json_response(report, status=200 if healthy else 503)

    async def _metrics_page(self, _request: web.Request) -> web.Response:
        await self._refresh_outbox_gauges()
        return web.Response(
            body=generate_latest(self._metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    async def _refresh_outbox_gauges(self) -> None:
        # Read at scrape time, so the gauges are as fresh as the scrape and cost nothing idle.
        now = self._clock.now()
        try:
            async with self._database.unit_of_work(read_only=True) as uow:
                stats = await uow.outbox.stats(now=now)
                broadcasts = await uow.broadcasts.count_in_progress()
        except Exception:
            logger.exception("could not read outbox figures for /metrics")
            return
        self._metrics.broadcasts_in_progress.set(broadcasts)
        self._metrics.outbox_depth.set(stats.pending)
        self._metrics.outbox_due.set(stats.due)
        oldest = stats.oldest_due_at
        self._metrics.oldest_due_age.set(
            max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
        )
