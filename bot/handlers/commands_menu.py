"""Publishing the command menus: the patients' one per language, a staff chat's own."""

from __future__ import annotations

from telegram import Bot, BotCommandScopeChat

from bot.i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from bot.render.commands import patient_commands, staff_commands


async def publish_patient_commands(bot: Bot) -> None:
    """Set the default command menu, and one per supported language."""
    await bot.set_my_commands(patient_commands(DEFAULT_LANGUAGE))
    for language in SUPPORTED_LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            await bot.set_my_commands(patient_commands(language), language_code=language)


async def publish_staff_commands(bot: Bot, chat_id: int, language: str) -> None:
    """Show the staff commands in this chat only; patients' chats keep the default menu."""
    await bot.set_my_commands(staff_commands(language), scope=BotCommandScopeChat(chat_id))
