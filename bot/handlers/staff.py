"""Staff of a clinic: /broadcast, /guidance and /stats, and the command menu of staff chats.

One ConversationHandler carries every staff flow, so that starting /guidance in the middle
of a /broadcast ends the broadcast's text prompt instead of leaving two flows waiting for
the same next message. Every command and every button re-checks that the user is staff of
the clinic it names; anyone else gets a plain refusal and nothing happens.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers import staff_broadcast, staff_guidance
from bot.handlers.common import reply
from bot.handlers.flow import TextStep, stop_asking
from bot.handlers.staff_access import clinic_id_of, refuse, staff_clinic, translator_for
from bot.render.staff import stats_text
from bot.usecases.clinics import NotStaffError, clinic_stats

logger = logging.getLogger(__name__)

# --- /stats --------------------------------------------------------------------------------------


async def on_stats(update: Update, context: AppContext) -> int:
    """/stats: the clinic's members, reminders and last broadcasts."""
    clinic = await staff_clinic(update, context, callbacks.CLINIC)
    if clinic is not None:
        await _show_stats(update, context, clinic.id)
    return ConversationHandler.END


async def on_stats_button(update: Update, context: AppContext) -> int:
    """`cl:c:<clinic id>`: the clinic chosen for /stats."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    parts = callbacks.unpack(query.data, callbacks.CLINIC) or []
    clinic_id = clinic_id_of(parts[1]) if len(parts) == 2 else None
    if clinic_id is not None:
        await _show_stats(update, context, clinic_id)
    return ConversationHandler.END


async def _show_stats(update: Update, context: AppContext, clinic_id: int) -> None:
    user = update.effective_user
    assert user is not None
    t = await translator_for(update, context)
    services = context.services
    try:
        report = await clinic_stats(services.database, clinic_id, user.id, services.clock.now())
    except NotStaffError:
        await refuse(update, t)
        return
    await reply(update, stats_text(report, t))


# --- wiring --------------------------------------------------------------------------------------


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel inside a staff flow: forget the draft, change nothing."""
    _forget(context)
    t = await translator_for(update, context)
    await reply(update, t.gettext("Stopped. Nothing was sent or changed."))
    return ConversationHandler.END


async def on_timeout(update: Update, context: AppContext) -> None:
    """A staff flow left open for `conversation_timeout`: forget it, say nothing happened."""
    _forget(context)
    t = await translator_for(update, context)
    await reply(update, t.gettext("⌛ I stopped waiting: nothing was sent or changed."))


def _forget(context: AppContext) -> None:
    context.drafts.pop(staff_broadcast.DRAFT, None)
    context.drafts.pop(staff_guidance.DRAFT, None)
    for step in STEPS:
        stop_asking(context, step)


STEPS = (
    staff_broadcast.TEXT_STEP,
    staff_broadcast.DAYS_STEP,
    staff_guidance.DAYS_STEP,
    staff_guidance.REASON_STEP,
)


def register(application: BotApp) -> None:
    """Register the staff conversation and the broadcast progress job."""
    entry_points: list[BaseHandler[Update, AppContext, object]] = [
        CommandHandler("broadcast", staff_broadcast.on_broadcast),
        CommandHandler("guidance", staff_guidance.on_guidance),
        CommandHandler("stats", on_stats),
        CallbackQueryHandler(
            staff_broadcast.on_button, pattern=callbacks.pattern(callbacks.BROADCAST)
        ),
        CallbackQueryHandler(
            staff_guidance.on_button, pattern=callbacks.pattern(callbacks.GUIDANCE)
        ),
        CallbackQueryHandler(on_stats_button, pattern=rf"^{callbacks.CLINIC}:c:"),
    ]
    # Typed text only reaches a step while it is the question asked last (see `flow`).
    steps = {
        staff_broadcast.TEXT: TextStep(
            application, staff_broadcast.TEXT_STEP, staff_broadcast.on_text
        ),
        staff_broadcast.DAYS: TextStep(
            application, staff_broadcast.DAYS_STEP, staff_broadcast.on_days_text
        ),
        staff_guidance.DAYS: TextStep(
            application, staff_guidance.DAYS_STEP, staff_guidance.on_days_text
        ),
        staff_guidance.REASON: TextStep(
            application, staff_guidance.REASON_STEP, staff_guidance.on_reason_text
        ),
    }
    application.add_handler(
        ConversationHandler(
            entry_points=entry_points,
            states={
                **{state: [step] for state, step in steps.items()},
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            # Commands and buttons start over from any state: the newest intention wins.
            fallbacks=[CommandHandler("cancel", on_cancel), *entry_points],
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="staff",
        )
    )
    staff_broadcast.register_progress(application)
    staff_guidance.register_resume(application)
