"""The operator's port: /healthz follows the database, /metrics counts what was sent."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import date, timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.app import build_application, serving
from bot.clock import FakeClock
from bot.observability.metrics import Metrics
from bot.observability.server import OperatorServer
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from tests.delivery.helpers import advance_to, log, new_patient
from tests.eventually import eventually
from tests.fixtures.bot import bot_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def operator(database: Database, clock: FakeClock) -> AsyncIterator[str]:
    """An operator server on the test database with a dispatcher that cycled a second ago."""
    port = _free_port()
    server = OperatorServer(
        metrics=Metrics(),
        database=database,
        clock=clock,
        seconds_since_dispatch=lambda: 1.0,
        host="127.0.0.1",
        port=port,
    )
    await server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.stop()


async def _allow_connections(database_url: str, allowed: bool) -> None:
    url = make_url(database_url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database="postgres"
    )
    try:
        flag = "true" if allowed else "false"
        await admin.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS {flag}')
        if not allowed:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                url.database,
            )
    finally:
        await admin.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_healthz_is_503_while_the_database_is_away_and_200_when_it_is_back(
    operator: str, database_url: str
) -> None:
    async with httpx.AsyncClient() as client:
        healthy = await client.get(f"{operator}/healthz")
        assert healthy.status_code == 200
        assert healthy.json()["database"] == "ok"
        await _allow_connections(database_url, allowed=False)
        try:
            away = await client.get(f"{operator}/healthz")
            assert away.status_code == 503
            assert away.json()["database"].startswith("unreachable")
            assert away.json()["status"] == "unavailable"
        finally:
            await _allow_connections(database_url, allowed=True)
        back = await client.get(f"{operator}/healthz")
        assert back.status_code == 200


async def test_healthz_is_503_when_the_dispatcher_has_stopped_cycling(
    database: Database, clock: FakeClock
) -> None:
    port = _free_port()
    server = OperatorServer(
        metrics=Metrics(),
        database=database,
        clock=clock,
        seconds_since_dispatch=lambda: None,
        host="127.0.0.1",
        port=port,
    )
    await server.start()
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        await server.stop()
    assert answer.status_code == 503
    assert answer.json()["dispatcher"]["alive"] is False


def _sample(page: str, name: str) -> float:
    for line in page.splitlines():
        if line.startswith(name + " ") or line == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def _metrics_once(port: int, sample: str) -> str:
    """The /metrics page once `sample` is above 0."""
    async with httpx.AsyncClient() as client:

        async def page() -> str | None:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            return text if _sample(text, sample) > 0 else None

        return await eventually(page, what=f"{sample} above 0 on /metrics")


async def test_metrics_count_a_sent_reminder_a_429_and_handled_updates(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    port = _free_port()
    application = build_application(
        bot_settings(sandbox, metrics_port=port), clock=clock, database=bot_database
    )
    async with serving(application):
        patient = await new_patient(bot_database, sandbox, now=clock.now())
        await log(bot_database, patient, Procedure.BOTOX, date(2026, 11, 23), clock.now())
        sandbox.fail_next("429", times=1, chat_id=patient.chat_id)
        sent = await advance_to(clock, application, clock.now() + timedelta(days=20))
        # The refused reminder went back to the outbox for retry_after: let that pass too.
        sent += await advance_to(clock, application, clock.now() + timedelta(seconds=5))
        assert sent >= 1
        await sandbox.user(patient.telegram_user_id).send("/help")
        await sandbox.user(patient.telegram_user_id).next_message()
        # The counter moves when the handler returns, just after its answer was sent.
        page = await _metrics_once(port, 'interval_updates_total{type="message"}')
    assert _sample(page, 'interval_messages_sent_total{kind="reminder",outcome="sent"}') >= 1
    assert _sample(page, 'interval_telegram_errors_total{code="429"}') == 1
    assert _sample(page, 'interval_updates_total{type="message"}') >= 1
    assert "interval_outbox_pending" in page
    assert "interval_handler_seconds_bucket" in page
