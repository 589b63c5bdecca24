"""/export, /delete and /stop as the patient sees them.

Delete buttons carry the request's nonce (`DeleteAsk`, `DeleteConfirm`): it is issued by
/delete for this chat only and kept in memory, so a forged, replayed or old button cannot
skip a question.
"""

from __future__ import annotations

import json
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import DeleteAsk, DeleteConfirm, PrivacyKeep
from bot.i18n import Translator
from bot.render.keyboards import button
from bot.usecases.privacy import Export


def export_filename(today: date) -> str:
    """`interval-export-2026-11-24.json`."""
    return f"interval-export-{today.isoformat()}.json"


def export_bytes(export: Export) -> bytes:
    """The export as a readable JSON file."""
    return json.dumps(export.document, ensure_ascii=False, indent=2).encode()


def export_caption(today: date, t: Translator) -> str:
    """The caption of the export document."""
    return t.gettext(
        "📦 Everything Interval stores about you, as of {date}. It holds health "
        "information: keep it somewhere private."
    ).format(date=t.long_date(today))


def nothing_to_export(t: Translator) -> str:
    """/export from someone we store nothing about."""
    return t.gettext("Nothing is stored about you, so there is nothing to export.")


def nothing_to_delete(t: Translator) -> str:
    """/delete from someone we store nothing about."""
    return t.gettext("Nothing is stored about you, so there is nothing to delete.")


def _keep(t: Translator) -> InlineKeyboardButton:
    return button(t.gettext("Keep my data"), PrivacyKeep())


def first_question(t: Translator) -> str:
    """The first of the two questions."""
    # Says what deleting cannot do as plainly as what it does (docs/privacy.md has it all):
    # a send already under way finishes, and the clinic keeps its anonymous record.
    return t.gettext(
        "🗑 This deletes everything Interval stores about you: your treatment dates, your "
        "settings, your link to a clinic and every planned reminder. You can download a "
        "copy first with /export.\n\n"
        "Good to know:\n"
        "• A message already on its way to you may still arrive, once.\n"
        "• The clinic's record of what happened (for example that a member joined, or that "
        "data was deleted) and the totals of its broadcasts are kept, with nothing left that "
        "points to you: they let the clinic account for its own actions and messages.\n"
        "• Messages already in this chat stay in Telegram; you can delete them there.\n"
        "Everything Interval stores, and for how long, is listed on Interval's privacy page "
        "(docs/privacy.md).\n\n"
        "Are you sure?"
    )


def first_keyboard(nonce: str, t: Translator) -> InlineKeyboardMarkup:
    """Yes (go on to the second question) or keep."""
    yes = button(t.gettext("Yes, delete"), DeleteAsk(nonce))
    return InlineKeyboardMarkup([[yes], [_keep(t)]])


def second_question(t: Translator) -> str:
    """The second question."""
    return t.gettext("⚠️ Really delete everything? This cannot be undone.")


def second_keyboard(nonce: str, t: Translator) -> InlineKeyboardMarkup:
    """Keep first: a quick double tap on "Yes" lands on the harmless button."""
    delete = button(t.gettext("Delete everything"), DeleteConfirm(nonce))
    return InlineKeyboardMarkup([[_keep(t)], [delete]])


def deleted(t: Translator) -> str:
    """After deleting."""
    return t.gettext(
        "✅ Done: everything Interval stored about you is deleted, and nothing new will be "
        "sent to you (a message that was already on its way may still arrive, once). If you "
        "ever want to begin again, send /start."
    )


def kept(t: Translator) -> str:
    """After "keep my data" or /cancel."""
    return t.gettext("Nothing was deleted: your data is kept.")


def start_again(t: Translator) -> str:
    """Added to "out of date" for a delete button that is stale, replayed or forged."""
    return t.gettext("Send /delete to start again.")


def paused(t: Translator) -> str:
    """After /stop."""
    return t.gettext(
        "⏸ Paused: I will not send you reminders or clinic news until you send /start. "
        "Your data is kept; /delete removes it."
    )


def already_paused(t: Translator) -> str:
    """/stop when already paused."""
    return t.gettext("Messages are already paused. Send /start to turn them on again.")


def nothing_to_pause(t: Translator) -> str:
    """/stop from someone who never signed up."""
    return t.gettext("There is nothing to pause: I only write to people who signed up with /start.")
