"""A notice of a guidance change: drafted from the change, then previewed as any broadcast."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.buttons import BroadcastNotice
from bot.context import AppContext
from bot.drafts import BroadcastDraft
from bot.handlers import staff_access as staff
from bot.handlers.staff_broadcast import preview
from bot.kit.screens import answer, drop_buttons
from bot.render.notices import notice_body
from bot.usecases.guidance import guidance_change
from rules import default_guidance

END = ConversationHandler.END


async def on_notice(update: Update, context: AppContext, pressed: BroadcastNotice) -> int:
    """Draft a notice of a guidance change, previewed like any broadcast."""
    user = update.effective_user
    assert user is not None
    await answer(update, context)
    found = await guidance_change(
        context.services.database, pressed.clinic, user.id, pressed.version
    )
    if found is None:
        await staff.refuse(update, context)
        return END
    await drop_buttons(update)
    clinic, change = found
    default = default_guidance().rule_for(change.after, change.then)
    body = notice_body(clinic, change, None if default is None else default.min_days, context.t)
    draft = BroadcastDraft(clinic.id)
    context.flows.broadcast = draft
    return await preview(update, context, draft, body)
