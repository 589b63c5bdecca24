"""The dashboard under test: the real bot against the sandbox, and an HTTP client on its app.

`dashboard_bot` is the bot process with the dashboard turned on (DASHBOARD_PORT, a free
port: the process really listens, as in production); `web` is aiohttp's test client on
the same dashboard application, built from that running bot's services.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_application, dashboard_services, serving
from bot.clock import FakeClock
from bot.context import BotApp
from bot.web.dashboard import build_dashboard
from sandbox import Sandbox
from storage.database import Database
from tests.fixtures.bot import bot_settings


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def dashboard_bot(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> AsyncIterator[BotApp]:
    """The bot, long-polling the sandbox, with the dashboard on."""
    settings = bot_settings(sandbox, dashboard_port=free_port())
    application = build_application(settings, clock=clock, database=bot_database)
    async with serving(application):
        yield application


@pytest.fixture
async def web(dashboard_bot: BotApp) -> AsyncIterator[TestClient[object, object]]:
    """An HTTP client on the dashboard (cookies kept between requests, like a browser)."""
    app = build_dashboard(dashboard_services(dashboard_bot))
    async with TestClient(TestServer(app)) as client:
        yield client
