"""Which open question a typed answer belongs to.

Several flows ask for typed text (a date for /log, a new date in /history, ...), and their
conversations stay open until they finish or time out. So that a typed answer goes to the
question asked *last*, a flow marks the question it asks (`ask_for_text`) and its text
handler (`TextStep`) only matches while that mark stands. Any command or button press
clears the mark first (group -1, `register`): the user has moved on, and the handler that
asks a new question sets its own mark.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.buttons import Noop
from bot.context import AppContext, BotApp

# A new text message (not an edit of an old one, not a command).
TYPED_TEXT = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
# Runs before the flows (group 0): it only clears marks and never stops an update.
GATE_GROUP = -1


def ask_for_text(context: AppContext, step: str) -> None:
    """Mark that the next typed text answers `step` (e.g. "log:date")."""
    context.flows.awaiting = step


def stop_asking(context: AppContext, step: str) -> None:
    """Drop the mark for `step` (and only it: another flow may have asked since)."""
    if context.flows.awaiting == step:
        context.flows.awaiting = None


def is_asking(context: AppContext, step: str) -> bool:
    """Whether `step` is the question asked last."""
    return context.flows.awaiting == step


class TextStep(MessageHandler[AppContext, object]):
    """Plain text (not a command), but only while the user's last question is `step`."""

    def __init__(
        self,
        application: BotApp,
        step: str,
        callback: Callable[[Update, AppContext], Coroutine[Any, Any, object]],
    ) -> None:
        super().__init__(TYPED_TEXT, callback)
        self._application = application
        self.step = step

    def check_update(self, update: object) -> bool | dict[str, list[Any]] | None:
        """Match typed text while `step` is what the user was last asked."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        user_data = self._application.user_data.get(update.effective_user.id)
        if user_data is None or user_data.awaiting != self.step:
            return None
        return super().check_update(update)


async def _forget_question(update: Update, context: AppContext) -> None:
    context.flows.awaiting = None


def register(application: BotApp) -> None:
    """Clear a pending question on any command or button press (inert buttons aside)."""
    application.add_handler(MessageHandler(filters.COMMAND, _forget_question), group=GATE_GROUP)
    application.add_handler(
        CallbackQueryHandler(_forget_question, pattern=lambda data: not Noop.matches(data)),
        group=GATE_GROUP,
    )
