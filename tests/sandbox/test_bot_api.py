"""The Bot API surface: envelope, authentication, routing and request bodies."""

from __future__ import annotations

import json

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken

from sandbox import Sandbox

KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}


async def test_get_me_answers_the_bot_account_to_python_telegram_bot(
    sandbox: Sandbox, bot: Bot
) -> None:
    me = await bot.get_me()

    assert me.username == "interval_test_bot"
    assert me.id == 123456
    assert me.is_bot


async def test_a_wrong_token_is_unauthorized(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    response = await http.post("/bot123456:WRONG/getMe")

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(InvalidToken):
        async with Bot("123456:WRONG", base_url=sandbox.base_url):
            pass


async def test_an_unknown_method_is_not_found(http: httpx.AsyncClient, api: str) -> None:
    response = await http.post(f"{api}/sendTelepathy", json={"chat_id": 1})

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_an_unknown_path_is_not_found_in_the_bot_api_envelope(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/favicon.ico")

    assert response.status_code == 404
    assert response.json()["ok"] is False


async def test_method_names_are_case_insensitive_like_telegram(
    http: httpx.AsyncClient, api: str
) -> None:
    response = await http.get(f"{api}/getme")

    assert response.json()["result"]["username"] == "interval_test_bot"


async def test_parameters_are_read_from_json_form_multipart_and_query_string(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    user = sandbox.user(1001)
    as_json = await http.post(
        f"{api}/sendMessage", json={"chat_id": 1001, "text": "json", "reply_markup": KEYBOARD}
    )
    as_form = await http.post(
        f"{api}/sendMessage",
        data={"chat_id": "1001", "text": "form", "reply_markup": json.dumps(KEYBOARD)},
    )
    as_multipart = await http.post(
        f"{api}/sendMessage",
        data={"chat_id": "1001", "text": "multipart", "reply_markup": json.dumps(KEYBOARD)},
        files={"unused": ("a.txt", b"x", "text/plain")},
    )
    as_query = await http.get(f"{api}/sendMessage", params={"chat_id": "1001", "text": "query"})

    for response in (as_json, as_form, as_multipart, as_query):
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True
    assert [m.text for m in user.messages] == ["json", "form", "multipart", "query"]
    assert [m.buttons for m in user.messages[:3]] == [[[("Yes", "y")]]] * 3


async def test_numeric_looking_text_stays_text(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    user = sandbox.user(1001)

    await http.post(f"{api}/sendMessage", data={"chat_id": "1001", "text": "42"})

    assert user.messages[0].text == "42"


async def test_python_telegram_bot_sends_markup_the_sandbox_understands(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="c:yes")],
            [InlineKeyboardButton("Site", url="https://example.org")],
        ]
    )

    message = await bot.send_message(1001, "Booked?", reply_markup=markup)

    assert message.reply_markup == markup
    assert message.from_user is not None
    assert message.from_user.id == bot.id
    assert message.chat.id == 1001
    assert user.messages[0].buttons == [[("Yes", "c:yes")], [("Site", "https://example.org")]]


async def test_sending_to_a_chat_that_does_not_exist_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello?")


async def test_a_restarted_sandbox_comes_back_on_the_same_port(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    port = sandbox.port

    await sandbox.stop()
    await sandbox.start()
    response = await http.get(f"{api}/getMe")

    assert sandbox.port == port
    assert response.json()["ok"] is True
