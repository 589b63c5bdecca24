"""How many patients Interval answers at once, beside a bare python-telegram-bot echo bot.

    .venv/bin/python -m bench.updates_bench [--patients 100] [--each 5] [--profile FILE]

Both peers run as processes of their own against the same sandbox process (no rate limit:
each is measured at what it can do), one after the other in the same run, with the same
patients sending the same number of messages at once:

- **echo**: `bench/echo_bot.py`, PTB's defaults, answers every text with the same text;
- **interval**: `interval-bot run` on a SQLite file where every patient has a Botox logged,
  each message a `/next` (the outlook: history, guidance, blocked windows, reminders).

Printed per peer: answers, answers/s, latency p50 / p99 (send to answer, matched per chat
in order), then the ratio. Then two Interval-only lines: a mix of commands and button
presses (a /history entry opened, the reminder-time menu), and /next paced at half the
burst rate, where the goal is p99 < 100 ms. Goal for the burst: interval >= 0.4 x echo.
`--profile FILE` runs the Interval process under cProfile and prints its top lines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.sandbox_process import TOKEN, SandboxProcess, sandbox_process
from bot.usecases import patients
from bot.usecases.treatments import log_treatment
from rules import Procedure
from storage.database import Database
from storage.schema import upgrade_to_head

FIRST_USER = 810_000
# The goal: Interval answers at least this share of what the echo bot answers per second.
GOAL_RATIO = 0.4
GOAL_P99_MS = 100.0


@dataclass(frozen=True)
class Result:
    """One load on one peer."""

    label: str
    answers: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        """Answers per second, from the first message sent to the last answer."""
        return self.answers / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """A latency percentile, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def line(self) -> str:
        """The printed figures."""
        return (
            f"{self.label:<28} {self.answers:>7} {self.seconds:>8.2f} {self.rate:>9.1f} "
            f"{self.percentile(0.5):>8.1f} {self.percentile(0.99):>8.1f}"
        )


class Peer:
    """A bot process against the sandbox."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self._command = command
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, sandbox: SandboxProcess, ready: Callable[[], bool]) -> None:
        """Start it and wait until `ready()` says it answers."""
        self._process = subprocess.Popen(
            self._command, env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while not ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"the peer did not start: {error[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM, and wait."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            self._process.wait(timeout=60)


def _answers_since(sandbox: SandboxProcess, since: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while True:
        page = sandbox.call(f"/_sandbox/sent?since={since}&limit=5000")
        records.extend(page["sent"])
        if page["next"] >= page["total"]:
            return records
        since = page["next"]


def _send_all(
    sandbox: SandboxProcess, messages: Sequence[tuple[int, str]], pace: float | None
) -> dict[int, list[float]]:
    """Send every (user, text), at once or one every `pace` s; the send times per chat."""
    sent: dict[int, list[float]] = defaultdict(list)

    def one(user: int, text: str) -> None:
        sent_at = time.time()
        sandbox.send(user, text)
        sent[user].append(sent_at)

    if pace is None:
        with ThreadPoolExecutor(16) as pool:
            for user, text in messages:
                pool.submit(one, user, text)
    else:
        start = time.monotonic()
        for index, (user, text) in enumerate(messages):
            delay = start + index * pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            one(user, text)
    for times in sent.values():
        times.sort()
    return sent


def measure(
    sandbox: SandboxProcess,
    label: str,
    messages: Sequence[tuple[int, str]],
    *,
    pace: float | None = None,
    methods: frozenset[str] = frozenset({"sendMessage"}),
) -> Result:
    """Send `messages`, wait for one answer each, and time it."""
    since = int(sandbox.call("/_sandbox/sent?since=0&limit=1")["total"])
    sent = _send_all(sandbox, messages, pace)
    deadline = time.monotonic() + 120
    answers: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        answers = [a for a in _answers_since(sandbox, since) if a["method"] in methods]
        if len(answers) >= len(messages):
            break
        time.sleep(0.1)
    per_chat: dict[int, list[float]] = defaultdict(list)
    for answer in answers:
        per_chat[int(answer["chat_id"])].append(float(answer["at"]))
    latencies = [
        answered - asked
        for chat, times in sent.items()
        for asked, answered in zip(times, sorted(per_chat[chat]), strict=False)
    ]
    first = min(t for times in sent.values() for t in times)
    last = max((float(a["at"]) for a in answers), default=first)
    return Result(label, len(answers), last - first, latencies)


async def _prepare(url: str, users: Sequence[int]) -> None:
    await upgrade_to_head(url)
    database = Database(url)
    now = datetime.now(UTC)
    try:
        for user in users:
            patient = await patients.consent(
                database,
                telegram_user_id=user,
                chat_id=user,
                language="en",
                timezone="Europe/Berlin",
                now=now,
            )
            await log_treatment(database, patient, Procedure.BOTOX, date.today(), now)
    finally:
        await database.dispose()


def _answered(sandbox: SandboxProcess, user: int, text: str) -> Callable[[], bool]:
    def ready() -> bool:
        before = int(sandbox.call("/_sandbox/sent?since=0&limit=1")["total"])
        sandbox.send(user, text)
        time.sleep(1.0)
        return int(sandbox.call("/_sandbox/sent?since=0&limit=1")["total"]) > before

    return ready


def _latest(sandbox: SandboxProcess, user: int) -> dict[str, Any]:
    return sandbox.messages(user)[-1]


def mix(sandbox: SandboxProcess, users: Sequence[int]) -> Result:
    """Commands and presses: /history, its first entry, /settings, its reminder-time menu."""
    first = measure(
        sandbox,
        "interval mix: commands",
        [(u, t) for u in users for t in ("/history", "/settings")],
    )
    presses: list[tuple[int, int, str]] = []
    for user in users:
        messages = sandbox.messages(user)
        history = next(m for m in reversed(messages) if "Your treatments" in (m["text"] or ""))
        settings = next(m for m in reversed(messages) if "Your settings" in (m["text"] or ""))
        presses.append((user, history["message_id"], history["buttons"][0][0]["text"]))
        presses.append((user, settings["message_id"], "⏰ Reminder time"))
    since = int(sandbox.call("/_sandbox/sent?since=0&limit=1")["total"])
    started = time.time()
    with ThreadPoolExecutor(16) as pool:
        for user, message_id, text in presses:
            pool.submit(
                sandbox.call,
                f"/_sandbox/users/{user}/press",
                {"message_id": message_id, "text": text},
            )
    deadline = time.monotonic() + 120
    edits: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        edits = [a for a in _answers_since(sandbox, since) if a["method"] == "editMessageText"]
        if len(edits) >= len(presses):
            break
        time.sleep(0.1)
    last = max((float(e["at"]) for e in edits), default=started)
    total = first.answers + len(edits)
    seconds = first.seconds + (last - started)
    return Result("interval mix (+ presses)", total, seconds, first.latencies)


def run(args: argparse.Namespace) -> None:
    """Both peers, then the Interval-only lines."""
    users = [FIRST_USER + i for i in range(args.patients)]
    burst = [(user, "/next") for _ in range(args.each) for user in users]
    with sandbox_process() as sandbox, tempfile.TemporaryDirectory() as folder:
        sandbox.reset(users, overall_rate=None, per_chat_rate=None)
        ours = ("TELEGRAM_", "DATABASE_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        echo = Peer([sys.executable, "-m", "bench.echo_bot", TOKEN, sandbox.base_url], env)
        echo.start(sandbox, _answered(sandbox, users[0], "ping"))
        try:
            echo_result = measure(
                sandbox, "echo bot (PTB defaults)", [(u, "/next") for u, _ in burst]
            )
        finally:
            echo.stop()

        url = f"sqlite+aiosqlite:///{Path(folder) / 'interval.db'}"
        asyncio.run(_prepare(url, users))
        interval_env = dict(
            env,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=sandbox.base_url,
            DATABASE_URL=url,
            DATA_DIR=folder,
            # The pace is Telegram's business: here the bot is measured at what it can do.
            TELEGRAM_RATE_LIMIT="10000",
            LOG_LEVEL="WARNING",
        )
        command = [sys.executable, "-m", "bot.cli.main", "run"]
        if args.profile:
            command = [
                sys.executable,
                "-m",
                "cProfile",
                "-o",
                args.profile,
                "-m",
                "bot.cli.main",
                "run",
            ]
        interval = Peer(command, interval_env)
        interval.start(sandbox, _answered(sandbox, users[0], "/help"))
        try:
            interval_result = measure(sandbox, "interval /next", burst)
            mixed = mix(sandbox, users)
            half = interval_result.rate / 2
            paced = [(users[i % len(users)], "/next") for i in range(int(half * 10))]
            paced_result = measure(sandbox, f"interval /next at {half:.0f}/s", paced, pace=1 / half)
        finally:
            interval.stop()
    print(
        f"{args.patients} patients x {args.each} messages at once; sandbox without limits; "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}"
    )
    print(
        f"{'peer':<28} {'answers':>7} {'seconds':>8} {'answers/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    )
    for result in (echo_result, interval_result, mixed, paced_result):
        print(result.line())
    ratio = interval_result.rate / echo_result.rate if echo_result.rate else float("nan")
    print(
        f"ratio interval / echo: {ratio:.2f} (goal >= {GOAL_RATIO}); "
        f"p99 at half the rate: {paced_result.percentile(0.99):.1f} ms (goal < {GOAL_P99_MS:g})"
    )
    if args.profile:
        print(f"\nprofile of the Interval process ({args.profile}), by own time:")
        stats = pstats.Stats(args.profile)
        stats.sort_stats("tottime").print_stats(25)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--each", type=int, default=5, help="messages per patient at once")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the Interval process")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
