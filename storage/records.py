"""What repositories hand back: frozen dataclasses and enums, never live ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum, IntEnum, StrEnum, auto
from typing import Any, Literal

from rules.procedures import Procedure


class Unset(Enum):
    """Marks an argument that was not given, where None is a meaningful value."""

    UNSET = auto()


UNSET = Unset.UNSET


class PatientState(StrEnum):
    """Whether the bot may write to a patient on its own initiative."""

    ACTIVE = "active"
    PAUSED = "paused"  # the patient said /stop
    BLOCKED = "blocked"  # Telegram answered 403: the patient blocked the bot


class OutboxKind(StrEnum):
    """Why a message is in the outbox."""

    REMINDER = "reminder"
    BROADCAST = "broadcast"
    NOTICE = "notice"


# How `last_error` begins for a row not sent because it no longer applied to its recipient
# (they left the clinic, turned its messages off, or the history changed): a skip, which
# reports count apart from failures, whatever state the row ended in.
SKIPPED = "skipped: "


class OutboxState(StrEnum):
    """Where an outbox message is in its life."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Priority(IntEnum):
    """Claim order among due messages: lower first, so broadcasts never starve reminders."""

    REMINDER = 0
    NOTICE = 1
    BROADCAST = 2

    @classmethod
    def for_kind(cls, kind: OutboxKind | str) -> Priority:
        """The default priority of a kind of message."""
        return {
            OutboxKind.REMINDER: cls.REMINDER,
            OutboxKind.NOTICE: cls.NOTICE,
            OutboxKind.BROADCAST: cls.BROADCAST,
        }[OutboxKind(kind)]


class BroadcastState(StrEnum):
    """A broadcast's life: drafted, queued into the outbox, delivering, finished."""

    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class StaffRole(StrEnum):
    """What a staff member may do for their clinic."""

    OWNER = "owner"
    STAFF = "staff"


class ActorKind(StrEnum):
    """Who did an audited action."""

    STAFF = "staff"
    PATIENT = "patient"
    OPERATOR = "operator"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient and their settings."""

    id: int
    telegram_user_id: int
    chat_id: int
    language: str
    timezone: str
    reminder_hour: int
    heads_up_days: int
    quiet_start: time | None
    quiet_end: time | None
    state: PatientState
    consent_at: datetime | None
    consent_version: str | None
    broadcasts_opt_out: bool
    created_at: datetime
    aftercare_off: bool = False


@dataclass(frozen=True, slots=True)
class Treatment:
    """One logged (past) or planned (future) procedure of one patient."""

    id: int
    patient_id: int
    procedure: Procedure
    on: date
    note: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Clinic:
    """A clinic; `join_code` is the unguessable deep-link payload that links patients."""

    id: int
    name: str
    join_code: str
    timezone: str
    contact: str | None
    booking_url: str | None
    guidance_version: int
    created_at: datetime
    question_reminder_hours: int = 24
    opening_hours: str | None = None


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A Telegram user who may act for a clinic."""

    clinic_id: int
    telegram_user_id: int
    role: StaffRole
    added_at: datetime
    display_name: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class StaffInvite:
    """A single-use, expiring staff invite."""

    id: int
    code: str
    clinic_id: int
    role: StaffRole
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: int | None
    revoked_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        """Whether the invite can still be used at `now`."""
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


InviteOutcome = Literal["accepted", "unknown", "used", "expired", "revoked"]


@dataclass(frozen=True, slots=True)
class InviteRedemption:
    """The answer to opening a staff invite; `clinic_id` is set only when accepted."""

    outcome: InviteOutcome
    clinic_id: int | None = None
    role: StaffRole | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    """A patient's link to a clinic; active while `left_at` is None."""

    id: int
    patient_id: int
    clinic_id: int
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class Member:
    """What a broadcast or a re-plan needs to know about one member of a clinic."""

    patient_id: int
    chat_id: int
    language: str
    state: PatientState
    broadcasts_opt_out: bool


@dataclass(frozen=True, slots=True)
class ClinicStats:
    """A clinic's numbers for /stats and `clinic show`."""

    members: int
    active: int
    paused: int
    blocked: int
    reminders_sent_30d: int
    upcoming_reminders: int


@dataclass(frozen=True, slots=True)
class GuidanceOverride:
    """A clinic's value for one rule; `min_days` None means the rule is switched off."""

    after: Procedure
    then: Procedure
    min_days: int | None
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ClinicGuidance:
    """A clinic's overrides and the version they make up (0: the defaults, untouched)."""

    clinic_id: int
    version: int
    overrides: tuple[GuidanceOverride, ...]


@dataclass(frozen=True, slots=True)
class GuidanceChange:
    """One versioned guidance change. `*_default` True means "no override" on that side."""

    clinic_id: int
    version: int
    after: Procedure
    then: Procedure
    old_days: int | None
    old_default: bool
    new_days: int | None
    new_default: bool
    changed_by: int | None
    changed_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A staff message to a clinic's patients and its delivery counts."""

    id: int
    clinic_id: int
    author_user_id: int
    text: str
    audience: Mapping[str, Any]
    state: BroadcastState
    total: int
    sent: int
    blocked: int
    failed: int
    created_at: datetime
    finished_at: datetime | None
    # When it was confirmed (None while a draft).
    queued_at: datetime | None = None
    # When a scheduled broadcast starts (its deliveries are due then); None: at once.
    scheduled_for: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An outbox message to add. `priority` None takes the kind's default."""

    kind: OutboxKind
    patient_id: int
    chat_id: int
    due_at: datetime
    dedupe_key: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    priority: int | None = None
    broadcast_id: int | None = None
    # The clinic the patient is a member of when it is planned (the dashboard counts by it).
    clinic_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One outbox row as the dispatcher and the planner see it."""

    id: int
    kind: OutboxKind
    patient_id: int
    chat_id: int
    due_at: datetime
    payload: Mapping[str, Any]
    dedupe_key: str
    state: OutboxState
    priority: int
    attempts: int
    last_error: str | None
    claimed_by: str | None
    lease_until: datetime | None
    sent_at: datetime | None
    telegram_message_id: int | None
    broadcast_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AddResult:
    """What `add_many` did with each dedupe key, deterministically.

    `added`: new rows. `revived`: keys whose cancelled row was made pending again (only
    when asked). `existing`: keys that already had a row (or came twice in one call) and
    were left untouched.
    """

    added: tuple[OutboxMessage, ...]
    revived: tuple[OutboxMessage, ...]
    existing: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Outbox depth for metrics and health checks."""

    pending: int
    due: int
    claimed: int
    oldest_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log entry."""

    id: int
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    action: str
    clinic_id: int | None
    subject_patient_id: int | None
    details: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AftercareChange:
    """One versioned change of a clinic's aftercare note; mode "default" drops the note."""

    clinic_id: int
    version: int
    procedure: Procedure
    mode: str
    text: str | None
    reason: str
    changed_by: int | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class Question:
    """A patient's question to their clinic and, once given, the answer."""

    id: int
    patient_id: int
    clinic_id: int
    text: str
    shared_history: bool
    asked_at: datetime
    remind_at: datetime
    reminded_at: datetime | None
    answered_at: datetime | None
    answered_by: int | None
    answered_by_name: str | None
    answer: str | None


@dataclass(frozen=True, slots=True)
class QuestionRelay:
    """Where a question was copied: one message in one staff member's chat."""

    question_id: int
    staff_user_id: int
    chat_id: int
    message_id: int
