"""The audit log of staff and privacy actions. Details never hold personal data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage._base import Repository
from storage.models import AuditRow
from storage.records import ActorKind, AuditEntry


def to_entry(row: AuditRow) -> AuditEntry:
    """The record of a row."""
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor_kind=ActorKind(row.actor_kind),
        actor_id=row.actor_id,
        action=row.action,
        clinic_id=row.clinic_id,
        subject_patient_id=row.subject_patient_id,
        details=row.details,
    )


class AuditRepository(Repository):
    """Append-only audit entries."""

    async def record(
        self,
        action: str,
        *,
        at: datetime,
        actor_kind: ActorKind,
        actor_id: int | None = None,
        clinic_id: int | None = None,
        subject_patient_id: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry. Put ids and counts in `details`, never names, texts or dates."""
        row = AuditRow(
            at=at,
            actor_kind=ActorKind(actor_kind).value,
            actor_id=actor_id,
            action=action,
            clinic_id=clinic_id,
            subject_patient_id=subject_patient_id,
            details=dict(details or {}),
        )
        self._session.add(row)
        await self._session.flush()
        return to_entry(row)

    async def for_clinic(self, clinic_id: int, *, limit: int = 100) -> list[AuditEntry]:
        """The clinic's entries, newest first."""
        rows = await self._session.scalars(
            select(AuditRow)
            .where(AuditRow.clinic_id == clinic_id)
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [to_entry(row) for row in rows]

    async def of_actions(
        self, clinic_id: int, actions: Sequence[str], *, limit: int = 20
    ) -> list[AuditEntry]:
        """The clinic's entries of these actions, newest first."""
        rows = await self._session.scalars(
            select(AuditRow)
            .where(AuditRow.clinic_id == clinic_id, AuditRow.action.in_(list(actions)))
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [to_entry(row) for row in rows]

    async def about_patient(self, patient_id: int, *, limit: int = 1000) -> list[AuditEntry]:
        """Entries whose subject is this patient, oldest first."""
        rows = await self._session.scalars(
            select(AuditRow)
            .where(AuditRow.subject_patient_id == patient_id)
            .order_by(AuditRow.at, AuditRow.id)
            .limit(limit)
        )
        return [to_entry(row) for row in rows]
