"""Onboarding and the patient's own state: consent, time zone, pause and resume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.usecases.planning import replan
from storage.database import Database
from storage.records import ActorKind, Patient, PatientState

# Bump when the consent text changes materially, so we know what each patient agreed to.
CONSENT_VERSION = "2026-11"


@dataclass(frozen=True)
class Arrival:
    """What /start found: the patient (None before consent) and whether they were paused."""

    patient: Patient | None
    resumed: bool


async def find_patient(database: Database, telegram_user_id: int) -> Patient | None:
    """The stored row of this Telegram user, consented or not (None: nothing stored)."""
    async with database.unit_of_work(read_only=True) as uow:
        return await uow.patients.get_by_user_id(telegram_user_id)


async def arrive(database: Database, telegram_user_id: int, now: datetime) -> Arrival:
    """Look the user up; a paused patient who comes back is resumed and re-planned."""
    async with database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(telegram_user_id)
        if patient is None or patient.consent_at is None:
            return Arrival(patient=None, resumed=False)
        if patient.state is PatientState.ACTIVE:
            return Arrival(patient=patient, resumed=False)
        # /start is how a patient says "talk to me again", after /stop or after unblocking.
        await uow.patients.set_state(patient.id, PatientState.ACTIVE)
        await replan(uow, patient.id, now)
        await uow.commit()
        resumed = await _reload(database, patient.id)
        return Arrival(patient=resumed, resumed=True)


async def consent(
    database: Database,
    *,
    telegram_user_id: int,
    chat_id: int,
    language: str,
    timezone: str,
    now: datetime,
) -> Patient:
    """Store the patient with their consent; running it twice changes nothing."""
    async with database.unit_of_work() as uow:
        patient, created = await uow.patients.get_or_create(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            now=now,
            timezone=timezone,
            language=language,
            consent_at=now,
            consent_version=CONSENT_VERSION,
        )
        if not created and patient.consent_at is None:
            await uow.patients.record_consent(patient.id, at=now, version=CONSENT_VERSION)
        if created:
            await uow.audit.record(
                "patient.consented",
                at=now,
                actor_kind=ActorKind.PATIENT,
                subject_patient_id=patient.id,
                details={"consent_version": CONSENT_VERSION},
            )
        await uow.commit()
    return await _reload(database, patient.id)


async def pause(database: Database, patient_id: int, now: datetime) -> None:
    """/stop: no message on the bot's own initiative until /start."""
    async with database.unit_of_work() as uow:
        await uow.patients.set_state(patient_id, PatientState.PAUSED)
        await uow.outbox.cancel_all_pending(patient_id)
        await uow.commit()


async def mark_blocked(database: Database, patient_id: int) -> None:
    """Telegram says the patient blocked the bot: stop writing, cancel what was pending."""
    async with database.unit_of_work() as uow:
        await uow.patients.set_state(patient_id, PatientState.BLOCKED)
        await uow.outbox.cancel_all_pending(patient_id, blocked=True)
        await uow.commit()


async def user_blocked_bot(database: Database, telegram_user_id: int) -> bool:
    """The `my_chat_member` "kicked" update: mark the patient blocked; False if unknown."""
    async with database.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.get_by_user_id(telegram_user_id)
    if patient is None:
        return False
    await mark_blocked(database, patient.id)
    return True


async def _reload(database: Database, patient_id: int) -> Patient:
    async with database.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.get_by_id(patient_id)
    if patient is None:
        raise LookupError(f"patient {patient_id} vanished")
    return patient
