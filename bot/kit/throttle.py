"""Inbound throttling: one person sending a flood of updates cannot starve everyone else.

A user whose updates exceed INBOUND_LIMIT within INBOUND_WINDOW seconds is told once to
slow down, and their further updates are dropped (a button press is still acknowledged, so
the client stops spinning) until they are back under the limit. It runs before anything
else, so a dropped update costs no database read. The window is wall-clock time on
purpose: it is about load, not about the domain's dates.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import AppContext, BotApp
from bot.i18n import translator
from bot.render.common import slow_down

THROTTLE_GROUP = -20
_PRUNE_AT = 10_000


class Verdict(Enum):
    """What to do with one update."""

    ADMIT = "admit"
    TELL = "tell"
    DROP = "drop"


class Throttle:
    """Counts each user's updates in a sliding window."""

    def __init__(
        self, limit: int, window: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._monotonic = monotonic
        self._seen: dict[int, deque[float]] = {}
        self._told: set[int] = set()

    def judge(self, user_id: int) -> Verdict:
        """Count one update from `user_id` and say whether it is handled."""
        now = self._monotonic()
        seen = self._seen.get(user_id)
        if seen is None:
            if len(self._seen) >= _PRUNE_AT:
                self._prune(now)
            seen = self._seen[user_id] = deque()
        while seen and seen[0] <= now - self._window:
            seen.popleft()
        seen.append(now)
        if len(seen) <= self._limit:
            self._told.discard(user_id)
            return Verdict.ADMIT
        # Dropped updates count too: someone who keeps hammering stays over the limit.
        while len(seen) > self._limit + 1:
            seen.popleft()
        if user_id in self._told:
            return Verdict.DROP
        self._told.add(user_id)
        return Verdict.TELL

    def _prune(self, now: float) -> None:
        self._seen = {u: s for u, s in self._seen.items() if s and s[-1] > now - self._window}
        self._told &= set(self._seen)


def register(application: BotApp) -> None:
    """Judge every update first."""
    settings = application.bot_data.settings
    throttle = Throttle(settings.inbound_limit, settings.inbound_window)

    async def gate(update: Update, context: AppContext) -> None:
        user = update.effective_user
        if user is None:
            return
        verdict = throttle.judge(user.id)
        if verdict is Verdict.ADMIT:
            return
        if update.callback_query is not None:
            await update.callback_query.answer()
        chat = update.effective_chat
        if verdict is Verdict.TELL and chat is not None:
            await chat.send_message(slow_down(translator(user.language_code)))
        raise ApplicationHandlerStop

    application.add_handler(TypeHandler(Update, gate), group=THROTTLE_GROUP)
