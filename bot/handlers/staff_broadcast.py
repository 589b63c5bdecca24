"""/broadcast: text → preview exactly as patients see it → audience → confirm → progress.

The text being written lives in this user's `BroadcastDraft`; a stored draft is only
confirmed by its author, and only once (storage moves draft → sending with one conditional
UPDATE). Buttons: `bc:*` in `bot.buttons`. The progress message is kept up to date by
`bot.jobs.broadcast_progress`; a notice of a guidance change starts in `staff_notice`.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot.buttons import (
    BroadcastAudience,
    BroadcastClinic,
    BroadcastDays,
    BroadcastDrop,
    BroadcastSend,
    BroadcastStop,
)
from bot.context import AppContext
from bot.drafts import BroadcastDraft
from bot.handlers import staff_access as staff
from bot.kit.screens import answer, drop_buttons, reply
from bot.kit.text_steps import ask_for_text
from bot.parsing.broadcast_body import broadcast_body
from bot.render import broadcast_screens as view
from bot.render.broadcasts import MAX_MESSAGE_LENGTH, compose, longest_length
from bot.render.staff import progress_text, reach_text
from bot.usecases.broadcasts import (
    Audience,
    broadcast_allowance,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
    follow_broadcast,
)
from bot.usecases.clinics import NotStaffError
from storage.records import Clinic

logger = logging.getLogger(__name__)

TEXT = 10
TEXT_STEP = "broadcast:text"
END = ConversationHandler.END


async def on_broadcast(update: Update, context: AppContext) -> int:
    """/broadcast: ask for the text (after choosing the clinic, for staff of several)."""
    clinic = await staff.staff_clinic(update, context, BroadcastClinic)
    if clinic is None:
        return END
    return await _ask_text(update, context, clinic)


async def on_clinic(update: Update, context: AppContext, pressed: BroadcastClinic) -> int:
    """The clinic chosen (staff of several clinics)."""
    await answer(update, context)
    clinic = await staff.clinic_of_staff(update, context, pressed.clinic)
    if clinic is None:
        return END
    return await _ask_text(update, context, clinic)


async def _ask_text(update: Update, context: AppContext, clinic: Clinic) -> int:
    services = context.services
    limited = await broadcast_allowance(
        services.database, clinic.id, services.clock.now(), services.sending_limits
    )
    if limited is not None:
        await reply(update, view.limited_text(limited, context.t))
        return END
    context.flows.broadcast = BroadcastDraft(clinic.id)
    ask_for_text(context, TEXT_STEP)
    await reply(update, view.write_prompt(clinic, context.t))
    return TEXT


async def on_text(update: Update, context: AppContext) -> int:
    """The broadcast text: check its length with the footer, then preview it."""
    message = update.effective_message
    draft = context.flows.broadcast
    if message is None or draft is None:
        return END
    return await preview(update, context, draft, broadcast_body(message))


async def preview(update: Update, context: AppContext, draft: BroadcastDraft, body: str) -> int:
    """Check the text, send it as patients will see it, and ask who should receive it."""
    chat = update.effective_chat
    assert chat is not None
    t = context.t
    clinic = await staff.clinic_of_staff(update, context, draft.clinic_id)
    if clinic is None:
        context.flows.broadcast = None
        return END
    length = longest_length(body, clinic.name)
    if length > MAX_MESSAGE_LENGTH:
        await reply(update, view.too_long(length, t))
        return TEXT
    if not body.strip():
        await reply(update, view.empty(t))
        return TEXT
    try:
        # The preview is the real message, sent the way patients will get it: if Telegram
        # cannot parse the HTML, it says so here, before anyone else is written to.
        await chat.send_message(compose(body, clinic.name, t))
    except BadRequest as exc:
        logger.info("broadcast preview refused: %s", exc.message)
        await reply(update, view.formatting_refused(exc.message, t))
        return TEXT
    context.flows.broadcast = replace(draft, body=body)
    # A new text replaces this one until an audience button is pressed.
    ask_for_text(context, TEXT_STEP)
    await reply(update, view.audience_question(t), view.audience_keyboard(t))
    return TEXT


async def _written(update: Update, context: AppContext) -> BroadcastDraft | None:
    """The draft whose text is written, with the press answered; else None (told so)."""
    draft = context.flows.broadcast
    if draft is None or draft.body is None:
        await answer(update, context, view.start_again(context.t))
        return None
    await answer(update, context)
    return draft


async def on_audience(update: Update, context: AppContext, pressed: BroadcastAudience) -> int:
    """Who receives it: everyone now, or a window of days to ask for."""
    draft = await _written(update, context)
    if draft is None:
        return END
    if pressed.kind == "all":
        return await _store(update, context, draft, Audience("all"))
    context.flows.broadcast = replace(draft, window=pressed.kind)
    await reply(
        update, view.days_question(pressed.kind, context.t), view.days_keyboard(pressed.kind)
    )
    return TEXT


async def on_days(update: Update, context: AppContext, pressed: BroadcastDays) -> int:
    """A window of days picked."""
    draft = await _written(update, context)
    if draft is None:
        return END
    audience = Audience(pressed.kind, pressed.days)
    return await _store(update, context, draft, audience)


async def _store(
    update: Update, context: AppContext, draft: BroadcastDraft, audience: Audience
) -> int:
    user = update.effective_user
    assert user is not None
    assert draft.body is not None
    services = context.services
    try:
        stored = await draft_broadcast(
            services.database,
            draft.clinic_id,
            user.id,
            body=draft.body,
            audience=audience,
            now=services.clock.now(),
            replaces=draft.stored_id,
        )
    except NotStaffError:
        context.flows.broadcast = None
        await staff.refuse(update, context)
        return END
    context.flows.broadcast = replace(draft, stored_id=stored.broadcast.id)
    count = len(stored.reach.recipients)
    markup = view.confirm_keyboard(stored.clinic.id, stored.broadcast.id, count, context.t)
    await reply(update, reach_text(audience, stored.reach, context.t), markup)
    return TEXT


async def on_send(update: Update, context: AppContext, pressed: BroadcastSend) -> int:
    """Send: queue one delivery per member, then show the progress message."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    t, services = context.t, context.services
    outcome = await confirm_broadcast(
        services.database,
        pressed.clinic,
        pressed.broadcast,
        user.id,
        language=t.language,
        now=services.clock.now(),
        limits=services.sending_limits,
    )
    if outcome.kind == "limited" and outcome.limited is not None:
        await answer(update, context)
        await reply(update, view.limited_text(outcome.limited, t))
        return END
    if outcome.kind == "not_allowed":
        logger.warning(
            "refused a broadcast confirm for clinic %s, broadcast %s",
            pressed.clinic,
            pressed.broadcast,
        )
        await answer(update, context, view.not_yours(t), alert=True)
        return END
    if outcome.kind == "out_of_date" or outcome.broadcast is None:
        await answer(update, context, view.already_done(t))
        return END
    # The rows are due now: send at once rather than at the dispatcher's next tick.
    services.dispatcher.wake()
    await answer(update, context, view.sending(t))
    context.flows.broadcast = None
    await drop_buttons(update)
    broadcast = outcome.broadcast
    progress = await reply(
        update, progress_text(broadcast, t), view.stop_keyboard(pressed.clinic, broadcast.id, t)
    )
    if progress is not None:
        await follow_broadcast(
            services.database,
            pressed.clinic,
            broadcast.id,
            chat_id=chat.id,
            message_id=progress,
            language=t.language,
        )
    return END


async def on_stop(update: Update, context: AppContext, pressed: BroadcastStop) -> int:
    """Cancel the stored draft, or stop a delivery in progress."""
    user = update.effective_user
    assert user is not None
    services, t = context.services, context.t
    cancelled = await cancel_broadcast(
        services.database, pressed.clinic, pressed.broadcast, user.id, services.clock.now()
    )
    if cancelled is None:
        await answer(update, context, view.already_done(t))
        return END
    await answer(update, context)
    await drop_buttons(update)
    draft = context.flows.broadcast
    if draft is not None and draft.stored_id == pressed.broadcast:
        context.flows.broadcast = None
    if cancelled.total == 0:
        await reply(update, view.nothing_sent(t))
    # A broadcast stopped half-way is reported by the progress job with its final counts.
    return END


async def on_drop(update: Update, context: AppContext, pressed: BroadcastDrop) -> int:
    """Cancel a draft that is not stored yet."""
    context.flows.broadcast = None
    await answer(update, context)
    await drop_buttons(update)
    await reply(update, view.nothing_sent(context.t))
    return END
