"""Column types that keep Python values honest across SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from rules.procedures import Procedure


class NaiveDatetimeError(ValueError):
    """A naive datetime reached storage; every instant must carry a time zone."""


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: written as UTC, read back as an aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive values; normalise to UTC (SQLite keeps no zone, so drop it there)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(f"naive datetime {value!r}: pass an aware (UTC) instant")
        value = value.astimezone(UTC)
        # SQLite stores text; a fixed-width UTC string sorts and compares chronologically.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive; convert PostgreSQL's answer to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ProcedureType(TypeDecorator[Procedure]):
    """A `rules.Procedure`, stored as its stable string id."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Procedure | str | None, dialect: Dialect) -> str | None:
        """Store the id; a string that names no procedure fails here, not on read."""
        return None if value is None else Procedure(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Procedure | None:
        """Read the id back as the enum."""
        return None if value is None else Procedure(value)


# JSONB on PostgreSQL (indexable, compact); JSON text elsewhere.
JSONDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

# 64-bit ids where tables grow without bound; SQLite needs INTEGER to alias the rowid.
BigId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
