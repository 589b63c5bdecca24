"""The clinic dashboard: sign-in links, scheduled broadcasts, and indexes for its figures.

`dashboard_signins` holds the SHA-256 of each single-use sign-in link the bot sent a staff
member (never the link itself), who it signs in, for which clinic, until when, and when it
was used. `broadcasts.scheduled_for` is the instant a scheduled broadcast starts (its outbox
rows are due then). `outbox.clinic_id` is the clinic a message goes out under (a copy,
kept by storage when a patient joins or leaves), so that partial indexes count a clinic's
reminders sent and to come by index ranges; memberships and audit entries get indexes by
clinic and time, for members over time and "Booked" presses per week.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENT_REMINDERS = "kind = 'reminder' AND state = 'sent'"
PENDING_REMINDERS = "kind = 'reminder' AND state = 'pending'"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "dashboard_signins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_dashboard_signins_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_signins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_signins_token_hash")),
        sqlite_autoincrement=True,
    )
    op.add_column(
        "broadcasts", sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True)
    )
    # The clinic a message goes out under, so that the dashboard counts a clinic's reminders
    # with one index range instead of a join per row. Existing rows: the membership in force
    # when they were sent (or are due).
    op.add_column("outbox", sa.Column("clinic_id", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE outbox SET clinic_id = (
            SELECT m.clinic_id FROM memberships m
            WHERE m.patient_id = outbox.patient_id
              AND m.joined_at <= COALESCE(outbox.sent_at, outbox.due_at)
              AND (m.left_at IS NULL OR m.left_at > COALESCE(outbox.sent_at, outbox.due_at))
            ORDER BY m.joined_at DESC LIMIT 1
        )
        WHERE kind <> 'broadcast'
        """
    )
    op.execute(
        "UPDATE outbox SET clinic_id = "
        "(SELECT b.clinic_id FROM broadcasts b WHERE b.id = outbox.broadcast_id) "
        "WHERE broadcast_id IS NOT NULL"
    )
    # Pending rows follow the current membership (as storage.clinics keeps them from now on).
    op.execute(
        "UPDATE outbox SET clinic_id = (SELECT m.clinic_id FROM memberships m "
        "WHERE m.patient_id = outbox.patient_id AND m.left_at IS NULL) "
        "WHERE state IN ('pending', 'claimed') AND kind <> 'broadcast'"
    )
    op.create_index(
        "ix_outbox_clinic_sent_reminders",
        "outbox",
        ["clinic_id", "sent_at"],
        sqlite_where=sa.text(SENT_REMINDERS),
        postgresql_where=sa.text(SENT_REMINDERS),
    )
    op.create_index(
        "ix_outbox_clinic_pending_reminders",
        "outbox",
        ["clinic_id", "due_at", "dedupe_key", "patient_id"],
        sqlite_where=sa.text(PENDING_REMINDERS),
        postgresql_where=sa.text(PENDING_REMINDERS),
    )
    op.create_index("ix_memberships_clinic_id_joined_at", "memberships", ["clinic_id", "joined_at"])
    op.create_index("ix_memberships_clinic_id_left_at", "memberships", ["clinic_id", "left_at"])
    op.create_index("ix_audit_log_clinic_id_action_at", "audit_log", ["clinic_id", "action", "at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_audit_log_clinic_id_action_at", table_name="audit_log")
    op.drop_index("ix_memberships_clinic_id_left_at", table_name="memberships")
    op.drop_index("ix_memberships_clinic_id_joined_at", table_name="memberships")
    op.drop_index("ix_outbox_clinic_pending_reminders", table_name="outbox")
    op.drop_index("ix_outbox_clinic_sent_reminders", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("clinic_id")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("scheduled_for")
    op.drop_table("dashboard_signins")
