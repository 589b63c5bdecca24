"""The process's one engine, with the SQLite settings every connection needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Read-only units of work on SQLite begin DEFERRED; everything else takes the write lock
# at BEGIN, so a read-then-write use-case can never fail half-way with SQLITE_BUSY.
_BEGIN_OPTION = "interval_sqlite_begin"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`; on SQLite with WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    # A failed statement's exception (and so the logged traceback) would otherwise quote
    # its parameters: patients' dates and texts.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database in (None, "", ":memory:"):
        # One in-memory database only exists within one connection: share it.
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_async_engine(url, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control from the driver (it would BEGIN only before writes,
        # leaving reads outside the transaction); we emit BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The busy timeout first: switching a new file to WAL needs a lock that another
        # process starting at the same moment may hold.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # In WAL mode NORMAL never corrupts and survives a process crash; only a power
        # loss can drop the last commits, and a lost "sent" mark only repeats a message.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One per process: the engine and the factory of units of work."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url, **engine_options)
        self.dialect_name: str = self.engine.dialect.name
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        read_engine = self.engine
        if self.dialect_name == "sqlite":
            read_engine = self.engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
        self._read_sessions = async_sessionmaker(
            read_engine, expire_on_commit=False, autoflush=False
        )

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work: `async with db.unit_of_work() as uow: ...; await uow.commit()`.

        `read_only=True` lets SQLite readers run beside a writer; it changes nothing else.
        """
        from storage.unit_of_work import UnitOfWork

        factory = self._read_sessions if read_only else self._sessions
        return UnitOfWork(factory, self.dialect_name)

    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        """The session factory, for tools that need a bare session (tests, benchmarks)."""
        return self._sessions

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"
