"""/broadcast: text -> preview exactly as patients see it -> audience -> confirm -> progress.

Callback data (prefix `bc`):
- `bc:c:<clinic>` the clinic chosen (staff of several clinics);
- `bc:a:all|done|planned` the audience, `bc:d:<done|planned>:<days>` its window;
- `bc:go:<clinic>:<broadcast>` confirm, `bc:x:<clinic>:<broadcast>` cancel or stop,
  `bc:x` drop a draft not stored yet;
- `bc:n:<clinic>:<version>` draft a notice of a guidance change.
The text being written lives in this user's drafts; a stored draft is only confirmed by its
author, and only once (storage moves draft -> sending with one conditional UPDATE).
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import MessageEntityType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers import staff_access as staff
from bot.handlers.common import reply
from bot.handlers.flow import ask_for_text, stop_asking
from bot.i18n import Translator, translator
from bot.render.broadcasts import MAX_MESSAGE_LENGTH, compose, longest_length
from bot.render.staff import progress_text, reach_text, rule_name
from bot.usecases.broadcasts import (
    MAX_AUDIENCE_DAYS,
    Audience,
    broadcasts_in_progress,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
    follow_broadcast,
    mark_reported,
)
from bot.usecases.clinics import NotStaffError, staff_clinics
from bot.usecases.guidance import guidance_change
from rules import default_guidance
from storage.records import Clinic, GuidanceChange

logger = logging.getLogger(__name__)

TEXT, DAYS = 10, 11
TEXT_STEP, DAYS_STEP = "broadcast:text", "broadcast:days"
DRAFT = "broadcast"
DAY_CHOICES = (7, 14, 30, 90)
PROGRESS_JOB = "broadcast-progress"
# How often the author's progress message is edited: often enough to watch, rare enough
# that the edits take a negligible share of the 30 messages/s the broadcast itself needs.
PROGRESS_INTERVAL = 3.0

# Entities the Telegram client creates when the author formats text (bold, links, ...).
_FORMATTING = frozenset(
    {
        MessageEntityType.BOLD,
        MessageEntityType.ITALIC,
        MessageEntityType.UNDERLINE,
        MessageEntityType.STRIKETHROUGH,
        MessageEntityType.SPOILER,
        MessageEntityType.CODE,
        MessageEntityType.PRE,
        MessageEntityType.TEXT_LINK,
        MessageEntityType.BLOCKQUOTE,
    }
)


def _body_of(message: Message) -> str:
    """The broadcast body as HTML.

    Text formatted in the Telegram app arrives as entities: their HTML keeps it (and
    escapes any literal `<`). Plain text is taken as HTML written by hand.
    """
    entities: tuple[MessageEntity, ...] = message.entities or ()
    if any(entity.type in _FORMATTING for entity in entities):
        return message.text_html or ""
    return message.text or ""


def _draft(context: AppContext) -> dict[str, Any] | None:
    draft = context.drafts.get(DRAFT)
    return draft if isinstance(draft, dict) else None


# --- starting ------------------------------------------------------------------------------------


async def on_broadcast(update: Update, context: AppContext) -> int:
    """/broadcast: ask for the text (after choosing the clinic, for staff of several)."""
    clinic = await staff.staff_clinic(update, context, callbacks.BROADCAST)
    if clinic is None:
        return ConversationHandler.END
    return await _ask_text(update, context, clinic)


async def _ask_text(update: Update, context: AppContext, clinic: Clinic) -> int:
    context.drafts[DRAFT] = {"clinic_id": clinic.id}
    ask_for_text(context, TEXT_STEP)
    t = await staff.translator_for(update, context)
    await reply(
        update,
        t.gettext(
            "📣 Write the message for the patients of <b>{clinic}</b>. Formatting is kept "
            "(bold, italics, links; or HTML such as &lt;b&gt;bold&lt;/b&gt;). I add a footer "
            "with your clinic's name and the provider reminder, and show you a preview first. "
            "/cancel stops."
        ).format(clinic=html.escape(clinic.name)),
    )
    return TEXT


async def on_text(update: Update, context: AppContext) -> int:
    """The broadcast text: check its length with the footer, then preview it."""
    message = update.effective_message
    draft = _draft(context)
    if message is None or draft is None:
        return ConversationHandler.END
    return await _preview(update, context, draft, _body_of(message))


async def _preview(update: Update, context: AppContext, draft: dict[str, Any], body: str) -> int:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None
    assert chat is not None
    t = await staff.translator_for(update, context)
    clinics = {c.id: c for c in await staff_clinics(context.services.database, user.id)}
    clinic = clinics.get(int(draft["clinic_id"]))
    if clinic is None:
        context.drafts.pop(DRAFT, None)
        await staff.refuse(update, t)
        return ConversationHandler.END
    length = longest_length(body, clinic.name)
    if length > MAX_MESSAGE_LENGTH:
        await reply(
            update,
            t.gettext(
                "That is too long: with the footer it is {length} characters, and Telegram "
                "allows {limit}. Please shorten it by {over} characters and send it again."
            ).format(length=length, limit=MAX_MESSAGE_LENGTH, over=length - MAX_MESSAGE_LENGTH),
        )
        return TEXT
    if not body.strip():
        await reply(update, t.gettext("The message is empty. Please write something."))
        return TEXT
    try:
        # The preview is the real message, sent the way patients will get it: if Telegram
        # cannot parse the HTML, it says so here, before anyone else is written to.
        await chat.send_message(compose(body, clinic.name, t))
    except BadRequest as exc:
        logger.info("broadcast preview refused: %s", exc.message)
        await reply(
            update,
            t.gettext(
                "Telegram could not read that formatting ({reason}). Please fix it and send "
                "the text again."
            ).format(reason=html.escape(exc.message)),
        )
        return TEXT
    draft["body"] = body
    # A new text replaces this one until an audience button is pressed.
    ask_for_text(context, TEXT_STEP)
    await reply(
        update,
        t.gettext(
            "☝️ That is the preview, exactly as patients will see it. Who should receive it? "
            "(Or send a new text to replace it.)"
        ),
        reply_markup=_audience_keyboard(t),
    )
    return TEXT


def _audience_keyboard(t: Translator) -> InlineKeyboardMarkup:
    bc = callbacks.BROADCAST
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("All active members"), callback_data=callbacks.pack(bc, "a", "all")
                )
            ],
            [
                InlineKeyboardButton(
                    t.gettext("Procedure done in the last … days"),
                    callback_data=callbacks.pack(bc, "a", "done"),
                )
            ],
            [
                InlineKeyboardButton(
                    t.gettext("Procedure planned in the next … days"),
                    callback_data=callbacks.pack(bc, "a", "planned"),
                )
            ],
            [InlineKeyboardButton(t.gettext("Cancel"), callback_data=callbacks.pack(bc, "x"))],
        ]
    )


# --- buttons -------------------------------------------------------------------------------------


async def on_button(update: Update, context: AppContext) -> int:
    """Every `bc:` button; unknown or forged data changes nothing."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.unpack(query.data, callbacks.BROADCAST) or []
    action, args = (parts[0], parts[1:]) if parts else ("", [])
    if action == "c" and len(args) == 1:
        return await _chosen_clinic(update, context, args[0])
    if action == "a" and len(args) == 1:
        return await _audience_kind(update, context, args[0])
    if action == "d" and len(args) == 2 and args[1].isdigit():
        return await _audience_days(update, context, args[0], int(args[1]))
    if action == "go" and len(args) == 2:
        return await _confirm(update, context, args[0], args[1])
    if action == "x":
        return await _cancel(update, context, args)
    if action == "n" and len(args) == 2:
        return await _notice(update, context, args[0], args[1])
    await query.answer()
    return ConversationHandler.END


async def _out_of_date(update: Update, t: Translator) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer(t.gettext("This is out of date. Start again with /broadcast."))
    return ConversationHandler.END


async def _chosen_clinic(update: Update, context: AppContext, part: str) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    t = await staff.translator_for(update, context)
    clinic_id = staff.clinic_id_of(part)
    clinics = {c.id: c for c in await staff_clinics(context.services.database, user.id)}
    clinic = clinics.get(clinic_id) if clinic_id is not None else None
    if clinic is None:
        await query.answer()
        await staff.refuse(update, t)
        return ConversationHandler.END
    await query.answer()
    return await _ask_text(update, context, clinic)


async def _audience_kind(update: Update, context: AppContext, kind: str) -> int:
    query = update.callback_query
    assert query is not None
    t = await staff.translator_for(update, context)
    draft = _draft(context)
    if draft is None or "body" not in draft or kind not in ("all", "done", "planned"):
        return await _out_of_date(update, t)
    await query.answer()
    if kind == "all":
        return await _store_draft(update, context, draft, Audience("all"))
    draft["window"] = kind
    question = (
        t.gettext("Done in the last how many days? Pick one or type a number.")
        if kind == "done"
        else t.gettext("Planned in the next how many days? Pick one or type a number.")
    )
    buttons = [
        InlineKeyboardButton(
            str(days), callback_data=callbacks.pack(callbacks.BROADCAST, "d", kind, days)
        )
        for days in DAY_CHOICES
    ]
    await reply(update, question, reply_markup=InlineKeyboardMarkup([buttons]))
    ask_for_text(context, DAYS_STEP)
    return DAYS


async def _audience_days(update: Update, context: AppContext, kind: str, days: int) -> int:
    query = update.callback_query
    assert query is not None
    t = await staff.translator_for(update, context)
    draft = _draft(context)
    if draft is None or "body" not in draft or kind not in ("done", "planned"):
        return await _out_of_date(update, t)
    await query.answer()
    return await _with_days(update, context, draft, kind, days, t)


async def on_days_text(update: Update, context: AppContext) -> int:
    """A typed number of days for the audience window."""
    message = update.effective_message
    draft = _draft(context)
    if message is None or draft is None or "window" not in draft:
        return ConversationHandler.END
    t = await staff.translator_for(update, context)
    text = (message.text or "").strip()
    days = int(text) if text.isascii() and text.isdigit() and len(text) < 5 else 0
    return await _with_days(update, context, draft, str(draft["window"]), days, t)


async def _with_days(
    update: Update, context: AppContext, draft: dict[str, Any], kind: str, days: int, t: Translator
) -> int:
    if not 1 <= days <= MAX_AUDIENCE_DAYS:
        await reply(
            update,
            t.gettext("Please type a whole number of days from 1 to {max}.").format(
                max=MAX_AUDIENCE_DAYS
            ),
        )
        return DAYS
    stop_asking(context, DAYS_STEP)
    audience = Audience("done", days) if kind == "done" else Audience("planned", days)
    return await _store_draft(update, context, draft, audience)


async def _store_draft(
    update: Update, context: AppContext, draft: dict[str, Any], audience: Audience
) -> int:
    user = update.effective_user
    assert user is not None
    t = await staff.translator_for(update, context)
    services = context.services
    try:
        stored = await draft_broadcast(
            services.database,
            int(draft["clinic_id"]),
            user.id,
            body=str(draft["body"]),
            audience=audience,
            now=services.clock.now(),
            replaces=draft.get("draft_id"),
        )
    except NotStaffError:
        context.drafts.pop(DRAFT, None)
        await staff.refuse(update, t)
        return ConversationHandler.END
    draft["draft_id"] = stored.broadcast.id
    ids = (stored.clinic.id, stored.broadcast.id)
    count = len(stored.reach.recipients)
    buttons = [
        [
            InlineKeyboardButton(
                t.ngettext("✅ Send to {count} member", "✅ Send to {count} members", count).format(
                    count=count
                ),
                callback_data=callbacks.pack(callbacks.BROADCAST, "go", *ids),
            ),
            InlineKeyboardButton(
                t.gettext("Cancel"), callback_data=callbacks.pack(callbacks.BROADCAST, "x", *ids)
            ),
        ]
    ]
    await reply(
        update,
        reach_text(audience, stored.reach, t),
        reply_markup=InlineKeyboardMarkup(buttons),
    )
    return TEXT


async def _confirm(update: Update, context: AppContext, clinic_part: str, id_part: str) -> int:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query is not None
    assert user is not None
    assert chat is not None
    t = await staff.translator_for(update, context)
    clinic_id = staff.clinic_id_of(clinic_part)
    broadcast_id = staff.clinic_id_of(id_part)
    if clinic_id is None or broadcast_id is None:
        await query.answer()
        return ConversationHandler.END
    services = context.services
    outcome = await confirm_broadcast(
        services.database,
        clinic_id,
        broadcast_id,
        user.id,
        language=t.language,
        now=services.clock.now(),
    )
    if outcome.kind == "not_allowed":
        logger.warning(
            "refused a broadcast confirm for clinic %s, broadcast %s", clinic_id, broadcast_id
        )
        await query.answer(t.gettext("Sorry, this button is not for you."), show_alert=True)
        return ConversationHandler.END
    if outcome.kind == "out_of_date" or outcome.broadcast is None:
        await query.answer(t.gettext("This broadcast was already sent or cancelled."))
        return ConversationHandler.END
    # The rows are due now: send at once rather than at the dispatcher's next tick.
    services.dispatcher.wake()
    await query.answer(t.gettext("Sending."))
    context.drafts.pop(DRAFT, None)
    await _drop_keyboard(query.message)
    broadcast = outcome.broadcast
    progress = await chat.send_message(
        progress_text(broadcast, t),
        reply_markup=_stop_keyboard(t, clinic_id, broadcast.id),
    )
    await follow_broadcast(
        services.database,
        clinic_id,
        broadcast.id,
        chat_id=chat.id,
        message_id=progress.message_id,
        language=t.language,
    )
    return ConversationHandler.END


def _stop_keyboard(t: Translator, clinic_id: int, broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("⏹ Stop sending"),
                    callback_data=callbacks.pack(callbacks.BROADCAST, "x", clinic_id, broadcast_id),
                )
            ]
        ]
    )


async def _drop_keyboard(message: Any) -> None:
    if not isinstance(message, Message):
        return
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as exc:
        logger.debug("could not remove a keyboard: %s", exc.message)


async def _cancel(update: Update, context: AppContext, args: list[str]) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    t = await staff.translator_for(update, context)
    if not args:
        context.drafts.pop(DRAFT, None)
        await query.answer()
        await _drop_keyboard(query.message)
        await reply(update, t.gettext("Cancelled. Nothing was sent."))
        return ConversationHandler.END
    clinic_id = staff.clinic_id_of(args[0])
    broadcast_id = staff.clinic_id_of(args[1]) if len(args) == 2 else None
    if clinic_id is None or broadcast_id is None:
        await query.answer()
        return ConversationHandler.END
    services = context.services
    cancelled = await cancel_broadcast(
        services.database, clinic_id, broadcast_id, user.id, services.clock.now()
    )
    if cancelled is None:
        await query.answer(t.gettext("This broadcast was already sent or cancelled."))
        return ConversationHandler.END
    await query.answer()
    await _drop_keyboard(query.message)
    draft = _draft(context)
    if draft is not None and draft.get("draft_id") == broadcast_id:
        context.drafts.pop(DRAFT, None)
    if cancelled.total == 0:
        await reply(update, t.gettext("Cancelled. Nothing was sent."))
    # A broadcast stopped half-way is reported by the progress job with its final counts.
    return ConversationHandler.END


# --- a notice of a guidance change ---------------------------------------------------------------


def notice_body(
    clinic: Clinic, change: GuidanceChange, default_days: int | None, t: Translator
) -> str:
    """The suggested broadcast after a guidance change, in the author's language."""
    old = default_days if change.old_default else change.old_days
    new = default_days if change.new_default else change.new_days
    rule = rule_name(change.after, change.then, t)
    if new is None:
        what = t.gettext("{rule}: no minimum spacing any more.").format(rule=rule)
    else:
        what = t.ngettext(
            "{rule}: now at least {days} day apart.",
            "{rule}: now at least {days} days apart.",
            new,
        ).format(rule=rule, days=new)
    if old is not None:
        what += " " + t.gettext("(Before: {days} days.)").format(days=old)
    return "\n".join(
        [
            t.gettext("<b>{clinic} updated its spacing guidance.</b>").format(
                clinic=html.escape(clinic.name)
            ),
            what,
            t.gettext("Why: {reason}").format(reason=html.escape(change.reason)),
            t.gettext("Your reminders have been updated; /next shows your dates."),
        ]
    )


async def _notice(update: Update, context: AppContext, clinic_part: str, version_part: str) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    t = await staff.translator_for(update, context)
    clinic_id = staff.clinic_id_of(clinic_part)
    version = staff.clinic_id_of(version_part)
    found = (
        await guidance_change(context.services.database, clinic_id, user.id, version)
        if clinic_id is not None and version is not None
        else None
    )
    if found is None:
        await query.answer()
        await staff.refuse(update, t)
        return ConversationHandler.END
    await query.answer()
    await _drop_keyboard(query.message)
    clinic, change = found
    default = default_guidance().rule_for(change.after, change.then)
    body = notice_body(clinic, change, None if default is None else default.min_days, t)
    draft: dict[str, Any] = {"clinic_id": clinic.id}
    context.drafts[DRAFT] = draft
    return await _preview(update, context, draft, body)


# --- progress ------------------------------------------------------------------------------------


async def _progress_tick(context: AppContext) -> None:
    """Edit each followed broadcast's progress message; report the ones that finished."""
    if not context.bot_data.is_ready:
        return
    job = context.job
    shown: dict[int, str] = job.data if job is not None and isinstance(job.data, dict) else {}
    services = context.services
    for progress in await broadcasts_in_progress(services.database, services.clock.now()):
        broadcast = progress.broadcast
        t = translator(progress.language)
        text = progress_text(broadcast, t)
        if shown.get(broadcast.id) != text:
            markup = (
                None if progress.finished else _stop_keyboard(t, broadcast.clinic_id, broadcast.id)
            )
            try:
                await context.bot.edit_message_text(
                    text,
                    chat_id=progress.chat_id,
                    message_id=progress.message_id,
                    reply_markup=markup,
                )
            except BadRequest as exc:
                if "not modified" not in exc.message:
                    logger.warning(
                        "broadcast %s: progress edit failed: %s", broadcast.id, exc.message
                    )
            except TelegramError as exc:
                # Tried again on the next tick; the counts are in the database meanwhile.
                logger.warning("broadcast %s: progress edit failed: %s", broadcast.id, exc)
                continue
            shown[broadcast.id] = text
        if progress.finished and await mark_reported(services.database, broadcast.id):
            shown.pop(broadcast.id, None)
            try:
                await context.bot.send_message(progress.chat_id, text)
            except TelegramError:
                logger.exception("broadcast %s: the final report could not be sent", broadcast.id)


def register_progress(application: BotApp) -> None:
    """Edit progress messages from one repeating job (never a loop per broadcast)."""
    if application.job_queue is None:  # pragma: no cover - built with a JobQueue
        raise RuntimeError("the application needs a JobQueue")
    application.job_queue.run_repeating(
        _progress_tick,
        interval=PROGRESS_INTERVAL,
        first=PROGRESS_INTERVAL,
        name=PROGRESS_JOB,
        data={},
    )
