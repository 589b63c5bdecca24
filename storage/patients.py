"""Patients and their settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select, update

from storage._base import Repository, rowcount
from storage.models import PatientRow
from storage.records import UNSET, Patient, PatientState, Unset

DEFAULT_LANGUAGE = "en"
DEFAULT_REMINDER_HOUR = 9
DEFAULT_HEADS_UP_DAYS = 2
DEFAULT_QUIET_START = time(22, 0)
DEFAULT_QUIET_END = time(8, 0)


def to_patient(row: PatientRow) -> Patient:
    """The record of a row."""
    return Patient(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        language=row.language,
        timezone=row.timezone,
        reminder_hour=row.reminder_hour,
        heads_up_days=row.heads_up_days,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        state=PatientState(row.state),
        consent_at=row.consent_at,
        consent_version=row.consent_version,
        broadcasts_opt_out=row.broadcasts_opt_out,
        created_at=row.created_at,
        aftercare_off=row.aftercare_off,
    )


class PatientRepository(Repository):
    """Patients, found by our id or by their Telegram user id."""

    async def get_by_id(self, patient_id: int) -> Patient | None:
        """The patient with this id, or None."""
        row = await self._session.get(PatientRow, patient_id, populate_existing=True)
        return None if row is None else to_patient(row)

    async def get_by_user_id(self, telegram_user_id: int) -> Patient | None:
        """The patient behind a Telegram user, or None."""
        row = await self._session.scalar(
            select(PatientRow)
            .where(PatientRow.telegram_user_id == telegram_user_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else to_patient(row)

    async def get_or_create(
        self,
        *,
        telegram_user_id: int,
        chat_id: int,
        now: datetime,
        timezone: str = "UTC",
        language: str = DEFAULT_LANGUAGE,
        reminder_hour: int = DEFAULT_REMINDER_HOUR,
        heads_up_days: int = DEFAULT_HEADS_UP_DAYS,
        quiet_start: time | None = DEFAULT_QUIET_START,
        quiet_end: time | None = DEFAULT_QUIET_END,
        consent_at: datetime | None = None,
        consent_version: str | None = None,
    ) -> tuple[Patient, bool]:
        """The patient of this Telegram user, created if new; True when it was created.

        Safe under concurrency: two /start at once still make one patient (ON CONFLICT).
        An existing patient is returned unchanged, whatever the other arguments say.
        """
        statement = (
            self._insert(PatientRow)
            .values(
                telegram_user_id=telegram_user_id,
                chat_id=chat_id,
                language=language,
                timezone=timezone,
                reminder_hour=reminder_hour,
                heads_up_days=heads_up_days,
                quiet_start=quiet_start,
                quiet_end=quiet_end,
                state=PatientState.ACTIVE.value,
                consent_at=consent_at,
                consent_version=consent_version,
                broadcasts_opt_out=False,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[PatientRow.telegram_user_id])
            .returning(PatientRow.id)
        )
        created_id = (await self._session.execute(statement)).scalar_one_or_none()
        patient = await self.get_by_user_id(telegram_user_id)
        if patient is None:  # pragma: no cover - the row exists after the upsert
            raise RuntimeError(f"patient for user {telegram_user_id} vanished during upsert")
        return patient, created_id is not None

    async def update_settings(
        self,
        patient_id: int,
        *,
        language: str | Unset = UNSET,
        timezone: str | Unset = UNSET,
        reminder_hour: int | Unset = UNSET,
        heads_up_days: int | Unset = UNSET,
        quiet_start: time | Unset | None = UNSET,
        quiet_end: time | Unset | None = UNSET,
        broadcasts_opt_out: bool | Unset = UNSET,
        aftercare_off: bool | Unset = UNSET,
        chat_id: int | Unset = UNSET,
    ) -> Patient | None:
        """Change the given settings only; the patient after the change, or None if unknown."""
        given: dict[str, Any] = {
            name: value
            for name, value in {
                "language": language,
                "timezone": timezone,
                "reminder_hour": reminder_hour,
                "heads_up_days": heads_up_days,
                "quiet_start": quiet_start,
                "quiet_end": quiet_end,
                "broadcasts_opt_out": broadcasts_opt_out,
                "aftercare_off": aftercare_off,
                "chat_id": chat_id,
            }.items()
            if value is not UNSET
        }
        if given:
            await self._session.execute(
                update(PatientRow).where(PatientRow.id == patient_id).values(**given)
            )
        return await self.get_by_id(patient_id)

    async def record_consent(self, patient_id: int, *, at: datetime, version: str) -> bool:
        """Store when and to which text version the patient consented."""
        result = await self._session.execute(
            update(PatientRow)
            .where(PatientRow.id == patient_id)
            .values(consent_at=at, consent_version=version)
        )
        return rowcount(result) > 0

    async def set_state(self, patient_id: int, state: PatientState) -> bool:
        """Set active / paused / blocked; False if there is no such patient."""
        result = await self._session.execute(
            update(PatientRow)
            .where(PatientRow.id == patient_id)
            .values(state=PatientState(state).value)
        )
        return rowcount(result) > 0

    async def active_ids(self, *, after_id: int = 0, limit: int = 1000) -> list[int]:
        """Ids of active patients above `after_id`, ascending: one page of a keyset walk."""
        result = await self._session.scalars(
            select(PatientRow.id)
            .where(PatientRow.state == PatientState.ACTIVE.value, PatientRow.id > after_id)
            .order_by(PatientRow.id)
            .limit(limit)
        )
        return list(result)

    async def iter_active_ids(self, *, batch: int = 1000) -> AsyncIterator[int]:
        """Every active patient's id, fetched a page at a time."""
        after_id = 0
        while True:
            page = await self.active_ids(after_id=after_id, limit=batch)
            for patient_id in page:
                yield patient_id
            if len(page) < batch:
                return
            after_id = page[-1]

    async def count_by_state(self) -> dict[PatientState, int]:
        """How many patients are in each state (every state present, zero included)."""
        rows = await self._session.execute(
            select(PatientRow.state, func.count()).group_by(PatientRow.state)
        )
        counts = dict.fromkeys(PatientState, 0)
        for state, count in rows.tuples():
            counts[PatientState(state)] = count
        return counts
