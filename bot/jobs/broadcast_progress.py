"""Keeping each broadcast's progress message up to date, from one repeating job.

The author's message is edited while the broadcast goes out, and a final report is sent
once it has no delivery left. One job serves every broadcast (never a loop per broadcast);
the counts live in the database, so a restart picks up where the last process left off.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, TelegramError

from bot.context import AppContext, BotApp
from bot.delivery.rate_limit import Lane
from bot.i18n import translator
from bot.render.broadcast_screens import stop_keyboard
from bot.render.staff import progress_text
from bot.usecases.broadcasts import Progress, broadcasts_in_progress, mark_reported

logger = logging.getLogger(__name__)

PROGRESS_JOB = "broadcast-progress"
# How often the author's progress message is edited: often enough to watch, rare enough
# that the edits take a negligible share of the 30 messages/s the broadcast itself needs.
PROGRESS_INTERVAL = 3.0


async def _tick(context: AppContext) -> None:
    """Edit each followed broadcast's progress message; report the ones that finished."""
    if not context.bot_data.is_ready:
        return
    job = context.job
    shown: dict[int, str] = job.data if job is not None and isinstance(job.data, dict) else {}
    services = context.services
    for progress in await broadcasts_in_progress(services.database, services.clock.now()):
        text = progress_text(progress.broadcast, translator(progress.language))
        if shown.get(progress.broadcast.id) != text and not await _edit(context, progress, text):
            continue
        shown[progress.broadcast.id] = text
        if progress.finished and await mark_reported(services.database, progress.broadcast.id):
            shown.pop(progress.broadcast.id, None)
            try:
                await context.bot.send_message(progress.chat_id, text)
            except TelegramError:
                logger.exception(
                    "broadcast %s: the final report could not be sent", progress.broadcast.id
                )


async def _edit(context: AppContext, progress: Progress, text: str) -> bool:
    """Show `text` on the progress message; False if Telegram should be asked again later."""
    broadcast = progress.broadcast
    t = translator(progress.language)
    markup = None if progress.finished else stop_keyboard(broadcast.clinic_id, broadcast.id, t)
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=progress.chat_id,
            message_id=progress.message_id,
            reply_markup=markup,
            rate_limit_args=Lane.PROGRESS,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message:
            logger.warning("broadcast %s: progress edit failed: %s", broadcast.id, exc.message)
    except TelegramError as exc:
        # Tried again on the next tick; the counts are in the database meanwhile.
        logger.warning("broadcast %s: progress edit failed: %s", broadcast.id, exc)
        return False
    return True


def register(application: BotApp) -> None:
    """Start the repeating job."""
    if application.job_queue is None:  # pragma: no cover - built with a JobQueue
        raise RuntimeError("the application needs a JobQueue")
    application.job_queue.run_repeating(
        _tick, interval=PROGRESS_INTERVAL, first=PROGRESS_INTERVAL, name=PROGRESS_JOB, data={}
    )
