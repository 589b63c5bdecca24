"""Storage at scale: bulk-load N patients, 2N treatments and N pending outbox rows, then time
the two hot queries (claiming a batch of due messages; one patient's history) and report the
database size per patient.

    .venv/bin/python -m bench.storage_bench [--backend sqlite|postgresql] [--patients N]

Without --backend both run, one after the other. Each run uses its own throwaway database
(PostgreSQL: a new database on the server of BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
postgresql+asyncpg://postgres@127.0.0.1:5432/test; SQLite: a file in a temporary directory)
and drops it at the end. The schema comes from the real migrations.

Data is generated inside the database (PostgreSQL: generate_series; SQLite: a recursive
CTE), so loading is bound by the database, not by Python. Outbox rows are due uniformly
from 10 days ago to 190 days ahead: about 5% are due, as after a short outage.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database
from storage.schema import upgrade_to_head

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CLAIMS = 50
HISTORIES = 200
WARM_UP = 5
BATCH = 100
USER_ID_BASE = 1_000_000_000
PAST_SECONDS = 10 * 86_400
SPREAD_SECONDS = 200 * 86_400


@dataclass(frozen=True)
class Sizes:
    """How much data to generate."""

    patients: int

    @property
    def treatments(self) -> int:
        """Two per patient."""
        return 2 * self.patients

    @property
    def outbox(self) -> int:
        """One pending message per patient."""
        return self.patients


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_statements(sizes: Sizes, now: datetime) -> list[tuple[str, str]]:
    n, epoch = sizes.patients, _epoch(now)
    at = f"to_timestamp({epoch})"
    return [
        (
            "patients",
            f"""
            INSERT INTO patients (id, telegram_user_id, chat_id, language, timezone,
                reminder_hour, heads_up_days, quiet_start, quiet_end, state, consent_at,
                consent_version, broadcasts_opt_out, created_at)
            SELECT g, {USER_ID_BASE} + g, {USER_ID_BASE} + g,
                CASE WHEN g % 3 = 0 THEN 'es' ELSE 'en' END, 'Europe/Berlin', 9, 2,
                time '22:00', time '08:00', 'active', {at}, 'v1', false, {at}
            FROM generate_series(1, {n}) AS g;
            SELECT setval(pg_get_serial_sequence('patients', 'id'), {n});
            """,
        ),
        (
            "treatments",
            # Patient (g % n) + 1: a patient's two rows lie far apart, as in real life.
            f"""
            INSERT INTO treatments (patient_id, procedure, on_date, note, created_at,
                updated_at)
            SELECT (g % {n}) + 1,
                CASE WHEN g % 2 = 0 THEN 'botox' ELSE 'microneedling' END,
                date '2025-01-01' + (g % 700), '', {at}, {at}
            FROM generate_series(0, {sizes.treatments - 1}) AS g;
            """,
        ),
        (
            "outbox",
            f"""
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key,
                state, priority, attempts, created_at)
            SELECT CASE WHEN g % 10 = 0 THEN 'broadcast' ELSE 'reminder' END, g,
                {USER_ID_BASE} + g,
                {at} + make_interval(secs => ((g::bigint * 7919) % {SPREAD_SECONDS})
                    - {PAST_SECONDS}),
                jsonb_build_object('kind', 'may_book', 'procedure', 'microneedling',
                    'local_date', '2026-05-01', 'guidance_version', 0),
                'may_book:microneedling:' || g, 'pending',
                CASE WHEN g % 10 = 0 THEN 2 ELSE 0 END, 0, {at}
            FROM generate_series(1, {sizes.outbox}) AS g;
            """,
        ),
        ("analyze", "ANALYZE;"),
    ]


@asynccontextmanager
async def _postgresql_url() -> AsyncIterator[str]:
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", DEFAULT_SERVER
    )
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"interval_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _pg_size(connection: AsyncConnection) -> int:
    return int(await connection.scalar(text("SELECT pg_database_size(current_database())")))


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_time(epoch_expression: str) -> str:
    # SQLAlchemy's SQLite DATETIME text: fixed width, microseconds, UTC (see storage.types).
    return f"(strftime('%Y-%m-%d %H:%M:%S', {epoch_expression}, 'unixepoch') || '.000000')"


def _sqlite_statements(sizes: Sizes, now: datetime) -> list[tuple[str, str]]:
    n, epoch = sizes.patients, _epoch(now)
    at = _sqlite_time(str(epoch))

    def series(last: int, first: int = 1) -> str:
        return (
            f"WITH RECURSIVE g(x) AS (SELECT {first} UNION ALL SELECT x + 1 FROM g "
            f"WHERE x < {last}) "
        )

    return [
        (
            "patients",
            series(n)
            + f"""
            INSERT INTO patients (id, telegram_user_id, chat_id, language, timezone,
                reminder_hour, heads_up_days, quiet_start, quiet_end, state, consent_at,
                consent_version, broadcasts_opt_out, created_at)
            SELECT x, {USER_ID_BASE} + x, {USER_ID_BASE} + x,
                CASE WHEN x % 3 = 0 THEN 'es' ELSE 'en' END, 'Europe/Berlin', 9, 2,
                '22:00:00.000000', '08:00:00.000000', 'active', {at}, 'v1', 0, {at}
            FROM g
            """,
        ),
        (
            "treatments",
            series(sizes.treatments - 1, first=0)
            + f"""
            INSERT INTO treatments (patient_id, procedure, on_date, note, created_at,
                updated_at)
            SELECT (x % {n}) + 1,
                CASE WHEN x % 2 = 0 THEN 'botox' ELSE 'microneedling' END,
                date('2025-01-01', '+' || (x % 700) || ' days'), '', {at}, {at}
            FROM g
            """,
        ),
        (
            "outbox",
            series(sizes.outbox)
            + f"""
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key,
                state, priority, attempts, created_at)
            SELECT CASE WHEN x % 10 = 0 THEN 'broadcast' ELSE 'reminder' END, x,
                {USER_ID_BASE} + x,
                {_sqlite_time(f"{epoch} + ((x * 7919) % {SPREAD_SECONDS}) - {PAST_SECONDS}")},
                json_object('kind', 'may_book', 'procedure', 'microneedling',
                    'local_date', '2026-05-01', 'guidance_version', 0),
                'may_book:microneedling:' || x, 'pending',
                CASE WHEN x % 10 = 0 THEN 2 ELSE 0 END, 0, {at}
            FROM g
            """,
        ),
        ("analyze", "ANALYZE"),
    ]


@asynccontextmanager
async def _sqlite_url() -> AsyncIterator[str]:
    directory = Path(tempfile.mkdtemp(prefix="interval_bench_"))
    try:
        yield f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def _sqlite_size(connection: AsyncConnection) -> int:
    # Pages in use, whether they still sit in the WAL or are checkpointed into the file.
    pages = await connection.scalar(text("PRAGMA page_count"))
    page_size = await connection.scalar(text("PRAGMA page_size"))
    return int(pages) * int(page_size)


# --- the run ------------------------------------------------------------------------------


async def _timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms"


async def _load(db: Database, sizes: Sizes, now: datetime) -> list[tuple[str, float]]:
    statements = (
        _pg_statements(sizes, now)
        if db.dialect_name == "postgresql"
        else _sqlite_statements(sizes, now)
    )
    timings: list[tuple[str, float]] = []
    for name, sql in statements:
        start = time.perf_counter()
        async with db.engine.begin() as connection:
            if db.dialect_name == "postgresql":
                # asyncpg runs several statements in one call only without parameters.
                raw = await connection.get_raw_connection()
                await raw.driver_connection.execute(sql)  # type: ignore[union-attr]
            else:
                await connection.exec_driver_sql(sql)
        timings.append((name, time.perf_counter() - start))
    if db.dialect_name == "sqlite":
        # A bulk load leaves the whole database in the WAL; fold it into the file once, as
        # an import would, so that the hot queries below see the steady state.
        start = time.perf_counter()
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA wal_checkpoint(TRUNCATE)"
            )
        timings.append(("checkpoint", time.perf_counter() - start))
    return timings


async def run_backend(backend: str, sizes: Sizes) -> None:
    """Load, measure and print for one backend; the database is dropped afterwards."""
    url_context = _postgresql_url() if backend == "postgresql" else _sqlite_url()
    now = datetime.now(UTC).replace(microsecond=0)
    async with url_context as url:
        await upgrade_to_head(url)
        db = Database(url)
        try:
            timings = await _load(db, sizes, now)
            async with db.unit_of_work(read_only=True) as uow:
                due = (await uow.outbox.stats(now=now)).due
            loaded = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings)
            total = sum(seconds for _, seconds in timings)
            print(
                f"[{backend}] generated {sizes.patients:,} patients, {sizes.treatments:,} "
                f"treatments, {sizes.outbox:,} pending outbox rows ({due:,} due) in "
                f"{total:.1f} s ({loaded})"
            )

            async def claim() -> None:
                async with db.unit_of_work() as uow:
                    claimed = await uow.outbox.claim_due(
                        now=now, worker_id="bench", limit=BATCH, lease_seconds=60
                    )
                    await uow.commit()
                assert len(claimed) == BATCH, f"only {len(claimed)} rows were due"

            claims = [await _timed(claim) for _ in range(WARM_UP + CLAIMS)][WARM_UP:]
            print(
                f"[{backend}] claim a {BATCH}-row batch (one unit of work, committed): "
                f"{_summary(claims)} over {CLAIMS} claims (target <= 10 ms)"
            )

            chooser = random.Random(4)
            patients = [chooser.randint(1, sizes.patients) for _ in range(WARM_UP + HISTORIES)]

            async def history(patient_id: int) -> None:
                async with db.unit_of_work(read_only=True) as uow:
                    entries = await uow.treatments.history(patient_id)
                assert len(entries) == 2

            histories = [await _timed(lambda p=p: history(p)) for p in patients][WARM_UP:]
            print(
                f"[{backend}] one patient's history (read-only unit of work): "
                f"{_summary(histories)} over {HISTORIES} patients (target <= 2 ms)"
            )

            async with db.engine.connect() as connection:
                if backend == "postgresql":
                    size = await _pg_size(connection)
                else:
                    size = await _sqlite_size(connection)
            print(
                f"[{backend}] database size {size / 2**20:,.0f} MiB = "
                f"{size / sizes.patients:,.0f} bytes per patient (with 2 treatments and "
                f"1 outbox row each, indexes included)"
            )
        finally:
            await db.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for the chosen backends."""
    parser = argparse.ArgumentParser(prog="python -m bench.storage_bench", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default=None)
    parser.add_argument("--patients", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.patients < (WARM_UP + CLAIMS) * BATCH * 20:
        parser.error(f"--patients must be at least {(WARM_UP + CLAIMS) * BATCH * 20:,}")
    sizes = Sizes(args.patients)
    backends = [args.backend] if args.backend else ["sqlite", "postgresql"]
    for backend in backends:
        asyncio.run(run_backend(backend, sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
