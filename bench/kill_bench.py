"""What a kill -9 repeats: 300 reminders due at once at 30/s, `interval-bot run` killed twice.

    .venv/bin/python -m bench.kill_bench [--count 300]

The sandbox (a process of its own) enforces 30 messages/s overall and 1/s per chat. The
bot process is killed with SIGKILL after 80 and after 180 members were reached, started
again each time, and left to finish. Printed: lost (never reached) and the duplicates each
kill caused (a member reached before a kill and again after it). Goal: 0 lost, at most 30
duplicates per kill: outcomes are written every 250 ms, so only that much can be repeated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.outbox_load import load_due_reminders
from bench.sandbox_process import TOKEN, SandboxProcess, sandbox_process
from storage.database import Database
from storage.schema import upgrade_to_head

RATE = 30
KILLS = (80, 180)


def _reached(sandbox: SandboxProcess) -> Counter[int]:
    return Counter(r["chat_id"] for r in sandbox.sent() if r["method"] == "sendMessage")


async def _load(url: str, count: int) -> list[int]:
    await upgrade_to_head(url)
    database = Database(url)
    now = datetime.now(UTC)
    try:
        return await load_due_reminders(
            database, count, now=now, due_at=lambda _i: now - timedelta(minutes=1)
        )
    finally:
        await database.dispose()


def _wait(sandbox: SandboxProcess, reached: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len(_reached(sandbox)) < reached:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{reached} members were not reached within {seconds:g} s")
        time.sleep(0.05)


def run(count: int) -> None:
    """Kill twice, finish, count."""
    with sandbox_process() as sandbox, tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'interval.db'}"
        users = asyncio.run(_load(url, count))
        sandbox.reset(users, overall_rate=RATE, per_chat_rate=1)
        ours = ("TELEGRAM_", "DATABASE_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=sandbox.base_url,
            DATABASE_URL=url,
            DATA_DIR=folder,
            TELEGRAM_RATE_LIMIT=str(RATE),
            DISPATCH_LEASE_SECONDS="2",
            DISPATCH_INTERVAL="0.5",
            LOG_LEVEL="WARNING",
        )
        command = [sys.executable, "-m", "bot.cli.main", "run"]
        reached_before: list[set[int]] = []
        for kill_after in KILLS:
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
            _wait(sandbox, kill_after, 120)
            process.send_signal(signal.SIGKILL)
            process.wait()
            reached_before.append(set(_reached(sandbox)))
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            _wait(sandbox, count, count / RATE * 3 + 60)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        reached = _reached(sandbox)
        stats = sandbox.stats()
    twice = {chat for chat, n in reached.items() if n > 1}
    first, second = twice & reached_before[0], twice - reached_before[0]
    lost = sum(1 for user in users if reached[user] == 0)
    print(
        f"kill -9 twice: {count} reminders due at once at {RATE}/s, killed after "
        f"{KILLS[0]} and {KILLS[1]} reached; {datetime.now(UTC).isoformat(timespec='seconds')}"
    )
    print(
        f"lost {lost}, duplicates {len(first)} (first kill) + {len(second)} (second kill) "
        f"(goal: 0 lost, <= 30 per kill); the last process finished in "
        f"{time.monotonic() - started:.1f} s; sandbox 429s {stats['rejected_429']}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300)
    run(parser.parse_args(argv).count)


if __name__ == "__main__":
    main()
