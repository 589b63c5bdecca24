"""/broadcast as staff see it: writing, the preview, the audience, confirming, progress."""

from __future__ import annotations

import html
from typing import Literal
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.buttons import (
    BroadcastAudience,
    BroadcastDays,
    BroadcastDrop,
    BroadcastSend,
    BroadcastStop,
)
from bot.i18n import Translator
from bot.render.broadcasts import MAX_MESSAGE_LENGTH
from bot.render.counts import plural, shown
from bot.render.keyboards import button, keyboard
from bot.usecases.broadcasts import Limited
from storage.records import Clinic


def write_prompt(clinic: Clinic, t: Translator) -> str:
    """Asking for the broadcast's text."""
    return t.gettext(
        "📣 Write the message for the patients of <b>{clinic}</b>. Formatting is kept "
        "(bold, italics, links; or HTML such as &lt;b&gt;bold&lt;/b&gt;). I add a footer "
        "with your clinic's name and the provider reminder, and show you a preview first. "
        "/cancel stops."
    ).format(clinic=html.escape(clinic.name))


def too_long(length: int, t: Translator) -> str:
    """A text that, with the footer, is over Telegram's limit."""
    return t.gettext(
        "That is too long: with the footer it is {length} characters, and Telegram "
        "allows {limit}. Please shorten it by {over} characters and send it again."
    ).format(length=length, limit=MAX_MESSAGE_LENGTH, over=length - MAX_MESSAGE_LENGTH)


def empty(t: Translator) -> str:
    """An empty text."""
    return t.gettext("The message is empty. Please write something.")


def formatting_refused(reason: str, t: Translator) -> str:
    """Telegram could not parse the text's HTML."""
    return t.gettext(
        "Telegram could not read that formatting ({reason}). Please fix it and send the text again."
    ).format(reason=html.escape(reason))


def audience_question(t: Translator) -> str:
    """Under the preview: who receives it."""
    return t.gettext(
        "☝️ That is the preview, exactly as patients will see it. Who should receive it? "
        "(Or send a new text to replace it.)"
    )


def audience_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """All members, done in a window, planned in a window; Cancel."""
    return keyboard(
        [button(t.gettext("All active members"), BroadcastAudience("all"))],
        [button(t.gettext("Procedure done in the last … days"), BroadcastAudience("done"))],
        [button(t.gettext("Procedure planned in the next … days"), BroadcastAudience("planned"))],
        [button(t.gettext("Cancel"), BroadcastDrop())],
    )


def days_question(kind: str, t: Translator) -> str:
    """How wide the window is (one of a few: a narrow one could point at one person)."""
    if kind == "done":
        return t.gettext("Done in the last how many days?")
    return t.gettext("Planned in the next how many days?")


def days_keyboard(kind: Literal["done", "planned"]) -> InlineKeyboardMarkup:
    """The windows there are."""
    return keyboard([button(str(days), BroadcastDays(kind, days)) for days in (7, 30, 90)])


def confirm_keyboard(
    clinic_id: int, broadcast_id: int, count: int, t: Translator
) -> InlineKeyboardMarkup:
    """Send to N members, or cancel the stored draft."""
    send = t.ngettext(
        "✅ Send to {count} member", "✅ Send to {count} members", plural(count)
    ).format(count=shown(count, t))
    return keyboard(
        [
            button(send, BroadcastSend(clinic_id, broadcast_id)),
            button(t.gettext("Cancel"), BroadcastStop(clinic_id, broadcast_id)),
        ]
    )


def stop_keyboard(clinic_id: int, broadcast_id: int, t: Translator) -> InlineKeyboardMarkup:
    """Under the progress message while it sends."""
    return keyboard([button(t.gettext("⏹ Stop sending"), BroadcastStop(clinic_id, broadcast_id))])


def start_again(t: Translator) -> str:
    """A broadcast button whose draft is gone."""
    return t.gettext("This is out of date. Start again with /broadcast.")


def not_yours(t: Translator) -> str:
    """A confirm pressed by someone other than the author."""
    return t.gettext("Sorry, this button is not for you.")


def already_done(t: Translator) -> str:
    """A confirm or stop of a broadcast that went or was cancelled."""
    return t.gettext("This broadcast was already sent or cancelled.")


def limited_text(limited: Limited, t: Translator) -> str:
    """Why a broadcast may not go yet, and from when it may (in the clinic's time)."""
    until = limited.until.astimezone(ZoneInfo(limited.timezone))
    when = t.gettext("{date} at {time}").format(
        date=t.long_date(until.date()), time=until.strftime("%H:%M")
    )
    if limited.reason == "daily_cap":
        return t.ngettext(
            "Your clinic has sent {cap} broadcast in the last 24 hours, the most allowed. "
            "The next can go from {when}.",
            "Your clinic has sent {cap} broadcasts in the last 24 hours, the most allowed. "
            "The next can go from {when}.",
            limited.cap,
        ).format(cap=limited.cap, when=when)
    return t.gettext(
        "Your clinic sent a broadcast a short while ago. So that patients are not flooded, "
        "the next can go from {when}."
    ).format(when=when)


def sending(t: Translator) -> str:
    """The press notice when sending starts."""
    return t.gettext("Sending.")


def nothing_sent(t: Translator) -> str:
    """A draft cancelled before anything went."""
    return t.gettext("Cancelled. Nothing was sent.")
