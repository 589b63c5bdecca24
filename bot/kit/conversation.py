"""A flow's `ConversationHandler` with Interval's defaults, and the clock its timeouts follow.

Every flow times out after `CONVERSATION_TIMEOUT` of silence, can be re-entered from any
of its buttons (each carries its own data), and tracks one state per user and chat.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler, TypeHandler

from bot.context import AppContext, BotApp

Handlers = Sequence[BaseHandler[Update, AppContext, object]]
TimeoutCallback = Callable[[Update, AppContext], Coroutine[Any, Any, object]]


def conversation(
    application: BotApp,
    name: str,
    *,
    entry_points: Handlers,
    states: Mapping[object, Handlers],
    fallbacks: Handlers,
    on_timeout: TimeoutCallback | None = None,
    allow_reentry: bool = True,
) -> ConversationHandler[AppContext]:
    """A named conversation that ends (calling `on_timeout`) after the configured silence."""
    all_states: dict[object, list[BaseHandler[Update, AppContext, object]]] = {
        state: list(handlers) for state, handlers in states.items()
    }
    if on_timeout is not None:
        all_states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, on_timeout)]
    return ConversationHandler(
        entry_points=list(entry_points),
        states=all_states,
        fallbacks=list(fallbacks),
        allow_reentry=allow_reentry,
        conversation_timeout=application.bot_data.settings.conversation_timeout,
        name=name,
    )
