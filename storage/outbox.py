"""The outbox: every message the bot sends on its own initiative, and its delivery state.

Claiming is atomic per backend. PostgreSQL: one UPDATE whose candidate rows come from
`SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers get disjoint batches without
waiting on each other. SQLite: the same single UPDATE inside a write transaction (every
read-write unit of work begins IMMEDIATE), so claims are serialised by the database lock.
Recording an outcome checks `claimed_by`, so a worker whose lease was taken over cannot
overwrite the new owner's result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql import Select

from storage._base import Repository, rowcount
from storage.models import BroadcastRow, OutboxRow
from storage.records import (
    AddResult,
    NewMessage,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    OutboxStats,
    Priority,
)
from storage.types import UTCDateTime

# Rows per multi-VALUES INSERT: 17 columns x 1,000 stays under every driver's bind limit.
_INSERT_CHUNK = 1000
# Rows per bulk "sent" UPDATE: 5 binds a row stays far under every driver's bind limit.
_SENT_CHUNK = 500
LIVE_STATES = (OutboxState.PENDING.value, OutboxState.CLAIMED.value)


def to_message(row: OutboxRow) -> OutboxMessage:
    """The record of a row."""
    return OutboxMessage(
        id=row.id,
        kind=OutboxKind(row.kind),
        patient_id=row.patient_id,
        chat_id=row.chat_id,
        due_at=row.due_at,
        payload=row.payload,
        dedupe_key=row.dedupe_key,
        state=OutboxState(row.state),
        priority=row.priority,
        attempts=row.attempts,
        last_error=row.last_error,
        claimed_by=row.claimed_by,
        lease_until=row.lease_until,
        sent_at=row.sent_at,
        telegram_message_id=row.telegram_message_id,
        broadcast_id=row.broadcast_id,
        created_at=row.created_at,
    )


def _sorted(rows: Iterable[OutboxRow]) -> list[OutboxMessage]:
    return sorted((to_message(row) for row in rows), key=lambda m: (m.priority, m.due_at, m.id))


class OutboxRepository(Repository):
    """Outbox rows: planning (add, cancel) and delivery (claim, record the outcome)."""

    async def add(self, message: NewMessage, *, now: datetime) -> OutboxMessage | None:
        """Add one message; None if its dedupe key already has a live or finished row."""
        result = await self.add_many([message], now=now)
        fresh = result.added or result.revived
        return fresh[0] if fresh else None

    async def add_many(
        self,
        messages: Sequence[NewMessage],
        *,
        now: datetime,
        revive_cancelled: bool = True,
    ) -> AddResult:
        """Add messages; a key that already has a row is reported, never duplicated.

        A key whose row was cancelled is made pending again with the new due time and
        payload (`revive_cancelled`): a re-plan cancels a reminder and adds it back under the
        same key when its time moves. Rows that are pending, claimed, sent or failed are left
        alone and their (patient_id, key) is reported in `existing`, as is the second of two
        messages with one key in the same call.
        """
        unique: dict[tuple[int, str], NewMessage] = {}
        repeated: list[tuple[int, str]] = []
        for message in messages:
            key = (message.patient_id, message.dedupe_key)
            if key in unique:
                repeated.append(key)
            else:
                unique[key] = message
        batch = list(unique.values())
        added: list[OutboxRow] = []
        for start in range(0, len(batch), _INSERT_CHUNK):
            chunk = batch[start : start + _INSERT_CHUNK]
            statement = (
                self._insert(OutboxRow)
                .values([_values(message, now) for message in chunk])
                .on_conflict_do_nothing(index_elements=[OutboxRow.patient_id, OutboxRow.dedupe_key])
                .returning(OutboxRow)
            )
            added.extend((await self._session.scalars(statement)).all())
        inserted = {(row.patient_id, row.dedupe_key) for row in added}
        conflicts = [key for key in unique if key not in inserted]
        revived: list[OutboxRow] = []
        existing: list[tuple[int, str]] = []
        for key in conflicts:
            row = await self._revive(unique[key], now) if revive_cancelled else None
            if row is None:
                existing.append(key)
            else:
                revived.append(row)
        return AddResult(
            added=tuple(_sorted(added)),
            revived=tuple(_sorted(revived)),
            existing=tuple(sorted(existing + repeated)),
        )

    async def _revive(self, message: NewMessage, now: datetime) -> OutboxRow | None:
        values = _values(message, now)
        del values["patient_id"], values["dedupe_key"]
        statement = (
            update(OutboxRow)
            .where(
                OutboxRow.patient_id == message.patient_id,
                OutboxRow.dedupe_key == message.dedupe_key,
                OutboxRow.state == OutboxState.CANCELLED.value,
            )
            .values(**values)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self._session.scalars(statement)).one_or_none()

    async def get(self, patient_id: int, message_id: int) -> OutboxMessage | None:
        """One of the patient's messages (for a button on it), or None if not theirs."""
        row = await self._session.scalar(
            select(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.patient_id == patient_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else to_message(row)

    async def pending_for_patient(
        self, patient_id: int, *, kind: OutboxKind | None = None
    ) -> list[OutboxMessage]:
        """The patient's pending messages (not yet claimed), soonest first."""
        statement = select(OutboxRow).where(
            OutboxRow.patient_id == patient_id,
            OutboxRow.state == OutboxState.PENDING.value,
        )
        if kind is not None:
            statement = statement.where(OutboxRow.kind == OutboxKind(kind).value)
        rows = await self._session.scalars(
            statement.order_by(OutboxRow.due_at, OutboxRow.id).execution_options(
                populate_existing=True
            )
        )
        return [to_message(row) for row in rows]

    async def in_series(self, patient_id: int, key: str) -> list[OutboxMessage]:
        """The patient's rows keyed `key` or `key:N` (a series of one action), oldest first.

        `key` must hold no LIKE wildcard (ours are `snooze:<id>`); any `:N` suffix is matched.
        """
        rows = await self._session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.patient_id == patient_id,
                or_(OutboxRow.dedupe_key == key, OutboxRow.dedupe_key.like(f"{key}:%")),
            )
            .order_by(OutboxRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_message(row) for row in rows]

    async def cancel(self, patient_id: int, keys: Iterable[str]) -> int:
        """Cancel the patient's pending or claimed messages with these keys; how many."""
        wanted = list(keys)
        if not wanted:
            return 0
        result = await self._session.execute(
            _cancel_statement(patient_id).where(OutboxRow.dedupe_key.in_(wanted))
        )
        return rowcount(result)

    async def cancel_all_pending(self, patient_id: int, *, blocked: bool = False) -> int:
        """Cancel everything the patient still has to receive (/stop, /delete, a block).

        With `blocked`, each cancelled broadcast delivery counts as blocked in its broadcast.
        """
        if blocked:
            per_broadcast = await self._session.execute(
                select(OutboxRow.broadcast_id, func.count())
                .where(
                    OutboxRow.patient_id == patient_id,
                    OutboxRow.state.in_(LIVE_STATES),
                    OutboxRow.broadcast_id.is_not(None),
                )
                .group_by(OutboxRow.broadcast_id)
            )
            for broadcast_id, count in per_broadcast.tuples():
                await self._count(broadcast_id, blocked=count)
        return rowcount(await self._session.execute(_cancel_statement(patient_id)))

    async def due_pending(
        self,
        *,
        now: datetime,
        kinds: Iterable[OutboxKind],
        after_patient_id: int = 0,
        max_patients: int = 500,
    ) -> list[OutboxMessage]:
        """Pending messages of `kinds` due by `now`, for the next `max_patients` patients.

        Patients come in id order above `after_patient_id` (a keyset walk), each with all of
        their due messages, so that a caller can weigh one patient's messages together
        (the downtime policy: overtaken and very late reminders).
        """
        wanted = [OutboxKind(kind).value for kind in kinds]
        due = and_(
            OutboxRow.state == OutboxState.PENDING.value,
            OutboxRow.due_at <= now,
            OutboxRow.kind.in_(wanted),
        )
        patients = (
            select(OutboxRow.patient_id)
            .where(due, OutboxRow.patient_id > after_patient_id)
            .group_by(OutboxRow.patient_id)
            .order_by(OutboxRow.patient_id)
            .limit(max_patients)
            .scalar_subquery()
        )
        rows = await self._session.scalars(
            select(OutboxRow)
            .where(due, OutboxRow.patient_id.in_(patients))
            .order_by(OutboxRow.patient_id, OutboxRow.due_at, OutboxRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_message(row) for row in rows]

    async def drop(self, message_ids: Iterable[int], *, reason: str) -> int:
        """Cancel pending or claimed messages by id, keeping why in `last_error`; how many.

        For messages that must not go out after all (a downtime policy, a paused patient
        found at send time); a re-plan may revive the key like any cancelled row.
        """
        wanted = list(message_ids)
        if not wanted:
            return 0
        result = await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(wanted), OutboxRow.state.in_(LIVE_STATES))
            .values(
                state=OutboxState.CANCELLED.value,
                last_error=reason,
                claimed_by=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)

    async def claim_due(
        self, *, now: datetime, worker_id: str, limit: int = 100, lease_seconds: float = 60
    ) -> list[OutboxMessage]:
        """Claim up to `limit` due messages for `worker_id` until `now + lease_seconds`.

        Due: pending with `due_at <= now`, or claimed by anyone whose lease ran out.
        Order: priority (reminders first), then due time. Commit the unit of work at once
        so that the claim is visible to other workers.
        """
        if limit <= 0:
            return []
        rows = await self._session.execute(
            _claim_statement(self._is_postgresql),
            {
                "now": now,
                "limit": limit,
                "worker_id": worker_id,
                "lease_until": now + timedelta(seconds=lease_seconds),
            },
        )
        messages = [_message_from_row(row) for row in rows.mappings()]
        return sorted(messages, key=lambda m: (m.priority, m.due_at, m.id))

    async def mark_sent(
        self,
        message_id: int,
        *,
        worker_id: str,
        now: datetime,
        telegram_message_id: int | None = None,
    ) -> bool:
        """Record delivery; False (and nothing changes) unless the row is still ours."""
        ours, broadcast_id = await self._finish(
            message_id,
            worker_id,
            state=OutboxState.SENT.value,
            sent_at=now,
            telegram_message_id=telegram_message_id,
            lease_until=None,
        )
        if ours:
            await self._count(broadcast_id, sent=1)
        return ours

    async def mark_sent_many(
        self, deliveries: Sequence[tuple[int, int | None, datetime]], *, worker_id: str
    ) -> list[int]:
        """Record many deliveries (id, Telegram message id, sent at) in one statement per
        500; the ids that were still ours (the others changed nothing)."""
        outbox = cast(Table, OutboxRow.__table__)
        recorded: list[int] = []
        per_broadcast: Counter[int] = Counter()
        for start in range(0, len(deliveries), _SENT_CHUNK):
            chunk = deliveries[start : start + _SENT_CHUNK]
            # One CASE per column keeps each row's own values in a single UPDATE; the typed
            # literals go through UTCDateTime like any other bind.
            telegram_ids = case(
                {mid: literal(tid, BigInteger()) for mid, tid, _ in chunk}, value=outbox.c.id
            )
            sent_at = case(
                {mid: literal(at, UTCDateTime()) for mid, _, at in chunk}, value=outbox.c.id
            )
            result = await self._session.execute(
                update(outbox)
                .where(
                    outbox.c.id.in_([mid for mid, _, _ in chunk]),
                    outbox.c.state == OutboxState.CLAIMED.value,
                    outbox.c.claimed_by == worker_id,
                )
                .values(
                    state=OutboxState.SENT.value,
                    sent_at=sent_at,
                    telegram_message_id=telegram_ids,
                    lease_until=None,
                )
                .returning(outbox.c.id, outbox.c.broadcast_id)
            )
            for message_id, broadcast_id in result.tuples():
                recorded.append(message_id)
                if broadcast_id is not None:
                    per_broadcast[broadcast_id] += 1
        for broadcast_id, count in sorted(per_broadcast.items()):
            await self._count(broadcast_id, sent=count)
        return sorted(recorded)

    async def mark_failed(
        self, message_id: int, *, worker_id: str, reason: str, blocked: bool = False
    ) -> bool:
        """Record a final failure with its reason; False unless the row is still ours.

        `blocked` says the failure was the patient blocking the bot (for broadcast counts).
        """
        ours, broadcast_id = await self._finish(
            message_id,
            worker_id,
            state=OutboxState.FAILED.value,
            last_error=reason,
            attempts=OutboxRow.attempts + 1,
            lease_until=None,
        )
        if ours:
            await self._count(broadcast_id, blocked=int(blocked), failed=int(not blocked))
        return ours

    async def retry_later(
        self, message_id: int, *, worker_id: str, due_at: datetime, error: str
    ) -> bool:
        """Put the message back to pending at `due_at` with one more attempt counted."""
        result = await self._session.execute(
            _owned(message_id, worker_id).values(
                state=OutboxState.PENDING.value,
                due_at=due_at,
                last_error=error,
                attempts=OutboxRow.attempts + 1,
                claimed_by=None,
                lease_until=None,
            )
        )
        return rowcount(result) > 0

    async def release(self, worker_id: str, *, message_ids: Iterable[int] | None = None) -> int:
        """Give back claimed rows unsent (graceful shutdown): pending again, no attempt used."""
        statement = (
            update(OutboxRow)
            .where(
                OutboxRow.state == OutboxState.CLAIMED.value,
                OutboxRow.claimed_by == worker_id,
            )
            .values(state=OutboxState.PENDING.value, claimed_by=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if message_ids is not None:
            statement = statement.where(OutboxRow.id.in_(list(message_ids)))
        return rowcount(await self._session.execute(statement))

    async def extend_lease(
        self, message_ids: Iterable[int], *, worker_id: str, lease_until: datetime
    ) -> int:
        """Keep a long-running batch ours; how many of the rows still were."""
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(list(message_ids)),
                OutboxRow.state == OutboxState.CLAIMED.value,
                OutboxRow.claimed_by == worker_id,
            )
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)

    async def stats(self, *, now: datetime) -> OutboxStats:
        """Depth figures for metrics: pending, due now, claimed, and the oldest due time."""
        counts = await self._session.execute(
            select(
                func.count().filter(OutboxRow.state == OutboxState.PENDING.value),
                func.count().filter(
                    OutboxRow.state == OutboxState.PENDING.value, OutboxRow.due_at <= now
                ),
                func.count().filter(OutboxRow.state == OutboxState.CLAIMED.value),
            ).where(OutboxRow.state.in_(LIVE_STATES))
        )
        pending, due, claimed = counts.one()
        return OutboxStats(
            pending=int(pending),
            due=int(due),
            claimed=int(claimed),
            oldest_due_at=await self.next_due_at(),
        )

    async def next_due_at(self) -> datetime | None:
        """The earliest due time of any pending message (overdue ones included); None if none.

        Cheap enough to ask after every idle dispatch: one index probe per priority.
        """
        # min() per priority stays on the partial index; one min() over all would not.
        oldest = [
            select(func.min(OutboxRow.due_at))
            .where(
                OutboxRow.state == OutboxState.PENDING.value,
                OutboxRow.priority == int(priority),
            )
            .scalar_subquery()
            for priority in Priority
        ]
        firsts = (await self._session.execute(select(*oldest))).one()
        known = [value for value in firsts if value is not None]
        return min(known) if known else None

    async def count_sent_since(self, patient_ids: Sequence[int], *, since: datetime) -> int:
        """Messages sent to these patients since `since` (for clinic statistics)."""
        if not patient_ids:
            return 0
        count = await self._session.scalar(
            select(func.count()).where(
                OutboxRow.patient_id.in_(list(patient_ids)),
                OutboxRow.state == OutboxState.SENT.value,
                OutboxRow.sent_at >= since,
            )
        )
        return int(count or 0)

    async def purge_finished(self, *, before: datetime) -> int:
        """Delete sent, failed and cancelled rows older than `before` (housekeeping)."""
        result = await self._session.execute(
            delete(OutboxRow).where(
                OutboxRow.state.not_in(LIVE_STATES),
                OutboxRow.due_at < before,
            )
        )
        return rowcount(result)

    async def _finish(
        self, message_id: int, worker_id: str, **values: Any
    ) -> tuple[bool, int | None]:
        returned = await self._session.execute(
            _owned(message_id, worker_id).values(**values).returning(OutboxRow.broadcast_id)
        )
        row = returned.first()
        return (False, None) if row is None else (True, row[0])

    async def _count(
        self, broadcast_id: int | None, *, sent: int = 0, blocked: int = 0, failed: int = 0
    ) -> None:
        if broadcast_id is None:
            return
        await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .values(
                sent_count=BroadcastRow.sent_count + sent,
                blocked_count=BroadcastRow.blocked_count + blocked,
                failed_count=BroadcastRow.failed_count + failed,
            )
            .execution_options(synchronize_session=False)
        )


@cache
def _claim_statement(postgresql: bool) -> Any:
    """The claim as one UPDATE ... RETURNING, built once per backend.

    Binds: now, limit, worker_id, lease_until. It runs on the table, not the ORM entity,
    so a batch comes back as plain rows without identity-map bookkeeping (every read in
    this module uses populate_existing, so no stale entity can be seen afterwards).
    """
    outbox = cast(Table, OutboxRow.__table__)
    now = bindparam("now", type_=UTCDateTime())
    limit = bindparam("limit", type_=Integer())
    # One index range scan per priority (ix_outbox_pending_due) beats one scan over
    # (priority, due_at), which would wade through every future reminder before reaching a
    # due broadcast.
    members: list[Select[Any]] = [
        select(outbox.c.id, outbox.c.priority, outbox.c.due_at)
        .where(
            outbox.c.state == OutboxState.PENDING.value,
            outbox.c.priority == int(priority),
            outbox.c.due_at <= now,
        )
        .order_by(outbox.c.due_at)
        .limit(limit)
        for priority in Priority
    ]
    members.append(
        select(outbox.c.id, outbox.c.priority, outbox.c.due_at)
        .where(outbox.c.state == OutboxState.CLAIMED.value, outbox.c.lease_until < now)
        .order_by(outbox.c.lease_until)
        .limit(limit)
    )
    if postgresql:
        members = [member.with_for_update(skip_locked=True) for member in members]
    # Each member is wrapped so that its ORDER BY / LIMIT / FOR UPDATE stay its own.
    wrapped = []
    for index, member in enumerate(members):
        inner = member.subquery(f"c{index}")
        wrapped.append(select(inner.c.id, inner.c.priority, inner.c.due_at))
    candidates = union_all(*wrapped).subquery("candidates")
    chosen = (
        select(candidates.c.id)
        .order_by(candidates.c.priority, candidates.c.due_at, candidates.c.id)
        .limit(limit)
    )
    claimable = or_(
        and_(outbox.c.state == OutboxState.PENDING.value, outbox.c.due_at <= now),
        and_(outbox.c.state == OutboxState.CLAIMED.value, outbox.c.lease_until < now),
    )
    return (
        update(outbox)
        # The claimable test repeats here so that PostgreSQL re-checks it on a row that a
        # concurrent claim committed after our snapshot (it re-evaluates the WHERE).
        .where(outbox.c.id.in_(chosen), claimable)
        .values(
            state=OutboxState.CLAIMED.value,
            claimed_by=bindparam("worker_id", type_=String()),
            lease_until=bindparam("lease_until", type_=UTCDateTime()),
        )
        .returning(*outbox.c)
    )


def _message_from_row(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        kind=OutboxKind(row["kind"]),
        patient_id=row["patient_id"],
        chat_id=row["chat_id"],
        due_at=row["due_at"],
        payload=row["payload"],
        dedupe_key=row["dedupe_key"],
        state=OutboxState(row["state"]),
        priority=row["priority"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        claimed_by=row["claimed_by"],
        lease_until=row["lease_until"],
        sent_at=row["sent_at"],
        telegram_message_id=row["telegram_message_id"],
        broadcast_id=row["broadcast_id"],
        created_at=row["created_at"],
    )


def _owned(message_id: int, worker_id: str) -> Any:
    return (
        update(OutboxRow)
        .where(
            OutboxRow.id == message_id,
            OutboxRow.state == OutboxState.CLAIMED.value,
            OutboxRow.claimed_by == worker_id,
        )
        .execution_options(synchronize_session=False)
    )


def _cancel_statement(patient_id: int) -> Any:
    return (
        update(OutboxRow)
        .where(OutboxRow.patient_id == patient_id, OutboxRow.state.in_(LIVE_STATES))
        .values(state=OutboxState.CANCELLED.value, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def _values(message: NewMessage, now: datetime) -> dict[str, Any]:
    kind = OutboxKind(message.kind)
    priority = Priority.for_kind(kind) if message.priority is None else message.priority
    return {
        "kind": kind.value,
        "patient_id": message.patient_id,
        "chat_id": message.chat_id,
        "due_at": message.due_at,
        "payload": dict(message.payload),
        "dedupe_key": message.dedupe_key,
        "state": OutboxState.PENDING.value,
        "priority": int(priority),
        "attempts": 0,
        "last_error": None,
        "claimed_by": None,
        "lease_until": None,
        "sent_at": None,
        "telegram_message_id": None,
        "broadcast_id": message.broadcast_id,
        "clinic_id": message.clinic_id,
        "created_at": now,
    }
