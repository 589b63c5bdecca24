"""`interval-bot clinic`: links from getMe (an in-test sandbox), the database, bad input."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from sandbox import Sandbox
from storage.database import Database

USERNAME = "aurora_test_bot"
LINK = re.compile(r"https://t\.me/aurora_test_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
async def bot_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[str]:
    """A sandbox answering getMe, and the environment the CLI reads; yields the database URL."""
    async with Sandbox(token="123456:TEST", bot_username=USERNAME) as sandbox:
        url = f"sqlite+aiosqlite:///{tmp_path / 'interval.db'}"
        for name in list(os.environ):
            if name.startswith(("TELEGRAM_", "DATABASE_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", sandbox.token)
        monkeypatch.setenv("TELEGRAM_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.chdir(tmp_path)  # no .env here
        yield url


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `interval-bot ARGS` in a thread (it runs its own event loop); code, out, err."""

    def run() -> int:
        try:
            return main(list(args))
        except SystemExit as exit_:  # argparse's one-line errors
            return int(exit_.code or 0)

    code = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_create_prints_the_id_the_join_link_and_a_staff_invite_link(
    bot_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await cli(
        capsys, "clinic", "create", "Clínica Aurora", "--timezone", "Europe/Madrid",
        "--contact", "+34 600 000 000", "--booking-url", "https://aurora.example/book",
    )  # fmt: skip
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "clinic 1: Clínica Aurora"
    join, invite = LINK.findall(out)
    assert lines[1] == f"patient join link: https://t.me/{USERNAME}?start={join}"
    assert lines[2].startswith(f"staff invite link: https://t.me/{USERNAME}?start={invite}")
    assert join.startswith("j_")
    assert invite.startswith("s_")
    assert max(len(join), len(invite)) <= 64
    database = Database(bot_api)
    try:
        async with database.unit_of_work() as uow:
            clinic = await uow.clinics.get_by_join_code(join[2:])
            staff_invite = await uow.clinics.get_invite(invite[2:])
            audit = await uow.audit.for_clinic(1)
    finally:
        await database.dispose()
    assert clinic is not None
    assert (clinic.timezone, clinic.contact) == ("Europe/Madrid", "+34 600 000 000")
    assert staff_invite is not None
    assert staff_invite.expires_at - staff_invite.created_at == timedelta(days=7)
    assert {entry.action for entry in audit} == {"clinic.created", "staff.invite_created"}


async def test_list_show_invite_and_set(bot_api: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (await cli(capsys, "clinic", "list"))[1].startswith("no clinics yet")
    await cli(capsys, "clinic", "create", "Bright Skin")
    await cli(capsys, "clinic", "create", "Aurora")
    code, out, _ = await cli(capsys, "clinic", "list")
    assert code == 0
    assert [line.split("\t")[1] for line in out.splitlines()] == ["Aurora", "Bright Skin"]
    assert "members 0" in out

    code, out, _ = await cli(capsys, "clinic", "invite", "Aurora")
    assert code == 0
    (invite,) = LINK.findall(out)
    assert invite.startswith("s_")
    assert "single use, expires" in out

    code, out, _ = await cli(
        capsys, "clinic", "set", "Aurora", "--contact", "hola@aurora.example",
        "--booking-url", "https://aurora.example",
    )  # fmt: skip
    assert code == 0
    assert "contact hola@aurora.example" in out

    code, out, _ = await cli(capsys, "clinic", "show", "Aurora")
    assert code == 0
    assert "contact: hola@aurora.example" in out
    assert "booking link: https://aurora.example" in out
    assert "patients: 0 (active 0, paused 0, blocked 0)" in out
    assert "staff: 0" in out
    assert "upcoming reminders: 0" in out
    (join,) = LINK.findall(out)
    assert join.startswith("j_")

    code, out, _ = await cli(capsys, "clinic", "set", "Aurora", "--contact", "")
    assert "contact -" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["clinic", "create", "  "], "a clinic name has 1 to 200 characters"),
        (["clinic", "create", "X", "--timezone", "Mars/Olympus"], "is not a time zone"),
        (["clinic", "create", "X", "--booking-url", "aurora.example"], "is not an http(s) URL"),
        (["clinic", "show", "Nowhere"], "no clinic named 'Nowhere'"),
        (["clinic", "invite", "Nowhere"], "no clinic named 'Nowhere'"),
        (["clinic", "set", "Nowhere", "--contact", "x"], "no clinic named 'Nowhere'"),
        (["clinic", "set", "Nowhere"], "nothing to change"),
        (["clinic", "frobnicate"], "invalid choice"),
        (["clinic", "staff", "list", "Nowhere"], "no clinic named 'Nowhere'"),
        (["clinic", "staff", "remove", "Nowhere", "12"], "no clinic named 'Nowhere'"),
        (["clinic", "staff", "remove", "Aurora", "-3"], "is not a positive whole number"),
        (["clinic", "staff", "remove", "Aurora", "9²"], "is not a positive whole number"),
        (["clinic", "staff", "role", "Aurora", "12", "boss"], "invalid choice"),
        (["clinic", "invites", "revoke", "Aurora", "x"], "is not a positive whole number"),
        (["clinic", "rotate-join", "Nowhere"], "no clinic named 'Nowhere'"),
        (["clinic", "set", "Aurora", "--question-reminder-hours", "0"], "not a positive whole"),
        (["clinic", "aftercare", "Nowhere", "--procedure", "botox", "--show"], "no clinic named"),
        (["clinic", "aftercare", "X", "--procedure", "laser", "--show"], "invalid choice"),
        (["clinic", "aftercare", "X", "--procedure", "botox", "--extend", "Hi"], "needs --reason"),
        (
            ["clinic", "aftercare", "X", "--procedure", "botox", "--default", "--extend", "x"],
            "not allowed with argument",
        ),
    ],
)
async def test_bad_input_is_one_line_and_exit_2(
    bot_api: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = await cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err


async def test_opening_hours_and_the_question_wait_are_set_and_bad_hours_change_nothing(
    bot_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(capsys, "clinic", "create", "Aurora")
    code, out, err = await cli(
        capsys, "clinic", "set", "Aurora",
        "--opening-hours", "mon-fri 09:00-18:00; sat 10:00-14:00", "--question-reminder-hours", "8",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "opening hours mon-fri 09:00-18:00; sat 10:00-14:00" in out
    assert "questions remind staff after 8 h" in out
    code, out, err = await cli(capsys, "clinic", "set", "Aurora", "--opening-hours", "mon 9-5")
    assert (code, out) == (2, "")
    assert "'9-5' is not a time window such as 09:00-18:00" in err
    code, out, _ = await cli(capsys, "clinic", "set", "Aurora", "--opening-hours", "")
    assert "opening hours -" in out
    assert "after 8 h" in out


async def test_the_operator_reads_replaces_and_restores_a_clinics_aftercare_note(
    bot_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(capsys, "clinic", "create", "Aurora")
    code, out, _ = await cli(
        capsys, "clinic", "aftercare", "Aurora", "--procedure", "botox", "--show"
    )
    assert code == 0
    assert "- Stay upright for about 4 hours" in out
    assert "[manufacturer: BOTOX Cosmetic Medication Guide" in out
    code, out, err = await cli(
        capsys, "clinic", "aftercare", "Aurora", "--procedure", "botox",
        "--replace", "Ice packs only.", "--reason", "Doctor's sheet",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "aftercare version 1 saved (replace)" in out
    assert "Ice packs only." in out
    assert "Stay upright" not in out
    code, out, _ = await cli(
        capsys, "clinic", "aftercare", "Aurora", "--procedure", "botox",
        "--replace", "Ice packs only.", "--reason", "again",
    )  # fmt: skip
    assert "nothing changed" in out
    code, out, err = await cli(
        capsys, "clinic", "aftercare", "Aurora", "--procedure", "botox",
        "--extend", "x" * 1501, "--reason", "long",
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert "1 to 1500 characters" in err
    code, out, _ = await cli(
        capsys, "clinic", "aftercare", "Aurora", "--procedure", "botox", "--default",
        "--reason", "Back to usual",
    )  # fmt: skip
    assert "aftercare version 2 saved (default)" in out
    assert "- Stay upright for about 4 hours" in out


async def test_a_taken_name_is_refused_with_one_line(
    bot_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(capsys, "clinic", "create", "Aurora")
    code, out, err = await cli(capsys, "clinic", "create", "Aurora")
    assert (code, out) == (2, "")
    assert err.strip() == "interval-bot clinic: a clinic named 'Aurora' already exists"


async def test_an_unreachable_bot_api_is_one_line_and_creates_nothing(
    bot_api: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")
    code, out, err = await cli(capsys, "clinic", "create", "Aurora")
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1
    assert "cannot ask the Bot API" in err
    monkeypatch.undo()


async def _staff(url: str, clinic_name: str, *members: tuple[int, str]) -> None:
    from storage.records import StaffRole

    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            clinic = await uow.clinics.get_by_name(clinic_name)
            assert clinic is not None
            for user_id, role in members:
                await uow.clinics.add_staff(
                    clinic.id, user_id, now=NOW, role=StaffRole(role), display_name=f"U{user_id}"
                )
            await uow.commit()
    finally:
        await database.dispose()


NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def test_staff_are_listed_given_roles_and_removed_and_the_last_owner_stays(
    bot_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(capsys, "clinic", "create", "Aurora")
    assert "no staff yet" in (await cli(capsys, "clinic", "staff", "list", "Aurora"))[1]
    await _staff(bot_api, "Aurora", (700, "owner"), (701, "staff"))
    code, out, _ = await cli(capsys, "clinic", "staff", "list", "Aurora")
    assert code == 0
    assert [line.split("\t")[:3] for line in out.splitlines()] == [
        ["700", "owner", "U700"],
        ["701", "staff", "U701"],
    ]

    code, _, err = await cli(capsys, "clinic", "staff", "remove", "Aurora", "700")
    assert (code, err.strip()) == (
        2,
        "interval-bot clinic: 'Aurora' needs at least one owner: make someone else an owner first",
    )
    code, _, err = await cli(capsys, "clinic", "staff", "role", "Aurora", "700", "staff")
    assert code == 2
    assert "needs at least one owner" in err
    code, _, err = await cli(capsys, "clinic", "staff", "remove", "Aurora", "999")
    assert code == 2
    assert "telegram user 999 is not staff of 'Aurora'" in err

    code, out, _ = await cli(capsys, "clinic", "staff", "role", "Aurora", "701", "owner")
    assert (code, out.strip()) == (0, "telegram user 701 is now owner of 'Aurora'")
    code, out, _ = await cli(capsys, "clinic", "staff", "role", "Aurora", "701", "owner")
    assert "already is owner" in out
    code, out, _ = await cli(capsys, "clinic", "staff", "remove", "Aurora", "700")
    assert code == 0
    assert "removed from 'Aurora'" in out
    code, out, _ = await cli(capsys, "clinic", "staff", "list", "Aurora")
    assert [line.split("\t")[:2] for line in out.splitlines()] == [["701", "owner"]]


async def test_rotating_the_join_link_replaces_it_and_keeps_the_clinic(
    bot_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = await cli(capsys, "clinic", "create", "Aurora")
    old = LINK.findall(out)[0]
    code, out, err = await cli(capsys, "clinic", "rotate-join", "Aurora")
    assert (code, err) == (0, "")
    (new,) = LINK.findall(out)
    assert new.startswith("j_")
    assert new != old
    assert "the old link no longer works" in out
    database = Database(bot_api)
    try:
        async with database.unit_of_work() as uow:
            assert await uow.clinics.get_by_join_code(old[2:]) is None
            clinic = await uow.clinics.get_by_join_code(new[2:])
            audit = [entry.action for entry in await uow.audit.for_clinic(1)]
    finally:
        await database.dispose()
    assert clinic is not None
    assert clinic.name == "Aurora"
    assert "clinic.join_link_rotated" in audit


async def test_an_owner_invite_and_the_invites_list(
    bot_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(capsys, "clinic", "create", "Aurora")
    code, out, _ = await cli(capsys, "clinic", "invite", "Aurora", "--owner")
    assert code == 0
    assert re.match(r"staff invite #2 \(owner\): https://t\.me/", out)
    code, out, _ = await cli(capsys, "clinic", "invites", "list", "Aurora")
    lines = out.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["#2", "owner"], ["#1", "staff"]]
    assert all("\topen until " in line for line in lines)
