"""Send slots of a rate shared by every process on one PostgreSQL database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from storage._base import Repository

# One statement, so reserving is atomic without an explicit lock: the row lock of the
# upsert serialises concurrent reservers. The database's own clock is the reference, so
# processes on different hosts agree on what "now" is.
_RESERVE = text(
    """
    INSERT INTO send_pace (name, next_free)
    VALUES (:name, clock_timestamp() + make_interval(secs => :span))
    ON CONFLICT (name) DO UPDATE
        SET next_free = greatest(send_pace.next_free, clock_timestamp())
                        + make_interval(secs => :span)
    RETURNING next_free - make_interval(secs => :span) AS first_slot,
              clock_timestamp() AS database_now
    """
)


class PaceRepository(Repository):
    """Reserves consecutive send slots; PostgreSQL only (SQLite runs one process)."""

    async def reserve(self, name: str, count: int, interval: float) -> tuple[datetime, datetime]:
        """Reserve `count` slots `interval` seconds apart: (the first slot, the database's now)."""
        if not self._is_postgresql:
            raise RuntimeError("a shared send pace needs PostgreSQL")
        if count < 1 or interval <= 0:
            raise ValueError("count must be at least 1 and interval positive")
        row = (
            await self._session.execute(_RESERVE, {"name": name, "span": count * interval})
        ).one()
        return row.first_slot, row.database_now
