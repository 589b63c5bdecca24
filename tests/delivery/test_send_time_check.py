"""A reminder is checked again at send time against the history of that moment.

The patient logs Botox on 23 Nov 2026 (Europe/Berlin, reminders at 09:00, two days ahead):
microneedling becomes possible on Mon 7 Dec, so the heads-up is due on Sat 5 Dec at 09:00.
A change at 09:00, when the heads-up is already due, is left to the dispatcher by the
re-plan: these tests make it then and send with a dispatcher of their own, so no
scheduler tick can send before the change lands.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases import treatments
from bot.usecases.send_check import NO_LONGER_HOLDS
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from storage.records import OutboxKind, OutboxState, Patient
from tests.delivery.helpers import advance_to, local, new_patient, rows, standalone_dispatcher

HEADS_UP = local(date(2026, 12, 5), 9)
HEADS_UP_KEY = "heads_up:microneedling:20261207"


async def _botox(database: Database, patient: Patient, on: date, clock: FakeClock) -> int:
    logged = await treatments.log_treatment(database, patient, Procedure.BOTOX, on, clock.now())
    return logged.treatment.id


async def test_a_reminder_whose_botox_was_deleted_seconds_before_is_skipped_not_failed(
    database: Database, sandbox: Sandbox, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    patient = await new_patient(database, sandbox, now=clock.now())
    botox = await _botox(database, patient, date(2026, 11, 23), clock)
    clock.set(HEADS_UP)
    await treatments.delete_treatment(database, patient, botox, clock.now())
    caplog.set_level(logging.INFO, logger="bot.delivery.dispatcher")
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        assert await dispatcher.run_until_idle() == 1
    assert sandbox.user(1001).messages == []
    (row,) = [m for m in await rows(database, patient.id) if m.dedupe_key == HEADS_UP_KEY]
    assert row.state is OutboxState.CANCELLED
    assert row.last_error == NO_LONGER_HOLDS
    assert row.last_error.startswith("skipped:")
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert [r.levelno for r in skipped] == [logging.INFO]
    said = skipped[0].getMessage()
    assert f"outbox {row.id} (patient {patient.id})" in said
    for health_data in ("microneedling", "botox", "Botox", "2026", "20261207"):
        assert health_data not in said


async def test_a_reminder_whose_botox_moved_seconds_before_to_another_date_is_skipped(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    patient = await new_patient(database, sandbox, now=clock.now())
    botox = await _botox(database, patient, date(2026, 11, 23), clock)
    clock.set(HEADS_UP)
    await treatments.change_date(database, patient, botox, date(2026, 11, 30), clock.now())
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        await dispatcher.run_until_idle()
    assert sandbox.user(1001).messages == []
    states = {m.dedupe_key: m.state for m in await rows(database, patient.id)}
    assert states[HEADS_UP_KEY] is OutboxState.CANCELLED
    # The new date has its own reminders, planned by the change.
    assert states["may_book:microneedling:20261214"] is OutboxState.PENDING


async def test_a_reminder_that_still_holds_is_worded_from_the_history_of_the_moment_it_goes_out(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    patient = await new_patient(database, sandbox, now=clock.now())
    earlier = await _botox(database, patient, date(2026, 11, 22), clock)
    await _botox(database, patient, date(2026, 11, 23), clock)
    clock.set(HEADS_UP)
    await treatments.delete_treatment(database, patient, earlier, clock.now())
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        assert await dispatcher.run_until_idle() == 1
    text = (await sandbox.user(1001).next_message()).text or ""
    assert "Microneedling will be possible from Mon, 7 Dec 2026" in text
    assert "Because of your Botox on 23 Nov, microneedling should wait until 7 Dec" in text
    assert "22 Nov" not in text, "the deleted Botox is not a reason any more"
    (row,) = [m for m in await rows(database, patient.id) if m.dedupe_key == HEADS_UP_KEY]
    assert row.state is OutboxState.SENT


async def test_a_reminder_asked_again_is_skipped_once_the_botox_behind_it_was_deleted(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await new_patient(bot_database, sandbox, now=clock.now())
    botox = await _botox(bot_database, patient, date(2026, 11, 23), clock)
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, local(date(2026, 12, 7), 9))
    may_book = await ana.next_message()
    await ana.press(may_book, "⏰ Remind me in 3 days")
    await ana.next_message()
    await treatments.delete_treatment(bot_database, patient, botox, clock.now())
    assert await advance_to(clock, bot_app, local(date(2026, 12, 10), 9)) == 0
    await ana.wait_until_idle()
    assert ana.skip_messages() == 0
    (notice,) = [m for m in await rows(bot_database, patient.id) if m.kind is OutboxKind.NOTICE]
    assert notice.state is OutboxState.CANCELLED
    assert notice.last_error == NO_LONGER_HOLDS
