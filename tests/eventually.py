"""One way for a test to wait for something the bot does in its own time: `eventually`."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None] | T | None],
    *,
    timeout: float = 5.0,  # noqa: ASYNC109  # a test's deadline to fail with a report
    interval: float = 0.01,
    what: str = "the condition",
) -> T:
    """Call `check` until it gives a truthy value, and return that value.

    `check` may be a plain function or a coroutine function. At the deadline the test fails
    with `what` in the message; no time-based sleep stands in for the thing waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s (last: {value!r})")
        await asyncio.sleep(interval)
