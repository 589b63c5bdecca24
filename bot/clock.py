"""The one place that reads the wall clock; everything else is handed `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current instant (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told; used by tests and `interval-bot demo`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The current fake instant in UTC."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` and return the new instant."""
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to `instant` (timezone-aware)."""
        self._now = instant.astimezone(UTC)
