"""Sending, editing and deleting messages, with Telegram's validation and errors."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from sandbox import Sandbox


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=label.lower()) for label in labels]]
    )


async def test_message_ids_count_up_per_chat_across_both_sides(sandbox: Sandbox, bot: Bot) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)

    first = await bot.send_message(ana.id, "hi Ana")
    user_message_id = await ana.send("hello")
    second = await bot.send_message(ana.id, "again")
    other_chat = await bot.send_message(ben.id, "hi Ben")

    assert (first.message_id, user_message_id, second.message_id) == (1, 2, 3)
    assert other_chat.message_id == 1


async def test_html_is_parsed_into_visible_text_and_entities(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)

    message = await bot.send_message(
        user.id, "<b>Botox</b> &amp; <i>microneedling</i> &lt;3", parse_mode=ParseMode.HTML
    )

    record = user.messages[0]
    assert record.text == "Botox & microneedling <3"
    assert record.raw_text == "<b>Botox</b> &amp; <i>microneedling</i> &lt;3"
    assert record.parse_mode == "HTML"
    assert message.text_html == "<b>Botox</b> &amp; <i>microneedling</i> &lt;3"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<a href=https://x.org>y</a>", "Unexpected end of name token at byte offset 8"),
    ],
)
async def test_malformed_html_is_refused_like_telegram(
    sandbox: Sandbox, bot: Bot, text: str, reason: str
) -> None:
    sandbox.user(1001)

    with pytest.raises(BadRequest) as error:
        await bot.send_message(1001, text, parse_mode=ParseMode.HTML)

    # PTB drops "Bad Request: " and lower-cases the rest (str.capitalize).
    assert error.value.message == f"Can't parse entities: {reason}".capitalize()
    assert sandbox.messages(1001) == []


async def test_empty_and_too_long_texts_are_refused(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1001)

    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1001, "   ")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1001, "<b></b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1001, "x" * 4097)
    await bot.send_message(1001, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)


async def test_an_edit_changes_the_message_and_keeps_its_history(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001)
    sent = await bot.send_message(user.id, "Sending 0/10", reply_markup=keyboard("Stop"))

    edited = await bot.edit_message_text(
        "Sending 5/10", user.id, sent.message_id, reply_markup=keyboard("Stop")
    )
    await bot.edit_message_text("Done", user.id, sent.message_id)

    record = user.messages[0]
    assert isinstance(edited, Message)
    assert edited.text == "Sending 5/10"
    assert edited.edit_date is not None
    assert record.text == "Done"
    assert record.buttons == []
    assert [edit.text for edit in record.edits] == ["Sending 5/10", "Done"]
    assert record.edits[0].buttons == [[("Stop", "stop")]]
    assert [r.method for r in sandbox.sent] == ["sendMessage", "editMessageText", "editMessageText"]


async def test_editing_a_message_that_does_not_exist_is_refused(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1001)

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", 1001, 77)


async def test_an_edit_that_changes_nothing_is_refused(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    sent = await bot.send_message(
        user.id, "<b>Same</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard("A")
    )

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Same</b>",
            user.id,
            sent.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard("A"),
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard("A"))
    assert user.messages[0].edits == []


async def test_edit_reply_markup_replaces_or_removes_the_buttons(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001)
    sent = await bot.send_message(user.id, "Pick", reply_markup=keyboard("A", "B"))

    await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard("C"))
    assert user.messages[0].buttons == [[("C", "c")]]
    await bot.edit_message_reply_markup(user.id, sent.message_id)
    assert user.messages[0].buttons == []
    assert user.messages[0].text == "Pick"


async def test_a_deleted_message_is_marked_and_cannot_be_deleted_or_edited_again(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001)
    sent = await bot.send_message(user.id, "temporary")

    assert await bot.delete_message(user.id, sent.message_id)

    assert user.messages[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("back?", user.id, sent.message_id)


async def test_a_document_upload_is_recorded_with_its_name_and_bytes(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001)

    message = await bot.send_document(
        user.id,
        b'{"entries": []}',
        filename="export.json",
        caption="Your <b>data</b>",
        parse_mode=ParseMode.HTML,
    )

    record = user.messages[0]
    assert record.document is not None
    assert record.document.file_name == "export.json"
    assert record.document.content == b'{"entries": []}'
    assert record.text == "Your data"
    assert message.document is not None
    assert message.document.file_name == "export.json"
    assert message.caption == "Your data"
    again = await bot.send_document(user.id, message.document.file_id)
    assert again.document is not None
    assert again.document.file_id == message.document.file_id


async def test_a_photo_upload_is_recorded(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)

    message = await bot.send_photo(user.id, b"\x89PNG fake", caption="chart")

    assert user.messages[0].photo is not None
    assert user.messages[0].photo.content == b"\x89PNG fake"
    assert message.photo
    assert message.caption == "chart"


async def test_callback_data_longer_than_64_bytes_is_refused(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1001)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])

    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(1001, "x", reply_markup=too_long)


async def test_a_chat_action_is_accepted_and_a_wrong_one_refused(
    sandbox: Sandbox, bot: Bot, http: httpx.AsyncClient, api: str
) -> None:
    sandbox.user(1001)

    assert await bot.send_chat_action(1001, "typing")
    response = await http.post(f"{api}/sendChatAction", json={"chat_id": 1001, "action": "dancing"})
    assert response.status_code == 400
