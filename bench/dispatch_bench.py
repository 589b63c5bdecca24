"""The dispatcher against the Bot API sandbox: throughput with no limits, lateness at 30/s.

    .venv/bin/python -m bench.dispatch_bench [--backend sqlite|postgresql]
        [--mode throughput|lateness|all] [--count N] [--lateness-count N]

- **throughput**: N reminders (default 10,000) all due now, the sandbox without limits, the
  pace far above it: reminders per second from one process (target >= 1,000).
- **lateness**: N reminders (default 10,000) due within the same minute, the sandbox
  enforcing 30 messages/s overall and 1/s per chat, the dispatcher at TELEGRAM_RATE_LIMIT=30:
  time to deliver all / (N / 30 s) (target <= 1.05), p50/p99 lateness (delivery time minus
  due time), lost (never delivered) and duplicates (delivered twice). The full size takes
  about six minutes per backend; `--lateness-count 1000` gives a quick look (its reminders
  come due within 6 s: the same density as 10,000 in a minute).
- **paid**: N reminders due now with TELEGRAM_PAID_BROADCAST: every send carries
  `allow_paid_broadcast`, the pace is 1,000/s and the sandbox enforces 1,000/s for such
  sends (30/s for the rest): the rate reached / 1,000 (target >= 0.95).

The sandbox runs as its own process (`interval-bot sandbox`), so its work does not share a
core with the dispatcher's. Each backend gets a throwaway database: a SQLite file in a
temporary directory, or a new database on the PostgreSQL server of BENCH_DATABASE_URL (else
TEST_DATABASE_URL, else postgresql+asyncpg://postgres@127.0.0.1:5432/test), dropped after.
The dispatcher is the production one (`bot.delivery.dispatcher.Dispatcher`) with the
process's settings: batch size, sends in flight, the aiohttp sending bot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench.outbox_load import load_due_reminders
from bench.sandbox_process import TOKEN, SandboxProcess, sandbox_process
from bot.clock import SystemClock
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rate_limit import SendRateLimiter
from bot.delivery.transport import AiohttpRequest, OutboxBot
from bot.render.outbox import outbox_renderers
from storage.database import Database
from storage.schema import upgrade_to_head

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

TELEGRAM_RATE = 30
PAID_RATE = 1000
BATCH_SIZE = 100
IN_FLIGHT = 64
# "Unlimited" for the throughput run: far above what one process can send.
NO_PACE = 1_000_000.0
FULL_SIZE = 10_000


# --- databases ----------------------------------------------------------------------------


@asynccontextmanager
async def throwaway_database(backend: str) -> AsyncIterator[Database]:
    """A migrated, empty database of `backend`, removed afterwards."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="interval-dispatch-bench-")
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        try:
            await upgrade_to_head(url)
            database = Database(url)
            try:
                yield database
            finally:
                await database.dispose()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", DEFAULT_SERVER
    )
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"interval_dispatch_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_to_head(url)
        database = Database(url)
        try:
            yield database
        finally:
            await database.dispose()
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def dispatcher_for(
    database: Database, sandbox: SandboxProcess, rate: float, *, paid: bool = False
) -> AsyncIterator[Dispatcher]:
    """The production dispatcher with its aiohttp bot, on the real clock."""
    bot = OutboxBot(TOKEN, base_url=sandbox.base_url, request=AiohttpRequest(IN_FLIGHT))
    await bot.initialize()
    dispatcher = Dispatcher(
        database,
        bot,
        SystemClock(),
        SendRateLimiter(rate),
        renderers=outbox_renderers(),
        worker_id=f"bench-{os.getpid()}",
        batch_size=BATCH_SIZE,
        max_in_flight=IN_FLIGHT,
        paid_broadcast=paid,
    )
    try:
        yield dispatcher
    finally:
        await dispatcher.close()
        await bot.shutdown()


# --- the two measurements -----------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What the sandbox saw, per chat."""

    lost: int
    duplicates: int


def _delivery(records: list[dict[str, Any]], user_ids: list[int]) -> Delivery:
    per_chat = Counter(r["chat_id"] for r in records if r["method"] == "sendMessage")
    lost = sum(1 for uid in user_ids if per_chat[uid] == 0)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    return Delivery(lost=lost, duplicates=duplicates)


async def throughput(backend: str, sandbox: SandboxProcess, count: int) -> None:
    """All due now, no limits anywhere: reminders per second."""
    async with throwaway_database(backend) as database:
        now = datetime.now(UTC)
        user_ids = await load_due_reminders(
            database, count, now=now, due_at=lambda _i: now - timedelta(minutes=1)
        )
        sandbox.reset(user_ids, overall_rate=None, per_chat_rate=None)
        async with dispatcher_for(database, sandbox, NO_PACE) as dispatcher:
            started = time.perf_counter()
            handled = await dispatcher.run_until_idle()
            elapsed = time.perf_counter() - started
        delivery = _delivery(sandbox.sent(), user_ids)
    print(
        f"throughput {backend:10s} {handled} reminders in {elapsed:.2f} s = "
        f"{handled / elapsed:,.0f} reminders/s (target >= 1,000); "
        f"lost {delivery.lost}, duplicates {delivery.duplicates}",
        flush=True,
    )


async def lateness(backend: str, sandbox: SandboxProcess, count: int) -> None:
    """Due within one minute, 30/s enforced: how late, how close to the ideal, none lost."""
    async with throwaway_database(backend) as database:
        now = datetime.now(UTC)
        # Loading and creating users take a while; the minute starts once they are done.
        start = now + timedelta(seconds=5 + count / 2000)
        # 10,000 in one minute is ~167 due per second, far above 30/s; a smaller run keeps
        # that density (its minute shrinks), so that its ratio means the same thing.
        spread = 60.0 * min(1.0, count / FULL_SIZE) / count
        user_ids = await load_due_reminders(
            database,
            count,
            now=now,
            due_at=lambda i: start + timedelta(seconds=i * spread),
        )
        sandbox.reset(user_ids, overall_rate=TELEGRAM_RATE, per_chat_rate=1)
        due = {uid: start + timedelta(seconds=i * spread) for i, uid in enumerate(user_ids)}
        async with dispatcher_for(database, sandbox, TELEGRAM_RATE) as dispatcher:
            await dispatcher.start()
            try:
                # The process's repeating job: wake every 2 s until everything went out.
                while True:
                    await asyncio.sleep(2.0)
                    dispatcher.wake()
                    async with database.unit_of_work(read_only=True) as uow:
                        stats = await uow.outbox.stats(now=datetime.now(UTC))
                    if stats.pending == 0 and stats.claimed == 0:
                        break
            finally:
                await dispatcher.close()
        records = sandbox.sent()
        stats = sandbox.stats()
    delivery = _delivery(records, user_ids)
    first = {}
    for record in records:
        first.setdefault(record["chat_id"], record["at"])
    late = sorted(first[uid] - due[uid].timestamp() for uid in user_ids if uid in first)
    total = max(first.values()) - start.timestamp()
    ideal = count / TELEGRAM_RATE
    p50 = statistics.median(late)
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    print(
        f"lateness   {backend:10s} {count} due in one minute at {TELEGRAM_RATE}/s: all delivered "
        f"in {total:.1f} s, ideal {ideal:.1f} s, ratio {total / ideal:.3f} (target <= 1.05); "
        f"lateness p50 {p50:.1f} s, p99 {p99:.1f} s; lost {delivery.lost}, "
        f"duplicates {delivery.duplicates}; sandbox max {stats['max_per_second']}/s, "
        f"429s {stats['rejected_429']}",
        flush=True,
    )


async def paid(backend: str, sandbox: SandboxProcess, count: int) -> None:
    """Paid broadcasts: the sandbox takes 1,000/s with allow_paid_broadcast; so does the pace."""
    async with throwaway_database(backend) as database:
        now = datetime.now(UTC)
        user_ids = await load_due_reminders(
            database, count, now=now, due_at=lambda _i: now - timedelta(minutes=1)
        )
        sandbox.reset(user_ids, overall_rate=TELEGRAM_RATE, per_chat_rate=1, paid_rate=PAID_RATE)
        async with dispatcher_for(database, sandbox, PAID_RATE, paid=True) as dispatcher:
            await dispatcher.run_until_idle()
        records = [r for r in sandbox.sent() if r["method"] == "sendMessage"]
        stats = sandbox.stats()
    delivery = _delivery(records, user_ids)
    times = sorted(float(r["at"]) for r in records)
    rate = (len(times) - 1) / (times[-1] - times[0])
    carried = sum(1 for r in records if r.get("paid"))
    print(
        f"paid       {backend:10s} {len(records)} reminders with allow_paid_broadcast "
        f"({carried} carried it) at TELEGRAM_RATE_LIMIT={PAID_RATE}: {rate:,.0f} msg/s = "
        f"{rate / PAID_RATE:.3f} of {PAID_RATE}/s (target >= 0.95); lost {delivery.lost}, "
        f"duplicates {delivery.duplicates}; sandbox max paid {stats['max_paid_per_second']}/s, "
        f"429s {stats['rejected_429']}",
        flush=True,
    )


async def main(args: argparse.Namespace) -> None:
    """Run the chosen measurements on the chosen backends."""
    backends = [args.backend] if args.backend else ["sqlite", "postgresql"]
    with sandbox_process() as sandbox:
        for backend in backends:
            if args.mode in ("throughput", "all"):
                await throughput(backend, sandbox, args.count)
            if args.mode in ("lateness", "all"):
                await lateness(backend, sandbox, args.lateness_count)
            if args.mode in ("paid", "all"):
                await paid(backend, sandbox, args.count)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument("--mode", choices=("throughput", "lateness", "paid", "all"), default="all")
    parser.add_argument("--count", type=int, default=10_000, help="throughput run size")
    parser.add_argument(
        "--lateness-count", type=int, default=10_000, help="lateness run size (30/s)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
