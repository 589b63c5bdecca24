"""A handler for one typed button: it matches only data that unpacks to its class.

Forged, mangled or out-of-date data unpacks to nothing, so no typed handler takes it and
the catch-all (`bot.handlers.fallback`) answers that the button is out of date.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import AppContext

D = TypeVar("D")
T_co = TypeVar("T_co", covariant=True)


class Unpacker(Protocol[T_co]):
    """What a `CallbackData` class is to a handler: it reads data, or refuses it."""

    def unpack(self, data: object) -> T_co | None:
        """The pressed button, or None for data that is not exactly one of this class."""
        ...

    def matches(self, data: object) -> bool:
        """Whether `unpack` would accept `data`."""
        ...


ButtonCallback = Callable[[Update, AppContext, D], Coroutine[Any, Any, object]]


class Button(CallbackQueryHandler[AppContext, object]):
    """`CallbackQueryHandler` for the data class `data`; the callback gets it unpacked."""

    def __init__(self, data: Unpacker[D], callback: ButtonCallback[D]) -> None:
        async def run(update: Update, context: AppContext) -> object:
            query = update.callback_query
            pressed = data.unpack(query.data if query is not None else None)
            if pressed is None:  # pragma: no cover - check_update matched this very data
                raise LookupError("a button handler ran for data it does not match")
            return await callback(update, context, pressed)

        super().__init__(run, pattern=data.matches)
        self.data = data
