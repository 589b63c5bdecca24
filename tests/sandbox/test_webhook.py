"""Delivery by webhook: secret header, retries, round-robin backends, back to polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from sandbox import Sandbox

SECRET = "s3cret_token-1"


class Backend:
    """A tiny webhook receiver that records what it got and can be told to fail."""

    def __init__(self, hits: asyncio.Event, events: list[str], status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.secrets: list[str | None] = []
        self.events = events
        self.delay = 0.0
        self._hits = hits
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self._hits.set()
        self.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        if self.status != 200:
            return web.Response(status=self.status)
        update = await request.json()
        label = update.get("message", {}).get("text", "?")
        self.events.append(f"start {label}")
        await asyncio.sleep(self.delay)
        self.events.append(f"end {label}")
        self.received.append(update)
        self._hits.set()
        return web.Response(text="ok")

    def texts(self) -> list[str]:
        return [update["message"]["text"] for update in self.received if "message" in update]


BackendFactory = Callable[..., Awaitable[Backend]]


@pytest.fixture
def hits() -> asyncio.Event:
    """Set whenever any backend receives a request."""
    return asyncio.Event()


@pytest.fixture
async def backend_factory(hits: asyncio.Event) -> AsyncIterator[BackendFactory]:
    started: list[Backend] = []
    events: list[str] = []

    async def start(status: int = 200) -> Backend:
        backend = Backend(hits, events, status)
        await backend.start()
        started.append(backend)
        return backend

    yield start
    for backend in started:
        await backend.stop()


@pytest.fixture
def wait_for(hits: asyncio.Event) -> Callable[[Callable[[], bool]], Awaitable[None]]:
    """Wait (up to 5 s) until a condition on the backends holds, re-checking on each hit."""

    async def wait(condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while True:
                hits.clear()
                if condition():
                    return
                await hits.wait()

    return wait


Waiter = Callable[[Callable[[], bool]], Awaitable[None]]


async def test_updates_are_posted_to_the_webhook_with_the_secret_header(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, wait_for: Waiter
) -> None:
    backend = await backend_factory()
    user = sandbox.user(1001)
    await bot.set_webhook(backend.url, secret_token=SECRET)

    await user.send("/start")
    await wait_for(lambda: len(backend.received) == 1)

    (update,) = backend.received
    assert update["message"]["text"] == "/start"
    assert update["message"]["entities"][0]["type"] == "bot_command"
    assert backend.secrets == [SECRET]
    info = await bot.get_webhook_info()
    assert info.url == backend.url
    assert info.pending_update_count == 0


async def test_get_updates_conflicts_while_a_webhook_is_set(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, http: httpx.AsyncClient, api: str
) -> None:
    backend = await backend_factory()
    await bot.set_webhook(backend.url)

    response = await http.post(f"{api}/getUpdates")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()

    assert response.status_code == 409
    assert response.json()["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )


async def test_setting_a_webhook_ends_a_waiting_long_poll_with_a_conflict(
    sandbox: Sandbox, backend_factory: BackendFactory, http: httpx.AsyncClient, api: str
) -> None:
    backend = await backend_factory()
    poll = asyncio.create_task(http.post(f"{api}/getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.1)

    await http.post(f"{api}/setWebhook", json={"url": backend.url})

    assert (await poll).status_code == 409


async def test_updates_are_spread_round_robin_over_backends(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, wait_for: Waiter
) -> None:
    first, second = await backend_factory(), await backend_factory()
    sandbox.set_webhook_backends([first.url, second.url])
    user = sandbox.user(1001)
    await bot.set_webhook("https://bot.example.org/hook", secret_token=SECRET)

    def received(count: int) -> Callable[[], bool]:
        return lambda: len(first.received) + len(second.received) == count

    for index in range(4):
        await user.send(f"m{index}")
        await wait_for(received(index + 1))

    assert first.texts() == ["m0", "m2"]
    assert second.texts() == ["m1", "m3"]
    assert set(first.secrets + second.secrets) == {SECRET}
    assert (await bot.get_webhook_info()).url == "https://bot.example.org/hook"


async def test_a_chats_updates_are_delivered_one_at_a_time_in_order(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, wait_for: Waiter
) -> None:
    first, second = await backend_factory(), await backend_factory()
    first.delay = second.delay = 0.2
    sandbox.set_webhook_backends([first.url, second.url])
    await bot.set_webhook("https://bot.example.org/hook")
    ana, ben = sandbox.user(1), sandbox.user(2)

    await ana.send("ana 1")
    await ana.send("ana 2")
    await ben.send("ben 1")
    await wait_for(lambda: len(first.received) + len(second.received) == 3)

    log = first.events  # both backends write to the same log
    assert log.index("end ana 1") < log.index("start ana 2")
    assert log.index("start ben 1") < log.index("end ana 1")  # Ben does not wait for Ana


async def test_a_failed_delivery_is_retried_on_the_next_backend(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, wait_for: Waiter
) -> None:
    broken, healthy = await backend_factory(status=500), await backend_factory()
    sandbox.set_webhook_backends([broken.url, healthy.url])
    await bot.set_webhook("https://bot.example.org/hook")

    await sandbox.user(1001).send("must arrive")
    await wait_for(lambda: healthy.texts() == ["must arrive"])

    assert len(broken.secrets) == 1
    info = await bot.get_webhook_info()
    assert info.last_error_message is not None
    assert "500" in info.last_error_message


async def test_a_webhook_that_keeps_failing_is_retried_until_it_answers(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, wait_for: Waiter
) -> None:
    backend = await backend_factory(status=503)
    await bot.set_webhook(backend.url)
    await sandbox.user(1001).send("patience")
    await wait_for(lambda: len(backend.secrets) >= 3)

    backend.status = 200
    await wait_for(lambda: backend.texts() == ["patience"])

    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_delete_webhook_returns_to_long_polling(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, wait_for: Waiter
) -> None:
    backend = await backend_factory(status=500)
    await bot.set_webhook(backend.url)
    await sandbox.user(1001).send("kept")
    await wait_for(lambda: len(backend.secrets) >= 1)

    await bot.delete_webhook()
    updates = await bot.get_updates(timeout=1)

    assert [u.message.text for u in updates if u.message] == ["kept"]
    assert (await bot.get_webhook_info()).url == ""


async def test_delete_webhook_can_drop_pending_updates(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory
) -> None:
    backend = await backend_factory(status=500)
    await bot.set_webhook(backend.url)
    await sandbox.user(1001).send("dropped")

    await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates(timeout=0) == ()


async def test_a_secret_token_with_unallowed_characters_is_refused(
    bot: Bot, backend_factory: BackendFactory
) -> None:
    backend = await backend_factory()

    with pytest.raises(BadRequest, match="unallowed characters"):
        await bot.set_webhook(backend.url, secret_token="no spaces allowed")


async def test_setting_the_same_webhook_again_changes_nothing(
    backend_factory: BackendFactory, http: httpx.AsyncClient, api: str
) -> None:
    backend = await backend_factory()
    body = {"url": backend.url, "secret_token": SECRET}

    first = await http.post(f"{api}/setWebhook", json=body)
    second = await http.post(f"{api}/setWebhook", json=body)

    assert first.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    assert second.json() == {"ok": True, "result": True, "description": "Webhook is already set"}


async def test_a_webhook_stays_registered_across_a_sandbox_restart(
    sandbox: Sandbox, bot: Bot, backend_factory: BackendFactory, wait_for: Waiter
) -> None:
    backend = await backend_factory()
    await bot.set_webhook(backend.url)

    await sandbox.stop()
    await sandbox.start()
    await sandbox.user(1001).send("after the restart")
    await wait_for(lambda: backend.texts() == ["after the restart"])

    assert sandbox.webhook_info()["url"] == backend.url
