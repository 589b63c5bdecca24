"""The control API: driving the sandbox over HTTP, as a test in another process would."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import TelegramError

from sandbox import Sandbox


async def control(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    response = await http.request(method, f"/_sandbox{path}", **kwargs)
    body = response.json()
    assert response.status_code == 200, body
    assert body["ok"] is True
    return body["result"]


async def test_a_user_is_driven_over_http_from_message_to_button_press(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    created = await control(
        http, "POST", "/users/7", json={"first_name": "Ana", "language_code": "es"}
    )
    sent = await control(http, "POST", "/users/7/send", json={"text": "/start"})
    (update,) = await bot.get_updates(timeout=1)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="c:yes")]])
    reply = await bot.send_message(7, "Consent?", reply_markup=markup)

    listing = await control(http, "GET", "/chats/7/messages", params={"since": 0})
    pressed = await control(
        http, "POST", "/users/7/press", json={"message_id": reply.message_id, "text": "Yes"}
    )
    (query_update,) = await bot.get_updates(offset=update.update_id + 1, timeout=1)
    await bot.answer_callback_query(pressed["query_id"], "Thanks")
    user = await control(http, "GET", "/users/7")

    assert created["user"] == {"id": 7, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    assert update.message is not None
    assert update.message.message_id == sent["message_id"]
    assert update.message.text == "/start"
    (message,) = listing["messages"]
    assert message["text"] == "Consent?"
    assert message["buttons"] == [[{"text": "Yes", "callback_data": "c:yes"}]]
    assert listing["cursor"] == 1
    assert query_update.callback_query is not None
    assert query_update.callback_query.data == "c:yes"
    assert user["answered_callbacks"][0]["text"] == "Thanks"


async def test_many_users_are_created_in_one_call(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    users = [{"id": user_id, "first_name": f"Patient {user_id}"} for user_id in range(1, 501)]

    result = await control(http, "POST", "/users", json={"users": users})
    await bot.send_message(500, "reachable")

    assert result == {"created_or_updated": 500}
    assert sandbox.user(250).profile.first_name == "Patient 250"


async def test_messages_since_a_cursor_include_edits_and_can_wait(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    sandbox.user(7)
    sent = await bot.send_message(7, "Sending 0/2")
    first = await control(http, "GET", "/chats/7/messages")

    waiting = asyncio.create_task(
        control(http, "GET", "/chats/7/messages", params={"since": first["cursor"], "wait": 5})
    )
    await asyncio.sleep(0.1)
    await bot.edit_message_text("Sending 2/2", 7, sent.message_id)
    changed = await waiting
    nothing_new = await control(
        http, "GET", "/chats/7/messages", params={"since": changed["cursor"]}
    )

    (message,) = changed["messages"]
    assert message["text"] == "Sending 2/2"
    assert [edit["text"] for edit in message["edits"]] == ["Sending 2/2"]
    assert nothing_new == {"messages": [], "cursor": changed["cursor"]}


async def test_block_unblock_and_other_kinds_of_messages_over_http(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    await control(http, "POST", "/users/7/send", json={"kind": "sticker"})
    await control(http, "POST", "/users/7/send", json={"kind": "location"})
    await control(http, "POST", "/users/7/block")
    blocked = await control(http, "GET", "/users/7")
    await control(http, "POST", "/users/7/unblock")

    assert blocked["blocked"] is True
    assert not sandbox.user(7).blocked


async def test_limits_faults_stats_sent_and_reset_over_http(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    sandbox.user(7)
    limits = await control(http, "POST", "/limits", json={"overall_rate": 30, "per_chat_rate": 1})
    await control(http, "POST", "/faults", json={"rate": 0.5, "kinds": ["500"], "seed": 3})
    await control(http, "POST", "/faults", json={"rate": 0})
    await control(http, "POST", "/faults/next", json={"kind": "502", "chat_id": 7})
    outcomes = []
    for text in ("a", "b"):
        try:
            await bot.send_message(7, text)
            outcomes.append("sent")
        except TelegramError as error:
            outcomes.append(type(error).__name__)
    stats = await control(http, "GET", "/stats")
    sent = await control(http, "GET", "/sent", params={"since": 0, "limit": 10})

    assert limits == {"overall_rate": 30, "per_chat_rate": 1, "paid_rate": 1000}
    assert outcomes == ["NetworkError", "sent"]
    assert stats["delivered"] == 1
    assert stats["injected"] == {"502": 1}
    assert stats["calls"]["sendMessage"] == 2
    assert [(r["chat_id"], r["text"]) for r in sent["sent"]] == [(7, "b")]
    assert sent["next"] == 1

    await control(http, "POST", "/reset")
    assert (await control(http, "GET", "/stats"))["delivered"] == 0
    assert sandbox.limits.overall_rate is None
    assert not sandbox.has_user(7)


async def test_updates_commands_webhook_backends_and_idle_over_http(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient
) -> None:
    sandbox.user(7)
    await bot.set_my_commands(
        [BotCommand("broadcast", "Message patients")], scope=BotCommandScopeChat(7)
    )
    pushed = await control(
        http,
        "POST",
        "/updates",
        json={
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7, "type": "private"},
                "text": "raw",
            }
        },
    )
    (update,) = await bot.get_updates(timeout=1)
    await bot.get_updates(offset=update.update_id + 1)
    commands = await control(
        http, "GET", "/commands", params={"scope": json.dumps({"type": "chat", "chat_id": 7})}
    )
    backends = await control(
        http, "POST", "/webhook/backends", json={"urls": ["http://127.0.0.1:1/a"]}
    )
    idle = await control(http, "GET", "/idle", params={"quiet": 0.05, "timeout": 2})

    assert update.update_id == pushed["update_id"]
    assert commands == [{"command": "broadcast", "description": "Message patients"}]
    assert backends == ["http://127.0.0.1:1/a"]
    assert idle is True


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "description"),
    [
        ("POST", "/users/7/send", {"text": ""}, 400, "text is required"),
        ("POST", "/users/7/send", {"kind": "hologram"}, 400, "unknown kind"),
        ("GET", "/users/99", None, 404, "no user 99"),
        ("GET", "/chats/99/messages", None, 404, "chat not found"),
        ("POST", "/limits", {"overall_rate": 0}, 400, "at least 1"),
        ("POST", "/faults", {"rate": 0.1, "kinds": ["418"]}, 400, "unknown fault kind"),
        ("POST", "/users/7/press", {"message_id": 5, "text": "Yes"}, 400, "sent no message 5"),
        ("POST", "/updates", {"message": {}, "callback_query": {}}, 400, "exactly one field"),
        ("POST", "/users", {"users": [{"first_name": "no id"}]}, 400, "users must be a list"),
    ],
)
async def test_bad_control_input_is_a_json_error(
    sandbox: Sandbox,
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    description: str,
) -> None:
    sandbox.user(7)

    response = await http.request(method, f"/_sandbox{path}", json=body)

    assert response.status_code == status
    assert response.json()["ok"] is False
    assert description in response.json()["description"]
