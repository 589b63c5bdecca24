"""The clinic dashboard's storage: sign-in links, and its figures as aggregate queries.

Every figure is one aggregate statement over indexed columns (see migration 0007), never a
list of rows counted in Python: a clinic of 100,000 members answers in milliseconds
(bench/dashboard_bench.py). Weeks are counted from a start instant the caller chooses, in
whole 7-day steps, on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, literal_column, or_, select, union_all, update

from storage._base import Repository, rowcount
from storage.models import (
    AuditRow,
    DashboardSigninRow,
    MembershipRow,
    OutboxRow,
    PatientRow,
)
from storage.records import SKIPPED, OutboxKind, OutboxState, PatientState

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

    @property
    def skipped(self) -> bool:
        """Not sent because it no longer applied to the member (left, opted out)."""
        return self.reason is not None and self.reason.startswith(SKIPPED)


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

    @staticmethod
    def _reminders(state: OutboxState) -> Any:
        # Written as literals, not parameters: only then may the planner use the partial
        # indexes of migration 0007 (it must see that the query implies their WHERE).
        return and_(
            OutboxRow.kind == literal_column(f"'{OutboxKind.REMINDER.value}'"),
            OutboxRow.state == literal_column(f"'{state.value}'"),
        )

    async def figures(self, clinic_id: int, *, now: datetime) -> Figures:
        """The overview's counts at `now`."""
        by_state = await self._session.execute(
            select(PatientRow.state, func.count())
            .select_from(MembershipRow)
            .join(PatientRow, PatientRow.id == MembershipRow.patient_id)
            .where(MembershipRow.clinic_id == clinic_id, MembershipRow.left_at.is_(None))
            .group_by(PatientRow.state)
        )
        counts = dict.fromkeys(PatientState, 0)
        for state, count in by_state.tuples():
            counts[PatientState(state)] = int(count)
        month = now - timedelta(days=30)
        reminders = await self._session.scalar(
            select(func.count()).where(
                self._reminders(OutboxState.SENT),
                OutboxRow.clinic_id == clinic_id,
                OutboxRow.sent_at >= month,
            )
        )
        booked = await self._session.scalar(
            select(func.count()).where(
                AuditRow.clinic_id == clinic_id,
                AuditRow.action == BOOKED_ACTION,
                AuditRow.at >= month,
            )
        )
        eligible = await self._session.scalar(
            select(func.count(func.distinct(OutboxRow.patient_id))).where(
                self._reminders(OutboxState.PENDING),
                OutboxRow.clinic_id == clinic_id,
                OutboxRow.due_at >= now,
                OutboxRow.due_at < now + timedelta(days=14),
                or_(*(OutboxRow.dedupe_key.like(key) for key in ELIGIBILITY_KEYS)),
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

    async def _per_week(
        self, column: Any, where: Sequence[Any], start: datetime, weeks: int
    ) -> list[int]:
        """Rows per week, as one range count per week (each answered by an index alone)."""
        parts = []
        for week in range(weeks):
            first, last = start + WEEK * week, start + WEEK * (week + 1)
            # The end instant itself (now) belongs to the last week.
            upper = column <= last if week == weeks - 1 else column < last
            parts.append(
                select(literal(week).label("week"), func.count().label("n")).where(
                    *where, column >= first, upper
                )
            )
        result = await self._session.execute(union_all(*parts))
        counts = [0] * weeks
        for week, count in result.tuples():
            counts[int(week)] = int(count)
        return counts

    async def weekly(self, clinic_id: int, *, start: datetime, weeks: int) -> Weekly:
        """Members at each week's end, reminders sent and bookings made in each week."""
        members = MembershipRow.clinic_id == clinic_id
        before = await self._session.scalar(
            select(func.count()).where(
                members,
                MembershipRow.joined_at < start,
                or_(MembershipRow.left_at.is_(None), MembershipRow.left_at >= start),
            )
        )
        joined = await self._per_week(MembershipRow.joined_at, [members], start, weeks)
        left = await self._per_week(MembershipRow.left_at, [members], start, weeks)
        running, series = int(before or 0), []
        for came, went in zip(joined, left, strict=True):
            running += came - went
            series.append(running)
        reminders = await self._per_week(
            OutboxRow.sent_at,
            [self._reminders(OutboxState.SENT), OutboxRow.clinic_id == clinic_id],
            start,
            weeks,
        )
        booked = await self._per_week(
            AuditRow.at,
            [AuditRow.clinic_id == clinic_id, AuditRow.action == BOOKED_ACTION],
            start,
            weeks,
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
