"""/guidance: the clinic's rules beside the defaults; an owner changes one with a reason.

Staff see the rules; only owners get the ✏️ buttons, and every step re-checks the role, so a
member demoted or removed meanwhile changes nothing.

The new value and the reason live in this user's `GuidanceDraft`, so a button pressed by
anyone else (or pressed again after applying) finds nothing to apply. Buttons: `gd:*` in
`bot.buttons`. Re-planning the members runs as a job (`bot.jobs.guidance_replan`).
"""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import ConversationHandler

from bot.buttons import GuidanceApply, GuidanceClinic, GuidanceDone, GuidanceDrop, GuidanceEdit
from bot.context import AppContext
from bot.drafts import GuidanceDraft
from bot.handlers import staff_access as staff
from bot.jobs.guidance_replan import ReplanRequest, queue_replan
from bot.kit.screens import answer, drop_buttons, reply
from bot.kit.text_steps import ask_for_text, stop_asking
from bot.render import guidance_screens as view
from bot.render.staff import guidance_text
from bot.usecases.clinics import NotStaffError
from bot.usecases.guidance import (
    MAX_REASON_LENGTH,
    BadRuleValueError,
    GuidanceView,
    change_rule,
    guidance_view,
    parse_rule_value,
)

DAYS, REASON = 20, 21
DAYS_STEP, REASON_STEP = "guidance:days", "guidance:reason"
END = ConversationHandler.END


async def on_guidance(update: Update, context: AppContext) -> int:
    """/guidance: show the rules (after choosing the clinic, for staff of several)."""
    clinic = await staff.staff_clinic(update, context, GuidanceClinic)
    if clinic is not None:
        await _show(update, context, clinic.id)
    return END


async def on_clinic(update: Update, context: AppContext, pressed: GuidanceClinic) -> int:
    """The clinic chosen (staff of several clinics)."""
    await answer(update, context)
    await _show(update, context, pressed.clinic)
    return END


async def _view(update: Update, context: AppContext, clinic_id: int) -> GuidanceView | None:
    user = update.effective_user
    assert user is not None
    services = context.services
    try:
        return await guidance_view(services.database, clinic_id, user.id, services.clock.now())
    except NotStaffError:
        await staff.refuse(update, context)
        return None


async def _show(update: Update, context: AppContext, clinic_id: int) -> None:
    found = await _view(update, context, clinic_id)
    if found is not None:
        await reply(update, guidance_text(found, context.t), view.rules_keyboard(found, context.t))


async def on_edit(update: Update, context: AppContext, pressed: GuidanceEdit) -> int:
    """✏️ a rule: ask for its new value (if the guidance is still what was shown)."""
    await answer(update, context)
    found = await _view(update, context, pressed.clinic)
    if found is None:
        return END
    t = context.t
    if not found.can_change:
        await reply(update, view.owners_only(found.clinic, t))
        return END
    if found.version != pressed.version:
        await reply(update, view.changed_meanwhile(t))
        await _show(update, context, pressed.clinic)
        return END
    rule = next(r for r in found.rules if (r.after, r.then) == (pressed.after, pressed.then))
    context.flows.guidance = GuidanceDraft(
        clinic_id=pressed.clinic,
        version=pressed.version,
        after=rule.after,
        then=rule.then,
        members=found.members,
        old_days=rule.days,
        default_days=rule.default_days,
    )
    await reply(update, view.value_prompt(rule, t))
    ask_for_text(context, DAYS_STEP)
    return DAYS


async def on_days_text(update: Update, context: AppContext) -> int:
    """The typed new value of the rule."""
    message = update.effective_message
    draft = context.flows.guidance
    if message is None or draft is None:
        return END
    try:
        value = parse_rule_value(message.text or "")
    except BadRuleValueError:
        await reply(update, view.value_invalid(context.t))
        return DAYS
    context.flows.guidance = replace(draft, value=value)
    ask_for_text(context, REASON_STEP)
    await reply(update, view.reason_prompt(context.t))
    return REASON


async def on_reason_text(update: Update, context: AppContext) -> int:
    """The reason; then the summary with Apply / Cancel."""
    message = update.effective_message
    draft = context.flows.guidance
    if message is None or draft is None or draft.value is None:
        return END
    reason = (message.text or "").strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        await reply(update, view.reason_invalid(MAX_REASON_LENGTH, context.t))
        return REASON
    draft = replace(draft, reason=reason)
    context.flows.guidance = draft
    stop_asking(context, REASON_STEP)
    await reply(
        update, view.confirm_text(draft, context.t), view.confirm_keyboard(draft, context.t)
    )
    return END


async def on_apply(update: Update, context: AppContext, pressed: GuidanceApply) -> int:
    """Apply the change written in this chat, then re-plan the members in a job."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    await answer(update, context)
    t = context.t
    draft = context.flows.guidance
    if (
        draft is None
        or draft.value is None
        or draft.reason is None
        or (draft.clinic_id, draft.version) != (pressed.clinic, pressed.version)
    ):
        await reply(update, view.change_out_of_date(t))
        return END
    context.flows.guidance = None
    await drop_buttons(update)
    services = context.services
    done = await change_rule(
        services.database,
        draft.clinic_id,
        user.id,
        after=draft.after,
        then=draft.then,
        value=draft.value,
        reason=draft.reason,
        expected_version=draft.version,
        now=services.clock.now(),
    )
    if done.kind == "not_allowed":
        await staff.refuse(update, context)
    elif done.kind == "not_owner":
        await reply(update, view.change_refused_not_owner(t))
    elif done.kind == "out_of_date":
        await reply(update, view.not_applied(t))
        await _show(update, context, draft.clinic_id)
    elif done.kind == "unchanged" or done.change is None:
        await reply(update, view.unchanged(t))
    else:
        await reply(update, view.applied(done.change.version, draft, done.members, t))
        request = ReplanRequest(draft.clinic_id, done.change.version, user.id, chat.id, t.language)
        queue_replan(context, request)
    return END


async def on_drop(update: Update, context: AppContext, pressed: GuidanceDrop) -> int:
    """Cancel on the summary: nothing changes."""
    await answer(update, context)
    await drop_buttons(update)
    context.flows.guidance = None
    await reply(update, view.dropped(context.t))
    return END


async def on_done(update: Update, context: AppContext, pressed: GuidanceDone) -> int:
    """No notice, thanks."""
    await answer(update, context)
    await drop_buttons(update)
    return END
