"""Broadcasts: a clinic's message to its patients, delivered as one outbox row per patient."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage._base import Repository, rowcount
from storage.models import BroadcastRow, OutboxRow
from storage.outbox import LIVE_STATES, OutboxRepository
from storage.records import Broadcast, BroadcastState, NewMessage, OutboxKind, Priority


def to_broadcast(row: BroadcastRow) -> Broadcast:
    """The record of a row."""
    return Broadcast(
        id=row.id,
        clinic_id=row.clinic_id,
        author_user_id=row.author_user_id,
        text=row.text,
        audience=row.audience,
        state=BroadcastState(row.state),
        total=row.total_count,
        sent=row.sent_count,
        blocked=row.blocked_count,
        failed=row.failed_count,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def dedupe_key(broadcast_id: int) -> str:
    """The outbox dedupe key of a broadcast's delivery: one per patient per broadcast."""
    return f"broadcast:{broadcast_id}"


class BroadcastRepository(Repository):
    """Broadcasts, always scoped by clinic: another clinic's broadcast id finds nothing."""

    def __init__(self, session: AsyncSession, dialect_name: str, outbox: OutboxRepository) -> None:
        super().__init__(session, dialect_name)
        self._outbox = outbox

    async def create(
        self,
        clinic_id: int,
        *,
        author_user_id: int,
        text: str,
        audience: Mapping[str, Any],
        now: datetime,
    ) -> Broadcast:
        """A draft broadcast (nothing is queued until `queue`)."""
        row = BroadcastRow(
            clinic_id=clinic_id,
            author_user_id=author_user_id,
            text=text,
            audience=dict(audience),
            state=BroadcastState.DRAFT.value,
            total_count=0,
            sent_count=0,
            blocked_count=0,
            failed_count=0,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return to_broadcast(row)

    async def get(self, clinic_id: int, broadcast_id: int) -> Broadcast | None:
        """The clinic's broadcast, or None (also when it belongs to another clinic)."""
        row = await self._session.scalar(
            select(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.clinic_id == clinic_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else to_broadcast(row)

    async def recent(self, clinic_id: int, *, limit: int = 5) -> list[Broadcast]:
        """The clinic's latest broadcasts, newest first."""
        rows = await self._session.scalars(
            select(BroadcastRow)
            .where(BroadcastRow.clinic_id == clinic_id)
            .order_by(BroadcastRow.created_at.desc(), BroadcastRow.id.desc())
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [to_broadcast(row) for row in rows]

    async def queue(
        self,
        clinic_id: int,
        broadcast_id: int,
        *,
        recipients: Sequence[tuple[int, int]],
        payload: Mapping[str, Any],
        due_at: datetime,
        now: datetime,
        blocked: int = 0,
    ) -> Broadcast | None:
        """Turn a draft into one outbox row per (patient_id, chat_id); None unless a draft.

        The state moves draft -> sending with one conditional UPDATE, so a confirm pressed
        twice (or replayed) queues once. `blocked` counts members already known to have
        blocked the bot: they are reported, never tried.
        """
        moved = await self._session.execute(
            update(BroadcastRow)
            .where(
                BroadcastRow.id == broadcast_id,
                BroadcastRow.clinic_id == clinic_id,
                BroadcastRow.state == BroadcastState.DRAFT.value,
            )
            .values(
                state=BroadcastState.SENDING.value,
                total_count=len(recipients) + blocked,
                blocked_count=blocked,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(moved) == 0:
            return None
        key = dedupe_key(broadcast_id)
        await self._outbox.add_many(
            [
                NewMessage(
                    kind=OutboxKind.BROADCAST,
                    patient_id=patient_id,
                    chat_id=chat_id,
                    due_at=due_at,
                    dedupe_key=key,
                    payload=payload,
                    priority=Priority.BROADCAST,
                    broadcast_id=broadcast_id,
                )
                for patient_id, chat_id in recipients
            ],
            now=now,
            revive_cancelled=False,
        )
        return await self.get(clinic_id, broadcast_id)

    async def cancel(self, clinic_id: int, broadcast_id: int, *, now: datetime) -> bool:
        """Stop a draft or a delivery in progress; rows not yet sent are cancelled."""
        result = await self._session.execute(
            update(BroadcastRow)
            .where(
                BroadcastRow.id == broadcast_id,
                BroadcastRow.clinic_id == clinic_id,
                BroadcastRow.state.in_([BroadcastState.DRAFT.value, BroadcastState.SENDING.value]),
            )
            .values(state=BroadcastState.CANCELLED.value, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 0:
            return False
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.broadcast_id == broadcast_id, OutboxRow.state.in_(LIVE_STATES))
            .values(state="cancelled", claimed_by=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return True

    async def finish_if_done(self, broadcast_id: int, *, now: datetime) -> Broadcast | None:
        """Mark a sending broadcast done once no delivery is pending or claimed.

        The broadcast when it is (now or already) done, else None. Takes no clinic: the
        dispatcher calls it after recording an outcome of one of its rows.
        """
        still_live = exists().where(
            OutboxRow.broadcast_id == broadcast_id, OutboxRow.state.in_(LIVE_STATES)
        )
        await self._session.execute(
            update(BroadcastRow)
            .where(
                BroadcastRow.id == broadcast_id,
                BroadcastRow.state == BroadcastState.SENDING.value,
                ~still_live,
            )
            .values(state=BroadcastState.DONE.value, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        row = await self._session.scalar(
            select(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .execution_options(populate_existing=True)
        )
        if row is None or row.state != BroadcastState.DONE.value:
            return None
        return to_broadcast(row)

    async def outstanding(self, clinic_id: int, broadcast_id: int) -> int:
        """Deliveries of this broadcast not yet sent, failed or cancelled."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .join(BroadcastRow, BroadcastRow.id == OutboxRow.broadcast_id)
            .where(
                BroadcastRow.clinic_id == clinic_id,
                OutboxRow.broadcast_id == broadcast_id,
                OutboxRow.state.in_(LIVE_STATES),
            )
        )
        return int(count or 0)
