"""History use-cases: paging, reviewing an entry, moving and removing, scoped per patient."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.usecases import history, patients
from bot.usecases.treatments import DateOutOfRangeError, TreatmentNotFoundError, log_treatment
from rules import Procedure, ReminderKind
from storage.database import Database
from storage.records import Patient

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 24)


async def _patient(database: Database, user_id: int = 1001) -> Patient:
    return await patients.consent(
        database,
        telegram_user_id=user_id,
        chat_id=user_id,
        language="en",
        timezone="Europe/Berlin",
        now=NOW,
    )


async def test_pages_hold_five_entries_newest_first_and_a_page_past_the_end_is_the_last(
    database: Database,
) -> None:
    patient = await _patient(database)
    for days in range(7):
        await log_treatment(
            database, patient, Procedure.BOTOX, TODAY - timedelta(days=100 * days), NOW
        )
    first = await history.history_page(database, patient, 0, NOW)
    assert (first.page, first.pages, first.total) == (0, 2, 7)
    assert [e.on for e in first.entries] == [TODAY - timedelta(days=100 * d) for d in range(5)]
    beyond = await history.history_page(database, patient, 40, NOW)
    assert beyond.page == 1
    assert len(beyond.entries) == 2
    empty = await history.history_page(database, await _patient(database, 1002), -3, NOW)
    assert (empty.page, empty.pages, empty.entries) == (0, 1, ())


async def test_a_review_names_conflicts_and_calls_an_identical_entry_a_repeat(
    database: Database,
) -> None:
    patient = await _patient(database)
    await log_treatment(database, patient, Procedure.BOTOX, date(2026, 11, 20), NOW)
    repeat = await history.review_entry(database, patient, Procedure.BOTOX, date(2026, 11, 20), NOW)
    assert repeat.duplicate
    assert repeat.violations == ()
    too_soon = await history.review_entry(
        database, patient, Procedure.MICRONEEDLING, date(2026, 11, 24), NOW
    )
    assert not too_soon.duplicate
    assert [(v.days_apart, v.days_required) for v in too_soon.violations] == [(4, 14)]
    with pytest.raises(DateOutOfRangeError):
        await history.review_entry(database, patient, Procedure.BOTOX, date(1999, 12, 31), NOW)


async def test_a_save_returns_the_outlook_with_the_reminders_to_come(database: Database) -> None:
    patient = await _patient(database)
    saved = await history.save_entry(database, patient, Procedure.BOTOX, date(2026, 11, 23), NOW)
    assert not saved.result.already_logged
    micro = next(
        o for o in saved.outlook.outlooks if o.earliest.procedure is Procedure.MICRONEEDLING
    )
    assert micro.earliest.date == date(2026, 12, 7)
    reminders = history.reminder_contents(saved.outlook.upcoming)
    assert (ReminderKind.MAY_BOOK, date(2026, 12, 7)) in [(r.kind, r.local_date) for r in reminders]


async def test_a_move_that_breaks_a_rule_is_held_back_unless_insisted(database: Database) -> None:
    patient = await _patient(database)
    await log_treatment(database, patient, Procedure.BOTOX, date(2026, 11, 30), NOW)
    micro = await log_treatment(database, patient, Procedure.MICRONEEDLING, date(2026, 11, 1), NOW)
    held = await history.move_treatment(
        database, patient, micro.treatment.id, date(2026, 11, 27), NOW
    )
    assert not held.moved
    assert held.treatment.on == date(2026, 11, 1)
    assert len(held.violations) == 1
    moved = await history.move_treatment(
        database, patient, micro.treatment.id, date(2026, 11, 27), NOW, despite_conflicts=True
    )
    assert moved.moved
    assert moved.treatment.on == date(2026, 11, 27)


async def test_another_patients_entry_can_be_neither_moved_nor_removed(
    database: Database,
) -> None:
    ana, ben = await _patient(database, 1001), await _patient(database, 1002)
    anas = await log_treatment(database, ana, Procedure.BOTOX, date(2026, 11, 20), NOW)
    with pytest.raises(TreatmentNotFoundError):
        await history.move_treatment(database, ben, anas.treatment.id, date(2026, 11, 21), NOW)
    with pytest.raises(TreatmentNotFoundError):
        await history.remove_treatment(database, ben, anas.treatment.id, NOW)
    removed = await history.remove_treatment(database, ana, anas.treatment.id, NOW)
    assert removed.on == date(2026, 11, 20)
    with pytest.raises(TreatmentNotFoundError):
        await history.remove_treatment(database, ana, anas.treatment.id, NOW)
