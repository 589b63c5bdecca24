"""The catch-all, registered last: whatever no flow took gets a short, useful answer.

Only private chats are answered: in a group, a command may be meant for another bot.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import current_patient, language_of, reply
from bot.handlers.flow import out_of_date

PRIVATE_MESSAGE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


async def on_attachment(update: Update, context: AppContext) -> None:
    """Stickers, photos, voice, contacts, locations, files: we only read text."""
    patient = await current_patient(update, context)
    t = language_of(update, patient)
    if patient is None:
        hint = t.gettext("Send /start to begin.")
    else:
        hint = t.gettext("Try /log, or write something like “had botox yesterday”.")
    await reply(update, t.gettext("I can only read text.") + " " + hint)


async def on_unknown_command(update: Update, context: AppContext) -> None:
    """A command no module knows."""
    t = language_of(update, await current_patient(update, context))
    await reply(update, t.gettext("I don't know that command. /help lists what I can do."))


async def on_cancel(update: Update, context: AppContext) -> None:
    """/cancel when no flow is open (each flow answers its own /cancel)."""
    t = language_of(update, await current_patient(update, context))
    await reply(update, t.gettext("Nothing to cancel."))


async def on_unknown_button(update: Update, context: AppContext) -> None:
    """A button no flow took: a no-op button, or data that is stale or forged."""
    query = update.callback_query
    assert query is not None
    if query.data == callbacks.NOOP or callbacks.unpack(query.data, callbacks.NOOP) is not None:
        await query.answer()
        return
    await out_of_date(update, language_of(update, await current_patient(update, context)))


def register(application: BotApp) -> None:
    """Register the catch-all handlers; this module must come last."""
    application.add_handler(CommandHandler("cancel", on_cancel, filters=PRIVATE_MESSAGE))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.ATTACHMENT, on_attachment))
    application.add_handler(CallbackQueryHandler(on_unknown_button))
