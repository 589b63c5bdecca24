"""The bot's side of the dashboard: the sign-in link a staff member gets, and refusals."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo

from bot.i18n import Translator
from bot.render.keyboards import keyboard, link
from storage.records import Clinic


def signin_text(url: str, clinic: Clinic, minutes: int, t: Translator) -> str:
    """The link, what it is for, and that it is theirs alone."""
    return "\n".join(
        [
            t.gettext("🖥 <b>Dashboard of {clinic}</b>").format(clinic=html.escape(clinic.name)),
            t.gettext(
                "Open this link to sign in. It works once, for {minutes} minutes, and only for "
                "you: do not forward it."
            ).format(minutes=minutes),
            f'<a href="{html.escape(url)}">{html.escape(url)}</a>',
        ]
    )


def signin_keyboard(url: str, t: Translator) -> InlineKeyboardMarkup:
    """One button that opens the link."""
    return keyboard([link(t.gettext("Open the dashboard"), url)])


def staff_only(t: Translator) -> str:
    """What a patient (or anyone not staff) gets for /dashboard."""
    return t.gettext("The dashboard is for clinic staff.")


def turned_off(t: Translator) -> str:
    """/dashboard while the process serves no dashboard (DASHBOARD_PORT unset)."""
    return t.gettext("The dashboard is not turned on for this bot. Ask your operator.")


def menu_button(url: str, t: Translator) -> MenuButtonWebApp:
    """The chat's menu button that opens the dashboard as a Telegram Mini App."""
    return MenuButtonWebApp(t.gettext("Dashboard"), WebAppInfo(url))
