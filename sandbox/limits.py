"""Telegram's send limits: sliding one-second windows, overall and per chat."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

from sandbox.errors import too_many_requests

WINDOW_SECONDS = 1.0


class SlidingWindow:
    """Timestamps (monotonic seconds) of events in the last `span` seconds."""

    __slots__ = ("_span", "_times")

    def __init__(self, span: float = WINDOW_SECONDS) -> None:
        self._span = span
        # A plain list, not a deque: there is one window per chat and an empty deque
        # costs ten times the memory; times only grow, so pruning is a bisect.
        self._times: list[float] = []

    def count(self, now: float) -> int:
        """Events in (now - span, now]."""
        times = self._times
        if times and times[0] <= now - self._span:
            del times[: bisect_right(times, now - self._span)]
        return len(times)

    def add(self, now: float) -> int:
        """Record an event at `now`; return the events now in the window."""
        count = self.count(now) + 1
        self._times.append(now)
        return count

    def retry_after(self, now: float) -> int:
        """Whole seconds until the oldest event leaves the window (at least 1)."""
        if not self._times:
            return 1
        return max(1, math.ceil(self._times[0] + self._span - now))


# Telegram's limit for sends with allow_paid_broadcast (a fee in Stars above the free rate).
PAID_RATE = 1000


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Sends allowed in any rolling second: overall and per chat; None means unlimited.

    `overall_rate` is the free limit; sends that carry `allow_paid_broadcast` are counted
    apart and held to `paid_rate` instead (when an overall limit is set at all).
    """

    overall_rate: int | None = None
    per_chat_rate: int | None = None
    paid_rate: int = PAID_RATE

    def __post_init__(self) -> None:
        for name in ("overall_rate", "per_chat_rate", "paid_rate"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 (or None for no limit), got {value}")


class RateLimiter:
    """Admits a send if both windows have room; only accepted sends are counted."""

    __slots__ = (
        "_overall",
        "_paid",
        "limits",
        "max_paid_per_second",
        "max_per_chat_per_second",
        "max_per_second",
    )

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._overall = SlidingWindow()
        self._paid = SlidingWindow()
        self.max_per_second = 0
        self.max_paid_per_second = 0
        self.max_per_chat_per_second = 0

    def check(self, chat_window: SlidingWindow | None, now: float, *, paid: bool = False) -> None:
        """Raise 429 (with retry_after) if a send now would exceed a limit."""
        overall, per_chat = self.limits.overall_rate, self.limits.per_chat_rate
        if paid and overall is not None:
            overall, window = self.limits.paid_rate, self._paid
        else:
            window = self._overall
        if overall is not None and window.count(now) >= overall:
            raise too_many_requests(window.retry_after(now))
        if per_chat is not None and chat_window is not None and chat_window.count(now) >= per_chat:
            raise too_many_requests(chat_window.retry_after(now))

    def record(self, chat_window: SlidingWindow, now: float, *, paid: bool = False) -> None:
        """Count an accepted send in its windows and keep the observed maxima."""
        if paid:
            self.max_paid_per_second = max(self.max_paid_per_second, self._paid.add(now))
        else:
            self.max_per_second = max(self.max_per_second, self._overall.add(now))
        self.max_per_chat_per_second = max(self.max_per_chat_per_second, chat_window.add(now))

    def reset_counters(self) -> None:
        """Forget the windows and maxima (limits stay)."""
        self._overall = SlidingWindow()
        self._paid = SlidingWindow()
        self.max_per_second = 0
        self.max_paid_per_second = 0
        self.max_per_chat_per_second = 0
