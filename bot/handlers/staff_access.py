"""What every staff screen shares: who is staff of which clinic, refusals, the staff menu."""

from __future__ import annotations

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)

from bot import callbacks
from bot.context import AppContext
from bot.handlers.commands_menu import patient_commands
from bot.handlers.common import current_patient, language_of, reply
from bot.i18n import Translator, translator
from bot.usecases.clinics import staff_clinics
from storage.records import Clinic

STAFF_COMMANDS = ("broadcast", "guidance", "stats")


def staff_commands(language: str) -> list[BotCommand]:
    """A staff chat's menu: the staff commands first, then the patients' ones."""
    _ = translator(language).gettext
    return [
        BotCommand("broadcast", _("Message your clinic's patients")),
        BotCommand("guidance", _("Your clinic's spacing rules")),
        BotCommand("stats", _("Your clinic's numbers")),
        *patient_commands(language),
    ]


async def publish_staff_commands(bot: Bot, chat_id: int, language: str) -> None:
    """Show the staff commands in this chat only; patients' chats keep the default menu."""
    await bot.set_my_commands(staff_commands(language), scope=BotCommandScopeChat(chat_id))


async def translator_for(update: Update, context: AppContext) -> Translator:
    """The language of the person pressing: their patient setting, else Telegram's."""
    return language_of(update, await current_patient(update, context))


async def refuse(update: Update, t: Translator) -> None:
    """The plain answer to anyone who is not staff."""
    await reply(update, t.gettext("Sorry, this command is for clinic staff only."))


async def staff_clinic(update: Update, context: AppContext, prefix: str) -> Clinic | None:
    """The clinic a staff command acts for; asks which one when the user has several.

    Returns None when the user is not staff (after refusing) or was asked to choose
    (the choice comes back as the button `prefix:c:<clinic id>`).
    """
    user = update.effective_user
    t = await translator_for(update, context)
    if user is None:
        return None
    clinics = await staff_clinics(context.services.database, user.id)
    if not clinics:
        await refuse(update, t)
        return None
    if len(clinics) == 1:
        return clinics[0]
    buttons = [
        [
            InlineKeyboardButton(
                clinic.name[:60], callback_data=callbacks.pack(prefix, "c", clinic.id)
            )
        ]
        for clinic in clinics
    ]
    await reply(update, t.gettext("Which clinic?"), reply_markup=InlineKeyboardMarkup(buttons))
    return None


def clinic_id_of(part: str) -> int | None:
    """A clinic id from callback data, or None when it is not a plain number."""
    return int(part) if part.isascii() and part.isdigit() and len(part) < 12 else None
