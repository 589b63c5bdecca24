"""A clinic's guidance overrides and their version history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from rules.procedures import Procedure
from storage._base import Repository
from storage.models import ClinicRow, GuidanceChangeRow, GuidanceOverrideRow
from storage.records import ClinicGuidance, GuidanceChange, GuidanceOverride


class UnknownClinicError(LookupError):
    """No clinic has this id."""


def _change(row: GuidanceChangeRow) -> GuidanceChange:
    return GuidanceChange(
        clinic_id=row.clinic_id,
        version=row.version,
        after=row.after,
        then=row.then,
        old_days=row.old_days,
        old_default=row.old_default,
        new_days=row.new_days,
        new_default=row.new_default,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
        reason=row.reason,
    )


class GuidanceRepository(Repository):
    """Overrides of the default spacing rules, per clinic, versioned.

    Each change bumps the clinic's `guidance_version` with one UPDATE (which locks the
    clinic row), so two staff changing rules at once get versions n and n+1, never two n.
    The rules themselves live in `rules`: `rules.apply_overrides(default_guidance(),
    [RuleOverride(o.after, o.then, o.min_days) for o in current.overrides], current.version)`.
    """

    async def current(self, clinic_id: int) -> ClinicGuidance:
        """The clinic's overrides and version (version 0 and none: the defaults)."""
        version = await self._session.scalar(
            select(ClinicRow.guidance_version).where(ClinicRow.id == clinic_id)
        )
        if version is None:
            raise UnknownClinicError(f"no clinic with id {clinic_id}")
        rows = await self._session.scalars(
            select(GuidanceOverrideRow)
            .where(GuidanceOverrideRow.clinic_id == clinic_id)
            .order_by(GuidanceOverrideRow.after, GuidanceOverrideRow.then)
            .execution_options(populate_existing=True)
        )
        overrides = tuple(
            GuidanceOverride(
                after=row.after,
                then=row.then,
                min_days=row.min_days,
                version=row.version,
                updated_at=row.updated_at,
            )
            for row in rows
        )
        return ClinicGuidance(clinic_id=clinic_id, version=version, overrides=overrides)

    async def set_override(
        self,
        clinic_id: int,
        after: Procedure,
        then: Procedure,
        min_days: int | None,
        *,
        changed_by: int | None,
        reason: str,
        now: datetime,
    ) -> GuidanceChange:
        """Set one rule's days for this clinic (None switches it off); the versioned change."""
        return await self._change(
            clinic_id, Procedure(after), Procedure(then), min_days, False, changed_by, reason, now
        )

    async def reset_override(
        self,
        clinic_id: int,
        after: Procedure,
        then: Procedure,
        *,
        changed_by: int | None,
        reason: str,
        now: datetime,
    ) -> GuidanceChange | None:
        """Drop the clinic's override of one rule (back to the default); None if it had none."""
        existing = await self._override(clinic_id, Procedure(after), Procedure(then))
        if existing is None:
            return None
        return await self._change(
            clinic_id, Procedure(after), Procedure(then), None, True, changed_by, reason, now
        )

    async def history(self, clinic_id: int, *, limit: int = 50) -> list[GuidanceChange]:
        """The clinic's guidance changes, newest first."""
        rows = await self._session.scalars(
            select(GuidanceChangeRow)
            .where(GuidanceChangeRow.clinic_id == clinic_id)
            .order_by(GuidanceChangeRow.version.desc())
            .limit(limit)
        )
        return [_change(row) for row in rows]

    async def _override(
        self, clinic_id: int, after: Procedure, then: Procedure
    ) -> GuidanceOverrideRow | None:
        row: GuidanceOverrideRow | None = await self._session.scalar(
            select(GuidanceOverrideRow)
            .where(
                GuidanceOverrideRow.clinic_id == clinic_id,
                GuidanceOverrideRow.after == after,
                GuidanceOverrideRow.then == then,
            )
            .execution_options(populate_existing=True)
        )
        return row

    async def _change(
        self,
        clinic_id: int,
        after: Procedure,
        then: Procedure,
        min_days: int | None,
        to_default: bool,
        changed_by: int | None,
        reason: str,
        now: datetime,
    ) -> GuidanceChange:
        version = (
            await self._session.execute(
                update(ClinicRow)
                .where(ClinicRow.id == clinic_id)
                .values(guidance_version=ClinicRow.guidance_version + 1)
                .returning(ClinicRow.guidance_version)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        if version is None:
            raise UnknownClinicError(f"no clinic with id {clinic_id}")
        existing = await self._override(clinic_id, after, then)
        old_days = None if existing is None else existing.min_days
        if to_default:
            await self._session.execute(
                delete(GuidanceOverrideRow).where(
                    GuidanceOverrideRow.clinic_id == clinic_id,
                    GuidanceOverrideRow.after == after,
                    GuidanceOverrideRow.then == then,
                )
            )
        elif existing is None:
            self._session.add(
                GuidanceOverrideRow(
                    clinic_id=clinic_id,
                    after=after,
                    then=then,
                    min_days=min_days,
                    version=version,
                    updated_at=now,
                )
            )
        else:
            existing.min_days = min_days
            existing.version = version
            existing.updated_at = now
        row = GuidanceChangeRow(
            clinic_id=clinic_id,
            version=version,
            after=after,
            then=then,
            old_days=old_days,
            old_default=existing is None,
            new_days=None if to_default else min_days,
            new_default=to_default,
            changed_by=changed_by,
            changed_at=now,
            reason=reason,
        )
        self._session.add(row)
        await self._session.flush()
        return _change(row)
