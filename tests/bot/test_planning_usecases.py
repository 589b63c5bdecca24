"""Use-cases keep the outbox equal to the reminder plan, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.usecases import patients, treatments
from rules import Procedure
from storage.database import Database
from storage.records import OutboxKind, Patient

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def _patient(database: Database, user_id: int = 1001) -> Patient:
    return await patients.consent(
        database,
        telegram_user_id=user_id,
        chat_id=user_id,
        language="en",
        timezone="Europe/Berlin",
        now=NOW,
    )


async def _pending_keys(database: Database, patient: Patient) -> list[str]:
    async with database.unit_of_work() as uow:
        pending = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
    return sorted(message.dedupe_key for message in pending)


async def test_logging_botox_plans_the_microneedling_reminders(database: Database) -> None:
    patient = await _patient(database)
    result = await treatments.log_treatment(
        database, patient, Procedure.BOTOX, date(2026, 11, 23), NOW
    )
    assert not result.already_logged
    micro = next(e for e in result.next_dates if e.procedure is Procedure.MICRONEEDLING)
    assert micro.date == date(2026, 12, 7)
    keys = await _pending_keys(database, patient)
    assert "may_book:microneedling:20261207" in keys
    assert "heads_up:microneedling:20261207" in keys


async def test_logging_the_same_treatment_twice_stores_it_once(database: Database) -> None:
    patient = await _patient(database)
    first = await treatments.log_treatment(
        database, patient, Procedure.BOTOX, date(2026, 11, 23), NOW
    )
    second = await treatments.log_treatment(
        database, patient, Procedure.BOTOX, date(2026, 11, 23), NOW
    )
    assert second.already_logged
    assert second.treatment.id == first.treatment.id
    assert second.plan.is_empty


async def test_moving_a_treatment_replans_and_deleting_it_cancels_its_reminders(
    database: Database,
) -> None:
    patient = await _patient(database)
    logged = await treatments.log_treatment(
        database, patient, Procedure.BOTOX, date(2026, 11, 23), NOW
    )
    await treatments.change_date(database, patient, logged.treatment.id, date(2026, 11, 24), NOW)
    assert "may_book:microneedling:20261208" in await _pending_keys(database, patient)
    assert "may_book:microneedling:20261207" not in await _pending_keys(database, patient)
    await treatments.delete_treatment(database, patient, logged.treatment.id, NOW)
    assert await _pending_keys(database, patient) == []


async def test_another_patients_treatment_cannot_be_moved_or_deleted(database: Database) -> None:
    owner = await _patient(database, 1001)
    intruder = await _patient(database, 2002)
    logged = await treatments.log_treatment(
        database, owner, Procedure.BOTOX, date(2026, 11, 23), NOW
    )
    with pytest.raises(treatments.TreatmentNotFoundError):
        await treatments.change_date(
            database, intruder, logged.treatment.id, date(2026, 11, 1), NOW
        )
    with pytest.raises(treatments.TreatmentNotFoundError):
        await treatments.delete_treatment(database, intruder, logged.treatment.id, NOW)
    assert (await treatments.get_treatment(database, owner, logged.treatment.id)).on == date(
        2026, 11, 23
    )


async def test_pausing_cancels_every_reminder_and_coming_back_replans(database: Database) -> None:
    patient = await _patient(database)
    await treatments.log_treatment(database, patient, Procedure.BOTOX, date(2026, 11, 23), NOW)
    await patients.pause(database, patient.id, NOW)
    assert await _pending_keys(database, patient) == []
    arrival = await patients.arrive(database, patient.telegram_user_id, NOW)
    assert arrival.resumed
    assert "may_book:microneedling:20261207" in await _pending_keys(database, patient)


@pytest.mark.parametrize("on", [date(1999, 12, 31), date(2028, 11, 25)])
async def test_dates_before_2000_or_beyond_two_years_are_refused(
    database: Database, on: date
) -> None:
    patient = await _patient(database)
    with pytest.raises(treatments.DateOutOfRangeError):
        await treatments.log_treatment(database, patient, Procedure.BOTOX, on, NOW)
