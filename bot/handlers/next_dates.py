"""/next: for each procedure the earliest date, blocked windows ahead, reminders to come."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.kit.screens import reply
from bot.render.common import ask_to_start
from bot.render.outlook import outlook_keyboard, outlook_text
from bot.usecases.overview import overview


async def on_next(update: Update, context: AppContext) -> None:
    """Show the patient's outlook from today."""
    patient = context.patient
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return
    services = context.services
    found = await overview(services.database, patient, services.clock.now())
    t = context.t
    await reply(update, outlook_text(found, t), outlook_keyboard(found, t))


def register(application: BotApp) -> None:
    """Register /next."""
    application.add_handler(CommandHandler("next", on_next))
