"""/dashboard: a staff member gets a single-use sign-in link to the clinic dashboard.

The link goes to their private chat only (groups are turned away before this), without a
link preview: a preview would be Telegram's servers opening the link, and using it up.
When the dashboard's address is https, the chat's menu button also opens it as a Mini App.
"""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.context import AppContext, BotApp
from bot.kit.screens import reply
from bot.render import dashboard as view
from bot.usecases.dashboard import SIGNIN_TTL, issue_signin

logger = logging.getLogger(__name__)


async def on_dashboard(update: Update, context: AppContext) -> None:
    """/dashboard: the sign-in link for staff; patients are told it is for clinic staff."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services, t = context.services, context.t
    settings = services.settings
    if settings.dashboard_port is None:
        await reply(update, view.turned_off(t))
        return
    issued = await issue_signin(services.database, user.id, services.clock.now())
    if issued is None:
        await reply(update, view.staff_only(t))
        return
    base = settings.dashboard_base_url
    url = f"{base}/signin/{issued.token}"
    minutes = int(SIGNIN_TTL.total_seconds() // 60)
    await chat.send_message(
        view.signin_text(url, issued.clinic, minutes, t),
        reply_markup=view.signin_keyboard(url, t),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    if base.startswith("https://"):
        try:
            await context.bot.set_chat_menu_button(chat.id, view.menu_button(f"{base}/", t))
        except TelegramError:
            # The link works without it; the button is a convenience.
            logger.warning("could not set the dashboard menu button for chat %s", chat.id)


def register(application: BotApp) -> None:
    """Register /dashboard (private chats)."""
    application.add_handler(
        CommandHandler("dashboard", on_dashboard, filters=filters.ChatType.PRIVATE)
    )
