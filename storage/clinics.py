"""Clinics, their staff and staff invites, and patients' memberships."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select, update

from rules.procedures import Procedure
from storage._base import Repository, rowcount
from storage.models import (
    ClinicRow,
    ClinicStaffRow,
    MembershipRow,
    OutboxRow,
    PatientRow,
    StaffInviteRow,
    TreatmentRow,
)
from storage.outbox import LIVE_STATES
from storage.records import (
    UNSET,
    Clinic,
    ClinicStats,
    InviteRedemption,
    Member,
    Membership,
    OutboxKind,
    OutboxState,
    PatientState,
    StaffInvite,
    StaffMember,
    StaffRole,
    Unset,
)

# 24 random bytes -> 32 URL-safe characters: within Telegram's 64-character deep-link
# payload (A-Z a-z 0-9 _ -) with room for a prefix, and far beyond guessing.
CODE_BYTES = 24
INVITE_TTL = timedelta(days=7)


class ClinicNameTakenError(ValueError):
    """Another clinic already has this name."""


def new_code() -> str:
    """An unguessable deep-link-safe code (32 characters of A-Z a-z 0-9 _ -)."""
    return secrets.token_urlsafe(CODE_BYTES)


def to_clinic(row: ClinicRow) -> Clinic:
    """The record of a row."""
    return Clinic(
        id=row.id,
        name=row.name,
        join_code=row.join_code,
        timezone=row.timezone,
        contact=row.contact,
        booking_url=row.booking_url,
        guidance_version=row.guidance_version,
        created_at=row.created_at,
        question_reminder_hours=row.question_reminder_hours,
        opening_hours=row.opening_hours,
    )


def to_membership(row: MembershipRow) -> Membership:
    """The record of a row."""
    return Membership(
        id=row.id,
        patient_id=row.patient_id,
        clinic_id=row.clinic_id,
        joined_at=row.joined_at,
        left_at=row.left_at,
    )


def _staff(row: ClinicStaffRow) -> StaffMember:
    return StaffMember(
        clinic_id=row.clinic_id,
        telegram_user_id=row.telegram_user_id,
        role=StaffRole(row.role),
        added_at=row.added_at,
        display_name=row.display_name,
        language=row.language,
    )


def _invite(row: StaffInviteRow) -> StaffInvite:
    return StaffInvite(
        id=row.id,
        code=row.code,
        clinic_id=row.clinic_id,
        role=StaffRole(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by=row.used_by,
        revoked_at=row.revoked_at,
    )


_FRESH: dict[str, Any] = {"populate_existing": True}


class ClinicRepository(Repository):
    """Clinics with their staff, invites and memberships."""

    # --- clinics -------------------------------------------------------------------------

    async def create(
        self,
        name: str,
        *,
        now: datetime,
        timezone: str = "UTC",
        contact: str | None = None,
        booking_url: str | None = None,
    ) -> Clinic:
        """A new clinic with a fresh join code; ClinicNameTakenError if the name is used."""
        statement = (
            self._insert(ClinicRow)
            .values(
                name=name,
                join_code=new_code(),
                timezone=timezone,
                contact=contact,
                booking_url=booking_url,
                guidance_version=0,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[ClinicRow.name])
            .returning(ClinicRow.id)
        )
        clinic_id = (await self._session.execute(statement)).scalar_one_or_none()
        if clinic_id is None:
            raise ClinicNameTakenError(f"a clinic named {name!r} already exists")
        clinic = await self.get(clinic_id)
        if clinic is None:  # pragma: no cover - inserted by this very unit of work
            raise RuntimeError(f"clinic {clinic_id} vanished after its insert")
        return clinic

    async def get(self, clinic_id: int) -> Clinic | None:
        """The clinic with this id, or None."""
        row = await self._session.get(ClinicRow, clinic_id, populate_existing=True)
        return None if row is None else to_clinic(row)

    async def get_by_name(self, name: str) -> Clinic | None:
        """The clinic with this exact name, or None."""
        row = await self._session.scalar(
            select(ClinicRow).where(ClinicRow.name == name).execution_options(**_FRESH)
        )
        return None if row is None else to_clinic(row)

    async def get_by_join_code(self, join_code: str) -> Clinic | None:
        """The clinic a patient's join link names, or None."""
        row = await self._session.scalar(
            select(ClinicRow).where(ClinicRow.join_code == join_code).execution_options(**_FRESH)
        )
        return None if row is None else to_clinic(row)

    async def list_all(self) -> list[Clinic]:
        """Every clinic, by name."""
        rows = await self._session.scalars(
            select(ClinicRow).order_by(ClinicRow.name).execution_options(**_FRESH)
        )
        return [to_clinic(row) for row in rows]

    async def update(
        self,
        clinic_id: int,
        *,
        timezone: str | Unset = UNSET,
        contact: str | Unset | None = UNSET,
        booking_url: str | Unset | None = UNSET,
        question_reminder_hours: int | Unset = UNSET,
        opening_hours: str | Unset | None = UNSET,
    ) -> Clinic | None:
        """Change the given fields; the clinic after the change, or None if unknown."""
        given = {
            name: value
            for name, value in {
                "timezone": timezone,
                "contact": contact,
                "booking_url": booking_url,
                "question_reminder_hours": question_reminder_hours,
                "opening_hours": opening_hours,
            }.items()
            if value is not UNSET
        }
        if given:
            await self._session.execute(
                update(ClinicRow).where(ClinicRow.id == clinic_id).values(**given)
            )
        return await self.get(clinic_id)

    async def rotate_join_code(self, clinic_id: int) -> Clinic | None:
        """Issue a new join code; old links stop working."""
        await self._session.execute(
            update(ClinicRow).where(ClinicRow.id == clinic_id).values(join_code=new_code())
        )
        return await self.get(clinic_id)

    # --- staff ---------------------------------------------------------------------------

    async def add_staff(
        self,
        clinic_id: int,
        telegram_user_id: int,
        *,
        now: datetime,
        role: StaffRole = StaffRole.STAFF,
        display_name: str | None = None,
        language: str | None = None,
    ) -> StaffMember:
        """Make a user staff of a clinic (an existing member keeps their role)."""
        await self._session.execute(
            self._insert(ClinicStaffRow)
            .values(
                clinic_id=clinic_id,
                telegram_user_id=telegram_user_id,
                role=StaffRole(role).value,
                added_at=now,
                display_name=None if display_name is None else display_name[:200],
                language=None if language is None else language[:8],
            )
            .on_conflict_do_nothing(
                index_elements=[ClinicStaffRow.clinic_id, ClinicStaffRow.telegram_user_id]
            )
        )
        member = await self.staff_member(clinic_id, telegram_user_id)
        if member is None:  # pragma: no cover - the upsert above guarantees the row
            raise RuntimeError(f"staff {telegram_user_id} of clinic {clinic_id} vanished")
        return member

    async def remove_staff(self, clinic_id: int, telegram_user_id: int) -> bool:
        """Remove a user from a clinic's staff."""
        result = await self._session.execute(
            delete(ClinicStaffRow).where(
                ClinicStaffRow.clinic_id == clinic_id,
                ClinicStaffRow.telegram_user_id == telegram_user_id,
            )
        )
        return rowcount(result) > 0

    async def set_role(self, clinic_id: int, telegram_user_id: int, role: StaffRole) -> bool:
        """Give a member another role; False if they are not staff of the clinic."""
        result = await self._session.execute(
            update(ClinicStaffRow)
            .where(
                ClinicStaffRow.clinic_id == clinic_id,
                ClinicStaffRow.telegram_user_id == telegram_user_id,
            )
            .values(role=StaffRole(role).value)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) > 0

    async def lock_staff(self, clinic_id: int) -> None:
        """Serialise staff changes of one clinic (so the last owner cannot be removed twice).

        PostgreSQL takes the clinic's row lock; SQLite's BEGIN IMMEDIATE already serialises.
        """
        if self._is_postgresql:
            await self._session.execute(
                select(ClinicRow.id).where(ClinicRow.id == clinic_id).with_for_update()
            )

    async def owners(self, clinic_id: int) -> list[StaffMember]:
        """The clinic's owners, earliest first."""
        return [m for m in await self.list_staff(clinic_id) if m.role is StaffRole.OWNER]

    async def staff_member(self, clinic_id: int, telegram_user_id: int) -> StaffMember | None:
        """The user's staff record at this clinic, or None: the authorisation check."""
        row = await self._session.scalar(
            select(ClinicStaffRow)
            .where(
                ClinicStaffRow.clinic_id == clinic_id,
                ClinicStaffRow.telegram_user_id == telegram_user_id,
            )
            .execution_options(**_FRESH)
        )
        return None if row is None else _staff(row)

    async def is_staff(self, clinic_id: int, telegram_user_id: int) -> bool:
        """Whether the user may act for this clinic."""
        return await self.staff_member(clinic_id, telegram_user_id) is not None

    async def list_staff(self, clinic_id: int) -> list[StaffMember]:
        """A clinic's staff, earliest first."""
        rows = await self._session.scalars(
            select(ClinicStaffRow)
            .where(ClinicStaffRow.clinic_id == clinic_id)
            .order_by(ClinicStaffRow.added_at, ClinicStaffRow.telegram_user_id)
            .execution_options(**_FRESH)
        )
        return [_staff(row) for row in rows]

    async def clinics_of_staff(self, telegram_user_id: int) -> list[Clinic]:
        """The clinics this user is staff of, by name."""
        rows = await self._session.scalars(
            select(ClinicRow)
            .join(ClinicStaffRow, ClinicStaffRow.clinic_id == ClinicRow.id)
            .where(ClinicStaffRow.telegram_user_id == telegram_user_id)
            .order_by(ClinicRow.name)
            .execution_options(**_FRESH)
        )
        return [to_clinic(row) for row in rows]

    # --- staff invites -------------------------------------------------------------------

    async def create_invite(
        self,
        clinic_id: int,
        *,
        now: datetime,
        ttl: timedelta = INVITE_TTL,
        created_by: int | None = None,
        role: StaffRole = StaffRole.STAFF,
    ) -> StaffInvite:
        """A new single-use staff invite that expires after `ttl`."""
        row = StaffInviteRow(
            code=new_code(),
            clinic_id=clinic_id,
            role=StaffRole(role).value,
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
        )
        self._session.add(row)
        await self._session.flush()
        return _invite(row)

    async def invites(self, clinic_id: int, *, limit: int = 50) -> list[StaffInvite]:
        """The clinic's invites, newest first."""
        rows = await self._session.scalars(
            select(StaffInviteRow)
            .where(StaffInviteRow.clinic_id == clinic_id)
            .order_by(StaffInviteRow.created_at.desc(), StaffInviteRow.id.desc())
            .limit(limit)
            .execution_options(**_FRESH)
        )
        return [_invite(row) for row in rows]

    async def revoke_invite(self, clinic_id: int, invite_id: int, *, now: datetime) -> bool:
        """Withdraw an unused invite of this clinic; False if it is unknown, used or revoked."""
        result = await self._session.execute(
            update(StaffInviteRow)
            .where(
                StaffInviteRow.id == invite_id,
                StaffInviteRow.clinic_id == clinic_id,
                StaffInviteRow.used_at.is_(None),
                StaffInviteRow.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) > 0

    async def get_invite(self, code: str) -> StaffInvite | None:
        """The invite with this code, or None."""
        row = await self._session.scalar(
            select(StaffInviteRow).where(StaffInviteRow.code == code).execution_options(**_FRESH)
        )
        return None if row is None else _invite(row)

    async def redeem_invite(
        self,
        code: str,
        *,
        telegram_user_id: int,
        now: datetime,
        display_name: str | None = None,
        language: str | None = None,
    ) -> InviteRedemption:
        """Use an invite: the opener becomes staff. Used, expired, revoked invites are refused.

        The invite is taken by one conditional UPDATE, so two people opening it at the same
        moment cannot both get in. A clinic's first member becomes its owner, whatever the
        invite said: someone must be able to manage the staff.
        """
        taken = await self._session.execute(
            update(StaffInviteRow)
            .where(
                StaffInviteRow.code == code,
                StaffInviteRow.used_at.is_(None),
                StaffInviteRow.revoked_at.is_(None),
                StaffInviteRow.expires_at > now,
            )
            .values(used_at=now, used_by=telegram_user_id)
            .returning(StaffInviteRow.clinic_id, StaffInviteRow.role)
            .execution_options(synchronize_session=False)
        )
        row = taken.first()
        if row is None:
            invite = await self.get_invite(code)
            if invite is None:
                return InviteRedemption("unknown")
            if invite.used_at is not None:
                return InviteRedemption("used")
            if invite.revoked_at is not None:
                return InviteRedemption("revoked")
            return InviteRedemption("expired")
        clinic_id, role = row
        await self.lock_staff(clinic_id)
        if not await self.list_staff(clinic_id):
            role = StaffRole.OWNER
        member = await self.add_staff(
            clinic_id,
            telegram_user_id,
            now=now,
            role=StaffRole(role),
            display_name=display_name,
            language=language,
        )
        return InviteRedemption("accepted", clinic_id=clinic_id, role=member.role)

    # --- memberships ---------------------------------------------------------------------

    async def join(self, patient_id: int, clinic_id: int, *, now: datetime) -> Membership:
        """Make the patient a member of this clinic, ending any other active membership.

        Joining the clinic one already belongs to changes nothing. Asking before switching
        is the caller's job.
        """
        if self._is_postgresql:
            # Serialise membership changes per patient; SQLite's BEGIN IMMEDIATE already does.
            await self._session.execute(
                select(PatientRow.id).where(PatientRow.id == patient_id).with_for_update()
            )
        current = await self.active_membership(patient_id)
        if current is not None:
            if current.clinic_id == clinic_id:
                return current
            await self.leave(patient_id, now=now)
        row = MembershipRow(patient_id=patient_id, clinic_id=clinic_id, joined_at=now)
        self._session.add(row)
        await self._session.flush()
        await self._claim_outbox(patient_id, clinic_id)
        return to_membership(row)

    async def _claim_outbox(self, patient_id: int, clinic_id: int | None) -> None:
        """The patient's messages still to send are now counted for this clinic (or none).

        `outbox.clinic_id` is the clinic a message goes out under, kept so that the
        dashboard counts a clinic's reminders with one index range (storage.dashboard).
        """
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.patient_id == patient_id, OutboxRow.state.in_(LIVE_STATES))
            .values(clinic_id=clinic_id)
            .execution_options(synchronize_session=False)
        )

    async def leave(self, patient_id: int, *, now: datetime) -> Membership | None:
        """End the patient's active membership; the ended membership, or None if there was none."""
        result = await self._session.execute(
            update(MembershipRow)
            .where(MembershipRow.patient_id == patient_id, MembershipRow.left_at.is_(None))
            .values(left_at=now)
            .returning(MembershipRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        row = result.scalars().first()
        if row is not None:
            await self._claim_outbox(patient_id, None)
        return None if row is None else to_membership(row)

    async def active_membership(self, patient_id: int) -> Membership | None:
        """The patient's current clinic membership, or None."""
        row = await self._session.scalar(
            select(MembershipRow)
            .where(MembershipRow.patient_id == patient_id, MembershipRow.left_at.is_(None))
            .execution_options(**_FRESH)
        )
        return None if row is None else to_membership(row)

    async def memberships_of(self, patient_id: int) -> list[Membership]:
        """Every membership the patient ever had, oldest first."""
        rows = await self._session.scalars(
            select(MembershipRow)
            .where(MembershipRow.patient_id == patient_id)
            .order_by(MembershipRow.joined_at, MembershipRow.id)
            .execution_options(**_FRESH)
        )
        return [to_membership(row) for row in rows]

    async def members(
        self,
        clinic_id: int,
        *,
        states: tuple[PatientState, ...] | None = None,
        treated_between: tuple[date, date] | None = None,
        procedure: Procedure | None = None,
    ) -> list[Member]:
        """The clinic's current members, by patient id, optionally filtered.

        `states` keeps only patients in those states; `treated_between` (inclusive) keeps
        those with a treatment (of `procedure`, if given) on a date in that range: the
        broadcast audiences "done in the last N days" and "planned in the next N days".
        """
        statement = (
            select(
                PatientRow.id,
                PatientRow.chat_id,
                PatientRow.language,
                PatientRow.state,
                PatientRow.broadcasts_opt_out,
            )
            .join(MembershipRow, MembershipRow.patient_id == PatientRow.id)
            .where(MembershipRow.clinic_id == clinic_id, MembershipRow.left_at.is_(None))
            .order_by(PatientRow.id)
        )
        if states is not None:
            statement = statement.where(PatientRow.state.in_([s.value for s in states]))
        if treated_between is not None:
            first, last = treated_between
            treated = exists().where(
                TreatmentRow.patient_id == PatientRow.id,
                TreatmentRow.on.between(first, last),
            )
            if procedure is not None:
                treated = treated.where(TreatmentRow.procedure == Procedure(procedure))
            statement = statement.where(treated)
        rows = await self._session.execute(statement)
        return [
            Member(
                patient_id=patient_id,
                chat_id=chat_id,
                language=language,
                state=PatientState(state),
                broadcasts_opt_out=opt_out,
            )
            for patient_id, chat_id, language, state, opt_out in rows.tuples()
        ]

    async def member_counts(
        self, clinic_id: int, *, treated_between: tuple[date, date] | None = None
    ) -> dict[tuple[PatientState, bool], int]:
        """How many current members (treated in the window, if given) per (state, opted out).

        The counting twin of `members`, for audiences shown before anyone is written to:
        one aggregate query instead of every member's row.
        """
        statement = (
            select(PatientRow.state, PatientRow.broadcasts_opt_out, func.count())
            .join(MembershipRow, MembershipRow.patient_id == PatientRow.id)
            .where(MembershipRow.clinic_id == clinic_id, MembershipRow.left_at.is_(None))
            .group_by(PatientRow.state, PatientRow.broadcasts_opt_out)
        )
        if treated_between is not None:
            first, last = treated_between
            statement = statement.where(
                exists().where(
                    TreatmentRow.patient_id == PatientRow.id,
                    TreatmentRow.on.between(first, last),
                )
            )
        rows = await self._session.execute(statement)
        return {
            (PatientState(state), bool(opt_out)): int(count)
            for state, opt_out, count in rows.tuples()
        }

    async def stats(self, clinic_id: int, *, now: datetime) -> ClinicStats:
        """Members by state, reminders sent in the last 30 days, and reminders to come."""
        active_members = (
            select(MembershipRow.patient_id)
            .where(MembershipRow.clinic_id == clinic_id, MembershipRow.left_at.is_(None))
            .scalar_subquery()
        )
        by_state = await self._session.execute(
            select(PatientRow.state, func.count())
            .where(PatientRow.id.in_(active_members))
            .group_by(PatientRow.state)
        )
        counts = dict.fromkeys(PatientState, 0)
        for state, count in by_state.tuples():
            counts[PatientState(state)] = count
        reminders = OutboxRow.kind == OutboxKind.REMINDER.value
        sent = await self._session.scalar(
            select(func.count()).where(
                OutboxRow.patient_id.in_(active_members),
                reminders,
                OutboxRow.state == OutboxState.SENT.value,
                OutboxRow.sent_at >= now - timedelta(days=30),
            )
        )
        upcoming = await self._session.scalar(
            select(func.count()).where(
                OutboxRow.patient_id.in_(active_members),
                reminders,
                OutboxRow.state == OutboxState.PENDING.value,
            )
        )
        return ClinicStats(
            members=sum(counts.values()),
            active=counts[PatientState.ACTIVE],
            paused=counts[PatientState.PAUSED],
            blocked=counts[PatientState.BLOCKED],
            reminders_sent_30d=int(sent or 0),
            upcoming_reminders=int(upcoming or 0),
        )
