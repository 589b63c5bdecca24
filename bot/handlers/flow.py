"""What several flows share: who a typed answer belongs to, editing screens, stale buttons.

Several flows ask for typed text (a date for /log, a new date in /history, ...), and their
conversations stay open until they finish or time out. So that a typed answer goes to the
question asked *last*, a flow marks the question it asks (`ask_for_text`) and its text
handler (`TextStep`) only matches while that mark stands. Any command or button press
clears the mark first (group -1, below): the user has moved on, and the handler that asks
a new question sets its own mark.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import reply
from bot.i18n import Translator

logger = logging.getLogger(__name__)

AWAITING = "awaiting_text"
# A new text message (not an edit of an old one, not a command).
TYPED_TEXT = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
# Runs before the flows (group 0): it only clears marks and never stops an update.
GATE_GROUP = -1


def ask_for_text(context: AppContext, step: str) -> None:
    """Mark that the next typed text answers `step` (e.g. "log:date")."""
    context.drafts[AWAITING] = step


def stop_asking(context: AppContext, step: str) -> None:
    """Drop the mark for `step` (and only it: another flow may have asked since)."""
    if context.drafts.get(AWAITING) == step:
        del context.drafts[AWAITING]


class TextStep(MessageHandler[AppContext, object]):
    """Plain text (not a command), but only while the user's last question is `step`."""

    def __init__(
        self,
        application: BotApp,
        step: str,
        callback: Callable[[Update, AppContext], Coroutine[Any, Any, object]],
    ) -> None:
        super().__init__(TYPED_TEXT, callback)
        self._application = application
        self.step = step

    def check_update(self, update: object) -> bool | dict[str, list[Any]] | None:
        """Match typed text while `step` is what the user was last asked."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        user_data = self._application.user_data.get(update.effective_user.id)
        if user_data is None or user_data.drafts.get(AWAITING) != self.step:
            return None
        return super().check_update(update)


async def show(
    update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Edit the pressed button's message into this screen, or send it as a new message.

    A typed answer always gets a new message. An edit that Telegram refuses (the message is
    too old, or was deleted) falls back to a new message; an unchanged screen is left alone.
    """
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            edited = await query.edit_message_text(text, reply_markup=reply_markup)
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return None
            logger.info("could not edit message, sending a new one: %s", error.message)
        else:
            return edited if isinstance(edited, Message) else None
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=reply_markup)


async def retire_keyboard(context: AppContext, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an earlier screen of a flow that has moved on (best effort)."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        # Already without buttons, or gone: either way nothing is left to press.
        logger.debug("could not retire keyboard of %s: %s", message_id, error.message)


async def drop_buttons(update: Update) -> None:
    """Take the buttons off the message whose button was pressed (best effort)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:
        logger.debug("could not drop buttons: %s", error.message)


async def out_of_date(update: Update, t: Translator, detail: str | None = None) -> None:
    """The answer to a stale or forged button: say so, change nothing."""
    text = t.gettext("This is out of date.")
    query = update.callback_query
    if query is not None:
        await query.answer(text)
    await reply(
        update, text + (" " + detail if detail else "") + " " + t.gettext("Nothing was changed.")
    )


async def _forget_question(update: Update, context: AppContext) -> None:
    context.drafts.pop(AWAITING, None)


def register(application: BotApp) -> None:
    """Clear a pending question on any command or button press (inert buttons aside)."""
    application.add_handler(MessageHandler(filters.COMMAND, _forget_question), group=GATE_GROUP)
    application.add_handler(
        CallbackQueryHandler(_forget_question, pattern=f"^(?!{callbacks.NOOP}(:|$))"),
        group=GATE_GROUP,
    )
