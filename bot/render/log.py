"""/log and free text as the patient sees them: the procedure choice, the confirm screen."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import FreeTextCancel, FreeTextSave, LogCancel, LogProcedure, LogSave
from bot.i18n import Translator
from bot.render.keyboards import button, keyboard
from bot.render.words import capitalised, procedure_name
from bot.usecases.history import Review
from rules import Procedure


def choose_text(t: Translator) -> str:
    """The first question of /log."""
    return t.gettext("What would you like to log?")


def cancel_button(t: Translator) -> InlineKeyboardButton:
    """Cancel, under every /log screen."""
    return button(t.gettext("Cancel"), LogCancel())


def procedure_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """One button per procedure, then Cancel."""
    return keyboard(
        [button(capitalised(procedure_name(p, t)), LogProcedure(p)) for p in Procedure],
        [cancel_button(t)],
    )


def _save_label(review: Review, t: Translator) -> str:
    return t.gettext("⚠️ Save anyway") if review.violations else t.gettext("✅ Save")


def confirm_keyboard(review: Review, t: Translator) -> InlineKeyboardMarkup:
    """/log's confirm screen: Save (or "Save anyway" when the entry breaks a rule), Cancel."""
    return keyboard(
        [button(_save_label(review, t), LogSave(review.procedure, review.on))],
        [cancel_button(t)],
    )


def understood_keyboard(review: Review, t: Translator) -> InlineKeyboardMarkup:
    """Free text's confirm screen: Save, or another date in /log's calendar, or Cancel."""
    return keyboard(
        [button(_save_label(review, t), FreeTextSave(review.procedure, review.on))],
        [
            button(t.gettext("📅 Another date"), LogProcedure(review.procedure)),
            button(t.gettext("Cancel"), FreeTextCancel()),
        ],
    )


def already_saved_notice(t: Translator) -> str:
    """The press notice when the entry was already stored."""
    return t.gettext("Already saved.")


def saved_notice(t: Translator) -> str:
    """The press notice after saving."""
    return t.gettext("Saved.")


def timed_out_text(t: Translator) -> str:
    """/log left open for the conversation timeout."""
    return t.gettext("⌛ I stopped waiting, so nothing was saved. Send /log to start again.")


def too_long_text(t: Translator) -> str:
    """A free-text message longer than any way of saying what was done."""
    return t.gettext(
        "That's too long for me. Tell me in one short sentence, for example “had botox yesterday”."
    )


def hint_text(t: Translator) -> str:
    """Examples of what free text can say."""
    return t.gettext(
        "I didn't catch a treatment and a date in that. I know Botox and microneedling; "
        "write for example:\n"
        "• had botox yesterday\n"
        "• microneedling on 20.11\n"
        "• botox planned 10 dec\n"
        "Or use /log to pick from buttons."
    )
