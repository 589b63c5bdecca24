"""/broadcast end to end: two clinics, their staff and patients, and an outsider."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.clock import FakeClock
from bot.context import BotApp
from bot.render.broadcasts import render_broadcast
from bot.usecases.broadcasts import Audience, draft_broadcast
from bot.usecases.payloads import BroadcastMessage
from bot.usecases.settings import change_settings
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from storage.records import BroadcastState, PatientState
from tests.conversations.clinic_world import World, build_world
from tests.conversations.helpers import (
    assert_buttons_fit,
    button_data,
    expire_conversation,
    log_directly,
    patient_of,
)
from tests.conversations.staff_steps import (
    broadcast_to_all,
    broadcasts_of,
    choose_audience,
    confirm,
    deliveries,
    final_report,
    received,
    write_broadcast,
)

TEXT = "<b>Flu season</b>: we open on Saturdays in December. <i>See you!</i>"


@pytest.fixture
async def world(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> World:
    """Clinic A with 3 members, clinic B with 2, staff for both, and an outsider."""
    return await build_world(sandbox, bot_database, clock.now())


def _chats(world: World, *groups: str) -> list[int]:
    chats: list[int] = []
    for group in groups:
        chats += [user.chat_id for user in getattr(world, group)]
    return sorted(chats)


async def test_the_preview_is_exactly_what_patients_will_see(
    world: World, bot_database: Database
) -> None:
    preview, _ = await write_broadcast(world.ana, TEXT)
    assert preview.raw_text is not None
    assert preview.raw_text.startswith(TEXT)
    assert "Sent by <b>Clínica Aurora</b> via Interval." in preview.raw_text
    assert "confirm the timing with your provider" in preview.raw_text
    payloadless = render_broadcast(BroadcastMessage(TEXT, world.a.id, "Clínica Aurora", "es"), "en")
    assert preview.raw_text == payloadless


async def test_a_broadcast_reaches_exactly_the_clinics_active_members_once(
    world: World, bot_database: Database
) -> None:
    _, question = await write_broadcast(world.ana, TEXT)
    summary = await choose_audience(world.ana, question)
    # Three members: every count is shown as "fewer than 5" (the stored counts are exact).
    assert "fewer than 5 members will receive it." in (summary.text or "")
    assert "3" not in (summary.text or "")
    progress = await confirm(world.ana, summary)
    assert "of fewer than 5." in (progress.text or "")
    report = await final_report(world.ana)
    assert report.text == (
        "✅ Broadcast #1 finished: fewer than 5 sent, fewer than 5 blocked, "
        "fewer than 5 failed of fewer than 5."
    )
    for user in world.a_patients:
        assert received(user, TEXT) == 1, user
        delivered = next(m for m in user.messages if (m.raw_text or "").startswith(TEXT))
        assert "Sent by <b>Clínica Aurora</b>" in (delivered.raw_text or "")
    for user in (*world.b_patients, world.outsider, world.alba, world.bruno):
        assert user is not None
        assert received(user, TEXT) == 0, user
    edited = next(m for m in world.ana.messages if m.message_id == progress.message_id)
    assert edited.text == report.text
    assert not edited.buttons
    rows = await deliveries(bot_database)
    assert [chat for chat, _, _ in rows] == _chats(world, "a_patients")
    (broadcast,) = await broadcasts_of(bot_database, world.a.id)
    assert (broadcast.state, broadcast.total, broadcast.sent) == (BroadcastState.DONE, 3, 3)
    assert {b for _, b, state in rows} == {broadcast.id}
    assert {state for _, _, state in rows} == {"sent"}
    assert_buttons_fit(world.ana)


async def test_a_spanish_member_gets_the_footer_in_spanish(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    lucia = await patient_of(bot_database, world.a_patients[0].id)
    await change_settings(bot_database, lucia.id, clock.now(), language="es")
    await broadcast_to_all(world.ana, TEXT)
    await final_report(world.ana)
    (spanish,) = [m for m in world.a_patients[0].messages if (m.raw_text or "").startswith(TEXT)]
    assert "Enviado por <b>Clínica Aurora</b> a través de Interval." in (spanish.raw_text or "")
    (english,) = [m for m in world.a_patients[1].messages if (m.raw_text or "").startswith(TEXT)]
    assert "Sent by <b>Clínica Aurora</b> via Interval." in (english.raw_text or "")


async def test_a_member_who_blocked_the_bot_unnoticed_is_counted_blocked_and_marked(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    silent = world.a_patients[2]
    # Blocked without the my_chat_member update reaching us: only the send finds out (403).
    silent._chat.blocked = True  # the sandbox's chat state, for this one case
    await broadcast_to_all(world.ana, TEXT)
    await final_report(world.ana)
    (broadcast,) = await broadcasts_of(bot_database, world.a.id)
    assert (broadcast.sent, broadcast.blocked, broadcast.failed, broadcast.total) == (2, 1, 0, 3)
    assert (await patient_of(bot_database, silent.id)).state is PatientState.BLOCKED
    # Never tried again: the next broadcast counts them blocked without sending.
    clock.advance(timedelta(minutes=11))  # past the clinic's pause between broadcasts
    _, question = await write_broadcast(world.ana, "Second")
    summary = await choose_audience(world.ana, question)
    assert "fewer than 5 blocked the bot" in (summary.text or "")
    second = (await broadcasts_of(bot_database, world.a.id))[0]
    assert second.state is BroadcastState.DRAFT
    stored = await draft_broadcast(
        bot_database, world.a.id, 501, body="Second", audience=Audience("all"), now=clock.now()
    )
    assert (len(stored.reach.recipients), stored.reach.blocked) == (2, 1)


async def test_a_blocked_member_is_counted_as_blocked_and_never_queued(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    blocked = world.a_patients[0]
    await blocked.block()
    async with bot_database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(blocked.id)
        assert patient is not None
        await uow.patients.set_state(patient.id, PatientState.BLOCKED)
        await uow.commit()
    opted_out = await patient_of(bot_database, world.a_patients[1].id)
    await change_settings(bot_database, opted_out.id, clock.now(), broadcasts_opt_out=True)
    _, question = await write_broadcast(world.ana, TEXT)
    summary = await choose_audience(world.ana, question)
    assert "fewer than 5 members will receive it." in (summary.text or "")
    assert "fewer than 5 blocked the bot" in (summary.text or "")
    assert "fewer than 5 turned clinic messages off" in (summary.text or "")
    progress = await confirm(world.ana, summary)
    assert "fewer than 5 blocked" in (progress.text or "")
    assert [chat for chat, _, _ in await deliveries(bot_database)] == [world.a_patients[2].chat_id]
    (broadcast,) = await broadcasts_of(bot_database, world.a.id)
    assert (broadcast.total, broadcast.blocked) == (2, 1), "the opted-out member is not counted"
    (broadcast,) = await broadcasts_of(bot_database, world.a.id)
    assert (broadcast.total, broadcast.blocked) == (2, 1)


async def test_a_non_staff_broadcast_is_refused_and_nobody_receives_anything(
    world: World, bot_database: Database
) -> None:
    assert world.outsider is not None
    for user in (world.outsider, world.a_patients[0]):
        await user.send("/broadcast")
        assert "for clinic staff only" in ((await user.next_message()).text or "")
        await user.send(TEXT)  # not taken as a broadcast text
        await user.wait_until_idle()
    for user in world.patients:
        user.skip_messages()
    assert await deliveries(bot_database) == []
    assert await broadcasts_of(bot_database, world.a.id) == []
    assert await broadcasts_of(bot_database, world.b.id) == []


async def test_forged_and_replayed_confirms_do_nothing(
    world: World, bot_database: Database
) -> None:
    _, question = await write_broadcast(world.ana, TEXT)
    summary = await choose_audience(world.ana, question)
    go = button_data(summary, summary.buttons[0][0].text)
    (draft,) = await broadcasts_of(bot_database, world.a.id)
    forged = [
        (world.alba, go),  # staff of the same clinic, not the author
        (world.bruno, go),  # staff of the other clinic
        (world.bruno, f"bc:go:{world.b.id}:{draft.id}"),  # another clinic's id, same draft
        (world.a_patients[0], go),  # a patient
        (world.ana, f"bc:go:{world.b.id}:{draft.id}"),  # the author, through the wrong clinic
        (world.ana, "bc:go:x:y"),
        (world.ana, f"bc:go:{world.a.id}:{draft.id + 99}"),
    ]
    for user, data in forged:
        await user.press_data(user.messages[-1], data)
        await user.wait_until_idle()
    assert await deliveries(bot_database) == []
    (still,) = await broadcasts_of(bot_database, world.a.id)
    assert still.state is BroadcastState.DRAFT
    refused = [a for a in world.alba.answered_callbacks if a.text]
    assert refused[-1].text == "Sorry, this button is not for you."

    await confirm(world.ana, summary)
    await world.ana.press_data(summary, go)  # the same button again
    await world.ana.wait_until_idle()
    assert len(await deliveries(bot_database)) == 3
    answers = [a.text for a in world.ana.answered_callbacks]
    assert answers[-1] == "This broadcast was already sent or cancelled."


async def test_staff_of_one_clinic_cannot_reach_the_other_clinics_patients(
    world: World, bot_database: Database
) -> None:
    # Bruno forges the clinic choice of clinic A: refused, nothing drafted for A.
    await world.bruno.press_data(world.bruno.messages[-1], f"bc:c:{world.a.id}")
    assert "for clinic staff only" in ((await world.bruno.next_message()).text or "")
    _, question = await write_broadcast(world.bruno, "Hello from B")
    summary = await choose_audience(world.bruno, question)
    assert "fewer than 5 members will receive it." in (summary.text or "")
    await confirm(world.bruno, summary)
    rows = await deliveries(bot_database)
    assert [chat for chat, _, _ in rows] == _chats(world, "b_patients")
    assert await broadcasts_of(bot_database, world.a.id) == []


async def test_audiences_by_procedure_done_or_planned_within_n_days(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    today = date(2026, 11, 24)
    now = clock.now()
    done_recently, planned_soon, long_ago = world.a_patients
    await log_directly(bot_database, done_recently.id, Procedure.BOTOX, today - timedelta(5), now)
    await log_directly(
        bot_database, planned_soon.id, Procedure.MICRONEEDLING, today + timedelta(10), now
    )
    await log_directly(bot_database, long_ago.id, Procedure.BOTOX, today - timedelta(200), now)
    # A member of the other clinic treated yesterday is never in A's audience.
    await log_directly(
        bot_database, world.b_patients[0].id, Procedure.BOTOX, today - timedelta(1), now
    )

    _, question = await write_broadcast(world.ana, "Aftercare tips")
    summary = await choose_audience(world.ana, question, "done", 7)
    assert "done in the last 7 days" in (summary.text or "")
    assert "fewer than 5 members will receive it." in (summary.text or "")
    await confirm(world.ana, summary)
    assert [chat for chat, _, _ in await deliveries(bot_database)] == [done_recently.chat_id]

    clock.advance(timedelta(minutes=11))  # past the clinic's pause between broadcasts
    _, question = await write_broadcast(world.ana, "Before your visit")
    await world.ana.press(question, "Procedure planned in the next … days")
    windows = await world.ana.next_message()
    assert windows.button_texts == ["7", "30", "90"], "fixed windows, never any number"
    await world.ana.press(windows, "30")
    summary = await world.ana.next_message()
    assert "planned in the next 30 days" in (summary.text or "")
    await confirm(world.ana, summary)
    second = (await broadcasts_of(bot_database, world.a.id))[0]
    rows = [chat for chat, b, _ in await deliveries(bot_database) if b == second.id]
    assert rows == [planned_soon.chat_id]


async def test_too_long_and_badly_formatted_texts_are_refused_with_the_reason(
    world: World, bot_database: Database
) -> None:
    ana = world.ana
    await ana.send("/broadcast")
    await ana.next_message()
    await ana.send("x" * 4000)
    too_long = await ana.next_message()
    assert "too long" in (too_long.text or "")
    count = int((too_long.text or "").split("it is ")[1].split(" ")[0])
    assert count > 4096
    assert f"shorten it by {count - 4096} characters" in (too_long.text or "")
    await ana.send("<b>unclosed")
    bad = await ana.next_message()
    assert "could not read that formatting" in (bad.text or "")
    assert not bad.buttons
    await ana.send("<b>fixed</b>")
    preview = await ana.next_message()
    assert (preview.raw_text or "").startswith("<b>fixed</b>")
    assert "Who should receive it?" in ((await ana.next_message()).text or "")
    assert await broadcasts_of(bot_database, world.a.id) == []


async def test_cancelling_a_draft_sends_nothing_and_its_confirm_is_dead(
    world: World, bot_database: Database
) -> None:
    _, question = await write_broadcast(world.ana, TEXT)
    summary = await choose_audience(world.ana, question)
    go = button_data(summary, summary.buttons[0][0].text)
    await world.ana.press(summary, "Cancel")
    assert "Nothing was sent" in ((await world.ana.next_message()).text or "")
    await world.ana.press_data(summary, go)
    await world.ana.wait_until_idle()
    assert await deliveries(bot_database) == []
    (cancelled,) = await broadcasts_of(bot_database, world.a.id)
    assert cancelled.state is BroadcastState.CANCELLED


async def test_every_staff_action_is_in_the_audit_log(world: World, bot_database: Database) -> None:
    _, question = await write_broadcast(world.ana, TEXT)
    await confirm(world.ana, await choose_audience(world.ana, question))
    await world.ana.send("/stats")
    await world.ana.next_message()
    async with bot_database.unit_of_work() as uow:
        entries = await uow.audit.for_clinic(world.a.id)
    actions = [(e.action, e.actor_id) for e in reversed(entries) if e.actor_kind == "staff"]
    assert actions == [
        ("staff.invite_redeemed", world.ana.id),
        ("staff.invite_redeemed", world.alba.id),
        ("broadcast.drafted", world.ana.id),
        ("broadcast.queued", world.ana.id),
        ("staff.viewed_stats", world.ana.id),
    ]
    for entry in entries:
        assert TEXT not in str(entry.details)


async def test_a_broadcast_left_unfinished_times_out_and_its_text_goes_nowhere(
    world: World, bot_database: Database, bot_app: BotApp
) -> None:
    await world.ana.send("/broadcast")
    await world.ana.next_message()
    await expire_conversation(bot_app, "staff", world.ana)
    assert "stopped waiting" in ((await world.ana.next_message()).text or "")
    await world.ana.send(TEXT)
    await world.ana.wait_until_idle()
    assert not any((m.raw_text or "").startswith(TEXT) for m in world.ana.messages)
    assert await broadcasts_of(bot_database, world.a.id) == []
