"""Webhook mode: only requests carrying the secret header reach the bot."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import build_application
from bot.clock import FakeClock
from bot.context import BotApp
from sandbox import Sandbox
from storage.database import Database
from tests.fixtures.bot import bot_settings

SECRET = "s3cret_token-for-tests"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> AsyncIterator[str]:
    """The bot in webhook mode behind the sandbox; yields the webhook URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    application: BotApp = build_application(
        bot_settings(sandbox, webhook_url=url, webhook_secret=SECRET),
        clock=clock,
        database=bot_database,
    )
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="telegram", webhook_url=url, secret_token=SECRET
    )
    try:
        yield url
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        # post_init opened the dispatcher and its bot; post_shutdown closes them.
        assert application.post_shutdown is not None
        await application.post_shutdown(application)


def _start_update(update_id: int, user_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Eve"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}],
    ids=["missing secret", "wrong secret"],
)
async def test_an_update_without_the_right_secret_is_refused_and_changes_nothing(
    webhook_bot: str, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    eve = sandbox.user(3003, first_name="Eve")
    async with httpx.AsyncClient() as client:
        response = await client.post(webhook_bot, json=_start_update(9001, 3003), headers=headers)
    assert response.status_code == 403
    await sandbox.wait_until_idle(quiet=0.5)
    assert eve.messages == []


async def test_an_update_with_the_right_secret_is_processed(
    webhook_bot: str, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001, first_name="Ana")
    await ana.send("/start")  # the sandbox posts it to the registered webhook with the secret
    welcome = await ana.next_message(timeout=10)
    assert "Welcome to Interval" in (welcome.text or "")
    assert sandbox.webhook_info()["url"] == webhook_bot
