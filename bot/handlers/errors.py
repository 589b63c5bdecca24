"""The error handler: log with context first, then tell the user plainly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError

from bot.context import AppContext, BotApp
from bot.i18n import translator
from bot.logging_setup import pseudonym
from bot.render.common import something_went_wrong

logger = logging.getLogger(__name__)


async def on_error(update: object, context: AppContext) -> None:
    """Log the failure with who and what, then apologise without internals."""
    user = update.effective_user if isinstance(update, Update) else None
    logger.error(
        "update %s failed",
        update.update_id if isinstance(update, Update) else "-",
        exc_info=context.error,
        extra={"user": pseudonym(user.id) if user else None},
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    unreachable = isinstance(context.error, Forbidden) or (
        isinstance(context.error, NetworkError) and not isinstance(context.error, BadRequest)
    )
    if unreachable:
        # The chat is unreachable (blocked, or Telegram is down): a notice would fail too.
        # A BadRequest is our own mistake, so the user still hears that nothing happened.
        return
    t = translator(user.language_code if user else None)
    try:
        await context.bot.send_message(update.effective_chat.id, something_went_wrong(t))
    except Exception:
        logger.exception("could not send the error notice")


def register(application: BotApp) -> None:
    """Install the error handler."""
    application.add_error_handler(on_error)
