"""A one-shot broadcast signal for coroutines waiting on sandbox state."""

from __future__ import annotations

import asyncio
import time


class Signal:
    """Wakes every current waiter on `notify()`; costs nothing while nobody waits."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        """Wake everyone waiting right now."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, seconds: float | None) -> bool:
        """Wait for the next `notify()`; False when `seconds` pass first (None: no limit)."""
        if seconds is not None and seconds <= 0:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class Activity:
    """Bot API work in progress and when the last of it happened (for idleness)."""

    __slots__ = ("in_flight", "last")

    def __init__(self) -> None:
        self.in_flight = 0
        self.last = time.monotonic()

    def touch(self) -> None:
        """Something happened just now."""
        self.last = time.monotonic()

    def begin(self) -> None:
        """A request started."""
        self.in_flight += 1
        self.touch()

    def end(self) -> None:
        """A request finished."""
        self.in_flight -= 1
        self.touch()

    def quiet_for(self) -> float:
        """Seconds since the last activity, 0 while a request is in flight."""
        if self.in_flight:
            return 0.0
        return time.monotonic() - self.last
