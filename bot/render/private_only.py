"""What the bot says in a group: it works only in a private chat, and where that is."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.render.keyboards import keyboard, link


def private_only(bot_username: str, t: Translator) -> str:
    """The one line a command in a group gets."""
    return t.gettext(
        "🔒 I only work in a private chat, so that your dates stay yours. Open @{bot}."
    ).format(bot=bot_username)


def introduction(bot_username: str, t: Translator) -> str:
    """Said once when someone adds the bot to a group."""
    return t.gettext(
        "👋 I am Interval: I help each patient space Botox and microneedling and remind them "
        "on the right day. I only work in a private chat with each person, so nothing about "
        "anyone's treatments is ever shown here. Open @{bot} to start."
    ).format(bot=bot_username)


def open_private_chat(url: str, bot_username: str, t: Translator) -> InlineKeyboardMarkup:
    """The button to the private chat (landing on the command, when there was one)."""
    return keyboard([link(t.gettext("Open @{bot}").format(bot=bot_username), url)])
