"""The engine, the unit of work and the column types, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from storage.database import Database
from storage.models import PatientRow, TreatmentRow
from storage.types import NaiveDatetimeError
from tests.storage.factories import NOW, make_patient, make_treatment


async def test_rolls_back_uncommitted_work_by_default(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await make_patient(uow, telegram_user_id=1)
    async with database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(1) is None


async def test_keeps_committed_work(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await make_patient(uow, telegram_user_id=1)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(1) is not None


async def test_rolls_back_when_the_block_raises(database: Database) -> None:
    async def use_case() -> None:
        async with database.unit_of_work() as uow:
            await make_patient(uow, telegram_user_id=1)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await use_case()
    async with database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(1) is None


async def test_rolls_back_only_what_came_after_the_last_commit(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await make_patient(uow, telegram_user_id=1)
        await uow.commit()
        await make_patient(uow, telegram_user_id=2)
    async with database.unit_of_work(read_only=True) as uow:
        assert await uow.patients.get_by_user_id(1) is not None
        assert await uow.patients.get_by_user_id(2) is None


async def test_a_unit_of_work_is_used_inside_async_with_only(database: Database) -> None:
    uow = database.unit_of_work()
    with pytest.raises(RuntimeError, match="async with"):
        await uow.commit()


async def test_instants_come_back_aware_in_utc(database: Database) -> None:
    berlin_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow, now=berlin_noon)
        await uow.commit()
    async with database.unit_of_work() as uow:
        again = await uow.patients.get_by_id(patient.id)
    assert again is not None
    assert again.created_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert again.created_at.tzinfo is UTC


async def test_refuses_a_naive_instant(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(StatementError) as raised:
            await make_patient(uow, now=datetime(2026, 1, 1, 9, 0))
    assert isinstance(raised.value.orig, NaiveDatetimeError)


async def test_stores_calendar_dates_as_dates(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await make_treatment(uow, patient, on=date(2026, 3, 29))
        await uow.commit()
    async with database.engine.connect() as connection:
        if database.dialect_name == "postgresql":
            column_type = await connection.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'treatments' AND column_name = 'on_date'"
                )
            )
            assert column_type == "date"
        raw = await connection.scalar(text("SELECT on_date FROM treatments"))
    assert str(raw) == "2026-03-29"


async def test_enforces_foreign_keys(database: Database) -> None:
    async with database.unit_of_work() as uow:
        uow.session.add(
            TreatmentRow(
                patient_id=999,
                procedure="botox",
                on=date(2026, 1, 1),
                note="",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        with pytest.raises(IntegrityError):
            await uow.session.flush()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert await connection.scalar(text("PRAGMA busy_timeout")) >= 5000


async def test_never_reuses_an_id_after_a_delete(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        first = await make_treatment(uow, patient)
        assert await uow.treatments.delete(patient.id, first.id)
        second = await make_treatment(uow, patient)
        await uow.commit()
    assert second.id > first.id


async def test_a_read_only_unit_of_work_reads_beside_a_writer(database: Database) -> None:
    async with database.unit_of_work() as writer:
        await make_patient(writer, telegram_user_id=1)
        # The writer holds SQLite's write lock until it commits; a reader must not wait.
        async with database.unit_of_work(read_only=True) as reader:
            assert await reader.patients.get_by_user_id(1) is None
        await writer.commit()


async def test_reads_see_changes_made_by_statements_in_the_same_unit(database: Database) -> None:
    async with database.unit_of_work() as uow:
        patient = await make_patient(uow)
        await uow.patients.update_settings(patient.id, language="es")
        row = (
            await uow.session.scalars(select(PatientRow).where(PatientRow.id == patient.id))
        ).one()
        assert row.language == "es"
        again = await uow.patients.get_by_id(patient.id)
    assert again is not None
    assert again.language == "es"


def test_creating_a_database_does_not_connect() -> None:
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert db.dialect_name == "postgresql"
    assert "nobody" in repr(db)
