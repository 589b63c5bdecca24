"""Every change re-plans the pending reminders as a diff, on SQLite and PostgreSQL.

Patient in Europe/Berlin, reminders at 09:00, heads-up two days ahead. Botox on 23 Nov 2026
makes microneedling possible on 7 Dec (heads-up 5 Dec) and Botox again on 21 Feb 2027.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.usecases import guidance, patients, privacy, reminders, settings, treatments
from bot.usecases.planning import replan
from rules import Procedure
from storage.database import Database
from storage.records import OutboxKind, OutboxState, Patient, StaffRole
from tests.delivery.helpers import local, pending_keys, rows

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
BOTOX_DAY = date(2026, 11, 23)


async def _patient(database: Database, user_id: int = 1001) -> Patient:
    return await patients.consent(
        database,
        telegram_user_id=user_id,
        chat_id=user_id,
        language="en",
        timezone="Europe/Berlin",
        now=NOW,
    )


async def _micro(database: Database, patient: Patient) -> dict[str, datetime]:
    async with database.unit_of_work() as uow:
        pending = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
    return {m.dedupe_key: m.due_at for m in pending if "microneedling" in m.dedupe_key}


async def test_logging_plans_and_an_unchanged_replan_touches_nothing(database: Database) -> None:
    patient = await _patient(database)
    await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    assert await _micro(database, patient) == {
        "heads_up:microneedling:20261207": local(date(2026, 12, 5), 9),
        "may_book:microneedling:20261207": local(date(2026, 12, 7), 9),
    }
    before = {m.dedupe_key: m.id for m in await rows(database, patient.id)}
    async with database.unit_of_work() as uow:
        diff = await replan(uow, patient.id, NOW)
        await uow.commit()
    assert diff.is_empty
    assert {m.dedupe_key: m.id for m in await rows(database, patient.id)} == before


async def test_editing_the_date_moves_the_reminders_and_deleting_cancels_them(
    database: Database,
) -> None:
    patient = await _patient(database)
    logged = await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    await treatments.change_date(database, patient, logged.treatment.id, date(2026, 11, 26), NOW)
    assert set(await _micro(database, patient)) == {
        "heads_up:microneedling:20261210",
        "may_book:microneedling:20261210",
    }
    states = {m.dedupe_key: m.state for m in await rows(database, patient.id)}
    assert states["may_book:microneedling:20261207"] is OutboxState.CANCELLED
    await treatments.delete_treatment(database, patient, logged.treatment.id, NOW)
    assert await pending_keys(database, patient) == []


async def test_settings_move_the_instants_reminder_hour_time_zone_and_heads_up_days(
    database: Database,
) -> None:
    patient = await _patient(database)
    await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    await settings.change_settings(database, patient.id, NOW, reminder_hour=18)
    assert await _micro(database, patient) == {
        "heads_up:microneedling:20261207": local(date(2026, 12, 5), 18),
        "may_book:microneedling:20261207": local(date(2026, 12, 7), 18),
    }
    await settings.change_settings(database, patient.id, NOW, timezone="America/New_York")
    assert await _micro(database, patient) == {
        "heads_up:microneedling:20261207": local(date(2026, 12, 5), 18, tz="America/New_York"),
        "may_book:microneedling:20261207": local(date(2026, 12, 7), 18, tz="America/New_York"),
    }
    await settings.change_settings(database, patient.id, NOW, heads_up_days=0)
    assert set(await _micro(database, patient)) == {"may_book:microneedling:20261207"}


async def test_a_clinics_guidance_change_moves_its_members_reminders_only(
    database: Database,
) -> None:
    member = await _patient(database, 1001)
    outsider = await _patient(database, 2002)
    for patient in (member, outsider):
        await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    async with database.unit_of_work() as uow:
        clinic = await uow.clinics.create("Sol", now=NOW, timezone="Europe/Berlin")
        await uow.clinics.add_staff(clinic.id, 9009, now=NOW, role=StaffRole.OWNER)
        await uow.clinics.join(member.id, clinic.id, now=NOW)
        await uow.commit()
    change = await guidance.change_rule(
        database,
        clinic.id,
        9009,
        after=Procedure.BOTOX,
        then=Procedure.MICRONEEDLING,
        value=21,
        reason="our protocol",
        expected_version=0,
        now=NOW,
    )
    assert change.kind == "changed"
    assert change.change is not None
    await guidance.replan_after_change(database, clinic.id, 9009, change.change.version, NOW)
    assert set(await _micro(database, member)) == {
        "heads_up:microneedling:20261214",
        "may_book:microneedling:20261214",
    }
    assert set(await _micro(database, outsider)) == {
        "heads_up:microneedling:20261207",
        "may_book:microneedling:20261207",
    }


async def test_a_replan_leaves_a_row_that_is_already_due_to_the_dispatcher(
    database: Database,
) -> None:
    patient = await _patient(database)
    await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    due_time = local(date(2026, 12, 5), 9)
    # A minute after the heads-up came due and before any dispatcher claimed it.
    await settings.change_settings(
        database, patient.id, due_time + timedelta(minutes=1), reminder_hour=10
    )
    keys = await _micro(database, patient)
    assert keys["heads_up:microneedling:20261207"] == due_time
    assert keys["may_book:microneedling:20261207"] == local(date(2026, 12, 7), 10)


async def test_pausing_cancels_everything_and_coming_back_plans_again(database: Database) -> None:
    patient = await _patient(database)
    await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    await patients.pause(database, patient.id, NOW)
    assert await pending_keys(database, patient) == []
    await patients.arrive(database, patient.telegram_user_id, NOW)
    assert "may_book:microneedling:20261207" in await pending_keys(database, patient)


async def test_blocking_and_deleting_leave_nothing_to_send(database: Database) -> None:
    blocker = await _patient(database, 1001)
    leaver = await _patient(database, 2002)
    for patient in (blocker, leaver):
        await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    assert await patients.user_blocked_bot(database, blocker.telegram_user_id)
    assert await pending_keys(database, blocker) == []
    assert await privacy.delete_everything(database, leaver.telegram_user_id, NOW)
    assert await rows(database, leaver.id) == []


async def test_a_snoozed_reminder_is_cancelled_once_the_procedure_is_booked(
    database: Database,
) -> None:
    patient = await _patient(database)
    await treatments.log_treatment(database, patient, Procedure.BOTOX, BOTOX_DAY, NOW)
    may_book = next(
        m for m in await rows(database, patient.id) if m.dedupe_key.startswith("may_book:micro")
    )
    at = local(date(2026, 12, 7), 9, 5)
    async with database.unit_of_work() as uow:
        await uow.outbox.claim_due(now=at, worker_id="w", limit=10)
        await uow.outbox.mark_sent(may_book.id, worker_id="w", now=at)
        await uow.outbox.release("w")
        await uow.commit()
    snoozed = await reminders.snooze(database, patient, may_book.id, at)
    assert snoozed.on == date(2026, 12, 10)
    await reminders.book(database, patient, Procedure.MICRONEEDLING, date(2026, 12, 12), at)
    async with database.unit_of_work() as uow:
        notices = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.NOTICE)
    assert notices == []


async def test_a_snooze_inside_quiet_hours_waits_for_their_end(database: Database) -> None:
    patient = await _patient(database)
    await settings.change_settings(
        database, patient.id, NOW, reminder_hour=23, quiet_start=time(22), quiet_end=time(7)
    )
    async with database.unit_of_work() as uow:
        refreshed = await uow.patients.get_by_id(patient.id)
    assert refreshed is not None
    on, due_at = reminders.snooze_due(refreshed, NOW)
    assert on == date(2026, 11, 27)
    assert due_at == local(date(2026, 11, 28), 7)
