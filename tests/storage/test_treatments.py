"""Treatments: every read and change is scoped by the patient."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from rules import Entry, Procedure
from storage.database import Database
from tests.storage.factories import NOW, make_patient, make_treatment


async def test_lists_newest_first_in_pages(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        days = [date(2026, 1, d) for d in (5, 1, 20, 10, 15)]
        for day in days:
            await make_treatment(uow, patient, on=day)
        first = await uow.treatments.list_for_patient(patient.id, limit=2)
        second = await uow.treatments.list_for_patient(patient.id, limit=2, offset=2)
        third = await uow.treatments.list_for_patient(patient.id, limit=2, offset=4)
        total = await uow.treatments.count_for_patient(patient.id)
    assert [t.on.day for t in first + second + third] == [20, 15, 10, 5, 1]
    assert total == 5


async def test_history_gives_rules_entries_oldest_first(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        later = await make_treatment(uow, patient, procedure=Procedure.BOTOX, on=date(2026, 2, 1))
        earlier = await make_treatment(
            uow, patient, procedure=Procedure.MICRONEEDLING, on=date(2026, 1, 20)
        )
        history = await uow.treatments.history(patient.id)
    assert history == [
        Entry(procedure=Procedure.MICRONEEDLING, on=date(2026, 1, 20), ref=str(earlier.id)),
        Entry(procedure=Procedure.BOTOX, on=date(2026, 2, 1), ref=str(later.id)),
    ]


async def test_change_date_moves_the_entry_and_touches_updated_at(database: Database) -> None:
    later = NOW + timedelta(hours=1)
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        treatment = await make_treatment(uow, patient)
        moved = await uow.treatments.change_date(
            patient.id, treatment.id, date(2026, 4, 2), now=later
        )
    assert moved is not None
    assert moved.on == date(2026, 4, 2)
    assert moved.updated_at == later
    assert moved.created_at == NOW


async def test_another_patients_treatment_id_finds_and_changes_nothing(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        owner = await make_patient(uow)
        intruder = await make_patient(uow)
        treatment = await make_treatment(uow, owner, on=date(2026, 1, 1))
        assert await uow.treatments.get(intruder.id, treatment.id) is None
        assert (
            await uow.treatments.change_date(intruder.id, treatment.id, date(2026, 5, 5), now=NOW)
            is None
        )
        assert not await uow.treatments.delete(intruder.id, treatment.id)
        assert await uow.treatments.list_for_patient(intruder.id) == []
        assert await uow.treatments.history(intruder.id) == []
        assert await uow.treatments.get(owner.id, treatment.id) == treatment


async def test_delete_removes_only_that_entry(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        keep = await make_treatment(uow, patient, on=date(2026, 1, 1))
        gone = await make_treatment(uow, patient, on=date(2026, 1, 2))
        assert await uow.treatments.delete(patient.id, gone.id)
        assert not await uow.treatments.delete(patient.id, gone.id)
        assert await uow.treatments.list_for_patient(patient.id) == [keep]


async def test_keeps_the_note_and_refuses_an_overlong_one(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        saved = await make_treatment(uow, patient, note="forehead, 20 units")
        with pytest.raises(ValueError, match="at most 500"):
            await make_treatment(uow, patient, note="x" * 501)
    assert saved.note == "forehead, 20 units"
    assert isinstance(saved.created_at, datetime)


async def test_histories_of_several_patients_come_in_one_read_each_oldest_first(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        ana, ben, cleo = await make_patient(uow), await make_patient(uow), await make_patient(uow)
        late = await make_treatment(uow, ana, procedure=Procedure.BOTOX, on=date(2026, 2, 1))
        early = await make_treatment(uow, ana, procedure=Procedure.BOTOX, on=date(2026, 1, 1))
        bens = await make_treatment(
            uow, ben, procedure=Procedure.MICRONEEDLING, on=date(2026, 3, 1)
        )
        found = await uow.treatments.histories([ana.id, ben.id, cleo.id])
        assert found[ana.id] == await uow.treatments.history(ana.id)
    assert [e.ref for e in found[ana.id]] == [str(early.id), str(late.id)]
    assert [e.ref for e in found[ben.id]] == [str(bens.id)]
    assert cleo.id not in found
