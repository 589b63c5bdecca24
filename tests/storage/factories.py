"""Factories with keyword defaults for storage tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from rules import Procedure
from storage.records import Clinic, NewMessage, OutboxKind, Patient, Treatment
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_user_ids = count(910_000_001)
_names = count(1)


async def make_patient(uow: UnitOfWork, **overrides: Any) -> Patient:
    """A new patient with a fresh Telegram user id (chat id = user id unless given)."""
    user_id = overrides.pop("telegram_user_id", next(_user_ids))
    values: dict[str, Any] = {
        "chat_id": user_id,
        "now": NOW,
        "timezone": "Europe/Berlin",
        "consent_at": NOW,
        "consent_version": "v1",
    }
    values.update(overrides)
    patient, created = await uow.patients.get_or_create(telegram_user_id=user_id, **values)
    assert created
    return patient


async def make_treatment(
    uow: UnitOfWork,
    patient: Patient,
    *,
    procedure: Procedure = Procedure.BOTOX,
    on: date = date(2026, 2, 1),
    note: str = "",
) -> Treatment:
    """A treatment of `patient`."""
    return await uow.treatments.add(patient.id, procedure, on, now=NOW, note=note)


async def make_clinic(uow: UnitOfWork, **overrides: Any) -> Clinic:
    """A clinic with a unique name."""
    values: dict[str, Any] = {"now": NOW, "timezone": "Europe/Berlin"}
    values.update(overrides)
    name = values.pop("name", f"Clinic {next(_names)}")
    return await uow.clinics.create(name, **values)


def message(
    patient: Patient,
    key: str,
    *,
    kind: OutboxKind = OutboxKind.REMINDER,
    due_at: datetime = NOW - timedelta(minutes=1),
    payload: dict[str, Any] | None = None,
    priority: int | None = None,
    broadcast_id: int | None = None,
) -> NewMessage:
    """An outbox message for `patient`, due a minute before NOW unless told."""
    return NewMessage(
        kind=kind,
        patient_id=patient.id,
        chat_id=patient.chat_id,
        due_at=due_at,
        dedupe_key=key,
        payload=payload or {"text": key},
        priority=priority,
        broadcast_id=broadcast_id,
    )
