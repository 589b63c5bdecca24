"""The catch-all, registered last: whatever no flow took gets a short, useful answer.

Only private chats are answered: in a group, a command may be meant for another bot. Any
button press no typed handler took (stale, forged, from a future version) is out of date.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.buttons import Noop
from bot.context import AppContext, BotApp
from bot.kit.buttons import Button
from bot.kit.screens import answer, reply, stale
from bot.render import common as texts

PRIVATE_MESSAGE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


async def on_attachment(update: Update, context: AppContext) -> None:
    """Stickers, photos, voice, contacts, locations, files: we only read text."""
    await reply(update, texts.only_text(context.t, signed_up=context.patient is not None))


async def on_unknown_command(update: Update, context: AppContext) -> None:
    """A command no module knows."""
    await reply(update, texts.unknown_command(context.t))


async def on_cancel(update: Update, context: AppContext) -> None:
    """/cancel when no flow is open (each flow answers its own /cancel)."""
    await reply(update, texts.nothing_to_cancel(context.t))


async def on_noop(update: Update, context: AppContext, pressed: Noop) -> None:
    """An inert button: acknowledge, nothing else."""
    await answer(update, context)


async def on_unknown_button(update: Update, context: AppContext) -> None:
    """A button no flow took: data that is stale or forged."""
    await stale(update, context)


def register(application: BotApp) -> None:
    """Register the catch-all handlers; this module must come last."""
    application.add_handler(CommandHandler("cancel", on_cancel, filters=PRIVATE_MESSAGE))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.ATTACHMENT, on_attachment))
    application.add_handler(Button(Noop, on_noop))
    application.add_handler(CallbackQueryHandler(on_unknown_button))
