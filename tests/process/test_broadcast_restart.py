"""A broadcast to 500 members survives SIGKILL half-way: `interval-bot run` as a real process.

The staff member drives the broadcast through the sandbox's control API, exactly as in a
chat. Once about a third of the members have it, the bot is killed with SIGKILL (no
shutdown, no release of its claimed rows) and started again: the new process takes over the
dead one's claims when their lease runs out, every member receives the broadcast, and no
more than one claimed batch is sent twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from storage.database import Database
from storage.models import MembershipRow, PatientRow
from storage.schema import upgrade_to_head
from tests.process.test_run_against_sandbox import _call, _command, sandbox_process

pytestmark = pytest.mark.slow

__all__ = ["sandbox_process"]  # the fixture, imported for this module's tests

MEMBERS = 500
FIRST_CHAT = 70_000
STAFF = 69_999
BATCH = 50
RATE = 40  # messages/s: 500 take about 13 s, long enough to kill the bot half-way
LEASE = 3  # seconds a claim lasts (production: a minute)
TEXT = "<b>Winter hours</b>: open on Saturdays from December."


async def _seed(url: str) -> None:
    """A clinic with one staff member and 500 consenting members, straight into the database."""
    await upgrade_to_head(url)
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.unit_of_work() as uow:
            clinic = await uow.clinics.create("Clínica Aurora", now=now, timezone="Europe/Madrid")
            await uow.clinics.add_staff(clinic.id, STAFF, now=now)
            await uow.session.execute(
                insert(PatientRow),
                [
                    {
                        "telegram_user_id": chat,
                        "chat_id": chat,
                        "language": "en",
                        "timezone": "Europe/Madrid",
                        "reminder_hour": 9,
                        "heads_up_days": 2,
                        "quiet_start": None,
                        "quiet_end": None,
                        "state": "active",
                        "consent_at": now,
                        "consent_version": "test",
                        "broadcasts_opt_out": False,
                        "created_at": now,
                    }
                    for chat in range(FIRST_CHAT, FIRST_CHAT + MEMBERS)
                ],
            )
            ids = list(await uow.session.scalars(select(PatientRow.id)))
            await uow.session.execute(
                insert(MembershipRow),
                [{"patient_id": pid, "clinic_id": clinic.id, "joined_at": now} for pid in ids],
            )
            await uow.commit()
    finally:
        await database.dispose()


class Chat:
    """The staff member's chat through the control API."""

    def __init__(self, control: str, user_id: int) -> None:
        self._control = control
        self._user = user_id
        self._cursor = 0

    def send(self, text: str) -> None:
        _call(f"{self._control}/users/{self._user}/send", {"text": text})

    def press(self, message_id: int, text: str) -> None:
        _call(f"{self._control}/users/{self._user}/press", {"message_id": message_id, "text": text})

    def next_new(self, timeout: float = 30) -> dict[str, Any]:
        """The next message the bot sent (edits skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = _call(
                f"{self._control}/chats/{self._user}/messages?since={self._cursor}&wait=5"
            )
            for message in result["messages"]:
                self._cursor = max(self._cursor, message["version"])
                if not message["edits"]:
                    return dict(message)
        raise AssertionError("the bot did not answer")

    def messages(self) -> list[dict[str, Any]]:
        return list(_call(f"{self._control}/chats/{self._user}/messages")["messages"])


def _broadcast_sends(control: str) -> list[int]:
    """Chat ids of every sendMessage to a member so far."""
    chats: list[int] = []
    since = 0
    while True:
        page = _call(f"{control}/sent?since={since}&limit=1000")
        chats += [
            record["chat_id"]
            for record in page["sent"]
            if record["method"] == "sendMessage"
            and FIRST_CHAT <= record["chat_id"] < FIRST_CHAT + MEMBERS
        ]
        if page["next"] >= page["total"]:
            return chats
        since = page["next"]


@pytest.fixture
def bot_env(sandbox_process: int, tmp_path: Path) -> dict[str, str]:
    """The environment of `interval-bot run`, with the seeded database."""
    port = sandbox_process
    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(_seed(f"sqlite+aiosqlite:///{data / 'interval.db'}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN="123456:TEST",
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
        DATA_DIR=str(data),
        TELEGRAM_RATE_LIMIT=str(RATE),
        DISPATCH_BATCH_SIZE=str(BATCH),
        DISPATCH_LEASE_SECONDS=str(LEASE),
        DISPATCH_INTERVAL="0.5",
    )
    control = f"http://127.0.0.1:{port}/_sandbox"
    _call(
        f"{control}/users",
        {"users": [{"id": c} for c in range(FIRST_CHAT - 1, FIRST_CHAT + MEMBERS)]},
    )
    return env


def _start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _command("run"),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_broadcast_killed_half_way_reaches_every_member_after_a_restart(
    sandbox_process: int, bot_env: dict[str, str], tmp_path: Path
) -> None:
    control = f"http://127.0.0.1:{sandbox_process}/_sandbox"
    staff = Chat(control, STAFF)
    first = _start(bot_env, tmp_path)
    second: subprocess.Popen[str] | None = None
    try:
        staff.send("/broadcast")
        assert "Write the message" in (staff.next_new()["text"] or "")
        staff.send(TEXT)
        preview = staff.next_new()
        assert (preview["raw_text"] or "").startswith(TEXT)
        question = staff.next_new()
        staff.press(question["message_id"], "All active members")
        summary = staff.next_new()
        staff.press(summary["message_id"], f"✅ Send to {MEMBERS} members")
        assert "Broadcast #1" in (staff.next_new()["text"] or "")

        deadline = time.monotonic() + 30
        while len(_broadcast_sends(control)) < MEMBERS // 3:
            assert time.monotonic() < deadline, "the broadcast did not start"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        before = len(set(_broadcast_sends(control)))
        assert before < MEMBERS, "killed too late: everything was already sent"

        # The dead process's claimed rows are taken over once their lease (LEASE s) runs out.
        second = _start(bot_env, tmp_path)
        deadline = time.monotonic() + 45
        while len(set(_broadcast_sends(control))) < MEMBERS:
            assert time.monotonic() < deadline, (
                f"{len(set(_broadcast_sends(control)))} of {MEMBERS} after the restart"
            )
            time.sleep(0.2)
        sends = _broadcast_sends(control)
        assert set(sends) == set(range(FIRST_CHAT, FIRST_CHAT + MEMBERS))
        assert len(sends) - MEMBERS <= BATCH, f"{len(sends) - MEMBERS} duplicates"
        print(f"killed with {before} of {MEMBERS} sent; {len(sends) - MEMBERS} sent twice")

        # The author's progress message keeps being edited by the new process; then a report.
        deadline = time.monotonic() + 20
        while not any("finished" in (m["text"] or "") and not m["edits"] for m in staff.messages()):
            assert time.monotonic() < deadline, "no final report"
            time.sleep(0.3)
        report = [m for m in staff.messages() if "finished" in (m["text"] or "")][-1]
        # Counts below 5 are never shown exactly, not even zero.
        assert (
            f"{MEMBERS} sent, fewer than 5 blocked, fewer than 5 failed of {MEMBERS}."
            in (report["text"])
        )
    finally:
        output = ""
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                output = process.communicate(timeout=20)[0]
    assert second is not None
    assert second.returncode == 0, output
    assert "Traceback" not in output, output
