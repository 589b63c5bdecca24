"""Migrations agree with the models, and go up, down and up again, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from storage.database import Database, create_engine
from storage.models import Base
from storage.schema import (
    alembic_config,
    downgrade_to,
    head_revision,
    schema_state,
    upgrade_to,
    upgrade_to_head,
)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def _run(url: str, check: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(check)
    finally:
        await engine.dispose()


async def test_autogenerate_finds_no_difference_between_models_and_migrations(
    empty_database_url: str,
) -> None:
    await upgrade_to_head(empty_database_url)
    assert await _run(empty_database_url, _diff) == []


async def test_every_revision_goes_up_down_and_up_again(empty_database_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for index, revision in enumerate(revisions):
        previous = revisions[index - 1] if index else "base"
        await upgrade_to(empty_database_url, revision)
        await downgrade_to(empty_database_url, previous)
        await upgrade_to(empty_database_url, revision)
    assert await _run(empty_database_url, _tables) == set(Base.metadata.tables)
    await downgrade_to(empty_database_url, "base")
    assert await _run(empty_database_url, _tables) == set()
    await upgrade_to_head(empty_database_url)
    assert await _run(empty_database_url, _diff) == []


async def test_schema_state_tells_empty_outdated_and_current(empty_database_url: str) -> None:
    assert await schema_state(empty_database_url) == "empty"
    await upgrade_to_head(empty_database_url)
    assert await schema_state(empty_database_url) == "current"
    await downgrade_to(empty_database_url, "base")
    assert await schema_state(empty_database_url) == "empty"


async def test_upgrading_a_current_schema_changes_nothing(database: Database) -> None:
    await upgrade_to_head(database.url)
    assert await schema_state(database.url) == "current"


async def test_processes_starting_together_upgrade_once(empty_database_url: str) -> None:
    # On PostgreSQL the advisory lock serialises them; on SQLite, the write lock.
    await asyncio.gather(*(upgrade_to_head(empty_database_url) for _ in range(3)))
    assert await schema_state(empty_database_url) == "current"


def test_the_head_is_a_single_revision() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_unknown_revision_means_the_database_is_ahead(empty_database_url: str) -> None:
    from sqlalchemy import text

    from storage.schema import SchemaAheadError

    await upgrade_to_head(empty_database_url)
    engine = create_engine(empty_database_url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'fffffff'"))
    await engine.dispose()
    with pytest.raises(SchemaAheadError, match="upgrade Interval"):
        await schema_state(empty_database_url)


async def test_upgrading_a_sqlite_file_creates_its_directory(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'dir' / 'interval.db'}"
    await upgrade_to_head(url)
    assert await schema_state(url) == "current"
