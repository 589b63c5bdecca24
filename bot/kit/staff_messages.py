"""Messages sent straight to staff when the team changes: who joined, who was removed.

Staff have no patient row, so these do not go through the outbox; they are sent at once and
a failure is logged and given up (the change itself is already committed, and /staff shows
it). A member who was removed also loses the staff command menu of their chat, unless they
are still staff of another clinic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, BotCommandScopeChat
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.i18n import translator
from bot.render import team_screens as view
from storage.records import Clinic, StaffMember, StaffRole

logger = logging.getLogger(__name__)


async def _send(bot: Bot, chat_id: int, text: str, what: str) -> bool:
    try:
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except Forbidden:
        logger.info("could not tell staff member about %s: they blocked the bot", what)
        return False
    except TelegramError:
        logger.exception("could not tell a staff member about %s", what)
        return False
    return True


async def tell_owners_joined(
    bot: Bot, owners: Sequence[StaffMember], name: str, clinic: Clinic, role: StaffRole
) -> int:
    """Tell each owner (in their language) who used an invite; how many were told."""
    told = 0
    for owner in owners:
        text = view.someone_joined(name, clinic, role, translator(owner.language))
        told += await _send(bot, owner.telegram_user_id, text, "a new member")
    return told


async def tell_removed(
    bot: Bot, member: StaffMember, clinic: Clinic, *, still_staff_elsewhere: bool
) -> bool:
    """Tell a removed member, and drop their staff menu if no clinic needs it any more."""
    if not still_staff_elsewhere:
        try:
            await bot.delete_my_commands(scope=BotCommandScopeChat(member.telegram_user_id))
        except TelegramError:
            # The commands refuse them anyway; the menu is a convenience.
            logger.exception("could not reset a removed staff member's command menu")
    text = view.you_were_removed(clinic, translator(member.language))
    return await _send(bot, member.telegram_user_id, text, "their removal")
