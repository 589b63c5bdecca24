"""Question use-cases, SQLite and PostgreSQL: the reminder's due time, taken once, answered once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.usecases.clinics import create_clinic, open_join_link
from bot.usecases.questions import (
    answer,
    ask,
    reminder_due,
    take_due_reminders,
)
from storage.database import Database
from storage.records import Clinic, OutboxKind, Patient

# Friday 27 Nov 2026, 17:00 in Berlin (16:00 UTC).
FRIDAY_FIVE = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
STAFF = 501


def _clinic(opening_hours: str | None, hours: int = 24) -> Clinic:
    return Clinic(
        id=1,
        name="Aurora",
        join_code="x",
        timezone="Europe/Berlin",
        contact=None,
        booking_url=None,
        guidance_version=1,
        created_at=FRIDAY_FIVE,
        question_reminder_hours=hours,
        opening_hours=opening_hours,
    )


def _berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Berlin"))


def test_without_opening_hours_the_reminder_is_plain_hours_later() -> None:
    assert reminder_due(_clinic(None), FRIDAY_FIVE) == FRIDAY_FIVE + timedelta(hours=24)


def test_twenty_four_hours_of_opening_time_skip_the_night_and_the_weekend() -> None:
    # Friday 17-18 (1 h), Monday 9-18 (9 h), Tuesday (9 h), Wednesday 9-14 (5 h).
    due = reminder_due(_clinic("mon-fri 09:00-18:00"), FRIDAY_FIVE)
    assert due == _berlin(2026, 12, 2, 14)


def test_a_saturday_window_counts_and_a_question_asked_while_closed_waits_for_opening() -> None:
    clinic = _clinic("mon-fri 09:00-18:00; sat 10:00-14:00", hours=4)
    # Friday 17-18 (1 h), Saturday 10-13 (3 h).
    assert reminder_due(clinic, FRIDAY_FIVE) == _berlin(2026, 11, 28, 13)
    # Asked Saturday night: Monday 9:00 plus four hours.
    assert reminder_due(clinic, _berlin(2026, 11, 28, 22)) == _berlin(2026, 11, 30, 13)


def test_unreadable_opening_hours_count_plain_hours() -> None:
    due = reminder_due(_clinic("weekdays nine to five", hours=2), FRIDAY_FIVE)
    assert due == FRIDAY_FIVE + timedelta(hours=2)


async def _member(database: Database, clinic: Clinic, user_id: int) -> Patient:
    async with database.unit_of_work() as uow:
        patient, _ = await uow.patients.get_or_create(
            telegram_user_id=user_id,
            chat_id=user_id,
            now=FRIDAY_FIVE,
            timezone="Europe/Berlin",
            consent_at=FRIDAY_FIVE,
            consent_version="t",
        )
        await uow.commit()
    outcome = await open_join_link(database, patient.id, clinic.join_code, FRIDAY_FIVE)
    assert outcome.kind == "joined"
    return patient


async def _clinic_with_hours(database: Database, opening_hours: str | None) -> Clinic:
    created = await create_clinic(
        database,
        "Aurora",
        timezone="Europe/Berlin",
        contact=None,
        booking_url=None,
        now=FRIDAY_FIVE,
    )
    async with database.unit_of_work() as uow:
        await uow.clinics.add_staff(created.clinic.id, STAFF, now=FRIDAY_FIVE)
        clinic = await uow.clinics.update(created.clinic.id, opening_hours=opening_hours)
        await uow.commit()
    assert clinic is not None
    return clinic


async def test_a_stored_question_reminds_after_the_clinics_opening_time(database: Database) -> None:
    clinic = await _clinic_with_hours(database, "mon-fri 09:00-18:00")
    patient = await _member(database, clinic, 1001)
    asked = await ask(database, patient, "  Gym today?  ", share_history=True, now=FRIDAY_FIVE)
    assert asked.kind == "asked"
    assert asked.relayed is not None
    question = asked.relayed.question
    assert question.text == "Gym today?"
    assert question.remind_at == _berlin(2026, 12, 2, 14)
    assert [member.telegram_user_id for member in asked.relayed.staff] == [STAFF]

    assert await take_due_reminders(database, _berlin(2026, 12, 2, 13, 59)) == []
    (due,) = await take_due_reminders(database, _berlin(2026, 12, 2, 14))
    assert due.question.id == question.id
    assert await take_due_reminders(database, _berlin(2026, 12, 9, 14)) == []


async def test_two_processes_taking_reminders_at_once_take_each_question_once(
    database: Database,
) -> None:
    clinic = await _clinic_with_hours(database, None)
    patient = await _member(database, clinic, 1001)
    for index in range(3):
        await ask(database, patient, f"Q{index}", share_history=False, now=FRIDAY_FIVE)
    later = FRIDAY_FIVE + timedelta(days=2)
    first, second = await asyncio.gather(
        take_due_reminders(database, later), take_due_reminders(database, later)
    )
    taken = sorted(relayed.question.text for relayed in [*first, *second])
    assert taken == ["Q0", "Q1", "Q2"]


async def test_an_answer_is_taken_once_and_queued_for_the_patient(database: Database) -> None:
    clinic = await _clinic_with_hours(database, None)
    patient = await _member(database, clinic, 1001)
    asked = await ask(database, patient, "Gym?", share_history=False, now=FRIDAY_FIVE)
    assert asked.relayed is not None
    question_id = asked.relayed.question.id
    done = await answer(database, STAFF, question_id, "Tomorrow.", FRIDAY_FIVE, name="Ana")
    again = await answer(database, STAFF, question_id, "Today.", FRIDAY_FIVE, name="Ana")
    stranger = await answer(database, 999, question_id, "Now.", FRIDAY_FIVE, name="Eve")
    assert (done.kind, again.kind, stranger.kind) == ("answered", "already", "not_staff")
    async with database.unit_of_work() as uow:
        (notice,) = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.NOTICE)
    assert notice.dedupe_key == f"answer:{question_id}"
    assert notice.payload["answer"] == "Tomorrow."
    # An answered question never reminds.
    assert await take_due_reminders(database, FRIDAY_FIVE + timedelta(days=3)) == []
