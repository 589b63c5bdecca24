"""/export, /delete and /stop end to end, and what a block or an unblock does."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import build_application
from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from storage.models import AuditRow, Base, OutboxRow
from storage.outbox import to_message
from storage.records import OutboxMessage, OutboxState, Patient, PatientState
from storage.unit_of_work import UnitOfWork
from tests.conversations._steps import all_button_data, answer_to, pending_reminders
from tests.conversations.helpers import (
    log_directly,
    onboard,
    patient_of,
    press_and_wait_for_edit,
)
from tests.eventually import eventually
from tests.fixtures.bot import TIMEOUT, bot_settings, fast_forward, running

OUT_OF_DATE = "This is out of date."


async def _stored(database: Database, user: SandboxUser) -> Patient | None:
    async with database.unit_of_work() as uow:
        return await uow.patients.get_by_user_id(user.id)


async def _rows_referring_to(database: Database, patient: Patient) -> list[tuple[str, Any]]:
    """Every (table, row) that still points at the patient: by a patients.id foreign key, by
    their id in the patients table, or by their Telegram user or chat id anywhere."""
    personal = {patient.telegram_user_id, patient.chat_id}
    found: list[tuple[str, Any]] = []
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            patient_columns = [
                column.name
                for column in table.columns
                if any(fk.column.table.name == "patients" for fk in column.foreign_keys)
                or (table.name == "patients" and column.name == "id")
            ]
            for mapping in (await connection.execute(select(table))).mappings():
                row = dict(mapping)
                if any(row[name] == patient.id for name in patient_columns) or any(
                    isinstance(value, int) and value in personal for value in row.values()
                ):
                    found.append((table.name, row))
    return found


async def _two_patients(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> tuple[SandboxUser, SandboxUser]:
    ana, bob = sandbox.user(1001), sandbox.user(1002)
    await onboard(ana)
    await onboard(bob, zone="America/New_York")
    await log_directly(database, ana.id, Procedure.BOTOX, date(2026, 11, 23), clock.now())
    await log_directly(database, ana.id, Procedure.MICRONEEDLING, date(2026, 10, 1), clock.now())
    await log_directly(database, bob.id, Procedure.BOTOX, date(2026, 9, 9), clock.now())
    return ana, bob


async def _ask_to_delete(user: SandboxUser) -> BotMessage:
    await user.send("/delete")
    return await user.next_message()


# --- /export -----------------------------------------------------------------------------


async def test_export_sends_a_json_file_with_the_patients_treatments_and_settings_only(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, _bob = await _two_patients(bot_database, sandbox, clock)
    await ana.send("/export")
    sent = await ana.next_message()
    assert sent.method == "sendDocument"
    assert sent.document is not None
    assert sent.document.file_name == "interval-export-2026-11-24.json"
    assert "Everything Interval stores about you" in (sent.text or "")
    raw = sent.document.content.decode()
    document = json.loads(raw)
    assert document["patient"]["telegram_user_id"] == 1001
    assert document["patient"]["timezone"] == "Europe/Berlin"
    assert document["patient"]["reminder_hour"] == 9
    assert [(t["procedure"], t["on"]) for t in document["treatments"]] == [
        ("microneedling", "2026-10-01"),
        ("botox", "2026-11-23"),
    ]
    assert any(m["kind"] == "reminder" for m in document["messages"])
    # Nothing of Bob's: not his ids, not his zone, not his treatment date.
    for foreign in ("1002", "America/New_York", "2026-09-09"):
        assert foreign not in raw


async def test_export_before_signing_up_says_nothing_is_stored(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("/export")
    answer = await stranger.next_message()
    assert answer.method == "sendMessage"
    assert "Nothing is stored about you" in (answer.text or "")


# --- /delete -----------------------------------------------------------------------------


async def test_delete_asks_twice_then_leaves_no_row_about_the_patient_and_bobs_data_intact(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, bob = await _two_patients(bot_database, sandbox, clock)
    alice = await patient_of(bot_database, ana.id)
    bob_before = await patient_of(bot_database, bob.id)
    bob_reminders = await pending_reminders(bot_database, bob.id)
    assert await _rows_referring_to(bot_database, alice)
    first = await _ask_to_delete(ana)
    asked = first.text or ""
    assert "This deletes everything Interval stores about you" in asked
    # It says what deleting cannot do, too, and where the whole list is.
    assert "A message already on its way to you may still arrive, once." in asked
    assert "the totals of its broadcasts are kept, with nothing left that points to you" in asked
    assert "docs/privacy.md" in asked
    assert first.button_texts == ["Yes, delete", "Keep my data"]
    second = await press_and_wait_for_edit(ana, first, "Yes, delete")
    assert "Really delete everything? This cannot be undone." in (second.text or "")
    # "Keep" is where "Yes" was, so a hurried double tap keeps the data.
    assert second.button_texts == ["Keep my data", "Delete everything"]
    assert await _stored(bot_database, ana) is not None
    done = await press_and_wait_for_edit(ana, second, "Delete everything")
    assert "everything Interval stored about you is deleted" in (done.text or "")
    assert "already on its way may still arrive, once" in (done.text or "")
    assert "/start" in (done.text or "")
    assert done.buttons == []
    assert await _rows_referring_to(bot_database, alice) == []
    assert await patient_of(bot_database, bob.id) == bob_before
    assert await pending_reminders(bot_database, bob.id) == bob_reminders
    async with bot_database.unit_of_work() as uow:
        assert len(await uow.treatments.list_for_patient(bob_before.id)) == 1
    # /start begins again from consent.
    await ana.send("/start")
    assert "Do you agree?" in ((await ana.next_message()).text or "")


async def test_keep_my_data_at_either_question_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, _bob = await _two_patients(bot_database, sandbox, clock)
    before = await _rows_referring_to(bot_database, await patient_of(bot_database, ana.id))
    kept = await press_and_wait_for_edit(ana, await _ask_to_delete(ana), "Keep my data")
    assert kept.text == "Nothing was deleted: your data is kept."
    assert kept.buttons == []
    second = await press_and_wait_for_edit(ana, await _ask_to_delete(ana), "Yes, delete")
    final = all_button_data(second)[-1]
    kept = await press_and_wait_for_edit(ana, second, "Keep my data")
    assert kept.text == "Nothing was deleted: your data is kept."
    # The "Delete everything" data pressed now (a replay, or a slow double tap) is out of date.
    query = await ana.press_data(kept, final)
    assert (await answer_to(ana, query)).text == OUT_OF_DATE
    after = await _rows_referring_to(bot_database, await patient_of(bot_database, ana.id))
    assert after == before


async def test_cancel_between_the_questions_keeps_the_data(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    first = await _ask_to_delete(ana)
    second = await press_and_wait_for_edit(ana, first, "Yes, delete")
    final = next(data for data in all_button_data(second) if data.startswith("pv:d:"))
    await ana.send("/cancel")
    assert (await ana.next_message()).text == "Nothing was deleted: your data is kept."
    query = await ana.press_data(second, final)
    assert (await answer_to(ana, query)).text == OUT_OF_DATE
    assert await _stored(bot_database, ana) is not None


async def test_a_spanish_speaker_is_told_in_spanish_what_deleting_keeps(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia)
    asked = (await _ask_to_delete(lucia)).text or ""
    assert asked.startswith("🗑 Esto borra todo lo que Interval guarda sobre ti")
    assert "Un mensaje que ya esté en camino todavía puede llegarte, una vez." in asked
    assert "los totales de sus difusiones, sin nada que apunte a ti" in asked
    assert "docs/privacy.md" in asked


async def test_delete_everything_pressed_twice_deletes_once(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, _bob = await _two_patients(bot_database, sandbox, clock)
    second = await press_and_wait_for_edit(ana, await _ask_to_delete(ana), "Yes, delete")
    final = next(data for data in all_button_data(second) if data.startswith("pv:d:"))
    first_press = await ana.press_data(second, final)
    second_press = await ana.press_data(second, final)
    assert (await answer_to(ana, second_press)).text == OUT_OF_DATE
    assert (await answer_to(ana, first_press)).text is None
    await ana.wait_until_idle()
    assert await _stored(bot_database, ana) is None
    async with bot_database.engine.connect() as connection:
        deletions = await connection.scalars(
            select(AuditRow.id).where(AuditRow.action == "privacy.delete")
        )
        assert len(list(deletions)) == 1


async def test_delete_buttons_forged_or_replayed_from_another_chat_delete_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, bob = await _two_patients(bot_database, sandbox, clock)
    ana_second = await press_and_wait_for_edit(ana, await _ask_to_delete(ana), "Yes, delete")
    ana_nonce = all_button_data(ana_second)[-1].split(":")[2]
    # Bob replays Ana's buttons from his own chat, with and without a /delete of his own.
    bob_message = await _ask_to_delete(bob)
    bob_nonce = all_button_data(bob_message)[0].split(":")[2]
    for forged in (
        f"pv:a:{ana_nonce}",
        f"pv:d:{ana_nonce}",
        f"pv:d:{bob_nonce}",  # his own nonce, but skipping the second question
        "pv:d",
        "pv:d:",
        "pv:x:1001",
        "pv:d:" + "A" * 58,
        "pv:d:ñandú",
    ):
        query = await bob.press_data(bob_message, forged)
        assert (await answer_to(bob, query)).text == OUT_OF_DATE, forged
    assert await _stored(bot_database, ana) is not None
    assert await _stored(bot_database, bob) is not None
    # Ana's own request is untouched by all of this and still works.
    done = await press_and_wait_for_edit(ana, ana_second, "Delete everything")
    assert "is deleted" in (done.text or "")
    assert await _stored(bot_database, ana) is None
    assert await _stored(bot_database, bob) is not None


async def test_a_delete_question_answered_after_the_timeout_is_out_of_date(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    second = await press_and_wait_for_edit(ana, await _ask_to_delete(ana), "Yes, delete")
    clock.advance(timedelta(minutes=31))
    query = await ana.press(second, "Delete everything")
    assert (await answer_to(ana, query)).text == OUT_OF_DATE
    assert await _stored(bot_database, ana) is not None


async def test_the_delete_conversation_timing_out_forgets_the_question(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    application = build_application(bot_settings(sandbox), clock=clock, database=bot_database)
    async with running(application):
        ana = sandbox.user(1001)
        await onboard(ana)
        first = await _ask_to_delete(ana)
        await fast_forward(application, clock, TIMEOUT + timedelta(seconds=1))
        query = await ana.press(first, "Yes, delete")
        assert (await answer_to(ana, query)).text == OUT_OF_DATE
        assert await _stored(bot_database, ana) is not None


async def test_delete_before_signing_up_says_nothing_is_stored(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    stranger = sandbox.user(3003)
    answer = await _ask_to_delete(stranger)
    assert "Nothing is stored about you" in (answer.text or "")
    assert answer.buttons == []


# --- /stop, blocking ---------------------------------------------------------------------


async def test_stop_pauses_every_reminder_and_start_resumes(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, bob = await _two_patients(bot_database, sandbox, clock)
    bob_reminders = await pending_reminders(bot_database, bob.id)
    assert await pending_reminders(bot_database, ana.id)
    await ana.send("/stop")
    paused = await ana.next_message()
    assert "Paused" in (paused.text or "")
    assert "/start" in (paused.text or "")
    assert await pending_reminders(bot_database, ana.id) == []
    assert (await patient_of(bot_database, ana.id)).state is PatientState.PAUSED
    assert await pending_reminders(bot_database, bob.id) == bob_reminders
    await ana.send("/stop")
    assert "already paused" in ((await ana.next_message()).text or "")
    await ana.send("/settings")
    assert "Messages are paused" in ((await ana.next_message()).text or "")
    await ana.send("/start")
    assert "messages are on again" in ((await ana.next_message()).text or "")
    assert await pending_reminders(bot_database, ana.id)


async def test_stop_before_signing_up_has_nothing_to_pause(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("/stop")
    assert "nothing to pause" in ((await stranger.next_message()).text or "")


async def test_blocking_the_bot_marks_the_patient_blocked_and_cancels_pending_messages(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, bob = await _two_patients(bot_database, sandbox, clock)
    alice = await patient_of(bot_database, ana.id)
    pending_keys = {r.dedupe_key for r in await pending_reminders(bot_database, ana.id)}
    bob_reminders = await pending_reminders(bot_database, bob.id)
    await ana.block()

    async def blocked() -> bool:
        return (await patient_of(bot_database, ana.id)).state is PatientState.BLOCKED

    await eventually(blocked, what="the patient marked blocked")
    assert await pending_reminders(bot_database, ana.id) == []
    async with bot_database.unit_of_work() as uow:
        for key in pending_keys:
            message = await _by_key(uow, alice.id, key)
            assert message is not None
            assert message.state is OutboxState.CANCELLED
    assert await pending_reminders(bot_database, bob.id) == bob_reminders
    # Unblocking alone does not resume: nothing is planned and nothing is sent.
    await ana.unblock()
    await ana.wait_until_idle()
    assert (await patient_of(bot_database, ana.id)).state is PatientState.BLOCKED
    assert await pending_reminders(bot_database, ana.id) == []
    await ana.send("/start")
    assert "messages are on again" in ((await ana.next_message()).text or "")
    assert await pending_reminders(bot_database, ana.id)


async def _by_key(uow: UnitOfWork, patient_id: int, key: str) -> OutboxMessage | None:
    row = await uow.session.scalar(
        select(OutboxRow).where(OutboxRow.patient_id == patient_id, OutboxRow.dedupe_key == key)
    )
    return None if row is None else to_message(row)


async def test_a_block_from_someone_who_never_signed_up_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("/help")
    await stranger.next_message()
    await stranger.block()
    await stranger.unblock()
    await stranger.wait_until_idle()
    assert await _stored(bot_database, stranger) is None
