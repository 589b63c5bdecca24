"""Re-planning a clinic's members after a guidance change, beside the bot's other work.

A clinic with thousands of members takes a while, so the change's handler does not wait:
it queues one job (PTB's JobQueue, so the job is tracked and its errors reach the error
handler). The audit log records when a version is fully re-planned; a process that stops
half-way leaves that entry missing, and `resume_at_start` (awaited in `post_init`)
finishes the job before anything else is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram.error import TelegramError
from telegram.ext import JobQueue

from bot.context import AppContext, Services
from bot.i18n import translator
from bot.render.guidance_screens import notice_keyboard, replanned
from bot.usecases.guidance import replan_after_change, resume_replans

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplanRequest:
    """Re-plan `clinic_id` for `version`, then tell `chat_id` (the author) in `language`."""

    clinic_id: int
    version: int
    actor: int
    chat_id: int
    language: str


def queue_replan(context: AppContext, request: ReplanRequest) -> None:
    """Run the re-plan as a job, now."""
    queue_replan_on(context.jobs, request)


def queue_replan_on(jobs: JobQueue[AppContext], request: ReplanRequest) -> None:
    """Run the re-plan as a job of this queue, now (the dashboard has no handler context)."""
    jobs.run_once(
        _replan,
        when=0,
        data=request,
        name=f"guidance-replan:{request.clinic_id}:{request.version}",
    )


async def _replan(context: AppContext) -> None:
    job = context.job
    if job is None or not isinstance(job.data, ReplanRequest):
        return
    request = job.data
    services = context.services
    done = await replan_after_change(
        services.database, request.clinic_id, request.actor, request.version, services.clock.now()
    )
    logger.info(
        "clinic %s guidance version %s: re-planned %s members (%s moved)",
        request.clinic_id,
        request.version,
        done.members,
        done.moved,
    )
    t = translator(request.language)
    try:
        await context.bot.send_message(
            request.chat_id,
            replanned(done.members, done.moved, t),
            reply_markup=notice_keyboard(request.clinic_id, request.version, t),
        )
    except TelegramError:
        # The re-plan is done and recorded; only the author's notice is lost.
        logger.exception("could not tell the author that the re-plan finished")


async def resume_at_start(services: Services) -> None:
    """Finish re-plans that a stopped process left half done (a diff: safe to repeat)."""
    for done in await resume_replans(services.database, services.clock.now()):
        logger.info(
            "clinic guidance version %s: resumed re-plan of %s members", done.version, done.members
        )
