"""The tables, as typed SQLAlchemy 2 models. Only `storage/` imports this module.

Every instant is a `UTCDateTime`; every calendar date is a `DATE`. Constraint names come
from one naming convention so that migrations can refer to them on every backend.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rules.procedures import Procedure
from storage.types import BigId, JSONDocument, ProcedureType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite reuses the largest rowid after a delete unless AUTOINCREMENT is on; an old
# "delete entry 42" button must never reach a newer entry 42, so ids are never reused.
NO_REUSE: dict[str, Any] = {"sqlite_autoincrement": True}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


PATIENT_STATES = ("active", "paused", "blocked")
OUTBOX_KINDS = ("reminder", "broadcast", "notice")
OUTBOX_STATES = ("pending", "claimed", "sent", "failed", "cancelled")
BROADCAST_STATES = ("draft", "queued", "sending", "done", "cancelled")
STAFF_ROLES = ("owner", "staff")
ACTOR_KINDS = ("staff", "patient", "operator", "system")
AFTERCARE_MODES = ("replace", "extend", "default")


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention and the type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        date: Date(),
        time: Time(),
        dict[str, Any]: JSONDocument,
        Procedure: ProcedureType(),
    }


class PatientRow(Base):
    """A Telegram user who consented to Interval storing their treatment dates."""

    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint(_one_of("state", PATIENT_STATES), name="state"),
        CheckConstraint("reminder_hour BETWEEN 0 AND 23", name="reminder_hour"),
        CheckConstraint("heads_up_days BETWEEN 0 AND 60", name="heads_up_days"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    reminder_hour: Mapped[int] = mapped_column(SmallInteger)
    heads_up_days: Mapped[int] = mapped_column(SmallInteger)
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    state: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(32))
    broadcasts_opt_out: Mapped[bool] = mapped_column(Boolean)
    # A patient may turn the aftercare notes after a logged treatment off in /settings.
    aftercare_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class TreatmentRow(Base):
    """One procedure on one calendar date; a future date is a planned treatment."""

    __tablename__ = "treatments"
    __table_args__ = (
        Index("ix_treatments_patient_id_on_date", "patient_id", "on_date"),
        # Two chats of one patient saving the same entry at once store it once.
        Index(
            "uq_treatments_patient_id_procedure_on_date",
            "patient_id",
            "procedure",
            "on_date",
            unique=True,
        ),
        CheckConstraint("length(note) <= 500", name="note_length"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    procedure: Mapped[Procedure]
    # "on" is an SQL keyword; the attribute keeps the short name, the column does not.
    on: Mapped[date] = mapped_column("on_date")
    note: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ClinicRow(Base):
    """A clinic whose staff link patients and broadcast to them."""

    __tablename__ = "clinics"
    __table_args__ = (NO_REUSE,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    join_code: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    contact: Mapped[str | None] = mapped_column(Text)
    booking_url: Mapped[str | None] = mapped_column(Text)
    # Bumped under the row lock on every guidance change, so versions never collide.
    guidance_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    # When an unanswered patient question reminds the staff, in hours (of opening time).
    question_reminder_hours: Mapped[int] = mapped_column(
        SmallInteger, default=24, server_default=text("24")
    )
    # e.g. "mon-fri 09:00-18:00; sat 10:00-14:00" (see rules.opening_hours); null: always.
    opening_hours: Mapped[str | None] = mapped_column(String(200))


class ClinicStaffRow(Base):
    """A Telegram user who may act for a clinic."""

    __tablename__ = "clinic_staff"
    __table_args__ = (
        CheckConstraint(_one_of("role", STAFF_ROLES), name="role"),
        Index("ix_clinic_staff_telegram_user_id", "telegram_user_id"),
    )

    clinic_id: Mapped[int] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime]
    # The Telegram name they joined with, so owners can tell members apart.
    display_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))


class StaffInviteRow(Base):
    """A single-use, expiring code that makes whoever opens it staff of a clinic."""

    __tablename__ = "staff_invites"
    __table_args__ = (CheckConstraint(_one_of("role", STAFF_ROLES), name="role"), NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None]


class MembershipRow(Base):
    """A patient's link to a clinic; `left_at` is null while it lasts."""

    __tablename__ = "memberships"
    __table_args__ = (
        # At most one clinic at a time: enforced by the database, not by hope.
        Index(
            "ux_memberships_active_patient",
            "patient_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
        Index("ix_memberships_clinic_id", "clinic_id"),
        # Members over time on the dashboard: joins and departures by time, per clinic.
        Index("ix_memberships_clinic_id_joined_at", "clinic_id", "joined_at"),
        Index("ix_memberships_clinic_id_left_at", "clinic_id", "left_at"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class GuidanceOverrideRow(Base):
    """A clinic's current value for one rule: `min_days`, or null when switched off."""

    __tablename__ = "guidance_overrides"

    clinic_id: Mapped[int] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    # "then" is an SQL keyword: columns say what they hold, attributes match `rules.Rule`.
    after: Mapped[Procedure] = mapped_column("after_procedure", primary_key=True)
    then: Mapped[Procedure] = mapped_column("then_procedure", primary_key=True)
    min_days: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class GuidanceChangeRow(Base):
    """One versioned change of a clinic's guidance: who, when, old -> new, why."""

    __tablename__ = "guidance_changes"
    __table_args__ = (UniqueConstraint("clinic_id", "version"), NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    after: Mapped[Procedure] = mapped_column("after_procedure")
    then: Mapped[Procedure] = mapped_column("then_procedure")
    # Null days mean "switched off"; the *_default flags mean "no override, the defaults".
    old_days: Mapped[int | None] = mapped_column(Integer)
    old_default: Mapped[bool] = mapped_column(Boolean)
    new_days: Mapped[int | None] = mapped_column(Integer)
    new_default: Mapped[bool] = mapped_column(Boolean)
    # The staff member's Telegram user id; null when an operator changed it from the CLI.
    changed_by: Mapped[int | None] = mapped_column(BigInteger)
    changed_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class BroadcastRow(Base):
    """A staff message to a clinic's patients; each delivery is an outbox row."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint(_one_of("state", BROADCAST_STATES), name="state"),
        Index("ix_broadcasts_clinic_id_created_at", "clinic_id", "created_at"),
        Index("ix_broadcasts_clinic_id_queued_at", "clinic_id", "queued_at"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    author_user_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    total_count: Mapped[int] = mapped_column(Integer)
    sent_count: Mapped[int] = mapped_column(Integer)
    blocked_count: Mapped[int] = mapped_column(Integer)
    failed_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    # When it was confirmed and its deliveries queued (None while a draft).
    queued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # A broadcast scheduled from the dashboard starts then: its outbox rows are due then.
    scheduled_for: Mapped[datetime | None]


class OutboxRow(Base):
    """A message the bot will send on its own initiative; the source of truth for delivery."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("patient_id", "dedupe_key"),
        CheckConstraint(_one_of("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(_one_of("state", OUTBOX_STATES), name="state"),
        CheckConstraint("priority BETWEEN 0 AND 2", name="priority"),
        # The claim query walks one priority at a time in due order: this index answers it
        # without touching the sent and cancelled history.
        Index(
            "ix_outbox_pending_due",
            "priority",
            "due_at",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index(
            "ix_outbox_claimed_lease",
            "lease_until",
            sqlite_where=text("state = 'claimed'"),
            postgresql_where=text("state = 'claimed'"),
        ),
        Index("ix_outbox_broadcast_id", "broadcast_id"),
        # The dashboard counts a clinic's reminders by index ranges alone (storage.dashboard):
        # those sent, by time, and those still to come, by due time.
        Index(
            "ix_outbox_clinic_sent_reminders",
            "clinic_id",
            "sent_at",
            sqlite_where=text("kind = 'reminder' AND state = 'sent'"),
            postgresql_where=text("kind = 'reminder' AND state = 'sent'"),
        ),
        Index(
            "ix_outbox_clinic_pending_reminders",
            "clinic_id",
            "due_at",
            "dedupe_key",
            "patient_id",
            sqlite_where=text("kind = 'reminder' AND state = 'pending'"),
            postgresql_where=text("kind = 'reminder' AND state = 'pending'"),
        ),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger)
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    # The clinic it goes out under: set when planned, moved when the patient joins or
    # leaves a clinic (storage.clinics). A copy for counting, so no foreign key to keep.
    clinic_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


class ReminderDismissalRow(Base):
    """A patient's "Not for me" on one reminder chain: a procedure and the date it announced.

    Re-planning skips the chain's reminders while this row exists; a new date (a new chain)
    is reminded again.
    """

    __tablename__ = "reminder_dismissals"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    procedure: Mapped[Procedure] = mapped_column(primary_key=True)
    on: Mapped[date] = mapped_column("on_date", primary_key=True)
    dismissed_at: Mapped[datetime]


class AuditRow(Base):
    """A staff or privacy action. `details` never holds personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(_one_of("actor_kind", ACTOR_KINDS), name="actor_kind"),
        Index("ix_audit_log_clinic_id_at", "clinic_id", "at"),
        # The dashboard counts one action of a clinic over time ("Booked" after a reminder).
        Index("ix_audit_log_clinic_id_action_at", "clinic_id", "action", "at"),
        Index("ix_audit_log_subject_patient_id", "subject_patient_id"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id", ondelete="SET NULL"))
    subject_patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]]


class AftercareChangeRow(Base):
    """One versioned change of a clinic's aftercare note for a procedure; the latest is in force."""

    __tablename__ = "aftercare_changes"
    __table_args__ = (
        UniqueConstraint("clinic_id", "version"),
        CheckConstraint(_one_of("mode", AFTERCARE_MODES), name="mode"),
        Index("ix_aftercare_changes_clinic_id_procedure", "clinic_id", "procedure"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    procedure: Mapped[Procedure]
    # "default" drops the clinic's note: the shipped lines apply again.
    mode: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    # The owner's Telegram user id; null when the operator changed it from the CLI.
    changed_by: Mapped[int | None] = mapped_column(BigInteger)
    changed_at: Mapped[datetime]


class DashboardSigninRow(Base):
    """A single-use dashboard sign-in link sent to a staff member: only its hash is kept."""

    __tablename__ = "dashboard_signins"
    __table_args__ = (NO_REUSE,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 (hex) of the link's token: a leaked table signs nobody in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class QuestionRow(Base):
    """A patient's question to their clinic, and its answer once a staff member gives one."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_patient_id_asked_at", "patient_id", "asked_at"),
        Index("ix_questions_clinic_id_asked_at", "clinic_id", "asked_at"),
        Index(
            "ix_questions_unanswered_remind_at",
            "remind_at",
            sqlite_where=text("answered_at IS NULL AND reminded_at IS NULL"),
            postgresql_where=text("answered_at IS NULL AND reminded_at IS NULL"),
        ),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # Whether the patient agreed to show their treatment history with this question.
    shared_history: Mapped[bool] = mapped_column(Boolean)
    asked_at: Mapped[datetime]
    remind_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    answered_by_name: Mapped[str | None] = mapped_column(String(200))
    answer: Mapped[str | None] = mapped_column(Text)


class QuestionRelayRow(Base):
    """A copy of a question in one staff member's chat, so a reply to it finds the question."""

    __tablename__ = "question_relays"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id"),
        Index("ix_question_relays_question_id", "question_id"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    staff_user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)


class SendPaceRow(Base):
    """The next free send slot of a rate shared by every process on one database.

    Telegram's limit belongs to the bot token, not to a process: replicas reserve their send
    slots here (on PostgreSQL), so together they never exceed it.
    """

    __tablename__ = "send_pace"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_free: Mapped[datetime]
