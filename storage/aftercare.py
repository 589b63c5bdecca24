"""A clinic's own aftercare notes per procedure, versioned; the latest change is in force."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from rules.procedures import Procedure
from storage._base import Repository
from storage.models import AftercareChangeRow, ClinicRow
from storage.records import AftercareChange

DEFAULT = "default"


def _change(row: AftercareChangeRow) -> AftercareChange:
    return AftercareChange(
        clinic_id=row.clinic_id,
        version=row.version,
        procedure=row.procedure,
        mode=row.mode,
        text=row.text,
        reason=row.reason,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )


class AftercareRepository(Repository):
    """Every change is a new row with the clinic's next aftercare version (who, when, why)."""

    async def current(self, clinic_id: int) -> dict[Procedure, AftercareChange]:
        """The clinic's note in force per procedure (procedures on the defaults are absent)."""
        latest = (
            select(AftercareChangeRow.procedure, func.max(AftercareChangeRow.version).label("v"))
            .where(AftercareChangeRow.clinic_id == clinic_id)
            .group_by(AftercareChangeRow.procedure)
            .subquery()
        )
        rows = await self._session.scalars(
            select(AftercareChangeRow)
            .join(
                latest,
                (AftercareChangeRow.procedure == latest.c.procedure)
                & (AftercareChangeRow.version == latest.c.v),
            )
            .where(AftercareChangeRow.clinic_id == clinic_id)
            .execution_options(populate_existing=True)
        )
        return {row.procedure: _change(row) for row in rows if row.mode != DEFAULT}

    async def history(self, clinic_id: int, *, limit: int = 20) -> list[AftercareChange]:
        """The clinic's aftercare changes, newest first."""
        rows = await self._session.scalars(
            select(AftercareChangeRow)
            .where(AftercareChangeRow.clinic_id == clinic_id)
            .order_by(AftercareChangeRow.version.desc())
            .limit(limit)
        )
        return [_change(row) for row in rows]

    async def record(
        self,
        clinic_id: int,
        procedure: Procedure,
        *,
        mode: str,
        text: str | None,
        reason: str,
        changed_by: int | None,
        now: datetime,
    ) -> AftercareChange:
        """Store a change under the clinic's next version ("default": back to the defaults)."""
        if self._is_postgresql:
            # Two owners saving at once get versions n and n+1; SQLite's BEGIN IMMEDIATE
            # already serialises writers.
            await self._session.execute(
                select(ClinicRow.id).where(ClinicRow.id == clinic_id).with_for_update()
            )
        last = await self._session.scalar(
            select(func.max(AftercareChangeRow.version)).where(
                AftercareChangeRow.clinic_id == clinic_id
            )
        )
        row = AftercareChangeRow(
            clinic_id=clinic_id,
            version=(last or 0) + 1,
            procedure=procedure,
            mode=mode,
            text=text,
            reason=reason,
            changed_by=changed_by,
            changed_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _change(row)
