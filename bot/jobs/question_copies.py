"""Questions in staff chats: the copy each staff member gets, the reminder, "answered by".

Here in `jobs/` because the reminder job sends them too, and the handlers may use jobs.

Staff have no patient row, so like `bot.kit.staff_messages` these are sent at once rather
than through the outbox; a failure is logged and that copy skipped. The question itself is
committed before anything is sent, and stays unanswered until someone answers, so a copy
that never arrived (a crash, Telegram down) is made up for by the reminder. Each copy sent
is recorded (`question_relays`), so a Telegram reply to it finds its question.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import Services
from bot.delivery.transport import ReplyBot
from bot.i18n import translator
from bot.render import questions as view
from bot.usecases.questions import Answered, Relayed, record_relays

logger = logging.getLogger(__name__)


async def _send_copies(
    bot: ReplyBot, services: Services, relayed: Relayed, first_name: str | None, *, reminder: bool
) -> int:
    question = relayed.question
    sent = 0
    for member in relayed.staff:
        t = translator(member.language)
        text = (
            view.reminder_text(relayed, t) if reminder else view.relay_text(relayed, first_name, t)
        )
        chat_id = member.telegram_user_id
        try:
            message_id = await bot.send_html(chat_id, text, view.relay_keyboard(question.id, t))
        except Forbidden:
            logger.info("question %s: a staff member blocked the bot", question.id)
            continue
        except TelegramError:
            logger.exception("question %s: a copy to a staff member failed", question.id)
            continue
        # Recorded at once, not after the loop: the first reader may reply within seconds.
        await record_relays(
            services.database, question.id, [(member.telegram_user_id, chat_id, message_id)]
        )
        sent += 1
    return sent


async def relay_question(
    bot: ReplyBot, services: Services, relayed: Relayed, first_name: str | None
) -> int:
    """Send the question to every staff member of its clinic; how many got it."""
    return await _send_copies(bot, services, relayed, first_name, reminder=False)


async def remind_staff(bot: ReplyBot, services: Services, relayed: Relayed) -> int:
    """The one reminder about an unanswered question, to every staff member; how many got it."""
    return await _send_copies(bot, services, relayed, None, reminder=True)


async def mark_answered(bot: ReplyBot, answered: Answered) -> None:
    """Turn every staff copy of the question into "answered by", without the Reply button."""
    question, clinic = answered.question, answered.clinic
    if question is None or clinic is None:
        return
    languages = {member.telegram_user_id: member.language for member in answered.staff}
    for copy in answered.copies:
        t = translator(languages.get(copy.staff_user_id))
        text = view.answered_copy(question, clinic, answered.member_number, t)
        try:
            await bot.edit_html(copy.chat_id, copy.message_id, text)
        except BadRequest as error:
            # Deleted by its reader, or too old to edit: nothing left to update.
            logger.info("question %s: a copy could not be edited: %s", question.id, error.message)
        except TelegramError:
            logger.exception("question %s: a copy could not be edited", question.id)
