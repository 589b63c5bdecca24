"""/start: welcome, consent, time zone, and clinic deep links."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.i18n import translator


async def on_start(update: Update, context: AppContext) -> None:
    """Greet the user and explain what the bot does."""
    assert update.effective_message is not None
    user = update.effective_user
    _ = translator(user.language_code if user else None).gettext
    await update.effective_message.reply_text(
        _(
            "Welcome to Interval. I work out when microneedling and Botox can safely follow "
            "each other and remind you on the right day.\n\n"
            "This is guidance, not medical advice: always confirm dates with your provider."
        )
    )


def register(application: BotApp) -> None:
    """Register /start."""
    application.add_handler(CommandHandler("start", on_start))
