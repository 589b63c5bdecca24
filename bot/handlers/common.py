"""Small helpers every handler shares: who is asking, in which language, and plain replies."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator, translator
from storage.records import Patient


async def current_patient(update: Update, context: AppContext) -> Patient | None:
    """The consenting patient behind this update, or None."""
    user = update.effective_user
    if user is None:
        return None
    async with context.services.database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(user.id)
    if patient is None or patient.consent_at is None:
        return None
    return patient


def language_of(update: Update, patient: Patient | None = None) -> Translator:
    """The patient's chosen language, else Telegram's, else English."""
    if patient is not None:
        return translator(patient.language)
    user = update.effective_user
    return translator(user.language_code if user else None)


async def reply(update: Update, text: str, **kwargs: object) -> None:
    """Send a message to the chat the update came from (message or button press).

    Button presses must still be acknowledged with `query.answer()` by the handler, once.
    """
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_message(text, **kwargs)  # type: ignore[arg-type]


async def ask_to_start(update: Update) -> None:
    """The answer to anyone who has not consented yet."""
    t = language_of(update)
    await reply(
        update,
        t.gettext("Please send /start first: I need your consent before I store anything."),
    )
