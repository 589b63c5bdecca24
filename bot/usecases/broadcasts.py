"""Clinic broadcasts: draft with an audience, confirm into the outbox, follow, cancel.

A confirmed broadcast becomes one outbox row per recipient (priority BROADCAST: the
dispatcher claims every due reminder first), so a crash resumes without re-sending to
anyone already served. Every step re-checks that the user is staff of the clinic, and only
the author can confirm or cancel a draft: a forged or replayed button does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.usecases.clinics import NotStaffError, require_staff
from bot.usecases.payloads import BroadcastMessage, encode
from storage.broadcasts import REPORT_KEY
from storage.database import Database
from storage.records import ActorKind, Broadcast, BroadcastState, Clinic, Member, PatientState
from storage.unit_of_work import UnitOfWork

AudienceKind = Literal["all", "done", "planned"]
AUDIENCE_KINDS: tuple[AudienceKind, ...] = ("all", "done", "planned")
# The windows an audience may have: fixed, so that a clinic cannot narrow a window around
# one member's treatment date (any number of days would let it).
AUDIENCE_WINDOWS = (7, 30, 90)
# A finished broadcast is still reported this long after it ended (a process that was down).
REPORT_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Audience:
    """Who receives a broadcast: all active members, or those treated in a window of days."""

    kind: AudienceKind
    days: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in AUDIENCE_KINDS:
            raise ValueError(f"unknown audience {self.kind!r}")
        if self.kind == "all" and self.days is not None:
            raise ValueError("the audience 'all' takes no days")
        if self.kind != "all" and self.days not in AUDIENCE_WINDOWS:
            raise ValueError(f"days must be one of {AUDIENCE_WINDOWS}")

    def window(self, today: date) -> tuple[date, date] | None:
        """The treatment dates that qualify (inclusive); None for everyone.

        Done: today and the N days before. Planned: the N days after today (a treatment
        today is done, not planned).
        """
        if self.days is None:
            return None
        if self.kind == "done":
            return today - timedelta(days=self.days), today
        return today + timedelta(days=1), today + timedelta(days=self.days)

    def as_json(self) -> dict[str, Any]:
        """The audience as stored with the broadcast."""
        return {"kind": self.kind, "days": self.days}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        """Read a stored audience back."""
        days = data.get("days")
        return cls(kind=data["kind"], days=None if days is None else int(days))


@dataclass(frozen=True)
class Reach:
    """How an audience splits: who gets it, who is counted blocked, who is left out."""

    recipients: tuple[Member, ...]
    blocked: int
    paused: int
    opted_out: int

    @property
    def total(self) -> int:
        """Deliveries the broadcast reports on: recipients and blocked members."""
        return len(self.recipients) + self.blocked


def split_audience(members: list[Member]) -> Reach:
    """Opted-out members are left out, paused ones too (/stop), blocked ones only counted."""
    recipients = []
    blocked = paused = opted_out = 0
    for member in members:
        if member.broadcasts_opt_out:
            opted_out += 1
        elif member.state is PatientState.BLOCKED:
            blocked += 1
        elif member.state is PatientState.PAUSED:
            paused += 1
        else:
            recipients.append(member)
    return Reach(tuple(recipients), blocked, paused, opted_out)


@dataclass(frozen=True)
class ReachCount:
    """How an audience splits, counted only (the compose screen, before any draft)."""

    recipients: int
    blocked: int
    paused: int
    opted_out: int


async def count_reach(
    uow: UnitOfWork, clinic: Clinic, audience: Audience, now: datetime
) -> ReachCount:
    """`split_audience`'s split, counted by the database: the same rule, no member rows."""
    today = now.astimezone(ZoneInfo(clinic.timezone)).date()
    counts = await uow.clinics.member_counts(clinic.id, treated_between=audience.window(today))
    opted_out = sum(n for (_state, out), n in counts.items() if out)

    def staying(state: PatientState) -> int:
        return counts.get((state, False), 0)

    return ReachCount(
        recipients=staying(PatientState.ACTIVE),
        blocked=staying(PatientState.BLOCKED),
        paused=staying(PatientState.PAUSED),
        opted_out=opted_out,
    )


async def _reach(uow: UnitOfWork, clinic: Clinic, audience: Audience, now: datetime) -> Reach:
    today = now.astimezone(ZoneInfo(clinic.timezone)).date()
    members = await uow.clinics.members(clinic.id, treated_between=audience.window(today))
    return split_audience(members)


@dataclass(frozen=True)
class Draft:
    """A draft broadcast and how far it would reach if confirmed now."""

    broadcast: Broadcast
    clinic: Clinic
    audience: Audience
    reach: Reach


async def draft_broadcast(
    database: Database,
    clinic_id: int,
    telegram_user_id: int,
    *,
    body: str,
    audience: Audience,
    now: datetime,
    replaces: int | None = None,
) -> Draft:
    """Store a draft (nothing is queued) and count its audience; `replaces` an older draft."""
    async with database.unit_of_work() as uow:
        clinic = await require_staff(uow, clinic_id, telegram_user_id)
        if replaces is not None:
            old = await uow.broadcasts.get(clinic_id, replaces)
            if old is not None and old.author_user_id == telegram_user_id:
                await uow.broadcasts.cancel(clinic_id, replaces, now=now)
        broadcast = await uow.broadcasts.create(
            clinic_id,
            author_user_id=telegram_user_id,
            text=body,
            audience=audience.as_json(),
            now=now,
        )
        reach = await _reach(uow, clinic, audience, now)
        await uow.audit.record(
            "broadcast.drafted",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinic_id,
            details={"broadcast_id": broadcast.id, "audience": audience.as_json()},
        )
        await uow.commit()
        return Draft(broadcast, clinic, audience, reach)


@dataclass(frozen=True)
class SendingLimits:
    """How often a clinic may broadcast: a pause between two, and a cap per 24 hours."""

    cooldown: timedelta
    daily_cap: int


@dataclass(frozen=True)
class Limited:
    """A broadcast that may not go yet, why, and from when it may (UTC; the clinic's zone)."""

    reason: Literal["cooldown", "daily_cap"]
    until: datetime
    timezone: str
    cap: int


async def _limited(
    uow: UnitOfWork, clinic: Clinic, now: datetime, limits: SendingLimits
) -> Limited | None:
    day = timedelta(days=1)
    queued = await uow.broadcasts.queued_since(clinic.id, now - day)
    if len(queued) >= limits.daily_cap:
        # Free again once the oldest of the last `cap` broadcasts is a day old.
        until = queued[len(queued) - limits.daily_cap] + day
        return Limited("daily_cap", until, clinic.timezone, limits.daily_cap)
    if queued and now - queued[-1] < limits.cooldown:
        return Limited("cooldown", queued[-1] + limits.cooldown, clinic.timezone, limits.daily_cap)
    return None


async def broadcast_allowance(
    database: Database, clinic_id: int, now: datetime, limits: SendingLimits
) -> Limited | None:
    """Whether the clinic may broadcast now (None), or until when it may not."""
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await uow.clinics.get(clinic_id)
        if clinic is None:
            return None
        return await _limited(uow, clinic, now, limits)


ConfirmKind = Literal["queued", "not_allowed", "out_of_date", "limited"]


@dataclass(frozen=True)
class Confirmation:
    """What a confirm press did; `broadcast` is set when it queued the deliveries."""

    kind: ConfirmKind
    broadcast: Broadcast | None = None
    reach: Reach | None = None
    limited: Limited | None = None


async def confirm_broadcast(
    database: Database,
    clinic_id: int,
    broadcast_id: int,
    telegram_user_id: int,
    *,
    language: str,
    now: datetime,
    limits: SendingLimits | None = None,
    start_at: datetime | None = None,
) -> Confirmation:
    """Queue one outbox row per recipient, once; only the author, only staff, only drafts.

    With `start_at` (later than `now`) the deliveries are due then: a scheduled broadcast,
    kept by the outbox like any other row, so it starts after a restart too and is
    cancelled like one in progress. Opt-outs and departures until then are checked at send.

    The audience is counted again at this moment: someone who opted out or blocked the bot
    since the draft is not written to. A clinic within its cooldown, or at its daily cap,
    is refused (`limited`) and the draft stays a draft.
    """
    async with database.unit_of_work() as uow:
        try:
            clinic = await require_staff(uow, clinic_id, telegram_user_id)
        except NotStaffError:
            return Confirmation("not_allowed")
        broadcast = await uow.broadcasts.get(clinic_id, broadcast_id)
        if broadcast is None or broadcast.author_user_id != telegram_user_id:
            return Confirmation("not_allowed")
        if broadcast.state is not BroadcastState.DRAFT:
            return Confirmation("out_of_date", broadcast)
        limited = await _limited(uow, clinic, now, limits) if limits is not None else None
        if limited is not None:
            return Confirmation("limited", broadcast, limited=limited)
        reach = await _reach(uow, clinic, Audience.from_json(broadcast.audience), now)
        queued = await uow.broadcasts.queue(
            clinic_id,
            broadcast_id,
            recipients=[(m.patient_id, m.chat_id) for m in reach.recipients],
            payload=encode(BroadcastMessage(broadcast.text, clinic.id, clinic.name, language)),
            due_at=start_at if start_at is not None and start_at > now else now,
            now=now,
            blocked=reach.blocked,
        )
        if queued is None:  # another press won the draft -> sending race
            return Confirmation("out_of_date", broadcast)
        await uow.audit.record(
            "broadcast.queued",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinic_id,
            details={
                "broadcast_id": broadcast_id,
                "recipients": len(reach.recipients),
                "blocked": reach.blocked,
                "paused": reach.paused,
                "opted_out": reach.opted_out,
                "scheduled": start_at is not None and start_at > now,
            },
        )
        # An empty audience has nothing to wait for.
        finished = await uow.broadcasts.finish_if_done(broadcast_id, now=now)
        await uow.commit()
        return Confirmation("queued", finished or queued, reach)


async def cancel_broadcast(
    database: Database, clinic_id: int, broadcast_id: int, telegram_user_id: int, now: datetime
) -> Broadcast | None:
    """Cancel the author's draft, or stop a delivery in progress; None if not allowed/too late."""
    async with database.unit_of_work() as uow:
        try:
            await require_staff(uow, clinic_id, telegram_user_id)
        except NotStaffError:
            return None
        broadcast = await uow.broadcasts.get(clinic_id, broadcast_id)
        if broadcast is None or broadcast.author_user_id != telegram_user_id:
            return None
        if not await uow.broadcasts.cancel(clinic_id, broadcast_id, now=now):
            return None
        await uow.audit.record(
            "broadcast.cancelled",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_user_id,
            clinic_id=clinic_id,
            details={"broadcast_id": broadcast_id, "was": broadcast.state.value},
        )
        cancelled = await uow.broadcasts.get(clinic_id, broadcast_id)
        await uow.commit()
        return cancelled


async def follow_broadcast(
    database: Database,
    clinic_id: int,
    broadcast_id: int,
    *,
    chat_id: int,
    message_id: int,
    language: str,
) -> None:
    """Remember the author's progress message, so it is edited until the broadcast ends."""
    async with database.unit_of_work() as uow:
        await uow.broadcasts.set_report_target(
            clinic_id, broadcast_id, chat_id=chat_id, message_id=message_id, language=language
        )
        await uow.commit()


@dataclass(frozen=True)
class Progress:
    """A followed broadcast's counts and where its author reads them."""

    broadcast: Broadcast
    chat_id: int
    message_id: int
    language: str

    @property
    def finished(self) -> bool:
        """Whether no delivery is left (done or cancelled)."""
        return self.broadcast.state in (BroadcastState.DONE, BroadcastState.CANCELLED)


async def broadcasts_in_progress(database: Database, now: datetime) -> list[Progress]:
    """Followed broadcasts with fresh counts; one that has no delivery left is marked done."""
    async with database.unit_of_work() as uow:
        followed = await uow.broadcasts.followed(finished_since=now - REPORT_WINDOW)
        found = []
        for broadcast in followed:
            if broadcast.state is BroadcastState.SENDING:
                done = await uow.broadcasts.finish_if_done(broadcast.id, now=now)
                broadcast = done or broadcast
            report = broadcast.audience[REPORT_KEY]
            found.append(
                Progress(
                    broadcast,
                    int(report["chat_id"]),
                    int(report["message_id"]),
                    str(report.get("language", "en")),
                )
            )
        await uow.commit()
        return found


async def mark_reported(database: Database, broadcast_id: int) -> bool:
    """Record that the final report went out; False if someone already sent it."""
    async with database.unit_of_work() as uow:
        first = await uow.broadcasts.mark_reported(broadcast_id)
        await uow.commit()
        return first
