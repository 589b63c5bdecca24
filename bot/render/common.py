"""Answers every flow shares: stale buttons, "send /start first", cancelled, errors."""

from __future__ import annotations

from bot.i18n import Translator


def out_of_date(t: Translator) -> str:
    """The short notice on a stale or forged button press."""
    return t.gettext("This is out of date.")


def nothing_changed(t: Translator, detail: str | None = None) -> str:
    """The message after a stale or forged press: out of date, what to do, nothing changed."""
    parts = [out_of_date(t)]
    if detail:
        parts.append(detail)
    parts.append(t.gettext("Nothing was changed."))
    return " ".join(parts)


def ask_to_start(t: Translator) -> str:
    """The answer to anyone who has not consented yet."""
    return t.gettext("Please send /start first: I need your consent before I store anything.")


def cancelled(t: Translator) -> str:
    """What a cancelled flow that would have saved something says."""
    return t.gettext("Cancelled, nothing was saved.")


def something_went_wrong(t: Translator) -> str:
    """The apology after an unexpected failure (the details go to the log, not the chat)."""
    return t.gettext(
        "Sorry, something went wrong on our side. Nothing was changed; please try again."
    )


def only_text(t: Translator, *, signed_up: bool) -> str:
    """Stickers, photos, voice, files: we only read text."""
    if signed_up:
        hint = t.gettext("Try /log, or write something like “had botox yesterday”.")
    else:
        hint = t.gettext("Send /start to begin.")
    return t.gettext("I can only read text.") + " " + hint


def unknown_command(t: Translator) -> str:
    """A command no flow knows."""
    return t.gettext("I don't know that command. /help lists what I can do.")


def slow_down(t: Translator) -> str:
    """Said once to someone sending far more than anyone types."""
    return t.gettext(
        "You are sending messages faster than I can answer them. Please wait a few seconds; "
        "I will answer again then."
    )


def nothing_to_cancel(t: Translator) -> str:
    """/cancel when no flow is open."""
    return t.gettext("Nothing to cancel.")
