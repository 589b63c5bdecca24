"""Clinics: links that join patients or make staff, the staff check, statistics, operator tasks.

Deep-link payloads (`/start PAYLOAD`, Telegram allows A-Z a-z 0-9 _ - and 64 characters):
`j_<join code>` joins a patient to a clinic, `s_<invite code>` makes the opener staff. The
codes are 32 random URL-safe characters (see `storage.clinics.new_code`), so a payload is
34 characters and cannot be guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.usecases.planning import replan
from rules.opening_hours import parse_opening_hours
from storage.clinics import ClinicNameTakenError
from storage.database import Database
from storage.records import (
    UNSET,
    ActorKind,
    Broadcast,
    Clinic,
    ClinicStats,
    StaffInvite,
    StaffMember,
    Unset,
)
from storage.unit_of_work import UnitOfWork

JOIN_PREFIX = "j_"
STAFF_PREFIX = "s_"

__all__ = ["ClinicNameTakenError"]


class NotStaffError(PermissionError):
    """The user is not staff of the clinic they tried to act for."""


class UnknownClinicError(LookupError):
    """No clinic has this name."""


def join_payload(clinic: Clinic) -> str:
    """The /start payload that links a patient to `clinic`."""
    return JOIN_PREFIX + clinic.join_code


def invite_payload(invite: StaffInvite) -> str:
    """The /start payload that makes its opener staff."""
    return STAFF_PREFIX + invite.code


def deep_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`."""
    return f"https://t.me/{bot_username}?start={payload}"


async def require_staff(uow: UnitOfWork, clinic_id: int, telegram_user_id: int) -> Clinic:
    """The clinic if the user is its staff; NotStaffError otherwise (also for unknown ids)."""
    if not await uow.clinics.is_staff(clinic_id, telegram_user_id):
        raise NotStaffError(f"user is not staff of clinic {clinic_id}")
    clinic = await uow.clinics.get(clinic_id)
    if clinic is None:
        raise NotStaffError(f"clinic {clinic_id} does not exist")
    return clinic


async def staff_clinics(database: Database, telegram_user_id: int) -> list[Clinic]:
    """The clinics the user may act for, by name (empty for everyone else)."""
    async with database.unit_of_work(read_only=True) as uow:
        return await uow.clinics.clinics_of_staff(telegram_user_id)


# --- patients joining ----------------------------------------------------------------------

JoinKind = Literal["joined", "already", "ask_switch", "unknown"]


@dataclass(frozen=True)
class JoinOutcome:
    """What opening a join link did. `current` is the clinic the patient is with now."""

    kind: JoinKind
    clinic: Clinic | None = None
    current: Clinic | None = None


async def open_join_link(
    database: Database, patient_id: int, join_code: str, now: datetime
) -> JoinOutcome:
    """Join the clinic of a link; a member of another clinic is asked first (nothing changes)."""
    async with database.unit_of_work() as uow:
        clinic = await uow.clinics.get_by_join_code(join_code)
        if clinic is None:
            return JoinOutcome("unknown")
        membership = await uow.clinics.active_membership(patient_id)
        if membership is not None and membership.clinic_id == clinic.id:
            return JoinOutcome("already", clinic=clinic, current=clinic)
        if membership is not None:
            current = await uow.clinics.get(membership.clinic_id)
            return JoinOutcome("ask_switch", clinic=clinic, current=current)
        await _join(uow, patient_id, clinic, now, switched_from=None)
        await uow.commit()
        return JoinOutcome("joined", clinic=clinic, current=clinic)


async def switch_clinic(
    database: Database, patient_id: int, join_code: str, now: datetime
) -> JoinOutcome:
    """The patient confirmed: leave the current clinic and join the link's one."""
    async with database.unit_of_work() as uow:
        clinic = await uow.clinics.get_by_join_code(join_code)
        if clinic is None:
            return JoinOutcome("unknown")
        membership = await uow.clinics.active_membership(patient_id)
        if membership is not None and membership.clinic_id == clinic.id:
            return JoinOutcome("already", clinic=clinic, current=clinic)
        previous = None if membership is None else membership.clinic_id
        await _join(uow, patient_id, clinic, now, switched_from=previous)
        await uow.commit()
        return JoinOutcome("joined", clinic=clinic, current=clinic)


async def _join(
    uow: UnitOfWork, patient_id: int, clinic: Clinic, now: datetime, *, switched_from: int | None
) -> None:
    if switched_from is not None:
        await uow.audit.record(
            "patient.left_clinic",
            at=now,
            actor_kind=ActorKind.PATIENT,
            clinic_id=switched_from,
            subject_patient_id=patient_id,
            details={"reason": "switched"},
        )
    await uow.clinics.join(patient_id, clinic.id, now=now)
    # The clinic's guidance now applies: its reminders replace the previous ones.
    await replan(uow, patient_id, now)
    await uow.audit.record(
        "patient.joined_clinic",
        at=now,
        actor_kind=ActorKind.PATIENT,
        clinic_id=clinic.id,
        subject_patient_id=patient_id,
    )


# --- statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClinicReport:
    """What /stats and `clinic show` print."""

    clinic: Clinic
    stats: ClinicStats
    staff: tuple[StaffMember, ...]
    broadcasts: tuple[Broadcast, ...]


async def clinic_stats(
    database: Database, clinic_id: int, telegram_user_id: int, now: datetime
) -> ClinicReport:
    """/stats for a staff member of the clinic (NotStaffError for anyone else)."""
    async with database.unit_of_work() as uow:
        clinic = await require_staff(uow, clinic_id, telegram_user_id)
        report = await _report(uow, clinic, now)
        await uow.audit.record(
            "staff.viewed_stats",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinic_id,
        )
        await uow.commit()
        return report


async def _report(uow: UnitOfWork, clinic: Clinic, now: datetime) -> ClinicReport:
    return ClinicReport(
        clinic=clinic,
        stats=await uow.clinics.stats(clinic.id, now=now),
        staff=tuple(await uow.clinics.list_staff(clinic.id)),
        broadcasts=tuple(await uow.broadcasts.recent(clinic.id, limit=5)),
    )


# --- operator tasks (the `interval-bot clinic` CLI) ----------------------------------------------


@dataclass(frozen=True)
class CreatedClinic:
    """A new clinic and its first staff invite."""

    clinic: Clinic
    invite: StaffInvite


async def create_clinic(
    database: Database,
    name: str,
    *,
    timezone: str,
    contact: str | None,
    booking_url: str | None,
    now: datetime,
) -> CreatedClinic:
    """A new clinic with a staff invite; ClinicNameTakenError if the name is used."""
    async with database.unit_of_work() as uow:
        clinic = await uow.clinics.create(
            name, now=now, timezone=timezone, contact=contact, booking_url=booking_url
        )
        invite = await uow.clinics.create_invite(clinic.id, now=now)
        await uow.audit.record(
            "clinic.created", at=now, actor_kind=ActorKind.OPERATOR, clinic_id=clinic.id
        )
        await uow.audit.record(
            "staff.invite_created", at=now, actor_kind=ActorKind.OPERATOR, clinic_id=clinic.id
        )
        await uow.commit()
        return CreatedClinic(clinic, invite)


async def list_clinics(database: Database, now: datetime) -> list[tuple[Clinic, ClinicStats]]:
    """Every clinic with its numbers, by name."""
    async with database.unit_of_work(read_only=True) as uow:
        clinics = await uow.clinics.list_all()
        return [(clinic, await uow.clinics.stats(clinic.id, now=now)) for clinic in clinics]


async def show_clinic(database: Database, name: str, now: datetime) -> ClinicReport:
    """One clinic's numbers, staff and last broadcasts; UnknownClinicError if none."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await _named(uow, name)
        return await _report(uow, clinic, now)


async def update_clinic(
    database: Database,
    name: str,
    now: datetime,
    *,
    timezone: str | Unset = UNSET,
    contact: str | Unset | None = UNSET,
    booking_url: str | Unset | None = UNSET,
    opening_hours: str | Unset | None = UNSET,
    question_reminder_hours: int | Unset = UNSET,
) -> Clinic:
    """Change a clinic's details; UnknownClinicError if none, OpeningHoursError if unreadable."""
    if isinstance(opening_hours, str):
        parse_opening_hours(opening_hours)  # refuse before anything is written
    async with database.unit_of_work() as uow:
        clinic = await _named(uow, name)
        updated = await uow.clinics.update(
            clinic.id,
            timezone=timezone,
            contact=contact,
            booking_url=booking_url,
            opening_hours=opening_hours,
            question_reminder_hours=question_reminder_hours,
        )
        if updated is None:  # pragma: no cover - found by name in this transaction
            raise UnknownClinicError(f"no clinic named {name!r}")
        changed: Sequence[str] = [
            field
            for field, value in (
                ("timezone", timezone),
                ("contact", contact),
                ("booking_url", booking_url),
                ("opening_hours", opening_hours),
                ("question_reminder_hours", question_reminder_hours),
            )
            if value is not UNSET
        ]
        await uow.audit.record(
            "clinic.updated",
            at=now,
            actor_kind=ActorKind.OPERATOR,
            clinic_id=clinic.id,
            details={"fields": list(changed)},
        )
        await uow.commit()
        return updated


async def _named(uow: UnitOfWork, name: str) -> Clinic:
    clinic = await uow.clinics.get_by_name(name)
    if clinic is None:
        raise UnknownClinicError(f"no clinic named {name!r} (see `interval-bot clinic list`)")
    return clinic
