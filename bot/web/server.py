"""Serving an aiohttp application on a host and port, beside the bot in its event loop.

The process has one web stack, aiohttp, for its two HTTP surfaces, on two listeners: the
operator's `/healthz` and `/metrics` (bot.observability.server, METRICS_PORT) and the
clinic dashboard (DASHBOARD_PORT). They stay on separate ports on purpose: the metrics
port is for the operator's network (a scraper, often on 0.0.0.0) while the dashboard is
published to staff behind a proxy; one port would publish `/metrics` along with it.
"""

from __future__ import annotations

import logging

from aiohttp import web

logger = logging.getLogger(__name__)


class WebServer:
    """One aiohttp application listening on one address until stopped."""

    def __init__(self, app: web.Application, *, host: str, port: int, name: str) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._name = name
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen."""
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        logger.info("%s on http://%s:%s", self._name, self._host, self._port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
