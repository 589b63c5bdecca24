"""Playing users: commands, media, button presses, waiting for replies, blocking."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import Bot, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden

from sandbox import Sandbox


def yes_no() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="c:yes"),
                InlineKeyboardButton("No", callback_data="c:no"),
            ]
        ]
    )


async def take_updates(bot: Bot) -> list[Update]:
    updates = await bot.get_updates(timeout=1)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return list(updates)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/start", "/start"),
        ("/start clinic_42", "/start"),
        ("/next@interval_test_bot", "/next@interval_test_bot"),
    ],
)
async def test_a_command_arrives_with_the_bot_command_entity_telegram_adds(
    sandbox: Sandbox, bot: Bot, text: str, command: str
) -> None:
    await sandbox.user(1001).send(text)

    (update,) = await take_updates(bot)

    assert update.message is not None
    entities = update.message.parse_entities()
    assert [(e.type, value) for e, value in entities.items()] == [("bot_command", command)]
    assert entities
    assert next(iter(entities)).offset == 0


async def test_plain_text_arrives_without_entities(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.user(1001).send("had botox yesterday")

    (update,) = await take_updates(bot)

    assert update.message is not None
    assert update.message.entities == ()


async def test_media_messages_reach_the_bot_as_typed_objects(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001, "Ana")

    await user.send_sticker()
    await user.send_photo(caption="my skin")
    await user.send_voice()
    await user.send_contact()
    await user.send_location()
    updates = await take_updates(bot)

    messages = [u.message for u in updates]
    assert all(m is not None for m in messages)
    sticker, photo, voice, contact, location = (m for m in messages if m is not None)
    assert sticker.sticker is not None
    assert photo.photo
    assert photo.caption == "my skin"
    assert voice.voice is not None
    assert contact.contact is not None
    assert contact.contact.user_id == 1001
    assert location.location is not None


async def test_pressing_a_button_sends_a_callback_query_and_records_the_answer(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001, "Ana")
    await bot.send_message(user.id, "Booked?", reply_markup=yes_no())
    reply = await user.next_message()

    query_id = await user.press(reply, "Yes")
    (update,) = await take_updates(bot)
    assert update.callback_query is not None
    await update.callback_query.answer("Noted", show_alert=True)

    assert update.callback_query.id == query_id
    assert update.callback_query.data == "c:yes"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == reply.message_id
    assert update.callback_query.from_user.id == user.id
    (answer,) = user.answered_callbacks
    assert (answer.query_id, answer.text, answer.show_alert, answer.data) == (
        query_id,
        "Noted",
        True,
        "c:yes",
    )


async def test_a_button_can_be_pressed_by_its_callback_data(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    await bot.send_message(user.id, "Booked?", reply_markup=yes_no())

    await user.press(await user.next_message(), callback_data="c:no")
    (update,) = await take_updates(bot)

    assert update.callback_query is not None
    assert update.callback_query.data == "c:no"


async def test_answering_a_query_twice_is_refused(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    await bot.send_message(user.id, "Booked?", reply_markup=yes_no())
    query_id = await user.press(await user.next_message(), "Yes")

    assert await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_pressing_a_button_that_is_not_there_fails_listing_the_buttons(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001)
    await bot.send_message(user.id, "Booked?", reply_markup=yes_no())

    listed = r"'Yes' \(c:yes\), 'No' \(c:no\)"
    with pytest.raises(AssertionError, match=rf"no button 'Maybe' .* {listed}"):
        await user.press(await user.next_message(), "Maybe")


async def test_forged_callback_data_reaches_the_bot_as_sent(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    sent = await bot.send_message(user.id, "Booked?", reply_markup=yes_no())

    await user.press_data(sent.message_id, "broadcast:confirm:999")
    (update,) = await take_updates(bot)

    assert update.callback_query is not None
    assert update.callback_query.data == "broadcast:confirm:999"


async def test_next_message_waits_for_the_bot(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)

    async def reply_later() -> None:
        await asyncio.sleep(0.2)
        await bot.send_message(user.id, "late reply")

    task = asyncio.create_task(reply_later())
    reply = await user.next_message(timeout=5)
    await task

    assert reply.text == "late reply"


async def test_next_message_gives_each_message_once_in_order(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.user(1001)
    await bot.send_message(user.id, "one")
    await bot.send_message(user.id, "two")

    assert (await user.next_message()).text == "one"
    assert (await user.next_message()).text == "two"
    assert user.skip_messages() == 0


async def test_next_message_times_out_with_a_report_of_what_happened(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001, "Ana")
    await bot.send_message(user.id, "Welcome")
    await user.next_message()
    with pytest.raises(BadRequest):
        await bot.send_message(user.id, "<b>oops", parse_mode="HTML")

    with pytest.raises(AssertionError) as error:
        await user.next_message(timeout=0.2)

    report = str(error.value)
    assert "no new message from the bot to Ana (chat 1001) within 0.2 s" in report
    assert "#1 [taken] 'Welcome'" in report
    assert "sendMessage -> 400 Bad Request: can't parse entities" in report


async def test_a_blocked_user_gets_403_and_the_bot_a_my_chat_member_update(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001, "Ana")

    await user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "reminder")
    await user.unblock()
    await bot.send_message(user.id, "welcome back")
    blocked, unblocked = await take_updates(bot)

    assert blocked.my_chat_member is not None
    assert unblocked.my_chat_member is not None
    assert blocked.my_chat_member.old_chat_member.status == ChatMember.MEMBER
    assert blocked.my_chat_member.new_chat_member.status == ChatMember.BANNED
    assert blocked.my_chat_member.new_chat_member.user.id == bot.id
    assert blocked.my_chat_member.from_user.id == user.id
    assert unblocked.my_chat_member.new_chat_member.status == ChatMember.MEMBER
    assert [m.text for m in user.messages] == ["welcome back"]
    assert sandbox.stats.forbidden_403 == 1


async def test_a_blocked_user_cannot_send_until_unblocking(sandbox: Sandbox) -> None:
    user = sandbox.user(1001)
    await user.block()

    with pytest.raises(AssertionError, match="blocked the bot"):
        await user.send("hello?")


async def test_raw_updates_can_be_pushed_for_edge_cases(sandbox: Sandbox, bot: Bot) -> None:
    edited: dict[str, Any] = {
        "edited_message": {
            "message_id": 5,
            "date": 0,
            "chat": {"id": 1001, "type": "private", "first_name": "Ana"},
            "text": "changed",
        }
    }

    update_id = sandbox.push_update(edited)
    (update,) = await take_updates(bot)

    assert update.update_id == update_id
    assert update.edited_message is not None
    assert update.edited_message.text == "changed"


async def test_wait_until_idle_returns_once_the_bot_took_every_update(
    sandbox: Sandbox, bot: Bot
) -> None:
    user = sandbox.user(1001)
    await user.send("hi")

    with pytest.raises(AssertionError, match="1 update"):
        await user.wait_until_idle(quiet=0.05, timeout=0.2)
    await take_updates(bot)
    await user.wait_until_idle(quiet=0.05, timeout=2)
