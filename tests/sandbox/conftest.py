"""Clients for talking to the sandbox the way a bot does: PTB's Bot and raw HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot

from sandbox import Sandbox


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    """python-telegram-bot's Bot, initialised against the sandbox."""
    async with Bot(sandbox.token, base_url=sandbox.base_url) as telegram_bot:
        yield telegram_bot


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client rooted at the sandbox's address."""
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as client:
        yield client


@pytest.fixture
def api(sandbox: Sandbox) -> str:
    """The Bot API path prefix for the sandbox's token, e.g. /bot123456:TEST."""
    return f"/bot{sandbox.token}"
