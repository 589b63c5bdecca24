"""A clinic's team: staff invites and who used them, roles, removal, and the join link.

Owners manage the team and change guidance; staff broadcast and read stats. Every change
names who made it: an owner's Telegram user id (checked here, inside the transaction that
changes things), or None for the operator on the command line, who may do anything. A
clinic always keeps at least one owner: removing or demoting the last one is refused, under
the clinic's row lock so that two owners demoting each other cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.usecases.clinics import NotStaffError, UnknownClinicError, require_staff
from storage.clinics import INVITE_TTL
from storage.database import Database
from storage.records import ActorKind, Clinic, StaffInvite, StaffMember, StaffRole
from storage.unit_of_work import UnitOfWork

MAX_DISPLAY_NAME = 200


class NotOwnerError(PermissionError):
    """The user is staff of the clinic but not an owner."""


async def require_owner(uow: UnitOfWork, clinic_id: int, telegram_user_id: int) -> Clinic:
    """The clinic if the user is its owner; NotStaffError or NotOwnerError otherwise."""
    member = await uow.clinics.staff_member(clinic_id, telegram_user_id)
    clinic = await uow.clinics.get(clinic_id)
    if member is None or clinic is None:
        raise NotStaffError(f"user is not staff of clinic {clinic_id}")
    if member.role is not StaffRole.OWNER:
        raise NotOwnerError(f"user is not an owner of clinic {clinic_id}")
    return clinic


async def _allowed(uow: UnitOfWork, clinic_id: int, by: int | None) -> Clinic:
    """The clinic, if `by` (an owner, or None for the operator) may manage its team."""
    if by is not None:
        return await require_owner(uow, clinic_id, by)
    clinic = await uow.clinics.get(clinic_id)
    if clinic is None:
        raise UnknownClinicError(f"no clinic {clinic_id}")
    return clinic


def _actor(by: int | None) -> ActorKind:
    return ActorKind.OPERATOR if by is None else ActorKind.STAFF


async def clinic_id_named(database: Database, name: str) -> int:
    """The id of the clinic with this exact name; UnknownClinicError if none."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await uow.clinics.get_by_name(name)
    if clinic is None:
        raise UnknownClinicError(f"no clinic named {name!r} (see `interval-bot clinic list`)")
    return clinic.id


# --- looking at the team ----------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """What /staff and `clinic staff list` show: members and the invites still open."""

    clinic: Clinic
    members: tuple[StaffMember, ...]
    invites: tuple[StaffInvite, ...]


async def team(database: Database, clinic_id: int, by: int | None, now: datetime) -> Team:
    """The clinic's members and open invites (NotStaffError/NotOwnerError unless allowed)."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await _allowed(uow, clinic_id, by)
        members = await uow.clinics.list_staff(clinic_id)
        invites = [i for i in await uow.clinics.invites(clinic_id) if i.is_open(now)]
    return Team(clinic, tuple(members), tuple(invites))


async def all_invites(database: Database, clinic_id: int) -> list[StaffInvite]:
    """Every invite of the clinic, newest first, whatever became of it (for the operator)."""
    async with database.unit_of_work(read_only=True) as uow:
        return await uow.clinics.invites(clinic_id, limit=200)


# --- changing the team ------------------------------------------------------------------------

MemberChange = Literal["done", "unchanged", "not_staff", "last_owner"]


@dataclass(frozen=True)
class Removal:
    """What removing a member did; `member` as they were, `elsewhere` if still staff of another."""

    kind: MemberChange
    clinic: Clinic
    member: StaffMember | None = None
    elsewhere: bool = False


async def remove_member(
    database: Database, clinic_id: int, member_id: int, by: int | None, now: datetime
) -> Removal:
    """Take a member off the clinic's staff; their buttons and commands stop working at once."""
    async with database.unit_of_work() as uow:
        await uow.clinics.lock_staff(clinic_id)
        clinic = await _allowed(uow, clinic_id, by)
        member = await uow.clinics.staff_member(clinic_id, member_id)
        if member is None:
            return Removal("not_staff", clinic)
        if member.role is StaffRole.OWNER and len(await uow.clinics.owners(clinic_id)) == 1:
            return Removal("last_owner", clinic, member)
        await uow.clinics.remove_staff(clinic_id, member_id)
        elsewhere = bool(await uow.clinics.clinics_of_staff(member_id))
        await uow.audit.record(
            "staff.removed",
            at=now,
            actor_kind=_actor(by),
            actor_id=by,
            clinic_id=clinic_id,
            details={"member": member_id, "role": member.role.value},
        )
        await uow.commit()
        return Removal("done", clinic, member, elsewhere)


async def set_member_role(
    database: Database,
    clinic_id: int,
    member_id: int,
    role: StaffRole,
    by: int | None,
    now: datetime,
) -> MemberChange:
    """Make a member an owner or plain staff; the last owner stays an owner."""
    async with database.unit_of_work() as uow:
        await uow.clinics.lock_staff(clinic_id)
        await _allowed(uow, clinic_id, by)
        member = await uow.clinics.staff_member(clinic_id, member_id)
        if member is None:
            return "not_staff"
        if member.role is role:
            return "unchanged"
        if member.role is StaffRole.OWNER and len(await uow.clinics.owners(clinic_id)) == 1:
            return "last_owner"
        await uow.clinics.set_role(clinic_id, member_id, role)
        await uow.audit.record(
            "staff.role_changed",
            at=now,
            actor_kind=_actor(by),
            actor_id=by,
            clinic_id=clinic_id,
            details={"member": member_id, "old": member.role.value, "new": role.value},
        )
        await uow.commit()
        return "done"


async def create_invite(
    database: Database, clinic_id: int, role: StaffRole, by: int | None, now: datetime
) -> StaffInvite:
    """A new single-use invite that makes its opener `role` (valid for `INVITE_TTL`)."""
    async with database.unit_of_work() as uow:
        await _allowed(uow, clinic_id, by)
        invite = await uow.clinics.create_invite(
            clinic_id, now=now, ttl=INVITE_TTL, created_by=by, role=role
        )
        await uow.audit.record(
            "staff.invite_created",
            at=now,
            actor_kind=_actor(by),
            actor_id=by,
            clinic_id=clinic_id,
            details={"invite": invite.id, "role": role.value},
        )
        await uow.commit()
        return invite


async def revoke_invite(
    database: Database, clinic_id: int, invite_id: int, by: int | None, now: datetime
) -> bool:
    """Withdraw an unused invite; its link then answers "no longer valid". False if none."""
    async with database.unit_of_work() as uow:
        await _allowed(uow, clinic_id, by)
        if not await uow.clinics.revoke_invite(clinic_id, invite_id, now=now):
            return False
        await uow.audit.record(
            "staff.invite_revoked",
            at=now,
            actor_kind=_actor(by),
            actor_id=by,
            clinic_id=clinic_id,
            details={"invite": invite_id},
        )
        await uow.commit()
        return True


async def rotate_join_link(
    database: Database, clinic_id: int, by: int | None, now: datetime
) -> Clinic:
    """A new patient join link; the old one stops working and members stay members."""
    async with database.unit_of_work() as uow:
        await _allowed(uow, clinic_id, by)
        clinic = await uow.clinics.rotate_join_code(clinic_id)
        if clinic is None:  # pragma: no cover - checked by _allowed in this transaction
            raise UnknownClinicError(f"no clinic {clinic_id}")
        await uow.audit.record(
            "clinic.join_link_rotated",
            at=now,
            actor_kind=_actor(by),
            actor_id=by,
            clinic_id=clinic_id,
        )
        await uow.commit()
        return clinic


# --- opening an invite -------------------------------------------------------------------------

InviteKind = Literal["accepted", "already", "used", "expired", "revoked", "unknown"]


@dataclass(frozen=True)
class InviteOutcome:
    """What opening a staff invite did.

    `clinic` is set when the opener is (now) staff; `owners` are the clinic's other owners,
    to be told who joined (only when accepted).
    """

    kind: InviteKind
    clinic: Clinic | None = None
    role: StaffRole | None = None
    owners: tuple[StaffMember, ...] = ()


async def redeem_invite(
    database: Database,
    code: str,
    telegram_user_id: int,
    now: datetime,
    *,
    display_name: str | None = None,
    language: str | None = None,
) -> InviteOutcome:
    """Make the opener staff of the invite's clinic; used, expired, revoked, unknown refused."""
    async with database.unit_of_work() as uow:
        redemption = await uow.clinics.redeem_invite(
            code,
            telegram_user_id=telegram_user_id,
            now=now,
            display_name=None if display_name is None else display_name[:MAX_DISPLAY_NAME],
            language=language,
        )
        if redemption.outcome == "accepted" and redemption.clinic_id is not None:
            await uow.audit.record(
                "staff.invite_redeemed",
                at=now,
                actor_kind=ActorKind.STAFF,
                actor_id=telegram_user_id,
                clinic_id=redemption.clinic_id,
                details={"role": str(redemption.role)},
            )
            clinic = await uow.clinics.get(redemption.clinic_id)
            owners = tuple(
                owner
                for owner in await uow.clinics.owners(redemption.clinic_id)
                if owner.telegram_user_id != telegram_user_id
            )
            await uow.commit()
            return InviteOutcome("accepted", clinic, redemption.role, owners)
        if redemption.outcome == "used":
            # Opening one's own invite again is not an error: say they already are staff.
            invite = await uow.clinics.get_invite(code)
            member = (
                None
                if invite is None
                else await uow.clinics.staff_member(invite.clinic_id, telegram_user_id)
            )
            if invite is not None and member is not None:
                clinic = await uow.clinics.get(invite.clinic_id)
                return InviteOutcome("already", clinic, member.role)
        return InviteOutcome(redemption.outcome)


async def owners_of(database: Database, clinic_id: int, by: int) -> list[StaffMember]:
    """The clinic's owners, for a member of its staff (NotStaffError for anyone else)."""
    async with database.unit_of_work(read_only=True) as uow:
        await require_staff(uow, clinic_id, by)
        return await uow.clinics.owners(clinic_id)
