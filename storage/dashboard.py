"""The clinic dashboard's storage: sign-in links, and its figures as aggregate queries.

Every figure is one aggregate statement over indexed columns (see migration 0007), never a
list of rows counted in Python: a clinic of 100,000 members answers in milliseconds
(bench/dashboard_bench.py). Weeks are counted from a start instant the caller chooses, in
whole 7-day steps, on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, cast, func, literal, or_, select, update

from storage._base import Repository, rowcount
from storage.models import (
    AuditRow,
    DashboardSigninRow,
    MembershipRow,
    OutboxRow,
    PatientRow,
)
from storage.records import OutboxKind, OutboxState, PatientState

# The audit action a "Booked" press after a reminder leaves (bot/usecases/reminders.py).
BOOKED_ACTION = "reminder.booked"
# Reminders that tell a member a procedure is now possible: "upcoming eligibility".
ELIGIBILITY_KEYS = ("may_book:%", "retreatment_due:%")
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Signin:
    """Who a used sign-in link signs in, and for which clinic."""

    telegram_user_id: int
    clinic_id: int


@dataclass(frozen=True, slots=True)
class Figures:
    """A clinic's overview: members by state, reminders, bookings, eligibility to come."""

    active: int
    paused: int
    blocked: int
    reminders_30d: int
    booked_30d: int
    eligible_14d: int


@dataclass(frozen=True, slots=True)
class Weekly:
    """Counts per week from `start` (the last week ends at `start + weeks`, inclusive)."""

    start: datetime
    members: tuple[int, ...]
    reminders: tuple[int, ...]
    booked: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How many deliveries of a broadcast ended in `state`, and why (`reason`)."""

    state: OutboxState
    reason: str | None
    count: int


class DashboardRepository(Repository):
    """Sign-in links and the aggregate figures of one clinic."""

    # --- sign-in links ---------------------------------------------------------------------

    async def add_signin(
        self,
        token_hash: str,
        *,
        telegram_user_id: int,
        clinic_id: int,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Remember a link sent (its hash only)."""
        self._session.add(
            DashboardSigninRow(
                token_hash=token_hash,
                telegram_user_id=telegram_user_id,
                clinic_id=clinic_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self._session.flush()

    async def use_signin(self, token_hash: str, *, now: datetime) -> Signin | None:
        """Mark the link used and say whom it signs in; None if unknown, used or expired.

        One conditional UPDATE: two browsers opening the same link cannot both sign in.
        """
        used = await self._session.execute(
            update(DashboardSigninRow)
            .where(
                DashboardSigninRow.token_hash == token_hash,
                DashboardSigninRow.used_at.is_(None),
                DashboardSigninRow.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(used) == 0:
            return None
        row = await self._session.execute(
            select(DashboardSigninRow.telegram_user_id, DashboardSigninRow.clinic_id).where(
                DashboardSigninRow.token_hash == token_hash
            )
        )
        user, clinic = row.one()
        return Signin(int(user), int(clinic))

    # --- figures ---------------------------------------------------------------------------

    def _members(self, clinic_id: int) -> Any:
        return select(MembershipRow.patient_id).where(
            MembershipRow.clinic_id == clinic_id, MembershipRow.left_at.is_(None)
        )

    def _sent_reminders(self, clinic_id: int, since: datetime) -> Any:
        """Sent reminders of members while they were members of the clinic, since `since`."""
        return (
            select(OutboxRow.sent_at)
            .join(
                MembershipRow,
                and_(
                    MembershipRow.patient_id == OutboxRow.patient_id,
                    MembershipRow.clinic_id == clinic_id,
                    OutboxRow.sent_at >= MembershipRow.joined_at,
                    or_(MembershipRow.left_at.is_(None), OutboxRow.sent_at < MembershipRow.left_at),
                ),
            )
            .where(
                OutboxRow.kind == OutboxKind.REMINDER.value,
                OutboxRow.state == OutboxState.SENT.value,
                OutboxRow.sent_at >= since,
            )
        )

    def _booked(self, clinic_id: int, since: datetime) -> Any:
        return select(AuditRow.at).where(
            AuditRow.clinic_id == clinic_id, AuditRow.action == BOOKED_ACTION, AuditRow.at >= since
        )

    async def figures(self, clinic_id: int, *, now: datetime) -> Figures:
        """The overview's counts at `now`."""
        by_state = await self._session.execute(
            select(PatientRow.state, func.count())
            .where(PatientRow.id.in_(self._members(clinic_id)))
            .group_by(PatientRow.state)
        )
        counts = dict.fromkeys(PatientState, 0)
        for state, count in by_state.tuples():
            counts[PatientState(state)] = int(count)
        month = now - timedelta(days=30)
        sent = self._sent_reminders(clinic_id, month).subquery()
        reminders = await self._session.scalar(select(func.count()).select_from(sent))
        booked_rows = self._booked(clinic_id, month).subquery()
        booked = await self._session.scalar(select(func.count()).select_from(booked_rows))
        eligible = await self._session.scalar(
            select(func.count(func.distinct(OutboxRow.patient_id))).where(
                OutboxRow.state == OutboxState.PENDING.value,
                OutboxRow.kind == OutboxKind.REMINDER.value,
                OutboxRow.due_at >= now,
                OutboxRow.due_at < now + timedelta(days=14),
                or_(*(OutboxRow.dedupe_key.like(key) for key in ELIGIBILITY_KEYS)),
                OutboxRow.patient_id.in_(self._members(clinic_id)),
            )
        )
        return Figures(
            active=counts[PatientState.ACTIVE],
            paused=counts[PatientState.PAUSED],
            blocked=counts[PatientState.BLOCKED],
            reminders_30d=int(reminders or 0),
            booked_30d=int(booked or 0),
            eligible_14d=int(eligible or 0),
        )

    def _week_of(self, column: Any, start: datetime) -> Any:
        """The whole number of weeks from `start` to `column` (>= 0 where column >= start)."""
        if self._is_postgresql:
            seconds = func.extract("epoch", column) - literal(start.timestamp())
            return cast(func.floor(seconds / WEEK.total_seconds()), Integer)
        # SQLite keeps instants as UTC text (storage.types.UTCDateTime), which julianday reads.
        anchor = start.replace(tzinfo=None).isoformat(sep=" ")
        return cast((func.julianday(column) - func.julianday(literal(anchor))) / 7, Integer)

    async def _per_week(self, rows: Any, column: str, start: datetime, weeks: int) -> list[int]:
        sub = rows.subquery()
        week = self._week_of(sub.c[column], start).label("week")
        result = await self._session.execute(select(week, func.count()).group_by(week))
        counts = [0] * weeks
        for index, count in result.tuples():
            # The end instant itself (now) belongs to the last week.
            if index is not None and 0 <= int(index) <= weeks:
                counts[min(int(index), weeks - 1)] += int(count)
        return counts

    async def weekly(self, clinic_id: int, *, start: datetime, weeks: int) -> Weekly:
        """Members at each week's end, reminders sent and bookings made in each week."""
        end = start + WEEK * weeks
        members = MembershipRow.clinic_id == clinic_id
        before = await self._session.scalar(
            select(func.count()).where(
                members,
                MembershipRow.joined_at < start,
                or_(MembershipRow.left_at.is_(None), MembershipRow.left_at >= start),
            )
        )
        joined = await self._per_week(
            select(MembershipRow.joined_at).where(
                members, MembershipRow.joined_at >= start, MembershipRow.joined_at <= end
            ),
            "joined_at",
            start,
            weeks,
        )
        left = await self._per_week(
            select(MembershipRow.left_at).where(
                members, MembershipRow.left_at >= start, MembershipRow.left_at <= end
            ),
            "left_at",
            start,
            weeks,
        )
        running, series = int(before or 0), []
        for came, went in zip(joined, left, strict=True):
            running += came - went
            series.append(running)
        reminders = await self._per_week(
            self._sent_reminders(clinic_id, start).where(OutboxRow.sent_at <= end),
            "sent_at",
            start,
            weeks,
        )
        booked = await self._per_week(
            self._booked(clinic_id, start).where(AuditRow.at <= end), "at", start, weeks
        )
        return Weekly(start, tuple(series), tuple(reminders), tuple(booked))

    async def outcomes(self, broadcast_id: int) -> list[Outcome]:
        """A broadcast's deliveries by state and reason (the report's table)."""
        rows = await self._session.execute(
            select(OutboxRow.state, OutboxRow.last_error, func.count())
            .where(OutboxRow.broadcast_id == broadcast_id)
            .group_by(OutboxRow.state, OutboxRow.last_error)
        )
        return [
            Outcome(OutboxState(state), reason, int(count))
            for state, reason, count in rows.tuples()
        ]
