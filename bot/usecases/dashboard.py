"""The clinic dashboard's use-cases: sign-in links, who may see what, and its figures.

The dashboard is another edge of the same use-cases the chat flows call (broadcasts,
guidance, aftercare, team): this module only adds what the web needs on top of them.
A sign-in link is single use, valid `SIGNIN_TTL`, bound to one staff member; only the
SHA-256 of its token is stored. Every page asks `access` first, so a member removed from
the clinic is refused on their very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.usecases.broadcasts import AUDIENCE_WINDOWS, Audience, ReachCount, count_reach
from bot.usecases.clinics import NotStaffError, require_staff
from bot.usecases.guidance import CHANGED, REPLANNED
from storage.dashboard import WEEK, Figures, Outcome, Weekly
from storage.database import Database
from storage.records import (
    ActorKind,
    Broadcast,
    BroadcastState,
    Clinic,
    OutboxState,
    StaffMember,
    StaffRole,
)

SIGNIN_TTL = timedelta(minutes=10)
# Weeks drawn in the overview's charts.
CHART_WEEKS = 12


def token_hash(token: str) -> str:
    """What is stored of a sign-in token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SigninLink:
    """A fresh sign-in token for a staff member (shown once, in their private chat)."""

    token: str
    clinic: Clinic
    expires_at: datetime


async def issue_signin(
    database: Database, telegram_user_id: int, now: datetime
) -> SigninLink | None:
    """A single-use sign-in token for a staff member; None for anyone who is not staff."""
    async with database.unit_of_work() as uow:
        clinics = await uow.clinics.clinics_of_staff(telegram_user_id)
        if not clinics:
            return None
        clinic = clinics[0]
        token = secrets.token_urlsafe(32)
        expires_at = now + SIGNIN_TTL
        await uow.dashboard.add_signin(
            token_hash(token),
            telegram_user_id=telegram_user_id,
            clinic_id=clinic.id,
            now=now,
            expires_at=expires_at,
        )
        await uow.audit.record(
            "staff.dashboard_link",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinic.id,
        )
        await uow.commit()
        return SigninLink(token, clinic, expires_at)


@dataclass(frozen=True)
class SignedIn:
    """Who a sign-in (link or Mini App) signed in, the clinic to open, their language."""

    telegram_user_id: int
    clinic_id: int
    language: str | None


async def redeem_signin(database: Database, token: str, now: datetime) -> SignedIn | None:
    """Use a sign-in token once; None if forged, used, expired, or no longer staff."""
    async with database.unit_of_work() as uow:
        used = await uow.dashboard.use_signin(token_hash(token), now=now)
        if used is None:
            return None
        member = await uow.clinics.staff_member(used.clinic_id, used.telegram_user_id)
        # The link is spent either way: a removed member's link must not wait for them.
        await uow.commit()
        if member is None:
            return None
        await uow.audit.record(
            "staff.dashboard_signin",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=used.telegram_user_id,
            clinic_id=used.clinic_id,
        )
        await uow.commit()
        return SignedIn(used.telegram_user_id, used.clinic_id, member.language)


async def signin_by_telegram(
    database: Database, telegram_user_id: int, now: datetime
) -> SignedIn | None:
    """A Mini App sign-in (initData already checked): the user's first clinic, if staff."""
    async with database.unit_of_work() as uow:
        clinics = await uow.clinics.clinics_of_staff(telegram_user_id)
        if not clinics:
            return None
        member = await uow.clinics.staff_member(clinics[0].id, telegram_user_id)
        await uow.audit.record(
            "staff.dashboard_signin",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinics[0].id,
            details={"via": "mini_app"},
        )
        await uow.commit()
        return SignedIn(
            telegram_user_id, clinics[0].id, None if member is None else member.language
        )


@dataclass(frozen=True)
class Access:
    """A signed-in staff member on one clinic's pages: the clinic and their role."""

    clinic: Clinic
    member: StaffMember
    # Every clinic they are staff of, for the switcher.
    clinics: tuple[Clinic, ...]

    @property
    def is_owner(self) -> bool:
        """Owners change guidance and aftercare and manage the team."""
        return self.member.role is StaffRole.OWNER


async def access(database: Database, clinic_id: int, telegram_user_id: int) -> Access | None:
    """The clinic and the member's role if they are its staff now; None otherwise."""
    async with database.unit_of_work(read_only=True) as uow:
        member = await uow.clinics.staff_member(clinic_id, telegram_user_id)
        if member is None:
            return None
        clinics = await uow.clinics.clinics_of_staff(telegram_user_id)
    clinic = next((c for c in clinics if c.id == clinic_id), None)
    return None if clinic is None else Access(clinic, member, tuple(clinics))


async def clinics_of(database: Database, telegram_user_id: int) -> list[Clinic]:
    """The clinics a signed-in user is staff of now (empty: sign them out)."""
    async with database.unit_of_work(read_only=True) as uow:
        return await uow.clinics.clinics_of_staff(telegram_user_id)


# --- the overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """The overview page: the counts and the weekly series of its charts."""

    figures: Figures
    weekly: Weekly


async def overview(
    database: Database, clinic_id: int, telegram_user_id: int, now: datetime
) -> Overview:
    """The clinic's figures at `now` (NotStaffError for anyone but its staff)."""
    # Weeks end at the current instant, so the last bar is the last seven days.
    start = now - WEEK * CHART_WEEKS
    async with database.unit_of_work(read_only=True) as uow:
        await require_staff(uow, clinic_id, telegram_user_id)
        figures = await uow.dashboard.figures(clinic_id, now=now)
        weekly = await uow.dashboard.weekly(clinic_id, start=start, weeks=CHART_WEEKS)
    return Overview(figures, weekly)


# --- broadcasts ------------------------------------------------------------------------------


def audiences() -> list[Audience]:
    """Every audience a broadcast may have, in the order the chat offers them."""
    return [Audience("all")] + [
        Audience(kind, days) for kind in ("done", "planned") for days in AUDIENCE_WINDOWS
    ]


async def audience_reach(
    database: Database, clinic_id: int, telegram_user_id: int, now: datetime
) -> list[tuple[Audience, ReachCount]]:
    """How far each audience would reach now, split as a confirm would split it."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await require_staff(uow, clinic_id, telegram_user_id)
        return [
            (audience, await count_reach(uow, clinic, audience, now)) for audience in audiences()
        ]


async def broadcast_list(
    database: Database, clinic_id: int, telegram_user_id: int, *, limit: int = 50
) -> list[Broadcast]:
    """The clinic's broadcasts that were sent, scheduled or cancelled, newest first."""
    async with database.unit_of_work(read_only=True) as uow:
        await require_staff(uow, clinic_id, telegram_user_id)
        return await uow.broadcasts.recent(clinic_id, limit=limit, drafts=False)


@dataclass(frozen=True)
class Report:
    """A broadcast's report: its counts and its deliveries by state and reason."""

    broadcast: Broadcast
    outcomes: tuple[Outcome, ...]

    @property
    def finished(self) -> bool:
        """Nothing more will be sent."""
        return self.broadcast.state in (BroadcastState.DONE, BroadcastState.CANCELLED)

    @property
    def skipped(self) -> int:
        """Members not written to because they left or opted out after it was queued."""
        return sum(o.count for o in self.outcomes if o.state is OutboxState.FAILED and o.skipped)

    @property
    def failed(self) -> int:
        """Deliveries that failed for any other reason."""
        return max(self.broadcast.failed - self.skipped, 0)

    @property
    def waiting(self) -> int:
        """Deliveries still to be sent."""
        return sum(
            o.count for o in self.outcomes if o.state in (OutboxState.PENDING, OutboxState.CLAIMED)
        )

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """Why deliveries did not arrive: each reason with how many."""
        return [
            (o.reason, o.count)
            for o in self.outcomes
            if o.state in (OutboxState.FAILED, OutboxState.CANCELLED) and o.reason
        ]


async def broadcast_report(
    database: Database, clinic_id: int, broadcast_id: int, telegram_user_id: int
) -> Report | None:
    """The report of one of the clinic's broadcasts; None for another clinic's (or none)."""
    async with database.unit_of_work(read_only=True) as uow:
        try:
            await require_staff(uow, clinic_id, telegram_user_id)
        except NotStaffError:
            return None
        broadcast = await uow.broadcasts.get(clinic_id, broadcast_id)
        if broadcast is None:
            return None
        outcomes = await uow.dashboard.outcomes(broadcast_id)
    return Report(broadcast, tuple(outcomes))


def local_instant(clinic: Clinic, day: str, at: str) -> datetime:
    """A date and time typed in the clinic's time zone, as UTC; ValueError if malformed."""
    naive = datetime.fromisoformat(f"{day}T{at}")
    if naive.tzinfo is not None:
        raise ValueError("a time zone offset is not expected")
    return naive.replace(tzinfo=ZoneInfo(clinic.timezone))


# --- guidance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplanState:
    """Whether members follow the clinic's current guidance version yet."""

    version: int
    done: bool
    members: int | None
    moved: int | None


async def replan_state(database: Database, clinic_id: int, telegram_user_id: int) -> ReplanState:
    """The re-plan of the clinic's latest guidance change: finished, or still running."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await require_staff(uow, clinic_id, telegram_user_id)
        version = clinic.guidance_version
        for entry in await uow.audit.of_actions(clinic_id, (CHANGED, REPLANNED), limit=20):
            if entry.details.get("version") != version:
                continue
            if entry.action == REPLANNED:
                members = entry.details.get("members")
                moved = entry.details.get("changed")
                return ReplanState(
                    version,
                    True,
                    None if members is None else int(members),
                    None if moved is None else int(moved),
                )
            return ReplanState(version, False, None, None)
    # Version 0 (the defaults) has nothing to re-plan.
    return ReplanState(version, True, None, None)


async def staff_names(
    database: Database, clinic_id: int, telegram_user_id: int
) -> dict[int, str | None]:
    """Display names of the clinic's staff by Telegram id, for "who changed it"."""
    async with database.unit_of_work(read_only=True) as uow:
        await require_staff(uow, clinic_id, telegram_user_id)
        return {m.telegram_user_id: m.display_name for m in await uow.clinics.list_staff(clinic_id)}
