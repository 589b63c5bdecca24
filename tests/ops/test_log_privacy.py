"""A whole patient's life and a clinic broadcast at LOG_LEVEL=DEBUG leave no health data in the log.

The bot runs in webhook mode behind the sandbox, with the process's own logging set-up
writing to a buffer: everything the root handler writes, library loggers included, is
scanned for the secrets and for what the patient is and typed.
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.app import build_application, receiving_webhook
from bot.clock import FakeClock
from bot.logging_setup import LIBRARY_FLOORS, configure_logging
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from tests.conversations.clinic_world import become_staff, make_clinic, member
from tests.conversations.helpers import press_and_wait_for_edit
from tests.conversations.staff_steps import broadcast_to_all, final_report
from tests.fixtures.bot import bot_settings

SECRET = "webhook-secret_for-the-log-scan"
FIRST_NAME = "Evangelina"
LAST_NAME = "Quintanilla"
# Not 20.11.2026: the bot's own prompt gives that one as an example.
TYPED_DATE = "19.11.2026"
FREE_TEXT = "microneedling planned 10 dec"
# The two treatments (Botox done on 19 Nov, microneedling planned for 10 Dec) in every form
# the bot stores, shows or builds keys with.
DATES = (
    "2026-11-19",
    "20261119",
    "19 Nov 2026",
    "2026, 11, 19",  # a date's repr
    "2026-12-10",
    "20261210",
    "10 Dec 2026",
    "2026, 12, 10",
)
BROADCAST = "Flu season: we open on Saturdays in December."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """A buffer for the root handler; logging as it was is put back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_FLOORS}
    yield io.StringIO()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


async def _next_saying(user: SandboxUser, fragment: str) -> BotMessage:
    """The user's next message containing `fragment` (aftercare notes may come between)."""
    while True:
        message = await user.next_message()
        if fragment in (message.text or ""):
            return message


async def _patient_life_and_a_broadcast(
    sandbox: Sandbox, database: Database, clock: FakeClock
) -> None:
    """Onboard and join a clinic, /log with a typed date, free text, /next, /history, a
    broadcast from the clinic's staff; everything through the webhook."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = bot_settings(sandbox, webhook_url=url, webhook_secret=SECRET, webhook_port=port)
    application = build_application(settings, clock=clock, database=database)
    async with receiving_webhook(application):
        clinic, invite = await make_clinic(database, "Clínica Aurora", clock.now())
        staff = sandbox.user(501, first_name="Ana")
        assert "You are now staff of" in ((await become_staff(staff, invite)).text or "")
        eva = sandbox.user(1001, first_name=FIRST_NAME, last_name=LAST_NAME)
        await member(eva, clinic)

        await eva.send("/log")
        choice = await eva.next_message()
        await press_and_wait_for_edit(eva, choice, "Botox")
        await eva.send(TYPED_DATE)
        confirm = await eva.next_message()
        await eva.press(confirm, "✅ Save")
        await _next_saying(eva, "Saved: Botox on Thu, 19 Nov 2026")

        await eva.send(FREE_TEXT)
        understood = await _next_saying(eva, "Microneedling on Thu, 10 Dec 2026 (planned)")
        await eva.press(understood, "✅ Save")
        await _next_saying(eva, "Saved: Microneedling")

        await eva.send("/next")
        await _next_saying(eva, "What's next")
        await eva.send("/history")
        await _next_saying(eva, "19 Nov 2026")

        await broadcast_to_all(staff, BROADCAST)
        await final_report(staff)
        assert any(BROADCAST in (m.text or "") for m in eva.messages)


def _leaks(log: str, sandbox: Sandbox) -> list[str]:
    """Which of the forbidden values the log contains."""
    forbidden = [sandbox.token, SECRET, FIRST_NAME, LAST_NAME, TYPED_DATE, FREE_TEXT, *DATES]
    return [value for value in forbidden if value.casefold() in log.casefold()]


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_a_debug_log_of_a_patients_life_holds_no_secret_name_text_or_date(
    sandbox: Sandbox,
    bot_database: Database,
    clock: FakeClock,
    log_buffer: io.StringIO,
    fmt: str,
) -> None:
    configure_logging("DEBUG", fmt, secrets=[sandbox.token, SECRET], stream=log_buffer)
    await _patient_life_and_a_broadcast(sandbox, bot_database, clock)
    log = log_buffer.getvalue()
    # The scan reads a real log: our own events and the libraries' INFO are in it.
    assert "webhook receiver on" in log
    assert "ready on" in log
    assert "telegram.ext" in log
    assert _leaks(log, sandbox) == []


async def test_with_unsafe_payloads_the_same_scan_finds_the_patient_but_never_the_secrets(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock, log_buffer: io.StringIO
) -> None:
    configure_logging(
        "DEBUG", "text", secrets=[sandbox.token, SECRET], stream=log_buffer, unsafe_payloads=True
    )
    await _patient_life_and_a_broadcast(sandbox, bot_database, clock)
    log = log_buffer.getvalue()
    leaks = _leaks(log, sandbox)
    # What LOG_UNSAFE_PAYLOADS is documented to leak, the scan sees...
    assert {FIRST_NAME, FREE_TEXT, TYPED_DATE, "19 Nov 2026"} <= set(leaks)
    # ...while the secrets are redacted whatever the level.
    assert sandbox.token not in leaks
    assert SECRET not in leaks
    assert "[REDACTED]" in log


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_a_failed_statement_in_the_log_does_not_quote_its_values(
    database: Database, log_buffer: io.StringIO, fmt: str
) -> None:
    configure_logging("DEBUG", fmt, secrets=["123456:TEST"], stream=log_buffer)
    insert = text("INSERT INTO send_pace (name, next_free) VALUES (:name, :at)")
    values = {"name": f"{FIRST_NAME}-{DATES[0]}", "at": datetime(2026, 11, 24, tzinfo=UTC)}
    async with database.engine.begin() as connection:
        await connection.execute(insert, values)
    with pytest.raises(IntegrityError) as failed:
        async with database.engine.begin() as connection:
            await connection.execute(insert, values)
    logging.getLogger("bot.test").error("saving failed", exc_info=failed.value)
    log = log_buffer.getvalue()
    # The statement is there to debug with; the values (SQLAlchemy's parameters, and the
    # key PostgreSQL quotes in its own message) are not.
    assert "INSERT INTO send_pace" in log
    assert "IntegrityError" in log
    assert FIRST_NAME not in log
    assert DATES[0] not in log
