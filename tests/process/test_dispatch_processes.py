"""`interval-bot run` processes sending due reminders: a SIGKILL mid-send, two at once.

The sandbox runs inside the test (its Python API counts what each chat received); the bot
processes reach it over HTTP. Reminders go straight into the outbox through storage.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from bench.outbox_load import load_due_reminders
from sandbox import Sandbox
from storage.database import Database
from storage.records import OutboxState
from storage.schema import upgrade_to_head
from tests.delivery.helpers import rows
from tests.fixtures.database import PostgresServer

pytestmark = pytest.mark.slow

BATCH = 100
WAIT_S = 45.0


class BotProcess:
    """One `interval-bot run`, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out: IO[str] = log.open("w")
        self.process: asyncio.subprocess.Process | None = None
        self._env = env

    async def start(self) -> None:
        """Start the process."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli.main",
            "run",
            env=self._env,
            stdout=self._out,
            stderr=asyncio.subprocess.STDOUT,
        )

    async def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, claims stay claimed."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()
        self._out.close()

    async def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 20)
        finally:
            self._out.close()

    def output(self) -> str:
        """What the process logged."""
        return self.log.read_text()


def _env(sandbox: Sandbox, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=sandbox.token,
        TELEGRAM_BASE_URL=sandbox.base_url,
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path / "data"),
        # High enough that the run takes a few seconds, not the minutes 30/s would take.
        TELEGRAM_RATE_LIMIT="400",
        DISPATCH_BATCH_SIZE=str(BATCH),
        # A killed process's batch is taken over two seconds after its last renewal.
        DISPATCH_LEASE_SECONDS="2",
        DISPATCH_INTERVAL="0.5",
    )
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _per_chat(sandbox: Sandbox) -> Counter[int]:
    return Counter(r.chat_id for r in sandbox.sent if r.method == "sendMessage")


async def _until(condition: object, what: str, timeout: float = WAIT_S) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@contextmanager
def _postgres(server: PostgresServer) -> Iterator[str]:
    url = server.create_database("interval_dispatch")
    try:
        yield url
    finally:
        server.drop_database(url)


async def test_killed_mid_send_and_restarted_every_reminder_arrives_duplicates_at_most_a_batch(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'interval.db'}"
    await upgrade_to_head(url)
    database = Database(url)
    now = datetime.now(UTC)
    try:
        users = await load_due_reminders(
            database, 1000, now=now, due_at=lambda _i: now - timedelta(minutes=1)
        )
    finally:
        await database.dispose()
    for user_id in users:
        sandbox.user(user_id)
    env = _env(sandbox, url, tmp_path)

    first = BotProcess(env, tmp_path / "first.log")
    await first.start()
    await _until(lambda: sandbox.stats.delivered >= 300, "the first process to send 300")
    await first.kill()
    delivered_before_restart = sandbox.stats.delivered
    assert delivered_before_restart < 1000, "killed too late to test anything"

    second = BotProcess(env, tmp_path / "second.log")
    await second.start()
    try:
        await _until(lambda: len(_per_chat(sandbox)) == 1000, "every chat to get its reminder")
    finally:
        code = await second.stop()
    assert code == 0, second.output()

    per_chat = _per_chat(sandbox)
    duplicates = sum(n - 1 for n in per_chat.values())
    assert set(per_chat) == set(users)
    assert duplicates <= BATCH, f"{duplicates} duplicates"
    database = Database(url)
    try:
        assert {m.state for m in await rows(database)} == {OutboxState.SENT}
    finally:
        await database.dispose()
    assert "Traceback" not in second.output(), second.output()


async def test_two_processes_on_postgresql_send_each_of_2000_reminders_exactly_once(
    sandbox: Sandbox, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    with _postgres(postgres_server) as url:
        await upgrade_to_head(url)
        database = Database(url)
        try:
            now = datetime.now(UTC)
            # Due a few seconds from now: both processes are up and compete for them.
            due = now + timedelta(seconds=6)
            users = await load_due_reminders(database, 2000, now=now, due_at=lambda _i: due)
            for user_id in users:
                sandbox.user(user_id)
            # Webhook mode, as replicas run: only one process may long-poll a token.
            processes = [
                BotProcess(
                    _env(
                        sandbox,
                        url,
                        tmp_path,
                        TELEGRAM_RATE_LIMIT="1000",
                        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
                        WEBHOOK_SECRET="process-test-secret",
                        WEBHOOK_LISTEN="127.0.0.1",
                        WEBHOOK_PORT=str(port),
                    ),
                    tmp_path / f"bot{i}.log",
                )
                for i, port in enumerate((_free_port(), _free_port()), start=1)
            ]
            for process in processes:
                await process.start()
            try:
                await _until(lambda: len(_per_chat(sandbox)) == 2000, "all 2,000 reminders")
            finally:
                codes = [await process.stop() for process in processes]
            assert codes == [0, 0], [p.output() for p in processes]
            per_chat = _per_chat(sandbox)
            assert set(per_chat) == set(users)
            assert max(per_chat.values()) == 1
            stored = await rows(database)
            assert {m.state for m in stored} == {OutboxState.SENT}
            workers = Counter(m.claimed_by for m in stored)
            assert len(workers) == 2, f"one process did everything: {workers}"
            for process in processes:
                assert "Traceback" not in process.output(), process.output()
        finally:
            await database.dispose()


async def test_killed_twice_at_thirty_a_second_each_kill_repeats_only_what_was_on_the_wire(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set_limits(overall_rate=30, per_chat_rate=1)
    url = f"sqlite+aiosqlite:///{tmp_path / 'interval.db'}"
    await upgrade_to_head(url)
    database = Database(url)
    now = datetime.now(UTC)
    try:
        users = await load_due_reminders(
            database, 300, now=now, due_at=lambda _i: now - timedelta(minutes=1)
        )
    finally:
        await database.dispose()
    for user_id in users:
        sandbox.user(user_id)
    env = _env(sandbox, url, tmp_path, TELEGRAM_RATE_LIMIT="30")
    reached_at_kill: list[set[int]] = []
    for round_, kill_after in enumerate((80, 180)):
        process = BotProcess(env, tmp_path / f"killed{round_}.log")
        await process.start()
        await _until(lambda n=kill_after: len(_per_chat(sandbox)) >= n, f"{kill_after} reached")
        await process.kill()
        reached_at_kill.append(set(_per_chat(sandbox)))
    last = BotProcess(env, tmp_path / "last.log")
    await last.start()
    try:
        await _until(lambda: len(_per_chat(sandbox)) == 300, "every chat to get its reminder")
    finally:
        code = await last.stop()
    assert code == 0, last.output()
    per_chat = _per_chat(sandbox)
    twice = {chat for chat, n in per_chat.items() if n > 1}
    first_kill = twice & reached_at_kill[0]
    second_kill = twice - first_kill
    assert set(per_chat) == set(users), "none lost"
    assert max(per_chat.values()) <= 2
    # Outcomes are written every 250 ms: a kill repeats that much, not a batch of 100.
    assert len(first_kill) <= 30, sorted(first_kill)
    assert len(second_kill) <= 30, sorted(second_kill)
