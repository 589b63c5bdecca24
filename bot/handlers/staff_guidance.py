"""/guidance: the clinic's rules beside the defaults; change one with a reason; re-plan.

Callback data (prefix `gd`):
- `gd:c:<clinic>` the clinic chosen (staff of several clinics);
- `gd:e:<clinic>:<version>:<after>:<then>` change this rule (as seen at that version);
- `gd:ok:<clinic>:<version>` apply the change being written; `gd:x` drop it; `gd:done`
  closes the "broadcast a notice?" question.
The new value and the reason live in this user's drafts, so a button pressed by anyone else
(or pressed again after applying) finds nothing to apply.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers import staff_access as staff
from bot.handlers.common import reply
from bot.handlers.flow import ask_for_text, stop_asking
from bot.i18n import Translator
from bot.render.staff import days_text, guidance_text, rule_name
from bot.usecases.clinics import NotStaffError
from bot.usecases.guidance import (
    MAX_REASON_LENGTH,
    BadRuleValueError,
    GuidanceView,
    change_rule,
    guidance_view,
    parse_rule_value,
    replan_after_change,
    resume_replans,
)
from rules import Procedure
from rules.guidance import MAX_DAYS

logger = logging.getLogger(__name__)

DAYS, REASON = 20, 21
DAYS_STEP, REASON_STEP = "guidance:days", "guidance:reason"
DRAFT = "guidance"
RESUME_JOB = "guidance-resume-replans"
RESUME_AFTER = 5.0  # seconds after start: post_init has opened the database by then


def _draft(context: AppContext) -> dict[str, Any] | None:
    draft = context.drafts.get(DRAFT)
    return draft if isinstance(draft, dict) else None


async def on_guidance(update: Update, context: AppContext) -> int:
    """/guidance: show the rules (after choosing the clinic, for staff of several)."""
    clinic = await staff.staff_clinic(update, context, callbacks.GUIDANCE)
    if clinic is not None:
        await _show(update, context, clinic.id)
    return ConversationHandler.END


async def _view(update: Update, context: AppContext, clinic_id: int) -> GuidanceView | None:
    user = update.effective_user
    assert user is not None
    services = context.services
    try:
        return await guidance_view(services.database, clinic_id, user.id, services.clock.now())
    except NotStaffError:
        await staff.refuse(update, await staff.translator_for(update, context))
        return None


async def _show(update: Update, context: AppContext, clinic_id: int) -> None:
    view = await _view(update, context, clinic_id)
    if view is None:
        return
    t = await staff.translator_for(update, context)
    gd = callbacks.GUIDANCE
    buttons = [
        [
            InlineKeyboardButton(
                f"✏️ {rule_name(rule.after, rule.then, t)}",
                callback_data=callbacks.pack(
                    gd, "e", view.clinic.id, view.version, rule.after.value, rule.then.value
                ),
            )
        ]
        for rule in view.rules
    ]
    await reply(update, guidance_text(view, t), reply_markup=InlineKeyboardMarkup(buttons))


async def on_button(update: Update, context: AppContext) -> int:
    """Every `gd:` button; unknown or forged data changes nothing."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.unpack(query.data, callbacks.GUIDANCE) or []
    action, args = (parts[0], parts[1:]) if parts else ("", [])
    await query.answer()
    if action == "c" and len(args) == 1:
        clinic_id = staff.clinic_id_of(args[0])
        if clinic_id is not None:
            await _show(update, context, clinic_id)
        return ConversationHandler.END
    if action == "e" and len(args) == 4:
        return await _edit(update, context, args)
    if action == "ok" and len(args) == 2:
        return await _apply(update, context, args[0], args[1])
    if action in ("x", "done"):
        await _drop_keyboard(update)
    if action == "x":
        context.drafts.pop(DRAFT, None)
        t = await staff.translator_for(update, context)
        await reply(update, t.gettext("Nothing was changed."))
    return ConversationHandler.END


async def _drop_keyboard(update: Update) -> None:
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_reply_markup(reply_markup=None)
    except BadRequest as exc:
        logger.debug("could not remove a keyboard: %s", exc.message)


def _procedure(value: str) -> Procedure | None:
    try:
        return Procedure(value)
    except ValueError:
        return None


async def _edit(update: Update, context: AppContext, args: list[str]) -> int:
    clinic_id = staff.clinic_id_of(args[0])
    version = staff.clinic_id_of(args[1])
    after, then = _procedure(args[2]), _procedure(args[3])
    if clinic_id is None or version is None or after is None or then is None:
        return ConversationHandler.END
    view = await _view(update, context, clinic_id)
    if view is None:
        return ConversationHandler.END
    t = await staff.translator_for(update, context)
    if view.version != version:
        await reply(update, t.gettext("The guidance changed meanwhile; here it is now."))
        await _show(update, context, clinic_id)
        return ConversationHandler.END
    rule = next(r for r in view.rules if (r.after, r.then) == (after, then))
    context.drafts[DRAFT] = {
        "clinic_id": clinic_id,
        "version": version,
        "after": after.value,
        "then": then.value,
        "members": view.members,
        "old": rule.days,
        "default": rule.default_days,
    }
    await reply(
        update,
        t.gettext(
            "<b>{rule}</b>: now {days} (default: {default}).\n\nType the new minimum number "
            "of days (0 to {max}), <code>off</code> to switch the rule off, or "
            "<code>default</code> to go back to the default. /cancel stops."
        ).format(
            rule=rule_name(after, then, t),
            days=days_text(rule.days, t),
            default=days_text(rule.default_days, t),
            max=MAX_DAYS,
        ),
    )
    ask_for_text(context, DAYS_STEP)
    return DAYS


async def on_days_text(update: Update, context: AppContext) -> int:
    """The typed new value of the rule."""
    message = update.effective_message
    draft = _draft(context)
    if message is None or draft is None:
        return ConversationHandler.END
    t = await staff.translator_for(update, context)
    try:
        value = parse_rule_value(message.text or "")
    except BadRuleValueError:
        await reply(
            update,
            t.gettext(
                "Please type a whole number of days from 0 to {max}, <code>off</code> or "
                "<code>default</code>."
            ).format(max=MAX_DAYS),
        )
        return DAYS
    draft["value"] = value
    ask_for_text(context, REASON_STEP)
    await reply(
        update,
        t.gettext(
            "Why the change? Write a short reason: it is kept with the change and can go into "
            "a notice to your patients."
        ),
    )
    return REASON


def _value_text(draft: dict[str, Any], t: Translator) -> str:
    value = draft["value"]
    if value == "default":
        return t.gettext("the default ({days})").format(days=days_text(draft["default"], t))
    return days_text(None if value == "off" else int(value), t)


async def on_reason_text(update: Update, context: AppContext) -> int:
    """The reason; then the summary with Apply / Cancel."""
    message = update.effective_message
    draft = _draft(context)
    if message is None or draft is None or "value" not in draft:
        return ConversationHandler.END
    t = await staff.translator_for(update, context)
    reason = (message.text or "").strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        await reply(
            update,
            t.gettext("Please write a reason of 1 to {max} characters.").format(
                max=MAX_REASON_LENGTH
            ),
        )
        return REASON
    draft["reason"] = reason
    stop_asking(context, REASON_STEP)
    gd = callbacks.GUIDANCE
    after, then = Procedure(draft["after"]), Procedure(draft["then"])
    await reply(
        update,
        t.ngettext(
            "Change <b>{rule}</b> from {old} to {new}?\nReason: <i>{reason}</i>\n\nThis "
            "re-plans the reminders of {count} active member.",
            "Change <b>{rule}</b> from {old} to {new}?\nReason: <i>{reason}</i>\n\nThis "
            "re-plans the reminders of {count} active members.",
            int(draft["members"]),
        ).format(
            rule=rule_name(after, then, t),
            old=days_text(draft["old"], t),
            new=_value_text(draft, t),
            reason=html.escape(reason),
            count=draft["members"],
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t.gettext("✅ Apply"),
                        callback_data=callbacks.pack(
                            gd, "ok", draft["clinic_id"], draft["version"]
                        ),
                    ),
                    InlineKeyboardButton(
                        t.gettext("Cancel"), callback_data=callbacks.pack(gd, "x")
                    ),
                ]
            ]
        ),
    )
    return ConversationHandler.END


async def _apply(update: Update, context: AppContext, clinic_part: str, version_part: str) -> int:
    user = update.effective_user
    assert user is not None
    t = await staff.translator_for(update, context)
    draft = _draft(context)
    clinic_id = staff.clinic_id_of(clinic_part)
    version = staff.clinic_id_of(version_part)
    if (
        draft is None
        or "reason" not in draft
        or draft.get("clinic_id") != clinic_id
        or draft.get("version") != version
        or version is None
        or clinic_id is None
    ):
        await reply(update, t.gettext("This change is out of date. Start again with /guidance."))
        return ConversationHandler.END
    context.drafts.pop(DRAFT, None)
    await _drop_keyboard(update)
    services = context.services
    done = await change_rule(
        services.database,
        clinic_id,
        user.id,
        after=Procedure(draft["after"]),
        then=Procedure(draft["then"]),
        value=draft["value"],
        reason=str(draft["reason"]),
        expected_version=version,
        now=services.clock.now(),
    )
    if done.kind == "not_allowed":
        await staff.refuse(update, t)
        return ConversationHandler.END
    if done.kind == "out_of_date":
        await reply(update, t.gettext("The guidance changed meanwhile: nothing was applied."))
        await _show(update, context, clinic_id)
        return ConversationHandler.END
    if done.kind == "unchanged" or done.change is None:
        await reply(update, t.gettext("That is already the rule: nothing was changed."))
        return ConversationHandler.END
    change = done.change
    await reply(
        update,
        t.ngettext(
            "✅ Guidance version {version} is in force: {rule} is now {new}.\n"
            "Re-planning the reminders of {count} member…",
            "✅ Guidance version {version} is in force: {rule} is now {new}.\n"
            "Re-planning the reminders of {count} members…",
            done.members,
        ).format(
            version=change.version,
            rule=rule_name(change.after, change.then, t),
            new=_value_text(draft, t),
            count=done.members,
        ),
    )
    # Thousands of members take a while: the re-plan runs beside the bot's other updates.
    chat = update.effective_chat
    assert chat is not None
    context.application.create_task(
        _replan_and_report(context, clinic_id, user.id, change.version, chat.id, t),
        update=update,
        name=f"guidance-replan:{clinic_id}:{change.version}",
    )
    return ConversationHandler.END


async def _replan_and_report(
    context: AppContext, clinic_id: int, actor: int, version: int, chat_id: int, t: Translator
) -> None:
    services = context.services
    done = await replan_after_change(
        services.database, clinic_id, actor, version, services.clock.now()
    )
    logger.info(
        "clinic %s guidance version %s: re-planned %s members (%s moved)",
        clinic_id,
        version,
        done.members,
        done.moved,
    )
    await context.bot.send_message(
        chat_id,
        t.gettext(
            "Re-planned {replanned} members; reminders moved for {moved}.\n\n"
            "Tell your patients with a broadcast?"
        ).format(replanned=done.members, moved=done.moved),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t.gettext("📣 Broadcast a notice"),
                        callback_data=callbacks.pack(callbacks.BROADCAST, "n", clinic_id, version),
                    ),
                    InlineKeyboardButton(
                        t.gettext("No, thanks"),
                        callback_data=callbacks.pack(callbacks.GUIDANCE, "done"),
                    ),
                ]
            ]
        ),
    )


async def _resume_replans(context: AppContext) -> None:
    """At start: finish re-plans that a stopped process left half done."""
    if not context.bot_data.is_ready:
        return
    services = context.services
    for done in await resume_replans(services.database, services.clock.now()):
        logger.info(
            "clinic guidance version %s: resumed re-plan of %s members", done.version, done.members
        )


def register_resume(application: BotApp) -> None:
    """One job shortly after start (when the services are ready) resumes unfinished re-plans."""
    if application.job_queue is None:  # pragma: no cover - built with a JobQueue
        raise RuntimeError("the application needs a JobQueue")
    application.job_queue.run_once(_resume_replans, when=RESUME_AFTER, name=RESUME_JOB)
