"""Treatments: what a patient had, or plans, and on which calendar date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from rules import Entry, Procedure
from storage._base import Repository, rowcount
from storage.models import TreatmentRow
from storage.records import Treatment

NOTE_MAX = 500


class DuplicateTreatmentError(ValueError):
    """The patient already has this procedure on this date."""


def to_treatment(row: TreatmentRow) -> Treatment:
    """The record of a row."""
    return Treatment(
        id=row.id,
        patient_id=row.patient_id,
        procedure=row.procedure,
        on=row.on,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class TreatmentRepository(Repository):
    """One patient's treatments. Every method is scoped by `patient_id`.

    A treatment id that belongs to someone else behaves exactly like one that does not
    exist, so a forged callback cannot read or change another patient's data.
    """

    async def add(
        self,
        patient_id: int,
        procedure: Procedure,
        on: date,
        *,
        now: datetime,
        note: str = "",
    ) -> Treatment:
        """Store a treatment (a future date is a planned one)."""
        if len(note) > NOTE_MAX:
            raise ValueError(f"note is {len(note)} characters; at most {NOTE_MAX} fit")
        row = TreatmentRow(
            patient_id=patient_id,
            procedure=Procedure(procedure),
            on=on,
            note=note,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return to_treatment(row)

    async def add_once(
        self, patient_id: int, procedure: Procedure, on: date, *, now: datetime
    ) -> tuple[Treatment, bool]:
        """Store the treatment unless the patient has this procedure on this date already.

        (the treatment, True) when stored now; (the one already there, False) otherwise.
        Two chats saving the same entry at once store it once: the unique index decides.
        """
        statement = (
            self._insert(TreatmentRow)
            .values(
                patient_id=patient_id,
                procedure=Procedure(procedure),
                on=on,
                note="",
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[TreatmentRow.patient_id, TreatmentRow.procedure, TreatmentRow.on]
            )
            .returning(TreatmentRow.id)
        )
        inserted = (await self._session.execute(statement)).first()
        found = await self._session.execute(
            select(TreatmentRow).where(
                TreatmentRow.patient_id == patient_id,
                TreatmentRow.procedure == Procedure(procedure),
                TreatmentRow.on == on,
            )
        )
        return to_treatment(found.scalar_one()), inserted is not None

    async def get(self, patient_id: int, treatment_id: int) -> Treatment | None:
        """The patient's treatment with this id, or None (also when it is someone else's)."""
        row = await self._session.scalar(
            select(TreatmentRow)
            .where(TreatmentRow.id == treatment_id, TreatmentRow.patient_id == patient_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else to_treatment(row)

    async def list_for_patient(
        self, patient_id: int, *, limit: int = 10, offset: int = 0
    ) -> list[Treatment]:
        """One page of the patient's treatments, newest date first."""
        rows = await self._session.scalars(
            select(TreatmentRow)
            .where(TreatmentRow.patient_id == patient_id)
            .order_by(TreatmentRow.on.desc(), TreatmentRow.id.desc())
            .limit(limit)
            .offset(offset)
            .execution_options(populate_existing=True)
        )
        return [to_treatment(row) for row in rows]

    async def count_for_patient(self, patient_id: int) -> int:
        """How many treatments the patient has (for paging)."""
        count = await self._session.scalar(
            select(func.count()).where(TreatmentRow.patient_id == patient_id)
        )
        return int(count or 0)

    async def change_date(
        self, patient_id: int, treatment_id: int, on: date, *, now: datetime
    ) -> Treatment | None:
        """Move the patient's treatment to another date; None if it is not theirs.

        DuplicateTreatmentError when the patient has the same procedure on that date already.
        """
        try:
            async with self._session.begin_nested():
                result = await self._session.execute(
                    update(TreatmentRow)
                    .where(TreatmentRow.id == treatment_id, TreatmentRow.patient_id == patient_id)
                    .values(on=on, updated_at=now)
                )
        except IntegrityError as exc:
            raise DuplicateTreatmentError(f"treatment {treatment_id} onto {on}") from exc
        if rowcount(result) == 0:
            return None
        return await self.get(patient_id, treatment_id)

    async def delete(self, patient_id: int, treatment_id: int) -> bool:
        """Delete the patient's treatment; False if it is not theirs (or already gone)."""
        result = await self._session.execute(
            delete(TreatmentRow).where(
                TreatmentRow.id == treatment_id, TreatmentRow.patient_id == patient_id
            )
        )
        return rowcount(result) > 0

    async def history(self, patient_id: int) -> list[Entry]:
        """The patient's treatments as `rules` entries, oldest first; `ref` is the id."""
        rows = await self._session.execute(
            select(TreatmentRow.procedure, TreatmentRow.on, TreatmentRow.id)
            .where(TreatmentRow.patient_id == patient_id)
            .order_by(TreatmentRow.on, TreatmentRow.id)
        )
        return [
            Entry(procedure=procedure, on=on, ref=str(treatment_id))
            for procedure, on, treatment_id in rows.tuples()
        ]

    async def histories(self, patient_ids: Iterable[int]) -> dict[int, list[Entry]]:
        """`history` of several patients in one query: patient id -> entries (absent: none)."""
        wanted = sorted(set(patient_ids))
        if not wanted:
            return {}
        rows = await self._session.execute(
            select(
                TreatmentRow.patient_id, TreatmentRow.procedure, TreatmentRow.on, TreatmentRow.id
            )
            .where(TreatmentRow.patient_id.in_(wanted))
            .order_by(TreatmentRow.patient_id, TreatmentRow.on, TreatmentRow.id)
        )
        found: dict[int, list[Entry]] = {}
        for patient_id, procedure, on, treatment_id in rows.tuples():
            found.setdefault(patient_id, []).append(
                Entry(procedure=procedure, on=on, ref=str(treatment_id))
            )
        return found
