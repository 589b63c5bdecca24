"""What every staff screen shares: refusals, choosing a clinic, leaving a staff flow."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardMarkup

from bot.callbacks import CallbackData
from bot.i18n import Translator
from bot.render.keyboards import button, keyboard
from storage.records import Clinic


def refused(t: Translator) -> str:
    """The plain answer to anyone who is not staff."""
    return t.gettext("Sorry, this command is for clinic staff only.")


def which_clinic(t: Translator) -> str:
    """Asked of staff of several clinics."""
    return t.gettext("Which clinic?")


def clinic_keyboard(
    clinics: Sequence[Clinic], choose: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """One button per clinic; `choose(clinic id)` is what a press carries."""
    return keyboard(*([button(clinic.name[:60], choose(clinic.id))] for clinic in clinics))


def stopped(t: Translator) -> str:
    """/cancel inside a staff flow."""
    return t.gettext("Stopped. Nothing was sent or changed.")


def timed_out(t: Translator) -> str:
    """A staff flow left open for the conversation timeout."""
    return t.gettext("⌛ I stopped waiting: nothing was sent or changed.")
