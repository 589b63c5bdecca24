"""A clinic's team over time: removal, roles, invites used, expired and withdrawn, join links.

Clinic A's first member, Ana, is its owner; Alba joined second and is plain staff. The
operator's commands run the real `interval-bot clinic` CLI against the same database and the
same sandbox as the running bot.
"""

from __future__ import annotations

import asyncio
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.clinics import invite_payload, join_payload
from bot.usecases.team import create_invite
from rules import Procedure
from sandbox import Sandbox
from sandbox.users import SandboxUser
from storage.database import Database
from storage.records import BroadcastState, StaffRole
from tests.conversations._steps import answer_to
from tests.conversations.clinic_world import World, build_world
from tests.conversations.helpers import (
    button_data,
    log_directly,
    onboard,
    press_and_wait_for_edit,
    wait_for_edit,
)
from tests.conversations.staff_steps import (
    broadcasts_of,
    choose_audience,
    deliveries,
    write_broadcast,
)
from tests.delivery.helpers import advance_to, local

REFUSED = "for clinic staff only"
LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
async def world(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> World:
    """Both clinics: Ana owns A, Alba is A's staff, Bruno owns B."""
    return await build_world(sandbox, bot_database, clock.now())


@pytest.fixture
def operator(
    sandbox: Sandbox, bot_database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The environment `interval-bot clinic` reads: this sandbox and this database."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DATABASE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", sandbox.token)
    monkeypatch.setenv("TELEGRAM_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("DATABASE_URL", bot_database.url)
    monkeypatch.chdir(tmp_path)  # no .env here


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `interval-bot clinic ARGS` in a thread (it runs its own loop); code, out, err."""

    def run() -> int:
        try:
            return main(["clinic", *args])
        except SystemExit as exit_:
            return int(exit_.code or 0)

    code = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def _staff_screen(owner: SandboxUser) -> str:
    await owner.send("/staff")
    return (await owner.next_message()).text or ""


async def test_staff_removed_on_the_command_line_are_refused_at_send_and_at_broadcast(
    world: World,
    bot_database: Database,
    operator: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    alba = world.alba
    _, question = await write_broadcast(alba, "We open on Saturdays.")
    summary = await choose_audience(alba, question)

    code, out, err = await cli(capsys, "staff", "remove", "Clínica Aurora", str(alba.id))
    assert (code, err) == (0, "")
    assert f"telegram user {alba.id} removed from 'Clínica Aurora'" in out
    told = await alba.next_message()
    assert "You are no longer staff of Clínica Aurora" in (told.text or "")

    pressed = await alba.press(summary, button_data_text(summary, "✅ Send"))
    assert (await answer_to(alba, pressed)).text == "Sorry, this button is not for you."
    await alba.send("/broadcast")
    assert REFUSED in ((await alba.next_message()).text or "")
    await alba.send("/stats")
    assert REFUSED in ((await alba.next_message()).text or "")
    assert await deliveries(bot_database) == []
    assert [b.state for b in await broadcasts_of(bot_database, world.a.id)] == [
        BroadcastState.DRAFT
    ]
    code, out, _ = await cli(capsys, "staff", "list", "Clínica Aurora")
    assert (code, out.count("\n")) == (0, 1)
    assert out.startswith(f"{world.ana.id}\towner\tAna\t")


def button_data_text(message: object, prefix: str) -> str:
    """The label of the first button starting with `prefix` (the Send label has a count)."""
    buttons = getattr(message, "buttons", [])
    return next(b.text for row in buttons for b in row if b.text.startswith(prefix))


async def test_an_invite_answers_used_expired_and_withdrawn_and_its_owner_is_told(
    world: World,
    sandbox: Sandbox,
    bot_database: Database,
    clock: FakeClock,
    operator: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = await cli(capsys, "invite", "Clínica Aurora")
    assert code == 0
    (payload,) = LINK.findall(out)
    carla, dora = sandbox.user(601, first_name="Carla"), sandbox.user(602, first_name="Dora")
    await carla.send(f"/start {payload}")
    assert "You are now staff of Clínica Aurora" in ((await carla.next_message()).text or "")
    told = (await world.ana.next_message()).text or ""
    assert "Carla used an invite and is now staff of Clínica Aurora" in told
    assert "Remove them under /staff" in told

    await dora.send(f"/start {payload}")
    assert "already been used" in ((await dora.next_message()).text or "")

    old = await create_invite(
        bot_database, world.a.id, StaffRole.STAFF, None, clock.now() - timedelta(days=8)
    )
    await dora.send(f"/start {invite_payload(old)}")
    assert "has expired" in ((await dora.next_message()).text or "")

    code, out, _ = await cli(capsys, "invite", "Clínica Aurora")
    (withdrawn,) = LINK.findall(out)
    number = re.search(r"staff invite #(\d+)", out)
    assert number is not None
    code, out, err = await cli(capsys, "invites", "revoke", "Clínica Aurora", number[1])
    assert (code, err) == (0, "")
    await dora.send(f"/start {withdrawn}")
    assert "no longer valid" in ((await dora.next_message()).text or "")
    code, out, err = await cli(capsys, "invites", "revoke", "Clínica Aurora", number[1])
    assert code == 2
    assert "unknown, used or already revoked" in err

    async with bot_database.unit_of_work() as uow:
        assert not await uow.clinics.is_staff(world.a.id, dora.id)
        carla_member = await uow.clinics.staff_member(world.a.id, carla.id)
    assert carla_member is not None
    assert (carla_member.role, carla_member.display_name) == (StaffRole.STAFF, "Carla")
    code, out, _ = await cli(capsys, "invites", "list", "Clínica Aurora")
    assert f"used {clock.now().isoformat(timespec='minutes')} by {carla.id}" in out
    assert "revoked" in out
    assert "expired" in out


async def test_a_rotated_join_link_refuses_the_old_one_and_the_new_one_works(
    world: World, sandbox: Sandbox, bot_database: Database
) -> None:
    old = join_payload(world.a)
    ana = world.ana
    await ana.send("/staff")
    screen = await ana.next_message()
    question = await press_and_wait_for_edit(ana, screen, "🔗 New patient join link")
    assert "The old link stops working at once" in (question.text or "")
    done = await press_and_wait_for_edit(ana, question, "Yes, new link")
    (new,) = LINK.findall(done.text or "")
    assert new != old
    assert "The old one no longer works." in (done.text or "")

    newcomer = sandbox.user(1500, first_name="Nora")
    await onboard(newcomer)
    await newcomer.send(f"/start {old}")
    await newcomer.next_message()  # welcome back
    assert "not valid any more" in ((await newcomer.next_message()).text or "")
    await newcomer.send(f"/start {new}")
    await newcomer.next_message()
    assert "You are now linked to Clínica Aurora" in ((await newcomer.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        members = await uow.clinics.members(world.a.id)
    assert len(members) == len(world.a_patients) + 1  # everyone linked before stays


async def test_staff_who_are_not_owners_cannot_change_guidance(
    world: World, bot_database: Database
) -> None:
    alba = world.alba
    await alba.send("/guidance")
    screen = await alba.next_message()
    assert "Botox → microneedling: 14 days (default)" in (screen.text or "")
    assert "Only an owner of the clinic can change these rules." in (screen.text or "")
    assert screen.button_texts == ["🩹 Aftercare notes"]
    await alba.press_data(screen, f"gd:e:{world.a.id}:0:botox:microneedling")
    assert "Only an owner of Clínica Aurora can change its guidance" in (
        (await alba.next_message()).text or ""
    )
    await alba.send("/staff")
    assert "Only an owner of Clínica Aurora manages its staff. Owners: Ana." in (
        (await alba.next_message()).text or ""
    )
    await alba.press_data(screen, f"tm:y:{world.a.id}:{world.ana.id}")
    assert "Only an owner" in ((await alba.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        assert (await uow.guidance.current(world.a.id)).version == 0
        assert await uow.clinics.is_staff(world.a.id, world.ana.id)


async def test_an_owner_switching_a_rule_off_is_warned_and_reminders_say_the_clinic_set_it(
    world: World, bot_database: Database, bot_app: BotApp, clock: FakeClock
) -> None:
    patient = world.a_patients[0]
    now = clock.now()
    await log_directly(bot_database, patient.id, Procedure.MICRONEEDLING, date(2026, 11, 14), now)
    await log_directly(bot_database, patient.id, Procedure.BOTOX, date(2026, 11, 21), now)
    ana = world.ana
    await ana.send("/guidance")
    await ana.press(await ana.next_message(), "✏️ Botox → microneedling")
    await ana.next_message()
    await ana.send("off")
    assert "Why the change?" in ((await ana.next_message()).text or "")
    await ana.send("   ")
    assert "reason of 1 to 300 characters" in ((await ana.next_message()).text or "")
    await ana.send("Our own protocol since December")
    summary = await ana.next_message()
    assert "⚠️ This is below the usual guidance (14 days)" in (summary.text or "")
    assert "say that their clinic set this spacing" in (summary.text or "")
    await ana.press(summary, "✅ Apply")
    assert "Guidance version 1 is in force" in ((await ana.next_message()).text or "")
    assert "Re-planned" in ((await ana.next_message()).text or "")

    # Microneedling stays 28 days after the last one (12 Dec): the heads-up comes on 10 Dec.
    assert await advance_to(clock, bot_app, local(date(2026, 12, 10), 9)) >= 1
    heads_up = (await patient.next_message()).text or ""
    assert "Microneedling will be possible from Sat, 12 Dec 2026" in heads_up
    assert "Your clinic set this spacing:" in heads_up
    assert "Microneedling after Botox: no minimum wait (usual guidance: at least 14 days)." in (
        heads_up
    )
    assert "confirm the timing with your provider" in heads_up
    async with bot_database.unit_of_work() as uow:
        entries = {e.action for e in await uow.audit.for_clinic(world.a.id)}
    assert {"guidance.changed", "guidance.replanned"} <= entries


async def test_an_owner_manages_roles_and_removal_and_the_last_owner_stays(
    world: World, bot_database: Database
) -> None:
    ana, alba = world.ana, world.alba
    text = await _staff_screen(ana)
    assert "Staff of Clínica Aurora" in text
    assert "• Ana — owner, since" in text
    assert "• Alba — staff, since" in text

    screen = ana.last_message
    assert screen is not None
    open_alba = button_data(screen, "👤 Alba")
    own = await press_and_wait_for_edit(ana, screen, "👤 Ana")
    since = ana.version
    await ana.press(own, "Make plain staff")
    assert "needs at least one owner" in ((await ana.next_message()).text or "")

    screen = await wait_for_edit(ana, own, since)  # the card turns back into the team
    card = await press_and_wait_for_edit(ana, screen, "👤 Alba")
    assert "<b>Alba</b>, staff of" in (card.raw_text or "")
    await ana.press(card, "Make an owner")
    assert "Done" in ((await ana.next_message()).text or "")
    await alba.send("/staff")
    assert "Staff of Clínica Aurora" in ((await alba.next_message()).text or "")

    # Now that Alba owns the clinic too, Ana may step down, and Alba may remove her.
    screen = alba.last_message
    assert screen is not None
    card = await press_and_wait_for_edit(alba, screen, "👤 Ana")
    question = await press_and_wait_for_edit(alba, card, "Remove from the staff")
    assert "Their staff buttons and commands stop working at once" in (question.text or "")
    await alba.press(question, "Yes, remove")
    assert "Done" in ((await alba.next_message()).text or "")
    assert "You are no longer staff of Clínica Aurora" in ((await ana.next_message()).text or "")
    await ana.send("/guidance")
    assert REFUSED in ((await ana.next_message()).text or "")
    await ana.press_data(own, open_alba)
    assert REFUSED in ((await ana.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        staff = await uow.clinics.list_staff(world.a.id)
        actions = [e.action for e in await uow.audit.for_clinic(world.a.id)]
    assert [(m.telegram_user_id, m.role) for m in staff] == [(alba.id, StaffRole.OWNER)]
    assert "staff.removed" in actions
    assert "staff.role_changed" in actions


async def test_an_owner_invites_from_the_staff_screen_and_withdraws_an_invite(
    world: World, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = world.ana
    await ana.send("/staff")
    await ana.press(await ana.next_message(), "✉️ Invite an owner")
    sent = (await ana.next_message()).text or ""
    assert "join Clínica Aurora as owner" in sent
    (payload,) = LINK.findall(sent)
    await ana.send("/staff")
    screen = await ana.next_message()
    assert "Invites not used yet" in (screen.text or "")
    withdraw = button_data_text(screen, "🚫 Withdraw invite #")
    await ana.press(screen, withdraw)
    assert "is withdrawn: its link no longer works" in ((await ana.next_message()).text or "")
    eva = sandbox.user(603, first_name="Eva")
    await eva.send(f"/start {payload}")
    assert "no longer valid" in ((await eva.next_message()).text or "")

    await ana.press(screen, "✉️ Invite an owner")  # the screen, shown again without it
    (payload,) = LINK.findall((await ana.next_message()).text or "")
    await eva.send(f"/start {payload}")
    assert "You are now staff of Clínica Aurora" in ((await eva.next_message()).text or "")
    assert "Eva used an invite and is now owner of Clínica Aurora" in (
        (await ana.next_message()).text or ""
    )
