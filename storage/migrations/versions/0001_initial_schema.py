"""Initial schema: patients, treatments, clinics, guidance, broadcasts, outbox, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:17:11.216130
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What storage.types.JSONDocument is at this revision.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "clinics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("join_code", sa.String(length=64), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("booking_url", sa.Text(), nullable=True),
        sa.Column("guidance_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
        sa.UniqueConstraint("join_code", name=op.f("uq_clinics_join_code")),
        sa.UniqueConstraint("name", name=op.f("uq_clinics_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("reminder_hour", sa.SmallInteger(), nullable=False),
        sa.Column("heads_up_days", sa.SmallInteger(), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_version", sa.String(length=32), nullable=True),
        sa.Column("broadcasts_opt_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'paused', 'blocked')", name=op.f("ck_patients_state")
        ),
        sa.CheckConstraint(
            "heads_up_days BETWEEN 0 AND 60", name=op.f("ck_patients_heads_up_days")
        ),
        sa.CheckConstraint(
            "reminder_hour BETWEEN 0 AND 23", name=op.f("ck_patients_reminder_hour")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_patients_telegram_user_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("subject_patient_id", sa.Integer(), nullable=True),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.CheckConstraint(
            "actor_kind IN ('staff', 'patient', 'operator', 'system')",
            name=op.f("ck_audit_log_actor_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_audit_log_clinic_id_clinics"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_patient_id"],
            ["patients.id"],
            name=op.f("fk_audit_log_subject_patient_id_patients"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_log_clinic_id_at", "audit_log", ["clinic_id", "at"], unique=False)
    op.create_index(
        "ix_audit_log_subject_patient_id", "audit_log", ["subject_patient_id"], unique=False
    )

    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audience", JSON_DOCUMENT, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("blocked_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'queued', 'sending', 'done', 'cancelled')",
            name=op.f("ck_broadcasts_state"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_broadcasts_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_broadcasts_clinic_id_created_at",
        "broadcasts",
        ["clinic_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "clinic_staff",
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'staff')", name=op.f("ck_clinic_staff_role")),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_clinic_staff_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("clinic_id", "telegram_user_id", name=op.f("pk_clinic_staff")),
    )
    op.create_index(
        "ix_clinic_staff_telegram_user_id", "clinic_staff", ["telegram_user_id"], unique=False
    )

    op.create_table(
        "guidance_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("after_procedure", sa.String(length=32), nullable=False),
        sa.Column("then_procedure", sa.String(length=32), nullable=False),
        sa.Column("old_days", sa.Integer(), nullable=True),
        sa.Column("old_default", sa.Boolean(), nullable=False),
        sa.Column("new_days", sa.Integer(), nullable=True),
        sa.Column("new_default", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_guidance_changes_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_changes")),
        sa.UniqueConstraint(
            "clinic_id", "version", name=op.f("uq_guidance_changes_clinic_id_version")
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "guidance_overrides",
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("after_procedure", sa.String(length=32), nullable=False),
        sa.Column("then_procedure", sa.String(length=32), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_guidance_overrides_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "clinic_id", "after_procedure", "then_procedure", name=op.f("pk_guidance_overrides")
        ),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_memberships_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_memberships_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_memberships_clinic_id", "memberships", ["clinic_id"], unique=False)
    op.create_index(
        "ux_memberships_active_patient",
        "memberships",
        ["patient_id"],
        unique=True,
        sqlite_where=sa.text("left_at IS NULL"),
        postgresql_where=sa.text("left_at IS NULL"),
    )

    op.create_table(
        "staff_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("role IN ('owner', 'staff')", name=op.f("ck_staff_invites_role")),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_staff_invites_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("code", name=op.f("uq_staff_invites_code")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_staff_invites_clinic_id"), "staff_invites", ["clinic_id"], unique=False
    )

    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(length=32), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(note) <= 500", name=op.f("ck_treatments_note_length")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_treatments_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_treatments_patient_id_on_date", "treatments", ["patient_id", "on_date"], unique=False
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('reminder', 'broadcast', 'notice')", name=op.f("ck_outbox_kind")
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'claimed', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_outbox_state"),
        ),
        sa.CheckConstraint("priority BETWEEN 0 AND 2", name=op.f("ck_outbox_priority")),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_outbox_broadcast_id_broadcasts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_outbox_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "patient_id", "dedupe_key", name=op.f("uq_outbox_patient_id_dedupe_key")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_broadcast_id", "outbox", ["broadcast_id"], unique=False)
    op.create_index(
        "ix_outbox_claimed_lease",
        "outbox",
        ["lease_until"],
        unique=False,
        sqlite_where=sa.text("state = 'claimed'"),
        postgresql_where=sa.text("state = 'claimed'"),
    )
    op.create_index(
        "ix_outbox_pending_due",
        "outbox",
        ["priority", "due_at"],
        unique=False,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("outbox")
    op.drop_table("treatments")
    op.drop_table("staff_invites")
    op.drop_table("memberships")
    op.drop_table("guidance_overrides")
    op.drop_table("guidance_changes")
    op.drop_table("clinic_staff")
    op.drop_table("broadcasts")
    op.drop_table("audit_log")
    op.drop_table("patients")
    op.drop_table("clinics")
