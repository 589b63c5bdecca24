"""The command menus Telegram shows beside the text field, per language."""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import translator


def patient_commands(language: str) -> list[BotCommand]:
    """The patients' commands with descriptions in `language`."""
    _ = translator(language).gettext
    return [
        BotCommand("log", _("Log a treatment you had or plan")),
        BotCommand("next", _("When each procedure is possible next")),
        BotCommand("calendar", _("Your dates as a file for your calendar")),
        BotCommand("timeline", _("Your treatments and dates as a picture")),
        BotCommand("ask", _("Ask your clinic a question")),
        BotCommand("history", _("Your treatments: change or delete")),
        BotCommand("settings", _("Time zone, reminder time, language, clinic")),
        BotCommand("help", _("How Interval works")),
        BotCommand("export", _("Download everything stored about you")),
        BotCommand("delete", _("Delete everything stored about you")),
        BotCommand("stop", _("Pause all messages")),
        BotCommand("cancel", _("Stop what we are doing")),
        BotCommand("start", _("Start or resume")),
    ]


def staff_commands(language: str) -> list[BotCommand]:
    """A staff chat's menu: the staff commands first, then the patients' ones."""
    _ = translator(language).gettext
    return [
        BotCommand("broadcast", _("Message your clinic's patients")),
        BotCommand("guidance", _("Your clinic's spacing rules")),
        BotCommand("stats", _("Your clinic's numbers")),
        BotCommand("staff", _("Your clinic's staff, invites and join link")),
        BotCommand("dashboard", _("Sign in to your clinic's web dashboard")),
        *patient_commands(language),
    ]
