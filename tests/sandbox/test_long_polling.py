"""getUpdates: offsets, limits, long-poll timeouts, wake-ups and allowed_updates."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from telegram import Bot, MessageEntity

from sandbox import Sandbox


async def get_updates(http: httpx.AsyncClient, api: str, **params: Any) -> list[dict[str, Any]]:
    response = await http.post(f"{api}/getUpdates", json=params)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["result"]
    return result


async def test_confirmed_updates_are_not_returned_again(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    user = sandbox.user(1001)
    await user.send("one")
    await user.send("two")

    first = await get_updates(http, api)
    again = await get_updates(http, api)
    after_confirming = await get_updates(http, api, offset=first[-1]["update_id"] + 1)

    assert [u["message"]["text"] for u in first] == ["one", "two"]
    assert again == first
    assert after_confirming == []


async def test_an_offset_confirms_only_the_updates_before_it(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    user = sandbox.user(1001)
    for text in ("a", "b", "c"):
        await user.send(text)
    first = await get_updates(http, api)

    rest = await get_updates(http, api, offset=first[1]["update_id"])

    assert [u["message"]["text"] for u in rest] == ["b", "c"]


async def test_limit_caps_the_batch(sandbox: Sandbox, http: httpx.AsyncClient, api: str) -> None:
    user = sandbox.user(1001)
    for text in ("a", "b", "c"):
        await user.send(text)

    batch = await get_updates(http, api, limit=2)

    assert [u["message"]["text"] for u in batch] == ["a", "b"]


async def test_a_negative_offset_keeps_only_the_last_updates(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    user = sandbox.user(1001)
    for text in ("a", "b", "c"):
        await user.send(text)

    last = await get_updates(http, api, offset=-1)
    everything = await get_updates(http, api)

    assert [u["message"]["text"] for u in last] == ["c"]
    assert everything == last


async def test_long_poll_returns_empty_list_after_timeout(
    http: httpx.AsyncClient, api: str
) -> None:
    started = time.monotonic()

    updates = await get_updates(http, api, timeout=1)

    elapsed = time.monotonic() - started
    assert updates == []
    assert 0.9 <= elapsed < 2.0


async def test_a_message_sent_during_a_long_poll_wakes_it(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    user = sandbox.user(1001)
    started = time.monotonic()
    poll = asyncio.create_task(get_updates(http, api, timeout=10))
    await asyncio.sleep(0.2)

    await user.send("wake up")
    updates = await poll

    assert [u["message"]["text"] for u in updates] == ["wake up"]
    assert time.monotonic() - started < 2.0


async def test_allowed_updates_drops_other_update_types(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    user = sandbox.user(1001)
    await user.send("ignored")
    sandbox.push_update(
        {
            "callback_query": {
                "id": "1",
                "from": user.profile.to_api(),
                "chat_instance": "1",
                "data": "x",
            }
        }
    )

    updates = await get_updates(http, api, allowed_updates=["callback_query"])
    later = await get_updates(http, api, allowed_updates=[])

    assert [next(k for k in u if k != "update_id") for u in updates] == ["callback_query"]
    assert [next(k for k in u if k != "update_id") for u in later] == ["callback_query"]


async def test_a_second_get_updates_ends_the_first_with_a_conflict(
    http: httpx.AsyncClient, api: str
) -> None:
    first = asyncio.create_task(http.post(f"{api}/getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.2)

    second = await http.post(f"{api}/getUpdates", json={"timeout": 0})
    superseded = await first

    assert second.json() == {"ok": True, "result": []}
    assert superseded.status_code == 409
    assert superseded.json()["description"].startswith("Conflict: terminated by other getUpdates")


async def test_python_telegram_bot_reads_a_command_with_its_entity(
    sandbox: Sandbox, bot: Bot
) -> None:
    await sandbox.user(1001, "Ana", language_code="es").send("/start")

    (update,) = await bot.get_updates(timeout=1)

    assert update.message is not None
    assert update.message.text == "/start"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "es"
    assert update.message.parse_entities([MessageEntity.BOT_COMMAND])
    assert update.effective_chat is not None
    assert update.effective_chat.type == "private"
