"""The command menu Telegram shows beside the text field, per language."""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, translator


def patient_commands(language: str) -> list[BotCommand]:
    """The patients' commands with descriptions in `language`."""
    _ = translator(language).gettext
    return [
        BotCommand("log", _("Log a treatment you had or plan")),
        BotCommand("next", _("When each procedure is possible next")),
        BotCommand("history", _("Your treatments: change or delete")),
        BotCommand("settings", _("Time zone, reminder time, language, clinic")),
        BotCommand("help", _("How Interval works")),
        BotCommand("export", _("Download everything stored about you")),
        BotCommand("delete", _("Delete everything stored about you")),
        BotCommand("stop", _("Pause all messages")),
        BotCommand("cancel", _("Stop what we are doing")),
        BotCommand("start", _("Start or resume")),
    ]


async def publish_patient_commands(bot: Bot) -> None:
    """Set the default command menu, and one per supported language."""
    await bot.set_my_commands(patient_commands(DEFAULT_LANGUAGE))
    for language in SUPPORTED_LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            await bot.set_my_commands(patient_commands(language), language_code=language)
