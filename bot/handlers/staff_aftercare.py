"""/guidance → Aftercare: the clinic's aftercare note per procedure; owners change it.

The change being written lives in this user's `AftercareDraft`; Save re-checks that the
presser is an owner (`bot.usecases.aftercare.change_aftercare`). Buttons: `af:*`.
"""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import ConversationHandler

from bot.buttons import (
    AftercareClinic,
    AftercareDefault,
    AftercareEdit,
    AftercareProcedure,
    AftercareSave,
)
from bot.context import AppContext
from bot.drafts import AftercareDraft
from bot.handlers import staff_access as staff
from bot.kit.screens import answer, drop_buttons, reply, show
from bot.kit.text_steps import ask_for_text, stop_asking
from bot.render import aftercare as view
from bot.render.staff import clinic_name
from bot.usecases.aftercare import (
    MAX_CLINIC_TEXT,
    MAX_REASON,
    AftercareView,
    BadAftercareError,
    aftercare_view,
    change_aftercare,
)
from bot.usecases.clinics import NotStaffError
from bot.usecases.team import NotOwnerError
from rules import Procedure

TEXT, REASON = 30, 31
TEXT_STEP, REASON_STEP = "aftercare:text", "aftercare:reason"
END = ConversationHandler.END


async def on_clinic(update: Update, context: AppContext, pressed: AftercareClinic) -> int:
    """The procedures of the clinic's aftercare notes."""
    await answer(update, context)
    clinic = await staff.clinic_of_staff(update, context, pressed.clinic)
    if clinic is not None:
        t = context.t
        await show(
            update,
            view.procedures_text(clinic_name(clinic), t),
            view.procedures_keyboard(clinic.id, t),
        )
    return END


async def _view(
    update: Update, context: AppContext, clinic_id: int, procedure: Procedure
) -> AftercareView | None:
    user = update.effective_user
    assert user is not None
    try:
        return await aftercare_view(context.services.database, clinic_id, user.id, procedure)
    except NotStaffError:
        await staff.refuse(update, context)
        return None


async def on_procedure(update: Update, context: AppContext, pressed: AftercareProcedure) -> int:
    """One procedure's note: the usual lines and the clinic's text (Cancel lands here too)."""
    await answer(update, context)
    context.flows.aftercare = None
    found = await _view(update, context, pressed.clinic, pressed.procedure)
    if found is not None:
        await show(update, view.view_text(found, context.t), view.view_keyboard(found, context.t))
    return END


async def on_edit(update: Update, context: AppContext, pressed: AftercareEdit) -> int:
    """Replace or add to the note: ask for the text (owners only)."""
    await answer(update, context)
    found = await _view(update, context, pressed.clinic, pressed.procedure)
    if found is None:
        return END
    if not found.can_change:
        await reply(update, view.owners_only(context.t))
        return END
    draft = AftercareDraft(pressed.clinic, pressed.procedure, pressed.choice)
    context.flows.aftercare = draft
    await reply(update, view.text_prompt(draft, MAX_CLINIC_TEXT, context.t))
    ask_for_text(context, TEXT_STEP)
    return TEXT


async def on_default(update: Update, context: AppContext, pressed: AftercareDefault) -> int:
    """Back to the usual note: ask why (owners only)."""
    await answer(update, context)
    found = await _view(update, context, pressed.clinic, pressed.procedure)
    if found is None:
        return END
    if not found.can_change:
        await reply(update, view.owners_only(context.t))
        return END
    context.flows.aftercare = AftercareDraft(pressed.clinic, pressed.procedure, "default")
    await reply(update, view.reason_prompt(context.t))
    ask_for_text(context, REASON_STEP)
    return REASON


async def on_text(update: Update, context: AppContext) -> int:
    """The clinic's own text."""
    message, draft = update.effective_message, context.flows.aftercare
    if message is None or draft is None:
        return END
    text = (message.text or "").strip()
    if not text or len(text) > MAX_CLINIC_TEXT:
        await reply(update, view.text_invalid(MAX_CLINIC_TEXT, context.t))
        return TEXT
    context.flows.aftercare = replace(draft, text=text)
    ask_for_text(context, REASON_STEP)
    await reply(update, view.reason_prompt(context.t))
    return REASON


async def on_reason(update: Update, context: AppContext) -> int:
    """The reason; then the summary with Save / Cancel."""
    message, draft = update.effective_message, context.flows.aftercare
    if message is None or draft is None:
        return END
    reason = (message.text or "").strip()
    if not reason or len(reason) > MAX_REASON:
        await reply(update, view.text_invalid(MAX_REASON, context.t))
        return REASON
    draft = replace(draft, reason=reason)
    context.flows.aftercare = draft
    stop_asking(context, REASON_STEP)
    await reply(
        update, view.confirm_text(draft, context.t), view.confirm_keyboard(draft, context.t)
    )
    return END


async def on_save(update: Update, context: AppContext, pressed: AftercareSave) -> int:
    """Save the change written in this chat."""
    await answer(update, context)
    user = update.effective_user
    assert user is not None
    t, draft = context.t, context.flows.aftercare
    if (
        draft is None
        or draft.reason is None
        or (draft.clinic_id, draft.procedure) != (pressed.clinic, pressed.procedure)
    ):
        await reply(update, view.out_of_date(t))
        return END
    context.flows.aftercare = None
    await drop_buttons(update)
    services = context.services
    try:
        change = await change_aftercare(
            services.database,
            draft.clinic_id,
            user.id,
            draft.procedure,
            choice=draft.choice,
            text=draft.text,
            reason=draft.reason,
            now=services.clock.now(),
        )
    except NotOwnerError:
        await reply(update, view.owners_only(t))
        return END
    except NotStaffError:
        await staff.refuse(update, context)
        return END
    except BadAftercareError:
        # The draft was checked step by step; only a changed limit could bring us here.
        await reply(update, view.out_of_date(t))
        return END
    await reply(update, view.unchanged(t) if change is None else view.saved(change.version, t))
    return END
