"""Staff of a clinic: /broadcast, /guidance, /stats and /staff, in one conversation.

One ConversationHandler carries every staff flow, so that starting /guidance in the middle
of a /broadcast ends the broadcast's text prompt instead of leaving two flows waiting for
the same next message. Every command and every button re-checks that the user is staff of
the clinic it names; anyone else gets a plain refusal and nothing happens.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.buttons import (
    AftercareClinic,
    AftercareDefault,
    AftercareEdit,
    AftercareProcedure,
    AftercareSave,
    BroadcastAudience,
    BroadcastClinic,
    BroadcastDays,
    BroadcastDrop,
    BroadcastNotice,
    BroadcastSend,
    BroadcastStop,
    GuidanceApply,
    GuidanceClinic,
    GuidanceDone,
    GuidanceDrop,
    GuidanceEdit,
    StatsClinic,
    TeamClinic,
    TeamInvite,
    TeamMember,
    TeamRemove,
    TeamRemoveAsk,
    TeamRevoke,
    TeamRole,
    TeamRotate,
    TeamRotateAsk,
)
from bot.context import AppContext, BotApp
from bot.handlers import staff_aftercare as aftercare
from bot.handlers import staff_broadcast as broadcast
from bot.handlers import staff_guidance as guidance
from bot.handlers import staff_notice
from bot.handlers import staff_team as team
from bot.handlers.staff_access import refuse, staff_clinic
from bot.jobs import broadcast_progress
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.screens import answer, reply
from bot.kit.text_steps import TextStep, stop_asking
from bot.render.common import out_of_date
from bot.render.staff import stats_text
from bot.render.staff_screens import stopped, timed_out
from bot.usecases.clinics import NotStaffError, clinic_stats

END = ConversationHandler.END
STEPS = (
    broadcast.TEXT_STEP,
    guidance.DAYS_STEP,
    guidance.REASON_STEP,
    aftercare.TEXT_STEP,
    aftercare.REASON_STEP,
)


async def on_stats(update: Update, context: AppContext) -> int:
    """/stats: the clinic's members, reminders and last broadcasts."""
    clinic = await staff_clinic(update, context, StatsClinic)
    if clinic is not None:
        await _show_stats(update, context, clinic.id)
    return END


async def on_stats_clinic(update: Update, context: AppContext, pressed: StatsClinic) -> int:
    """The clinic chosen for /stats."""
    await answer(update, context)
    await _show_stats(update, context, pressed.clinic)
    return END


async def _show_stats(update: Update, context: AppContext, clinic_id: int) -> None:
    user = update.effective_user
    assert user is not None
    services = context.services
    try:
        report = await clinic_stats(services.database, clinic_id, user.id, services.clock.now())
    except NotStaffError:
        await refuse(update, context)
        return
    await reply(update, stats_text(report, context.t))


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel inside a staff flow: forget the draft, change nothing."""
    _forget(context)
    await reply(update, stopped(context.t))
    return END


async def on_timeout(update: Update, context: AppContext) -> None:
    """A staff flow left open for `conversation_timeout`: forget it, say nothing happened."""
    _forget(context)
    await reply(update, timed_out(context.t))


async def on_unknown(update: Update, context: AppContext) -> None:
    """A staff button whose data is mangled or from another version: a notice, no message.

    Staff chats carry progress messages and previews; an extra message there would only
    push them up.
    """
    await answer(update, context, out_of_date(context.t))


def _forget(context: AppContext) -> None:
    context.flows.broadcast = None
    context.flows.guidance = None
    context.flows.aftercare = None
    for step in STEPS:
        stop_asking(context, step)


def register(application: BotApp) -> None:
    """Register the staff conversation and the broadcast progress job."""
    entry_points: list[BaseHandler[Update, AppContext, object]] = [
        CommandHandler("broadcast", broadcast.on_broadcast),
        CommandHandler("guidance", guidance.on_guidance),
        CommandHandler("stats", on_stats),
        CommandHandler("staff", team.on_staff),
        Button(BroadcastClinic, broadcast.on_clinic),
        Button(BroadcastAudience, broadcast.on_audience),
        Button(BroadcastDays, broadcast.on_days),
        Button(BroadcastSend, broadcast.on_send),
        Button(BroadcastStop, broadcast.on_stop),
        Button(BroadcastDrop, broadcast.on_drop),
        Button(BroadcastNotice, staff_notice.on_notice),
        Button(GuidanceClinic, guidance.on_clinic),
        Button(GuidanceEdit, guidance.on_edit),
        Button(GuidanceApply, guidance.on_apply),
        Button(GuidanceDrop, guidance.on_drop),
        Button(GuidanceDone, guidance.on_done),
        Button(StatsClinic, on_stats_clinic),
        Button(TeamClinic, team.on_clinic),
        Button(TeamMember, team.on_member),
        Button(TeamRole, team.on_role),
        Button(TeamRemoveAsk, team.on_remove_ask),
        Button(TeamRemove, team.on_remove),
        Button(TeamInvite, team.on_invite),
        Button(TeamRevoke, team.on_revoke),
        Button(TeamRotateAsk, team.on_rotate_ask),
        Button(TeamRotate, team.on_rotate),
        Button(AftercareClinic, aftercare.on_clinic),
        Button(AftercareProcedure, aftercare.on_procedure),
        Button(AftercareEdit, aftercare.on_edit),
        Button(AftercareDefault, aftercare.on_default),
        Button(AftercareSave, aftercare.on_save),
    ]
    # Typed text only reaches a step while it is the question asked last (see text_steps).
    application.add_handler(
        conversation(
            application,
            "staff",
            entry_points=entry_points,
            states={
                broadcast.TEXT: [TextStep(application, broadcast.TEXT_STEP, broadcast.on_text)],
                guidance.DAYS: [TextStep(application, guidance.DAYS_STEP, guidance.on_days_text)],
                guidance.REASON: [
                    TextStep(application, guidance.REASON_STEP, guidance.on_reason_text)
                ],
                aftercare.TEXT: [TextStep(application, aftercare.TEXT_STEP, aftercare.on_text)],
                aftercare.REASON: [
                    TextStep(application, aftercare.REASON_STEP, aftercare.on_reason)
                ],
            },
            # Commands and buttons start over from any state: the newest intention wins.
            fallbacks=[CommandHandler("cancel", on_cancel), *entry_points],
            on_timeout=on_timeout,
            allow_reentry=False,
        )
    )
    application.add_handler(CallbackQueryHandler(on_unknown, pattern=r"^(bc|gd|tm|af)(:|$)"))
    broadcast_progress.register(application)
