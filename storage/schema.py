"""Schema migrations, driven from code: no alembic.ini outside the package is needed.

`interval-bot run` calls `upgrade_to_head` at start (docs/operations.md); `interval-bot db
upgrade` does the same for operators who migrate explicitly.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from storage.database import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"

# Any fixed 64-bit number, the same in every process of every version of Interval.
ADVISORY_LOCK_KEY = 0x1A7E_5C4E_3A_0001

SchemaState = Literal["current", "outdated", "empty"]


class SchemaAheadError(RuntimeError):
    """The database was migrated by a newer Interval than this one."""


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for our migrations (and for `url`, if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # ConfigParser treats % as interpolation; URL-encoded passwords contain it.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The revision the code expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


async def upgrade_to_head(url: str) -> None:
    """Bring the database to the latest revision; safe when several processes start at once.

    For a SQLite file, its directory is created first (the default lives under DATA_DIR).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    await _run(url, "upgrade", "head")


async def downgrade_to(url: str, revision: str) -> None:
    """Step the schema back to `revision` ("base" drops every table). For tests and rescue."""
    await _run(url, "downgrade", revision)


async def upgrade_to(url: str, revision: str) -> None:
    """Bring the schema to one revision (for tests of a single migration)."""
    await _run(url, "upgrade", revision)


async def current_revision(url: str) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        await engine.dispose()


async def schema_state(url: str) -> SchemaState:
    """The schema's state: "empty", "current", or "outdated" (run `interval-bot db upgrade`)."""
    revision = await current_revision(url)
    if revision is None:
        return "empty"
    head = head_revision()
    if revision == head:
        return "current"
    script = ScriptDirectory.from_config(alembic_config())
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise SchemaAheadError(
            f"the database is at revision {revision}, which this version of Interval does "
            f"not know (its latest is {head}); upgrade Interval"
        )
    return "outdated"


def autogenerate_revision(url: str, message: str) -> None:
    """Developer tool: write a new migration from the models' difference to `url` at head.

    `python -c "from storage.schema import autogenerate_revision as a;
    a('sqlite+aiosqlite:////tmp/dev.db', 'add a column')"` after `upgrade_to_head` on it.
    Review the file: autogenerate does not see CHECK constraints or renames.
    """
    command.revision(alembic_config(url), message=message, autogenerate=True)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _run(url: str, operation: Literal["upgrade", "downgrade"], revision: str) -> None:
    async with _sqlite_file_lock(url):
        engine = create_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                await _lock(connection)
                await connection.run_sync(_alembic, url, operation, revision)
        finally:
            await engine.dispose()


@asynccontextmanager
async def _sqlite_file_lock(url: str) -> AsyncIterator[None]:
    # Two processes migrating a brand-new SQLite file can deadlock inside SQLite: one switches
    # the file to WAL while the other holds the write lock, each waiting for the other until
    # the busy timeout. An OS file lock beside the database makes them take turns instead.
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        yield
        return
    descriptor = os.open(f"{parsed.database}.migrate.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


async def _lock(connection: AsyncConnection) -> None:
    # PostgreSQL: a transaction-scoped advisory lock makes a second process wait, then find
    # the schema current. SQLite: the migration transaction began IMMEDIATE, which already
    # holds the database's write lock.
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        )


def _alembic(connection: Connection, url: str, operation: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    if operation == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
