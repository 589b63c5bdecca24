"""The bot's own membership in a private chat: the user blocked it, or unblocked it.

A block ("kicked") marks the patient blocked and cancels what was pending, at once rather
than at the next failed send. An unblock changes nothing by itself: the patient says
/start to be written to again (see `start.py`).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ChatMemberHandler

from bot.context import AppContext, BotApp
from bot.logging_setup import pseudonym
from bot.usecases import patients

logger = logging.getLogger(__name__)


async def on_my_chat_member(update: Update, context: AppContext) -> None:
    """A change of the bot's status in a chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        # Groups (staff chats) are the clinics flow's business.
        return
    user = pseudonym(change.from_user.id)
    if change.new_chat_member.status == ChatMemberStatus.BANNED:
        known = await patients.user_blocked_bot(context.services.database, change.from_user.id)
        logger.info("user %s blocked the bot (patient: %s)", user, known)
    else:
        logger.info("user %s is %s again; waiting for /start", user, change.new_chat_member.status)


def register(application: BotApp) -> None:
    """Register the my_chat_member handler."""
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
