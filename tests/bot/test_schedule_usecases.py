"""The schedule: one patient's treatments and the outlook /next shows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.usecases import patients
from bot.usecases.overview import overview
from bot.usecases.schedule import schedule
from bot.usecases.treatments import change_date, log_treatment
from rules import Procedure
from storage.database import Database
from storage.records import Patient

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


async def test_a_schedule_holds_every_treatment_oldest_first_and_the_outlook_of_next(
    database: Database,
) -> None:
    ana = await _patient(database)
    for procedure, on in [
        (Procedure.MICRONEEDLING, date(2027, 1, 20)),
        (Procedure.BOTOX, date(2026, 11, 20)),
        (Procedure.BOTOX, date(2026, 3, 1)),
    ]:
        await log_treatment(database, ana, procedure, on, NOW)
    found = await schedule(database, ana, NOW)
    assert [(t.procedure, t.on) for t in found.treatments] == [
        (Procedure.BOTOX, date(2026, 3, 1)),
        (Procedure.BOTOX, date(2026, 11, 20)),
        (Procedure.MICRONEEDLING, date(2027, 1, 20)),
    ]
    assert [t.on for t in found.planned] == [date(2027, 1, 20)]
    assert (found.today, found.timezone, found.now) == (date(2026, 11, 24), "Europe/Berlin", NOW)
    assert found.outlooks == (await overview(database, ana, NOW)).outlooks


async def test_a_schedule_holds_only_the_patients_own_treatments(database: Database) -> None:
    ana, ben = await _patient(database), await _patient(database, 1002)
    await log_treatment(database, ben, Procedure.BOTOX, date(2026, 11, 20), NOW)
    found = await schedule(database, ana, NOW)
    assert not found.has_history
    assert found.treatments == ()
    assert all(o.earliest.date == found.today for o in found.outlooks)


async def test_a_moved_entry_comes_back_with_the_time_it_was_changed(database: Database) -> None:
    ana = await _patient(database)
    logged = await log_treatment(database, ana, Procedure.BOTOX, date(2026, 12, 15), NOW)
    later = NOW + timedelta(hours=3)
    await change_date(database, ana, logged.treatment.id, date(2026, 12, 22), later)
    (moved,) = (await schedule(database, ana, later)).treatments
    assert (moved.on, moved.created_at, moved.updated_at) == (date(2026, 12, 22), NOW, later)


async def test_a_clinic_patients_schedule_uses_the_clinics_rules(database: Database) -> None:
    ana = await _patient(database)
    async with database.unit_of_work() as uow:
        clinic = await uow.clinics.create("Skin", now=NOW)
        await uow.clinics.join(ana.id, clinic.id, now=NOW)
        await uow.guidance.set_override(
            clinic.id,
            Procedure.BOTOX,
            Procedure.MICRONEEDLING,
            21,
            changed_by=None,
            reason="our protocol",
            now=NOW,
        )
        await uow.commit()
    await log_treatment(database, ana, Procedure.BOTOX, date(2026, 11, 20), NOW)
    found = await schedule(database, ana, NOW)
    rule = found.guidance.rule_for(Procedure.BOTOX, Procedure.MICRONEEDLING)
    assert rule is not None
    assert rule.min_days == 21
    micro = next(o for o in found.outlooks if o.earliest.procedure is Procedure.MICRONEEDLING)
    assert micro.earliest.date == date(2026, 12, 11)
