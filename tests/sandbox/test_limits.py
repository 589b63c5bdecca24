"""Rate limits: sliding one-second windows overall and per chat, answered with 429."""

from __future__ import annotations

import asyncio
import datetime as dtm

import httpx
import pytest
from telegram import Bot
from telegram.error import RetryAfter

from sandbox import RateLimits, Sandbox
from sandbox.errors import ApiError
from sandbox.limits import RateLimiter, SlidingWindow


def test_a_sliding_window_counts_only_the_last_second() -> None:
    window = SlidingWindow()
    for now in (10.0, 10.4, 10.9):
        window.add(now)

    assert window.count(10.95) == 3
    assert window.count(11.0) == 2  # the event at 10.0 left at exactly 11.0
    assert window.count(11.95) == 0


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    window = SlidingWindow()
    window.add(10.0)

    assert window.retry_after(10.2) == 1
    assert window.retry_after(10.999) == 1


def test_the_limiter_refuses_only_over_the_limit_and_counts_only_accepted_sends() -> None:
    limiter = RateLimiter(RateLimits(overall_rate=2, per_chat_rate=None))
    chat = SlidingWindow()
    limiter.check(chat, 0.0)
    limiter.record(chat, 0.0)
    limiter.check(chat, 0.1)
    limiter.record(chat, 0.1)

    with pytest.raises(ApiError) as refused:
        limiter.check(chat, 0.2)

    assert refused.value.error_code == 429
    assert refused.value.parameters == {"retry_after": 1}
    limiter.check(chat, 1.05)  # the first send left the window
    assert limiter.max_per_second == 2


def test_rate_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="overall_rate must be at least 1"):
        RateLimits(overall_rate=0)


async def test_over_the_overall_limit_telegram_answers_429_with_retry_after(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    for user_id in range(1, 5):
        sandbox.user(user_id)
    sandbox.set_limits(overall_rate=3)

    answers = [
        await http.post(f"{api}/sendMessage", json={"chat_id": chat_id, "text": "hi"})
        for chat_id in range(1, 5)
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert sandbox.messages(4) == []
    assert sandbox.stats.rejected_429 == 1
    assert sandbox.stats.delivered == 3


async def test_python_telegram_bot_raises_retry_after_with_the_value(
    sandbox: Sandbox, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22's typed retry_after, no warning
    sandbox.user(1001)
    sandbox.set_limits(per_chat_rate=1)
    await bot.send_message(1001, "first")

    with pytest.raises(RetryAfter) as error:
        await bot.send_message(1001, "second")

    assert error.value.retry_after == dtm.timedelta(seconds=1)


async def test_the_per_chat_limit_does_not_hold_back_other_chats(
    sandbox: Sandbox, bot: Bot
) -> None:
    sandbox.user(1)
    sandbox.user(2)
    sandbox.set_limits(overall_rate=30, per_chat_rate=1)
    await bot.send_message(1, "a")

    with pytest.raises(RetryAfter):
        await bot.send_message(1, "b")
    await bot.send_message(2, "c")

    assert [m.text for m in sandbox.messages(1)] == ["a"]
    assert sandbox.stats.max_per_chat_per_second == 1


async def test_edits_count_against_the_limits_too(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1)
    sandbox.set_limits(per_chat_rate=1)
    sent = await bot.send_message(1, "progress 0")

    with pytest.raises(RetryAfter):
        await bot.edit_message_text("progress 1", 1, sent.message_id)


async def test_a_refused_send_is_not_counted_so_the_sender_may_retry_after_the_wait(
    sandbox: Sandbox, bot: Bot
) -> None:
    sandbox.user(1)
    sandbox.set_limits(per_chat_rate=1)
    await bot.send_message(1, "a")
    for _ in range(3):
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "b")

    await asyncio.sleep(1.0)
    await bot.send_message(1, "b")

    assert [m.text for m in sandbox.messages(1)] == ["a", "b"]
    assert sandbox.stats.rejected_429 == 3


async def test_max_per_second_reports_the_busiest_rolling_second(
    sandbox: Sandbox, bot: Bot
) -> None:
    for user_id in range(1, 6):
        sandbox.user(user_id)

    await asyncio.gather(*(bot.send_message(user_id, "x") for user_id in range(1, 6)))

    assert sandbox.stats.max_per_second == 5
    sandbox.set_limits()
    assert sandbox.limits == RateLimits(None, None)
