"""Showing a flow's screens: replies, edits in place, retiring buttons, stale presses."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.delivery.transport import ReplyBot
from bot.render.common import nothing_changed, out_of_date

logger = logging.getLogger(__name__)


async def reply(
    update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> int | None:
    """Send a message to the chat the update came from; the new message's id."""
    chat = update.effective_chat
    if chat is None:
        return None
    bot = update.get_bot()
    if isinstance(bot, ReplyBot):
        return await bot.send_html(chat.id, text, reply_markup)
    return (await chat.send_message(text, reply_markup=reply_markup)).message_id


async def answer(
    update: Update, context: AppContext, text: str | None = None, *, alert: bool = False
) -> None:
    """Acknowledge a button press, optionally with a short notice or an alert.

    Telegram takes one answer per press: a second call for the same update does nothing,
    so a flow can answer early (to stop the spinner) and a later step need not know.
    """
    query = update.callback_query
    if query is not None and not context.answered:
        context.answered = True
        await query.answer(text, show_alert=alert)


async def show(
    update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> int | None:
    """Edit the pressed button's message into this screen, or send it as a new message.

    The screen's message id. A typed answer always gets a new message. An edit that
    Telegram refuses (the message is too old, or was deleted) falls back to a new message;
    an unchanged screen is left alone (None).
    """
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            return await _edit(
                update, query.message.chat.id, query.message.message_id, text, reply_markup
            )
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return None
            logger.info("could not edit message, sending a new one: %s", error.message)
    return await reply(update, text, reply_markup)


async def _edit(
    update: Update,
    chat_id: int,
    message_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None,
) -> int:
    bot = update.get_bot()
    if isinstance(bot, ReplyBot):
        return await bot.edit_html(chat_id, message_id, text, reply_markup)
    await bot.edit_message_text(text, chat_id, message_id, reply_markup=reply_markup)
    return message_id


async def replace_keyboard(update: Update, reply_markup: InlineKeyboardMarkup | None) -> None:
    """Change only the buttons of the pressed message (a calendar turning its page)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=reply_markup)
    except BadRequest as error:
        logger.debug("could not change the buttons: %s", error.message)


async def drop_buttons(update: Update) -> None:
    """Take the buttons off the message whose button was pressed (best effort)."""
    await replace_keyboard(update, None)


async def retire_keyboard(context: AppContext, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an earlier screen of a flow that has moved on (best effort)."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        # Already without buttons, or gone: either way nothing is left to press.
        logger.debug("could not retire keyboard of %s: %s", message_id, error.message)


async def stale(update: Update, context: AppContext, detail: str | None = None) -> None:
    """The answer to a stale or forged button: say so, change nothing."""
    t = context.t
    await answer(update, context, out_of_date(t))
    await reply(update, nothing_changed(t, detail))
