"""SIGTERM in the middle of a busy dispatch: exit 0 within 10 seconds, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.delivery.factories import seed_due_reminders
from tests.process.test_run_against_sandbox import _call, _command, sandbox_process

pytestmark = pytest.mark.slow

__all__ = ["sandbox_process"]  # the fixture, imported for this module's tests

DUE = 600
FIRST_USER = 600_000
RATE = 60  # messages/s: 600 take ten seconds, so SIGTERM lands mid-dispatch


def _reminder_chats(control: str) -> Counter[int]:
    chats: Counter[int] = Counter()
    since = 0
    while True:
        page = _call(f"{control}/sent?since={since}&limit=1000")
        chats.update(
            record["chat_id"]
            for record in page["sent"]
            if record["method"] == "sendMessage"
            and FIRST_USER <= record["chat_id"] < FIRST_USER + DUE
        )
        if page["next"] >= page["total"]:
            return chats
        since = page["next"]


def test_sigterm_mid_dispatch_exits_0_within_10_s_and_the_next_start_sends_the_rest(
    sandbox_process: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    seed_due_reminders(f"sqlite+aiosqlite:///{data / 'interval.db'}", DUE, first_user_id=FIRST_USER)
    control = f"http://127.0.0.1:{sandbox_process}/_sandbox"
    _call(f"{control}/users", {"users": [{"id": FIRST_USER + i} for i in range(DUE)]})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN="123456:TEST",
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{sandbox_process}/bot",
        DATA_DIR=str(data),
        TELEGRAM_RATE_LIMIT=str(RATE),
        DISPATCH_INTERVAL="0.5",
    )

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            _command("run"),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    first = start()
    try:
        deadline = time.monotonic() + 60
        while sum(_reminder_chats(control).values()) < DUE // 4:
            assert time.monotonic() < deadline, "the bot never got going"
            time.sleep(0.2)
        sent_before_stop = sum(_reminder_chats(control).values())
        assert sent_before_stop < DUE, "too late: everything was sent already"
        stopping = time.monotonic()
        first.send_signal(signal.SIGTERM)
        output, _ = first.communicate(timeout=15)
        took = time.monotonic() - stopping
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, output
    assert took <= 10, f"shutdown took {took:.1f} s"
    assert "Traceback" not in output, output

    second = start()
    try:
        deadline = time.monotonic() + 90
        while len(_reminder_chats(control)) < DUE and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=15)
    counts = _reminder_chats(control)
    assert len(counts) == DUE, f"{DUE - len(counts)} reminders were lost"
    assert max(counts.values()) == 1, "a graceful stop must not repeat a message"
