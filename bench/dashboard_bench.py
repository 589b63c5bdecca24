"""The clinic dashboard at scale: one clinic of 100,000 members and a year of reminders.

    .venv/bin/python -m bench.dashboard_bench [--backend sqlite|postgresql] [--members N]
        [--requests N]

Generates, inside the database (PostgreSQL: generate_series; SQLite: a recursive CTE):
N patients in one clinic (90% active, 6% paused, 4% blocked) who joined over the past year,
4 sent reminders per member over the year and one pending, a "Booked" audit entry for one
reminder in ten, and one finished broadcast to every member (95% delivered, the rest
blocked, opted out or failed). Then times the overview and that broadcast's report through
the real aiohttp application: the median server time of N requests (a middleware times
the handler, so the figure leaves out the test client), and prints every SQL statement
each page runs (an SQLAlchemy event listener). Goal: <= 200 ms per page.

Each backend runs in its own throwaway database (PostgreSQL: a new database on the
server of BENCH_DATABASE_URL, TEST_DATABASE_URL or postgres@127.0.0.1/test), dropped at
the end; the schema comes from the real migrations.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event

from bench.storage_bench import _postgresql_url, _sqlite_time, _sqlite_url
from bot.clock import FakeClock
from bot.config import Settings
from bot.context import Services
from bot.web.dashboard import DashboardServices, build_dashboard
from bot.web.dashboard.sessions import COOKIE, SessionCodec, new_session
from storage.database import Database
from storage.schema import upgrade_to_head

YEAR = 365 * 86_400
OWNER = 42
USER_ID_BASE = 1_000_000_000
REMINDERS_PER_MEMBER = 4
BROADCAST_ID = 1


def _pg(n: int, epoch: int) -> list[tuple[str, str]]:
    at = f"to_timestamp({epoch})"

    def ago(expression: str) -> str:
        return f"to_timestamp({epoch} - ({expression}))"

    return [
        (
            "clinic",
            f"""
            INSERT INTO clinics (id, name, join_code, timezone, guidance_version, created_at,
                question_reminder_hours)
            VALUES (1, 'Bench Clinic', 'benchjoincode', 'Europe/Madrid', 0, {at}, 24);
            INSERT INTO clinic_staff (clinic_id, telegram_user_id, role, added_at, display_name)
            VALUES (1, {OWNER}, 'owner', {at}, 'Owner');
            """,
        ),
        (
            "patients",
            f"""
            INSERT INTO patients (id, telegram_user_id, chat_id, language, timezone,
                reminder_hour, heads_up_days, state, consent_at, consent_version,
                broadcasts_opt_out, aftercare_off, created_at)
            SELECT g, {USER_ID_BASE} + g, {USER_ID_BASE} + g, 'en', 'Europe/Madrid', 9, 2,
                CASE WHEN g % 50 < 3 THEN 'paused' WHEN g % 50 < 5 THEN 'blocked'
                    ELSE 'active' END,
                {at}, 'v1', g % 100 = 7, false, {at}
            FROM generate_series(1, {n}) AS g;
            INSERT INTO memberships (patient_id, clinic_id, joined_at)
            SELECT g, 1, {ago(f"(g::bigint * 7919) % {YEAR}")} FROM generate_series(1, {n}) g;
            """,
        ),
        (
            "reminders",
            f"""
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key, state,
                priority, attempts, sent_at, clinic_id, created_at)
            SELECT 'reminder', (g % {n}) + 1, {USER_ID_BASE} + (g % {n}) + 1,
                {ago(f"(g::bigint * 104729) % {YEAR}")}, '{{}}'::jsonb,
                'may_book:botox:' || g, 'sent', 0, 1,
                {ago(f"(g::bigint * 104729) % {YEAR}")}, 1, {at}
            FROM generate_series(0, {n * REMINDERS_PER_MEMBER - 1}) AS g;
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key, state,
                priority, attempts, clinic_id, created_at)
            SELECT 'reminder', g, {USER_ID_BASE} + g,
                to_timestamp({epoch} + (g::bigint * 7919) % (60 * 86400)), '{{}}'::jsonb,
                'may_book:microneedling:next' || g, 'pending', 0, 0, 1, {at}
            FROM generate_series(1, {n}) AS g;
            """,
        ),
        (
            "bookings",
            f"""
            INSERT INTO audit_log (at, actor_kind, action, clinic_id, subject_patient_id,
                details)
            SELECT {ago(f"(g::bigint * 15485863) % {YEAR}")}, 'patient', 'reminder.booked', 1,
                (g % {n}) + 1, '{{}}'::jsonb
            FROM generate_series(1, {n * REMINDERS_PER_MEMBER // 10}) AS g;
            """,
        ),
        (
            "broadcast",
            f"""
            INSERT INTO broadcasts (id, clinic_id, author_user_id, text, audience, state,
                total_count, sent_count, blocked_count, failed_count, created_at, queued_at,
                finished_at)
            VALUES ({BROADCAST_ID}, 1, {OWNER}, 'Open day on Friday', '{{"kind": "all"}}',
                'done', {n}, {n * 95 // 100}, {n * 2 // 100}, {n * 3 // 100},
                {ago("86400")}, {ago("86400")}, {ago("80000")});
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key, state,
                priority, attempts, last_error, sent_at, broadcast_id, clinic_id, created_at)
            SELECT 'broadcast', g, {USER_ID_BASE} + g, {ago("86400")}, '{{}}'::jsonb,
                'broadcast:{BROADCAST_ID}', CASE WHEN g % 100 < 95 THEN 'sent' ELSE 'failed' END,
                2, 1,
                CASE WHEN g % 100 < 95 THEN NULL
                    WHEN g % 100 < 97 THEN 'patient blocked the bot'
                    WHEN g % 100 < 99 THEN 'the patient turned clinic messages off'
                    ELSE 'Bad Request: chat not found' END,
                {ago("85000")}, {BROADCAST_ID}, 1, {at}
            FROM generate_series(1, {n}) AS g;
            """,
        ),
        ("analyze", "ANALYZE;"),
    ]


def _sqlite(n: int, epoch: int) -> list[tuple[str, str]]:
    at = _sqlite_time(str(epoch))

    def ago(expression: str) -> str:
        return _sqlite_time(f"{epoch} - ({expression})")

    def series(last: int, first: int = 1) -> str:
        return (
            f"WITH RECURSIVE g(x) AS (SELECT {first} UNION ALL SELECT x + 1 FROM g "
            f"WHERE x < {last}) "
        )

    return [
        (
            "clinic",
            f"""
            INSERT INTO clinics (id, name, join_code, timezone, guidance_version, created_at,
                question_reminder_hours)
            VALUES (1, 'Bench Clinic', 'benchjoincode', 'Europe/Madrid', 0, {at}, 24)
            """,
        ),
        (
            "staff",
            f"""
            INSERT INTO clinic_staff (clinic_id, telegram_user_id, role, added_at, display_name)
            VALUES (1, {OWNER}, 'owner', {at}, 'Owner')
            """,
        ),
        (
            "patients",
            series(n)
            + f"""
            INSERT INTO patients (id, telegram_user_id, chat_id, language, timezone,
                reminder_hour, heads_up_days, state, consent_at, consent_version,
                broadcasts_opt_out, aftercare_off, created_at)
            SELECT x, {USER_ID_BASE} + x, {USER_ID_BASE} + x, 'en', 'Europe/Madrid', 9, 2,
                CASE WHEN x % 50 < 3 THEN 'paused' WHEN x % 50 < 5 THEN 'blocked'
                    ELSE 'active' END,
                {at}, 'v1', x % 100 = 7, 0, {at}
            FROM g
            """,
        ),
        (
            "memberships",
            series(n)
            + f"""
            INSERT INTO memberships (patient_id, clinic_id, joined_at)
            SELECT x, 1, {ago(f"(x * 7919) % {YEAR}")} FROM g
            """,
        ),
        (
            "reminders",
            series(n * REMINDERS_PER_MEMBER - 1, first=0)
            + f"""
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key, state,
                priority, attempts, sent_at, clinic_id, created_at)
            SELECT 'reminder', (x % {n}) + 1, {USER_ID_BASE} + (x % {n}) + 1,
                {ago(f"(x * 104729) % {YEAR}")}, '{{}}', 'may_book:botox:' || x, 'sent', 0, 1,
                {ago(f"(x * 104729) % {YEAR}")}, 1, {at}
            FROM g
            """,
        ),
        (
            "pending",
            series(n)
            + f"""
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key, state,
                priority, attempts, clinic_id, created_at)
            SELECT 'reminder', x, {USER_ID_BASE} + x,
                {_sqlite_time(f"{epoch} + (x * 7919) % (60 * 86400)")}, '{{}}',
                'may_book:microneedling:next' || x, 'pending', 0, 0, 1, {at}
            FROM g
            """,
        ),
        (
            "bookings",
            series(n * REMINDERS_PER_MEMBER // 10)
            + f"""
            INSERT INTO audit_log (at, actor_kind, action, clinic_id, subject_patient_id,
                details)
            SELECT {ago(f"(x * 15485863) % {YEAR}")}, 'patient', 'reminder.booked', 1,
                (x % {n}) + 1, '{{}}'
            FROM g
            """,
        ),
        (
            "broadcast",
            f"""
            INSERT INTO broadcasts (id, clinic_id, author_user_id, text, audience, state,
                total_count, sent_count, blocked_count, failed_count, created_at, queued_at,
                finished_at)
            VALUES ({BROADCAST_ID}, 1, {OWNER}, 'Open day on Friday', '{{"kind": "all"}}',
                'done', {n}, {n * 95 // 100}, {n * 2 // 100}, {n * 3 // 100},
                {ago("86400")}, {ago("86400")}, {ago("80000")})
            """,
        ),
        (
            "deliveries",
            series(n)
            + f"""
            INSERT INTO outbox (kind, patient_id, chat_id, due_at, payload, dedupe_key, state,
                priority, attempts, last_error, sent_at, broadcast_id, clinic_id, created_at)
            SELECT 'broadcast', x, {USER_ID_BASE} + x, {ago("86400")}, '{{}}',
                'broadcast:{BROADCAST_ID}', CASE WHEN x % 100 < 95 THEN 'sent' ELSE 'failed' END,
                2, 1,
                CASE WHEN x % 100 < 95 THEN NULL
                    WHEN x % 100 < 97 THEN 'patient blocked the bot'
                    WHEN x % 100 < 99 THEN 'the patient turned clinic messages off'
                    ELSE 'Bad Request: chat not found' END,
                {ago("85000")}, {BROADCAST_ID}, 1, {at}
            FROM g
            """,
        ),
        ("analyze", "ANALYZE"),
    ]


async def _load(db: Database, members: int, now: datetime) -> float:
    epoch = int(now.timestamp())
    statements = _pg(members, epoch) if db.dialect_name == "postgresql" else _sqlite(members, epoch)
    start = time.perf_counter()
    for _name, sql in statements:
        async with db.engine.begin() as connection:
            if db.dialect_name == "postgresql":
                raw = await connection.get_raw_connection()
                await raw.driver_connection.execute(sql)  # type: ignore[union-attr]
            else:
                await connection.exec_driver_sql(sql)
    if db.dialect_name == "postgresql":
        # The steady state autovacuum keeps: a visibility map, so counts read indexes only.
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("VACUUM ANALYZE")  # type: ignore[union-attr]
    if db.dialect_name == "sqlite":
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    return time.perf_counter() - start


def _app(db: Database, clock: FakeClock, settings: Settings) -> tuple[web.Application, list[float]]:
    core = Services(settings=settings, clock=clock, database=db, dispatcher=None)  # type: ignore[arg-type]

    async def no_send(_chat: int, _text: str) -> str | None:
        return None

    services = DashboardServices(
        core=core,
        send_message=no_send,
        queue_replan=lambda *_: None,
        bot_username=lambda: "interval_bench_bot",
    )
    app = build_dashboard(services)
    handler_ms: list[float] = []

    @web.middleware
    async def timed(request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
        start = time.perf_counter()
        try:
            return await handler(request)
        finally:
            handler_ms.append((time.perf_counter() - start) * 1000)

    app.middlewares.insert(0, timed)
    return app, handler_ms


async def run_backend(backend: str, members: int, requests: int) -> None:
    """Load, measure and print for one backend; its database is dropped afterwards."""
    url_context = _postgresql_url() if backend == "postgresql" else _sqlite_url()
    now = datetime.now(UTC).replace(microsecond=0)
    async with url_context as url:
        await upgrade_to_head(url)
        db = Database(url)
        try:
            seconds = await _load(db, members, now)
            print(
                f"[{backend}] generated {members:,} members, "
                f"{members * REMINDERS_PER_MEMBER:,} sent reminders over a year, {members:,} "
                f"pending, {members * REMINDERS_PER_MEMBER // 10:,} bookings, one broadcast "
                f"of {members:,} deliveries in {seconds:.1f} s"
            )
            clock = FakeClock(now)
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token="123:bench",
                dashboard_port=8080,
            )
            app, handler_ms = _app(db, clock, settings)
            codec = SessionCodec(settings.dashboard_key())
            statements: list[tuple[str, float]] = []
            started: list[float] = []

            def before(_conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
                started.append(time.perf_counter())

            def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                took = (time.perf_counter() - started.pop()) * 1000
                statements.append((" ".join(statement.split()), took))

            event.listen(db.engine.sync_engine, "before_cursor_execute", before)
            event.listen(db.engine.sync_engine, "after_cursor_execute", after)
            async with TestClient(TestServer(app)) as client:
                for name, path in (
                    ("overview", "/c/1/"),
                    ("broadcast report", f"/c/1/broadcasts/{BROADCAST_ID}"),
                    ("progress.json", f"/c/1/broadcasts/{BROADCAST_ID}/progress.json"),
                    ("compose (audience counts)", "/c/1/broadcasts/new"),
                ):
                    cookie = codec.encode(new_session(OWNER, "en", clock.now()))
                    client.session.cookie_jar.update_cookies({COOKIE: cookie})
                    response = await client.get(path)
                    assert response.status == 200, (path, response.status, await response.text())
                    handler_ms.clear()
                    statements.clear()
                    for _ in range(requests):
                        response = await client.get(path)
                        await response.read()
                        assert response.status == 200
                    per_request = len(statements) // requests
                    median = statistics.median(handler_ms)
                    verdict = "ok" if median <= 200 else "OVER the 200 ms goal"
                    print(
                        f"[{backend}] {name} {path}: median {median:.1f} ms, max "
                        f"{max(handler_ms):.1f} ms over {requests} requests ({verdict}); "
                        f"{per_request} SQL statements per request:"
                    )
                    for index, (statement, _took) in enumerate(statements[:per_request]):
                        # The median time of this statement over the requests.
                        took = statistics.median(
                            statements[index + run * per_request][1] for run in range(requests)
                        )
                        print(f"    {took:7.1f} ms  {statement[:300]}")
            event.remove(db.engine.sync_engine, "before_cursor_execute", before)
            event.remove(db.engine.sync_engine, "after_cursor_execute", after)
        finally:
            await db.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the bench; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args(argv)
    for backend in [args.backend] if args.backend else ["sqlite", "postgresql"]:
        asyncio.run(run_backend(backend, args.members, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
