"""The parts of the sender that need no Telegram: flood detection, backoff, labels."""

from __future__ import annotations

import random
import warnings
from datetime import UTC, datetime, timedelta

from telegram.error import RetryAfter

from bot.delivery.sender import (
    Delivered,
    Failed,
    FloodGuard,
    NotSent,
    RetryLater,
    RetryPolicy,
    outcome_label,
    retry_after_seconds,
)

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_a_few_429s_among_many_sends_do_not_look_like_a_flood() -> None:
    guard = FloodGuard()
    rng = random.Random(7)
    floods = 0
    for _ in range(10_000):
        limited = rng.random() < 0.02  # a 2% share of answers, as the broadcast benchmark uses
        floods += guard.record(limited=limited)
    assert floods == 0


def test_429s_in_a_row_are_a_flood() -> None:
    guard = FloodGuard()
    for _ in range(20):
        guard.record(limited=False)
    answers = [guard.record(limited=True) for _ in range(6)]
    assert answers == [False, False, False, False, True, True]


def test_backoff_doubles_up_to_the_cap_with_jitter_down_to_half() -> None:
    policy = RetryPolicy(base_delay=timedelta(seconds=30), max_delay=timedelta(minutes=5))
    rng = random.Random(1)
    for attempt, full in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (9, 300)]:
        for _ in range(50):
            delay = policy.delay(attempt, rng).total_seconds()
            assert full / 2 <= delay <= full


def test_retry_after_reads_seconds_without_a_deprecation_warning() -> None:
    with warnings.catch_warnings():
        # PTB itself reads the int form while building the error's message.
        warnings.simplefilter("ignore")
        errors = (RetryAfter(3), RetryAfter(timedelta(seconds=1.5)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [retry_after_seconds(error) for error in errors] == [3.0, 1.5]


def test_outcomes_have_short_labels_for_metrics() -> None:
    assert outcome_label(Delivered(1, NOW)) == "sent"
    assert outcome_label(RetryLater(NOW, "5xx")) == "retry"
    assert outcome_label(Failed("400: x")) == "failed"
    assert outcome_label(Failed("403: x", blocked=True)) == "blocked"
    assert outcome_label(NotSent("paused", drop=True)) == "dropped"
    assert outcome_label(NotSent("stopping")) == "released"


def test_the_fast_path_reserves_only_what_needs_no_wait() -> None:
    from bot.delivery.rate_limit import SendRateLimiter

    now = [100.0]
    limiter = SendRateLimiter(10, monotonic=lambda: now[0])
    assert limiter.try_acquire(1) == 100.0
    assert limiter.try_acquire(2) is None  # the overall slot is about 0.1 s away
    now[0] += 0.2
    assert limiter.try_acquire(1) is None  # the same chat waits a second
    assert limiter.try_acquire(2) == 100.2
    limiter.pause_all(5)
    now[0] += 1.5
    assert limiter.try_acquire(3) is None
