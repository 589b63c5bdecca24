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
        queued_at=row.queued_at,
        scheduled_for=row.scheduled_for,
    )


# Where the author follows delivery: the progress message that is edited in place, and
# whether the final report went out. Kept in the broadcast's JSON document so that a
# restarted process carries on editing the same message.
REPORT_KEY = "report"


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

    async def queued_since(self, clinic_id: int, since: datetime) -> list[datetime]:
        """When the clinic's broadcasts queued at or after `since` were queued, oldest first."""
        rows = await self._session.execute(
            select(BroadcastRow.queued_at)
            .where(BroadcastRow.clinic_id == clinic_id, BroadcastRow.queued_at >= since)
            .order_by(BroadcastRow.queued_at)
        )
        return [at for (at,) in rows if at is not None]

    async def get(self, clinic_id: int, broadcast_id: int) -> Broadcast | None:
        """The clinic's broadcast, or None (also when it belongs to another clinic)."""
        row = await self._session.scalar(
            select(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.clinic_id == clinic_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else to_broadcast(row)

    async def recent(
        self, clinic_id: int, *, limit: int = 5, drafts: bool = True
    ) -> list[Broadcast]:
        """The clinic's latest broadcasts, newest first (without drafts if `drafts` is False)."""
        statement = select(BroadcastRow).where(BroadcastRow.clinic_id == clinic_id)
        if not drafts:
            statement = statement.where(BroadcastRow.state != BroadcastState.DRAFT.value)
        rows = await self._session.scalars(
            statement.order_by(BroadcastRow.created_at.desc(), BroadcastRow.id.desc())
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
                queued_at=now,
                # Deliveries due later make a scheduled broadcast; it can be cancelled until then.
                scheduled_for=due_at if due_at > now else None,
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
                    clinic_id=clinic_id,
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

    async def set_report_target(
        self,
        clinic_id: int,
        broadcast_id: int,
        *,
        chat_id: int,
        message_id: int,
        language: str,
    ) -> bool:
        """Remember the progress message of a broadcast; False if not this clinic's."""
        row = await self._locked(broadcast_id)
        if row is None or row.clinic_id != clinic_id:
            return False
        row.audience = {
            **row.audience,
            REPORT_KEY: {
                "chat_id": chat_id,
                "message_id": message_id,
                "language": language,
                "reported": False,
            },
        }
        await self._session.flush()
        return True

    async def followed(self, *, finished_since: datetime) -> list[Broadcast]:
        """Broadcasts whose author still awaits news: sending, or finished but unreported."""
        rows = await self._session.scalars(
            select(BroadcastRow)
            .where(
                (BroadcastRow.state == BroadcastState.SENDING.value)
                | (BroadcastRow.finished_at >= finished_since)
            )
            .order_by(BroadcastRow.id)
            .execution_options(populate_existing=True)
        )
        followed = []
        for row in rows:
            report = row.audience.get(REPORT_KEY)
            if isinstance(report, dict) and not report.get("reported"):
                followed.append(to_broadcast(row))
        return followed

    async def mark_reported(self, broadcast_id: int) -> bool:
        """Record that the final report was sent; False if it already was (or no target)."""
        row = await self._locked(broadcast_id)
        report = None if row is None else row.audience.get(REPORT_KEY)
        if row is None or not isinstance(report, dict) or report.get("reported"):
            return False
        row.audience = {**row.audience, REPORT_KEY: {**report, "reported": True}}
        await self._session.flush()
        return True

    async def _locked(self, broadcast_id: int) -> BroadcastRow | None:
        statement = (
            select(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .execution_options(populate_existing=True)
        )
        if self._is_postgresql:
            # Read-modify-write of the JSON document: one writer at a time per broadcast.
            statement = statement.with_for_update()
        row: BroadcastRow | None = await self._session.scalar(statement)
        return row

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

    async def count_in_progress(self) -> int:
        """Broadcasts being delivered, across every clinic (an operator's metric)."""
        count = await self._session.scalar(
            select(func.count()).where(BroadcastRow.state == BroadcastState.SENDING.value)
        )
        return int(count or 0)
