"""Patient and staff features work only in a private chat with the bot, by construction.

Treatment dates are health data: `/export` in a group would post someone's file to
everyone, `/next` their dates, and "I agree" would store the group as a patient. So every
update from a group, supergroup or channel stops here, before anything reads or stores a
thing (group -15: after the throttle, before `who`):

- the bot added to a group says once what it is for, with a button to the private chat;
- a command, a button press, a reply to the bot, a mention of it, or text that reads as a
  treatment gets one short line pointing to the private chat (a deep link landing on the
  same command: `/start c_<command>`);
- anything else in a group (people talking to each other) gets nothing.

The landing in the private chat runs the command as if typed there (`land`).
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import AppContext, BotApp
from bot.i18n import translator
from bot.kit.screens import reply
from bot.parsing.dates import ImpossibleDateError
from bot.parsing.free_text import NotATreatmentError, parse_free_text
from bot.render import private_only as view
from bot.render.onboarding import link_not_valid

GROUP_GATE = -15
COMMAND_PREFIX = "c_"
# The commands a group's pointer can land on in the private chat.
LANDING = frozenset(
    {
        "start",
        "log",
        "next",
        "calendar",
        "timeline",
        "ask",
        "history",
        "settings",
        "export",
        "delete",
        "stop",
        "help",
    }
)
_COMMAND = re.compile(r"^/([A-Za-z_]{1,32})(?:@\w+)?(?:\s|$)")
_JOINED = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR}


def t_language(update: Update) -> str:
    """The sender's language, for reading their text (a group has none of its own)."""
    user = update.effective_user
    return translator(user.language_code if user else None).language


def _deep_link(bot_username: str, command: str | None) -> str:
    payload = f"?start={COMMAND_PREFIX}{command}" if command in LANDING else ""
    return f"https://t.me/{bot_username}{payload}"


async def gate(update: Update, context: AppContext) -> None:
    """Stop every update that is not from a private chat; answer the ones meant for us."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    user = update.effective_user
    t = translator(user.language_code if user else None)
    bot = context.bot.username
    change = update.my_chat_member
    if change is not None:
        joined = change.new_chat_member.status in _JOINED
        was_out = change.old_chat_member.status not in _JOINED
        if joined and was_out and chat.type != ChatType.CHANNEL:
            await reply(
                update,
                view.introduction(bot, t),
                view.open_private_chat(_deep_link(bot, None), bot, t),
            )
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None:
        await query.answer(view.private_only(bot, t), show_alert=True)
        raise ApplicationHandlerStop
    message = update.effective_message
    if message is None or chat.type == ChatType.CHANNEL:
        raise ApplicationHandlerStop
    text = message.text or ""
    command = _COMMAND.match(text)
    if command is not None or _meant_for_us(update, context, text):
        target = command.group(1).lower() if command else None
        markup = view.open_private_chat(_deep_link(bot, target), bot, t)
        await reply(update, view.private_only(bot, t), markup)
    raise ApplicationHandlerStop


def _meant_for_us(update: Update, context: AppContext, text: str) -> bool:
    """A reply to the bot, a mention of it, or text that reads as a treatment."""
    message = update.effective_message
    if message is None:
        return False
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        return True
    if f"@{context.bot.username}".lower() in text.lower():
        return True
    try:
        today = context.services.clock.now().date()
        parse_free_text(text[:500], today=today, language=t_language(update))
    except (NotATreatmentError, ImpossibleDateError):
        return False
    return True


async def land(update: Update, context: AppContext, payload: str) -> None:
    """`/start c_<command>` in the private chat: run the command as if it was typed here."""
    command = payload[len(COMMAND_PREFIX) :]
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if command not in LANDING or message is None or user is None or chat is None:
        await reply(update, link_not_valid(context.t))
        return
    if command == "start":
        return  # /start itself was the landing: its answer is already on its way
    typed = f"/{command}"
    # The command as the patient would have typed it here (the landing may come from a
    # button press at the end of onboarding, so nothing of that update is reused).
    data = {
        "update_id": update.update_id,
        "message": {
            "message_id": message.message_id,
            "date": int(message.date.timestamp()),
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "text": typed,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(typed)}],
        },
    }
    # The same chat's turn is still ours (bot/update_processor.py), so it runs in order.
    await context.application.process_update(Update.de_json(data, context.bot))


def register(application: BotApp) -> None:
    """Stop group updates before anything reads or stores a thing; land on commands."""
    application.add_handler(TypeHandler(Update, gate), group=GROUP_GATE)
    application.bot_data.payload_handlers[COMMAND_PREFIX] = land
