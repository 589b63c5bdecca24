"""An HTTP client on the dashboard of the running bot (`dashboard_bot`, tests/fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import dashboard_services
from bot.context import BotApp
from bot.web.dashboard import build_dashboard


@pytest.fixture
async def web(dashboard_bot: BotApp) -> AsyncIterator[TestClient[object, object]]:
    """An HTTP client on the dashboard (cookies kept between requests, like a browser)."""
    app = build_dashboard(dashboard_services(dashboard_bot))
    async with TestClient(TestServer(app)) as client:
        yield client
