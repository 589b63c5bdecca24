"""The send pace: overall rate, per-chat spacing and pauses, on a fake monotonic clock."""

from __future__ import annotations

import asyncio
import itertools

from bot.delivery.rate_limit import SendRateLimiter


class FakeTime:
    """A monotonic clock whose sleeps advance it instantly."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def _limiter(per_second: float, fake: FakeTime) -> SendRateLimiter:
    return SendRateLimiter(per_second, monotonic=fake.monotonic, sleep=fake.sleep)


def _max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_sends_to_many_chats_never_exceed_the_overall_rate_in_any_second() -> None:
    fake = FakeTime()
    limiter = _limiter(30, fake)
    times: list[float] = []
    for chat in range(300):
        await limiter.acquire(chat)
        times.append(fake.now)
    assert _max_in_any_second(times) <= 30
    # and it is not much slower than the rate allows
    assert times[-1] - times[0] <= 299 / 30 * 1.03


async def test_one_chat_gets_at_most_one_message_per_second() -> None:
    fake = FakeTime()
    limiter = _limiter(1000, fake)
    times = []
    for _ in range(5):
        await limiter.acquire(42)
        times.append(fake.now)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 1.0 for gap in gaps)


async def test_a_waiting_chat_does_not_hold_up_other_chats() -> None:
    fake = FakeTime()
    limiter = _limiter(1000, fake)
    await limiter.acquire(1)
    start = fake.now
    await limiter.acquire(2)
    assert fake.now - start < 0.01


async def test_pause_all_holds_every_send_until_retry_after_has_passed() -> None:
    fake = FakeTime()
    limiter = _limiter(30, fake)
    await limiter.acquire(1)
    limiter.pause_all(3)
    paused_at = fake.now
    await limiter.acquire(2)
    assert fake.now >= paused_at + 3
