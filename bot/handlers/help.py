"""/help: what Interval does, its commands and free text, in the asker's language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.kit.screens import reply
from bot.render.commands import patient_commands
from bot.render.help import help_text


async def on_help(update: Update, context: AppContext) -> None:
    """/help, for patients and for people who have not signed up yet."""
    t = context.t
    signed_up = context.patient is not None
    await reply(update, help_text(patient_commands(t.language), t, signed_up=signed_up))


def register(application: BotApp) -> None:
    """Register /help."""
    application.add_handler(CommandHandler("help", on_help))
