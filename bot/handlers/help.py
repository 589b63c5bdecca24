"""/help: what Interval does, its commands and free text, in the asker's language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.handlers.commands_menu import patient_commands
from bot.handlers.common import current_patient, language_of, reply
from bot.render.help import help_text


async def on_help(update: Update, context: AppContext) -> None:
    """/help, for patients and for people who have not signed up yet."""
    patient = await current_patient(update, context)
    t = language_of(update, patient)
    commands = patient_commands(t.language)
    await reply(update, help_text(commands, t, signed_up=patient is not None))


def register(application: BotApp) -> None:
    """Register /help."""
    application.add_handler(CommandHandler("help", on_help))
