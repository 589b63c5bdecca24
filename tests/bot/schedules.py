"""Factories for schedules without a database: a patient, stored treatments, their schedule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from bot.usecases.schedule import Schedule, plan_schedule
from rules import GuidanceSet, Procedure, default_guidance
from storage.records import Patient, PatientState, Treatment

# A Tuesday morning in Berlin, as in the conversation tests.
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 24)


def a_patient(
    patient_id: int = 7, *, timezone: str = "Europe/Berlin", language: str = "en"
) -> Patient:
    """A consenting patient; the Telegram id is the database id plus 1000."""
    return Patient(
        id=patient_id,
        telegram_user_id=1000 + patient_id,
        chat_id=1000 + patient_id,
        language=language,
        timezone=timezone,
        reminder_hour=9,
        heads_up_days=2,
        quiet_start=None,
        quiet_end=None,
        state=PatientState.ACTIVE,
        consent_at=NOW,
        consent_version="1",
        broadcasts_opt_out=False,
        created_at=NOW,
    )


def a_treatment(
    treatment_id: int,
    procedure: Procedure,
    on: date,
    *,
    patient_id: int = 7,
    updated_at: datetime = NOW,
) -> Treatment:
    """A stored treatment as the repository hands it back."""
    return Treatment(
        id=treatment_id,
        patient_id=patient_id,
        procedure=procedure,
        on=on,
        note="",
        created_at=min(updated_at, NOW),
        updated_at=updated_at,
    )


def schedule_of(
    entries: Iterable[tuple[Procedure, date]],
    *,
    patient: Patient | None = None,
    now: datetime = NOW,
    guidance: GuidanceSet | None = None,
) -> Schedule:
    """The schedule of a patient with these (procedure, date) entries, ids from 1."""
    owner = patient or a_patient()
    treatments = [
        a_treatment(number, procedure, on, patient_id=owner.id)
        for number, (procedure, on) in enumerate(entries, start=1)
    ]
    return plan_schedule(owner, treatments, guidance or default_guidance(), now)


def a_realistic_year(*, patient: Patient | None = None, now: datetime = NOW) -> Schedule:
    """Botox every few months with microneedling between, one of each planned."""
    return schedule_of(
        [
            (Procedure.BOTOX, date(2026, 5, 12)),
            (Procedure.MICRONEEDLING, date(2026, 6, 30)),
            (Procedure.BOTOX, date(2026, 8, 18)),
            (Procedure.MICRONEEDLING, date(2026, 10, 27)),
            (Procedure.BOTOX, date(2026, 12, 15)),
            (Procedure.MICRONEEDLING, date(2027, 1, 19)),
        ],
        patient=patient,
        now=now,
    )


def a_long_history(size: int) -> Schedule:
    """`size` entries every 45 days, alternating, the last one planned three weeks ahead."""
    procedures = (Procedure.BOTOX, Procedure.MICRONEEDLING)
    planned = TODAY + timedelta(days=21)
    return schedule_of(
        (procedures[i % 2], planned - timedelta(days=45 * i)) for i in reversed(range(size))
    )
