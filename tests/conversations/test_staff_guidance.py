"""/guidance and /stats end to end: change a rule, see who is re-planned, and who is not."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.guidance import resume_replans, unfinished_replans
from rules import Procedure
from sandbox import Sandbox
from sandbox.users import SandboxUser
from storage.database import Database
from storage.records import ActorKind, OutboxKind
from tests.conversations.clinic_world import World, build_world
from tests.conversations.helpers import button_data, log_directly, patient_of
from tests.conversations.staff_steps import choose_audience, confirm

BOTOX_DAY = date(2026, 11, 20)


@pytest.fixture
async def world(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> World:
    """Both clinics; every patient (and the outsider) had Botox on 20 Nov."""
    world = await build_world(sandbox, bot_database, clock.now())
    for user in world.patients:
        await log_directly(bot_database, user.id, Procedure.BOTOX, BOTOX_DAY, clock.now())
    return world


async def _reminders(database: Database, user: SandboxUser) -> list[tuple[str, datetime]]:
    patient = await patient_of(database, user.id)
    async with database.unit_of_work() as uow:
        pending = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
    return [(m.dedupe_key, m.due_at) for m in pending]


async def _next_text(user: SandboxUser) -> str:
    await user.send("/next")
    return (await user.next_message()).text or ""


async def _change_rule(staff: SandboxUser, rule: str, value: str, reason: str) -> str:
    await staff.send("/guidance")
    screen = await staff.next_message()
    await staff.press(screen, f"✏️ {rule}")
    await staff.next_message()
    await staff.send(value)
    await staff.next_message()
    await staff.send(reason)
    summary = await staff.next_message()
    await staff.press(summary, "✅ Apply")
    in_force = await staff.next_message()
    replanned = await staff.next_message()  # when every member has been re-planned
    return f"{in_force.text}\n{replanned.text}"


async def test_guidance_shows_the_clinics_rules_beside_the_defaults(world: World) -> None:
    await world.ana.send("/guidance")
    screen = await world.ana.next_message()
    text = screen.text or ""
    assert "Spacing guidance of Clínica Aurora (version 0)" in text
    assert "Botox → microneedling: 14 days (default)" in text
    assert "Microneedling → Botox: 7 days (default)" in text
    assert "your fewer than 5 active members" in text  # three: too few to show
    assert len(screen.buttons) == 5  # a ✏️ per rule, and the aftercare notes


async def test_a_guidance_change_moves_next_dates_and_reminders_of_affected_members_only(
    world: World, bot_database: Database
) -> None:
    a_member, b_member = world.a_patients[0], world.b_patients[0]
    assert world.outsider is not None
    before = {u.id: await _reminders(bot_database, u) for u in world.patients}
    assert "Fri, 4 Dec 2026" in await _next_text(a_member)

    done = await _change_rule(world.ana, "Botox → microneedling", "21", "New consensus paper")
    assert "Guidance version 1 is in force" in done
    assert "Re-planning the reminders of fewer than 5 members…" in done
    assert "Re-planned fewer than 5 members; reminders moved for fewer than 5." in done

    assert "Fri, 11 Dec 2026" in await _next_text(a_member)
    assert "guidance version 1" in await _next_text(a_member)
    assert "Fri, 4 Dec 2026" in await _next_text(b_member)
    assert "Fri, 4 Dec 2026" in await _next_text(world.outsider)
    for user in world.a_patients:
        after = await _reminders(bot_database, user)
        assert after != before[user.id]
        assert "may_book:microneedling:20261211" in {key for key, _ in after}, after
    for user in (*world.b_patients, world.outsider):
        assert await _reminders(bot_database, user) == before[user.id]

    async with bot_database.unit_of_work() as uow:
        (change,) = await uow.guidance.history(world.a.id)
        entries = await uow.audit.for_clinic(world.a.id)
        assert (await uow.guidance.current(world.b.id)).version == 0
    assert (change.old_default, change.new_days, change.changed_by) == (True, 21, world.ana.id)
    assert change.reason == "New consensus paper"
    assert {"guidance.changed", "guidance.replanned"} <= {e.action for e in entries}


async def test_switching_a_rule_off_and_back_to_the_default_is_versioned(
    world: World, bot_database: Database
) -> None:
    off = await _change_rule(world.ana, "Botox → microneedling", "off", "Trial")
    assert "Guidance version 1" in off
    assert "Microneedling\nEarliest: from today" in await _next_text(world.a_patients[0])
    back = await _change_rule(world.ana, "Botox → microneedling", "default", "Trial over")
    assert "Guidance version 2" in back
    assert "Fri, 4 Dec 2026" in await _next_text(world.a_patients[0])
    await world.ana.send("/guidance")
    text = (await world.ana.next_message()).text or ""
    assert "(version 2)" in text
    assert "Trial over" in text


async def test_bad_values_are_asked_again_and_a_replayed_apply_does_nothing(
    world: World, bot_database: Database
) -> None:
    ana = world.ana
    await ana.send("/guidance")
    await ana.press(await ana.next_message(), "✏️ Botox → Botox")
    await ana.next_message()
    for bad in ("ninety", "-3", "99999"):
        await ana.send(bad)
        assert "whole number of days" in ((await ana.next_message()).text or "")
    await ana.send("120")
    await ana.next_message()
    await ana.send("Longer interval")
    summary = await ana.next_message()
    assert "from 90 days to 120 days" in (summary.text or "")
    apply = button_data(summary, "✅ Apply")
    await ana.press(summary, "✅ Apply")
    await ana.next_message()
    await ana.next_message()
    await ana.press_data(summary, apply)
    assert "out of date" in ((await ana.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        assert len(await uow.guidance.history(world.a.id)) == 1


async def test_staff_of_another_clinic_cannot_change_or_read_its_guidance(
    world: World, bot_database: Database
) -> None:
    bruno, last = world.bruno, world.bruno.messages[-1]
    await bruno.press_data(last, f"gd:e:{world.a.id}:0:botox:microneedling")
    assert "for clinic staff only" in ((await bruno.next_message()).text or "")
    await bruno.press_data(last, f"gd:c:{world.a.id}")
    assert "for clinic staff only" in ((await bruno.next_message()).text or "")
    await bruno.press_data(last, f"gd:ok:{world.a.id}:0")
    assert "out of date" in ((await bruno.next_message()).text or "")
    await bruno.press_data(last, f"bc:n:{world.a.id}:1")
    assert "for clinic staff only" in ((await bruno.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        assert (await uow.guidance.current(world.a.id)).version == 0


async def test_a_notice_of_the_change_can_be_broadcast_to_the_members(
    world: World, bot_database: Database
) -> None:
    await _change_rule(world.ana, "Botox → microneedling", "21", "New consensus paper")
    offer = world.ana.last_message
    assert offer is not None
    await world.ana.press(offer, "📣 Broadcast a notice")
    preview = await world.ana.next_message()
    text = preview.text or ""
    assert "Clínica Aurora updated its spacing guidance." in text
    assert "Botox → microneedling: now at least 21 days apart. (Before: 14 days.)" in text
    assert "Why: New consensus paper" in text
    question = await world.ana.next_message()
    progress = await confirm(world.ana, await choose_audience(world.ana, question))
    assert "of fewer than 5." in (progress.text or "")


async def test_stats_show_members_reminders_and_the_last_broadcasts(
    world: World, bot_database: Database
) -> None:
    await world.ana.send("/stats")
    text = (await world.ana.next_message()).text or ""
    assert (
        "Members: fewer than 5 (active fewer than 5, paused fewer than 5, blocked fewer than 5)"
        in text
    )
    assert "Staff: 2" in text
    assert "None yet" in text
    assert "Upcoming reminders: 0" not in text


async def test_a_replan_cut_short_by_a_stop_is_finished_at_the_next_start(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    async with bot_database.unit_of_work() as uow:
        # A change committed by a process that died before re-planning anyone.
        await uow.guidance.set_override(
            world.a.id,
            Procedure.BOTOX,
            Procedure.MICRONEEDLING,
            21,
            changed_by=world.ana.id,
            reason="x",
            now=clock.now(),
        )
        await uow.audit.record(
            "guidance.changed",
            at=clock.now(),
            actor_kind=ActorKind.STAFF,
            clinic_id=world.a.id,
            details={"version": 1},
        )
        await uow.commit()
    assert await unfinished_replans(bot_database) == [(world.a.id, 1)]
    (done,) = await resume_replans(bot_database, clock.now())
    assert (done.version, done.members, done.moved) == (1, 3, 3)
    assert await unfinished_replans(bot_database) == []
    keys = {key for key, _ in await _reminders(bot_database, world.a_patients[0])}
    assert "may_book:microneedling:20261211" in keys
