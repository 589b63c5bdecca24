"""What every repository shares: the session of its unit of work and dialect helpers."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

Insert = postgresql.Insert | sqlite.Insert


class Repository:
    """Base of the repositories: they share the unit of work's session and never commit."""

    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    @property
    def _is_postgresql(self) -> bool:
        return self._dialect == "postgresql"

    def _insert(self, entity: Any) -> Insert:
        """An INSERT that can say ON CONFLICT on this backend."""
        if self._is_postgresql:
            return postgresql.insert(entity)
        return sqlite.insert(entity)


def rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE touched (`session.execute` is typed as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount)
