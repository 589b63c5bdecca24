"""The one reminder to a clinic's staff about a question nobody answered in time.

A repeating job (every `REMINDER_INTERVAL`) takes the questions whose reminder came due
(`bot.usecases.questions.take_due_reminders`: each is marked in the transaction that reads
it, so with several processes only one reminds) and sends each to the staff of its clinic.
The copies are recorded like the first ones, so a reply to the reminder answers too.
"""

from __future__ import annotations

import logging

from bot.context import AppContext, BotApp
from bot.jobs.question_copies import remind_staff
from bot.usecases.questions import take_due_reminders

logger = logging.getLogger(__name__)

QUESTION_REMINDER_JOB = "question-reminders"
# Reminders are due after hours; a minute late is nothing, and the query is one index scan.
REMINDER_INTERVAL = 60.0


async def remind_due(context: AppContext) -> int:
    """Send the reminders that came due; how many questions were reminded."""
    if not context.bot_data.is_ready:
        return 0
    services = context.services
    due = await take_due_reminders(services.database, services.clock.now())
    for relayed in due:
        sent = await remind_staff(context.bot, services, relayed)
        logger.info("question %s: reminded %s staff member(s)", relayed.question.id, sent)
    return len(due)


async def _tick(context: AppContext) -> None:
    await remind_due(context)


def register(application: BotApp) -> None:
    """Start the repeating job."""
    if application.job_queue is None:  # pragma: no cover - built with a JobQueue
        raise RuntimeError("the application needs a JobQueue")
    application.job_queue.run_repeating(
        _tick, interval=REMINDER_INTERVAL, first=REMINDER_INTERVAL, name=QUESTION_REMINDER_JOB
    )
