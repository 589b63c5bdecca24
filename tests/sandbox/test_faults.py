"""Injected faults on send methods: random with a seed, or scripted for one path."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from sandbox import FaultConfig, Sandbox


async def outcomes(http: httpx.AsyncClient, api: str, count: int) -> list[int]:
    codes = []
    for _ in range(count):
        response = await http.post(f"{api}/sendMessage", json={"chat_id": 1, "text": "x"})
        codes.append(response.status_code)
    return codes


async def test_faults_are_deterministic_with_a_seed(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    sandbox.user(1)
    sandbox.inject_faults(rate=0.3, kinds=("429", "500", "502"), seed=42)
    first = await outcomes(http, api, 40)
    sandbox.inject_faults(rate=0.3, kinds=("429", "500", "502"), seed=42)
    second = await outcomes(http, api, 40)
    sandbox.inject_faults(rate=0.3, kinds=("429", "500", "502"), seed=7)
    other_seed = await outcomes(http, api, 40)

    assert first == second
    assert first != other_seed
    assert {429, 500, 502} <= set(first)
    assert 4 <= sum(code != 200 for code in first) <= 20
    stats = sandbox.stats
    assert stats.injected_total == sum(code != 200 for code in first + second + other_seed)
    assert stats.delivered == sum(code == 200 for code in first + second + other_seed)
    assert stats.rejected_429 == 0  # injected 429s are not rate-limit rejections


async def test_injected_faults_reach_python_telegram_bot_as_its_errors(
    sandbox: Sandbox, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    sandbox.user(1)
    sandbox.fail_next("429")
    sandbox.fail_next("500")
    sandbox.fail_next("502")

    with pytest.raises(RetryAfter):
        await bot.send_message(1, "x")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(1, "x")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(1, "x")
    await bot.send_message(1, "x")

    assert sandbox.stats.injected == {"429": 1, "500": 1, "502": 1}
    assert len(sandbox.messages(1)) == 1


async def test_faults_apply_to_send_methods_only(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1)
    sandbox.inject_faults(rate=1.0, kinds=("500",), seed=1)

    assert (await bot.get_me()).username == sandbox.bot_username
    assert await bot.send_chat_action(1, "typing")
    with pytest.raises(NetworkError):
        await bot.send_message(1, "x")


async def test_a_scripted_fault_can_target_one_chat(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1)
    sandbox.user(2)
    sandbox.fail_next("500", times=2, chat_id=2)

    await bot.send_message(1, "fine")
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(2, "fails")
    await bot.send_message(2, "fine again")

    assert [m.text for m in sandbox.messages(2)] == ["fine again"]


async def test_a_slow_answer_is_delayed_then_delivered(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1)
    sandbox.inject_faults(rate=1.0, kinds=("slow",), seed=1, slow_seconds=0.3)
    started = time.monotonic()

    await bot.send_message(1, "eventually")

    assert time.monotonic() - started >= 0.3
    assert [m.text for m in sandbox.messages(1)] == ["eventually"]


async def test_a_timeout_holds_the_request_and_delivers_nothing(sandbox: Sandbox) -> None:
    sandbox.user(1)
    sandbox.inject_faults(rate=1.0, kinds=("timeout",), seed=1, hang_seconds=5)
    request = HTTPXRequest(read_timeout=0.3)

    async with Bot(sandbox.token, base_url=sandbox.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "lost")

    assert sandbox.messages(1) == []


async def test_a_delivered_timeout_sends_the_message_but_fails_the_answer(
    sandbox: Sandbox,
) -> None:
    sandbox.user(1)
    sandbox.fail_next("delivered_timeout")
    sandbox.inject_faults(rate=0.0, hang_seconds=5)
    request = HTTPXRequest(read_timeout=0.3)

    async with Bot(sandbox.token, base_url=sandbox.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "sent, but the bot cannot know")

    assert [m.text for m in sandbox.messages(1)] == ["sent, but the bot cannot know"]


async def test_stopping_the_sandbox_cuts_held_requests_short(
    sandbox: Sandbox, http: httpx.AsyncClient, api: str
) -> None:
    sandbox.user(1)
    sandbox.inject_faults(rate=1.0, kinds=("timeout",), seed=1, hang_seconds=30)
    held = asyncio.create_task(http.post(f"{api}/sendMessage", json={"chat_id": 1, "text": "x"}))
    await asyncio.sleep(0.2)
    started = time.monotonic()

    await sandbox.stop()
    response = await held

    assert response.status_code == 504
    assert time.monotonic() - started < 2


def test_a_fault_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultConfig(rate=0.1, kinds=("418",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        FaultConfig(rate=2)
