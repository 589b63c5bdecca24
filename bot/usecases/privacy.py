"""A patient's rights over their data: a copy of everything, and forgetting everything.

Both take the Telegram user id of whoever asked, never an id from a button: the only data
a request can ever reach is the asker's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.usecases.planning import local_today
from storage.database import Database
from storage.records import ActorKind, OutboxKind, Patient


@dataclass(frozen=True)
class Export:
    """Everything stored about one patient, their language, and their local date."""

    document: dict[str, Any]
    language: str
    today: date


async def stored_patient(database: Database, telegram_user_id: int) -> Patient | None:
    """The patient row of this Telegram user, whether or not they have consented."""
    async with database.unit_of_work(read_only=True) as uow:
        return await uow.patients.get_by_user_id(telegram_user_id)


async def export_everything(
    database: Database, telegram_user_id: int, now: datetime
) -> Export | None:
    """The patient's whole record as a JSON-ready document; None when nothing is stored."""
    async with database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(telegram_user_id)
        if patient is None:
            return None
        document = await uow.privacy.export_patient(patient.id)
        await uow.audit.record(
            "privacy.export",
            at=now,
            actor_kind=ActorKind.PATIENT,
            subject_patient_id=patient.id,
        )
        await uow.commit()
    return Export(document=document, language=patient.language, today=local_today(patient, now))


async def delete_everything(database: Database, telegram_user_id: int, now: datetime) -> bool:
    """Delete the patient and everything pending for them; False when nothing was stored."""
    async with database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(telegram_user_id)
        if patient is None:
            return False
        # A broadcast is marked done by the dispatcher after each delivery; if this patient
        # held its last pending delivery, no delivery will come to close it, so we do.
        pending = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.BROADCAST)
        broadcasts = {m.broadcast_id for m in pending if m.broadcast_id is not None}
        await uow.privacy.delete_patient(patient.id, now=now)
        for broadcast_id in sorted(broadcasts):
            await uow.broadcasts.finish_if_done(broadcast_id, now=now)
        await uow.commit()
    return True
