"""Answering every patient at once: concurrent chats, replies ahead of bulk sends, throttling.

Order is asserted on what the sandbox received (its `sent` sequence), not on wall-clock
time, so the tests hold on a loaded machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from bench.outbox_load import load_clinic_members
from bench.sandbox_process import TOKEN, sandbox_process
from bot.app import build_application
from bot.clock import FakeClock
from bot.config import Settings
from bot.context import BotApp
from bot.usecases import patients
from bot.usecases.broadcasts import Audience, confirm_broadcast, draft_broadcast
from bot.usecases.treatments import log_treatment
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from tests.conversations.clinic_world import build_world
from tests.conversations.helpers import log_directly, onboard, patient_of, stored_treatments
from tests.conversations.staff_steps import broadcast_to_all, final_report, write_broadcast
from tests.delivery.helpers import dispatcher_of, new_patient
from tests.eventually import eventually
from tests.fixtures.bot import bot_settings, running

TODAY = date(2026, 11, 24)
STAFF = 900_000_001


def _sent_to(sandbox: Sandbox, chat_id: int) -> list[int]:
    """The `sent` positions of the messages a chat got, in order."""
    return [r.seq for r in sandbox.sent if r.chat_id == chat_id and r.method == "sendMessage"]


async def test_two_chats_are_answered_side_by_side_while_one_chats_updates_stay_in_order(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    await onboard(ana)
    await onboard(ben)
    # Ana's next answer is held a second at the sandbox; her second update must wait for
    # it, Ben's must not.
    sandbox.fail_next("slow", chat_id=ana.chat_id)
    before = len(sandbox.sent)
    await ana.send("/help")
    await ana.send("/next")
    await eventually(lambda: sandbox.stats.calls.get("sendMessage", 0) > 0)
    await ben.send("/help")
    help_answer = await ana.next_message()
    next_answer = await ana.next_message()
    await ben.next_message()
    assert "How Interval works" in (help_answer.text or "")
    assert "no treatments logged yet" in (next_answer.text or "")
    ana_seqs = [seq for seq in _sent_to(sandbox, ana.chat_id) if seq > before]
    ben_seqs = [seq for seq in _sent_to(sandbox, ben.chat_id) if seq > before]
    assert len(ana_seqs) == 2
    assert len(ben_seqs) == 1
    assert ben_seqs[0] < ana_seqs[0], "Ben was answered while Ana's slow answer was on its way"


async def test_a_double_press_saves_once_with_updates_handled_concurrently(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("had botox yesterday")
    understood = await ana.next_message()
    await ana.press(understood, "✅ Save")
    await ana.press(understood, "✅ Save")
    await ana.wait_until_idle(quiet=0.2)
    assert await stored_treatments(bot_database, 1001) == [("botox", TODAY - timedelta(days=1))]


async def test_the_same_entry_saved_from_two_places_at_once_is_stored_once(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    patient = await patient_of(bot_database, 1001)
    results = await asyncio.gather(
        *(
            log_treatment(bot_database, patient, Procedure.BOTOX, TODAY, clock.now())
            for _ in range(5)
        )
    )
    assert sum(not r.already_logged for r in results) == 1
    assert await stored_treatments(bot_database, 1001) == [("botox", TODAY)]


async def test_a_reply_goes_ahead_of_the_outbox_sends_queued_before_it(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    # The overall limit only: a reply is not held to one message a second in its chat.
    sandbox.set_limits(overall_rate=30)
    settings = bot_settings(sandbox, telegram_rate_limit=30)
    application = build_application(settings, clock=clock, database=bot_database)
    async with running(application):
        ana = sandbox.user(1001)
        await onboard(ana)
        for index in range(150):
            patient = await new_patient(bot_database, sandbox, 5000 + index, now=clock.now())
            await log_directly(
                bot_database, patient.telegram_user_id, Procedure.BOTOX, TODAY, clock.now()
            )
        clock.advance(timedelta(days=15))
        dispatcher = dispatcher_of(application)
        dispatcher.wake()
        # Wait until the dispatcher has its sends queued for the pace.
        await eventually(lambda: sandbox.stats.delivered > 40, timeout=10)
        at_request = len(sandbox.sent)
        await ana.send("/next")
        await ana.next_message()
        reply = _sent_to(sandbox, ana.chat_id)[-1]
        # Only what already held a slot went first: not the 64 sends waiting in line.
        assert reply - at_request <= 4, (reply, at_request)
        await eventually(lambda: len(sandbox.sent) >= 150 + 4, timeout=20)
        assert sandbox.stats.rejected_429 == 0, "the pace kept to the limit with replies too"
        assert sandbox.stats.max_per_second <= 30


async def test_a_reply_refused_twice_with_429_still_arrives(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    sandbox.fail_next("429", times=2, chat_id=ana.chat_id)
    await ana.send("/help")
    answer = await ana.next_message(timeout=10)
    assert "How Interval works" in (answer.text or "")
    assert sandbox.stats.injected.get("429") == 2


async def test_replies_and_a_broadcast_together_never_exceed_the_limit_at_the_sandbox(
    bot_database: Database, clock: FakeClock
) -> None:
    # The sandbox in a process of its own: sharing the bot's loop would bunch its arrivals.
    members = list(range(6000, 6150))
    repliers = list(range(1001, 1021))
    with sandbox_process() as sandbox:
        await asyncio.to_thread(sandbox.reset, members + repliers, overall_rate=30, per_chat_rate=1)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=TOKEN,  # type: ignore[arg-type]
            telegram_base_url=sandbox.base_url,
            telegram_rate_limit=30,
            inbound_limit=10_000,
        )
        application = build_application(settings, clock=clock, database=bot_database)
        async with running(application):
            clinic_id, _ = await load_clinic_members(
                bot_database, members, clock.now(), staff_user=STAFF
            )
            for user_id in repliers:
                await patients.consent(
                    bot_database,
                    telegram_user_id=user_id,
                    chat_id=user_id,
                    language="en",
                    timezone="Europe/Berlin",
                    now=clock.now(),
                )
            draft = await draft_broadcast(
                bot_database,
                clinic_id,
                STAFF,
                body="Open on Saturday",
                audience=Audience("all"),
                now=clock.now(),
            )
            await confirm_broadcast(
                bot_database, clinic_id, draft.broadcast.id, STAFF, language="en", now=clock.now()
            )
            dispatcher_of(application).wake()

            async def delivered() -> int:
                return int((await asyncio.to_thread(sandbox.stats))["delivered"])

            await eventually(lambda: _more_than(delivered, 30), timeout=15)
            for user_id in repliers:
                await asyncio.to_thread(sandbox.send, user_id, "/next")
            await eventually(
                lambda: _more_than(delivered, 169), timeout=30, interval=0.2, what="every send"
            )
            stats = await asyncio.to_thread(sandbox.stats)
    assert stats["rejected_429"] == 0, stats
    assert stats["max_per_second"] <= 30, stats


async def _more_than(count: Callable[[], Awaitable[int]], floor: int) -> bool:
    return await count() > floor


async def test_someone_sending_a_flood_is_told_once_and_everyone_else_is_answered(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    settings = bot_settings(sandbox, inbound_limit=5, inbound_window=60)
    application = build_application(settings, clock=clock, database=bot_database)
    async with running(application):
        ana, ben = sandbox.user(1001), sandbox.user(1002)
        for _ in range(12):
            await ana.send("/help")
        await ben.send("/help")
        assert "How Interval works" in ((await ben.next_message()).text or "")
        await ana.wait_until_idle(quiet=0.3)
        texts = [m.text or "" for m in ana.messages]
        assert sum("faster than I can answer" in text for text in texts) == 1
        assert sum("How Interval works" in text for text in texts) == 5


async def test_paid_broadcasts_send_the_outbox_with_allow_paid_broadcast(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    settings = bot_settings(sandbox, telegram_paid_broadcast=True, telegram_rate_limit=1000)
    application = build_application(settings, clock=clock, database=bot_database)
    async with running(application):
        ana = sandbox.user(1001)
        await onboard(ana)
        await log_directly(bot_database, 1001, Procedure.BOTOX, TODAY, clock.now())
        clock.advance(timedelta(days=15))
        await dispatcher_of(application).run_until_idle()
        reminder = await ana.next_message()
        assert reminder.params.get("allow_paid_broadcast") is True
        assert [r.paid for r in sandbox.sent if r.seq == max(_sent_to(sandbox, 1001))] == [True]
        # Replies are not paid for.
        await ana.send("/help")
        answer = await ana.next_message()
        assert "allow_paid_broadcast" not in answer.params


async def test_a_clinic_broadcasting_again_too_soon_is_told_when_it_may(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    world = await build_world(sandbox, bot_database, clock.now())
    await broadcast_to_all(world.ana, "First")
    await final_report(world.ana)
    await world.ana.send("/broadcast")
    refused = await world.ana.next_message()
    assert "the next can go from Tue, 24 Nov 2026 at 10:40" in (refused.text or "")
    clock.advance(timedelta(minutes=11))
    prompt, _ = await write_broadcast(world.ana, "Second")
    assert "Second" in (prompt.raw_text or "")
