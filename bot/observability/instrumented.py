"""The Application, counting every update it handles and how long handling took."""

from __future__ import annotations

import time
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.observability.metrics import Metrics


def update_type(update: object) -> str:
    """`message`, `callback_query`, `my_chat_member`, ...: what kind of update this is."""
    if not isinstance(update, Update):
        return "other"
    for name in Update.ALL_TYPES:
        if getattr(update, name, None) is not None:
            return name
    return "other"


class InstrumentedApplication(Application):  # type: ignore[type-arg]
    """PTB's Application with a timer around `process_update`.

    Wrapping `process_update` sees every update once, whichever handler (or none) takes it,
    which a handler in some group could not.
    """

    def __init__(self, *, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def process_update(self, update: object) -> None:
        """Handle the update as usual and record it."""
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            self.metrics.update_handled(update_type(update), time.perf_counter() - started)
