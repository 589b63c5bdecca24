"""Who sent an update, resolved once before any handler runs, and handed on in the context.

One read of the sender's patient row per update, instead of one per handler that needs to
know whether they consented or which language they read.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import AppContext, BotApp, Who
from bot.i18n import translator
from bot.usecases.patients import find_patient

# Before every other group (staff invites run in -2, the text-step gate in -1).
WHO_GROUP = -10


async def resolve(update: Update, context: AppContext) -> None:
    """Set `context.who` for this update."""
    user = update.effective_user
    record = await find_patient(context.services.database, user.id) if user else None
    if record is not None and record.consent_at is not None:
        t = translator(record.language)
    else:
        t = translator(user.language_code if user else None)
    context.who = Who(user.id if user else None, record, t)


def register(application: BotApp) -> None:
    """Resolve the sender of every update first."""
    application.add_handler(TypeHandler(Update, resolve), group=WHO_GROUP)
