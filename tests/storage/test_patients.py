"""Patients: creation that never duplicates, settings, state."""

from __future__ import annotations

import asyncio
from datetime import time

from storage.database import Database
from storage.records import PatientState
from tests.storage.factories import NOW, make_patient


async def test_get_or_create_returns_the_existing_patient_unchanged(database: Database) -> None:
    async with database.unit_of_work() as uow:
        first, created = await uow.patients.get_or_create(
            telegram_user_id=42, chat_id=42, now=NOW, timezone="Europe/Madrid", language="es"
        )
        second, created_again = await uow.patients.get_or_create(
            telegram_user_id=42, chat_id=43, now=NOW, timezone="UTC", language="en"
        )
        await uow.commit()
    assert created
    assert not created_again
    assert second == first
    assert second.timezone == "Europe/Madrid"


async def test_a_new_patient_gets_the_documented_defaults(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient, _ = await uow.patients.get_or_create(telegram_user_id=7, chat_id=70, now=NOW)
    assert patient.chat_id == 70
    assert patient.language == "en"
    assert patient.reminder_hour == 9
    assert patient.heads_up_days == 2
    assert (patient.quiet_start, patient.quiet_end) == (time(22), time(8))
    assert patient.state is PatientState.ACTIVE
    assert patient.broadcasts_opt_out is False
    assert patient.consent_at is None


async def test_concurrent_starts_make_one_patient(database: Database) -> None:
    async def start() -> tuple[int, bool]:
        async with database.unit_of_work() as uow:
            patient, created = await uow.patients.get_or_create(
                telegram_user_id=5, chat_id=5, now=NOW
            )
            await uow.commit()
            return patient.id, created

    results = await asyncio.gather(*(start() for _ in range(5)))
    assert len({patient_id for patient_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_update_settings_changes_only_what_is_given(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        updated = await uow.patients.update_settings(
            patient.id, reminder_hour=7, quiet_start=None, broadcasts_opt_out=True
        )
    assert updated is not None
    assert updated.reminder_hour == 7
    assert updated.quiet_start is None
    assert updated.quiet_end == patient.quiet_end
    assert updated.broadcasts_opt_out is True
    assert updated.timezone == patient.timezone


async def test_update_settings_of_an_unknown_patient_finds_nothing(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.patients.update_settings(12345, language="es") is None


async def test_set_state_pauses_and_resumes(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        assert await uow.patients.set_state(patient.id, PatientState.PAUSED)
        paused = await uow.patients.get_by_id(patient.id)
        assert await uow.patients.set_state(patient.id, PatientState.ACTIVE)
        active = await uow.patients.get_by_id(patient.id)
        assert not await uow.patients.set_state(99999, PatientState.BLOCKED)
    assert paused is not None
    assert paused.state is PatientState.PAUSED
    assert active is not None
    assert active.state is PatientState.ACTIVE


async def test_record_consent_stores_time_and_version(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient, _ = await uow.patients.get_or_create(telegram_user_id=3, chat_id=3, now=NOW)
        assert await uow.patients.record_consent(patient.id, at=NOW, version="v2")
        again = await uow.patients.get_by_id(patient.id)
    assert again is not None
    assert (again.consent_at, again.consent_version) == (NOW, "v2")


async def test_iterating_active_ids_walks_every_active_patient_once(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patients = [await make_patient(uow) for _ in range(7)]
        await uow.patients.set_state(patients[2].id, PatientState.BLOCKED)
        await uow.patients.set_state(patients[5].id, PatientState.PAUSED)
        walked = [patient_id async for patient_id in uow.patients.iter_active_ids(batch=2)]
        counts = await uow.patients.count_by_state()
    expected = [p.id for i, p in enumerate(patients) if i not in (2, 5)]
    assert walked == expected
    assert counts == {PatientState.ACTIVE: 5, PatientState.PAUSED: 1, PatientState.BLOCKED: 1}
