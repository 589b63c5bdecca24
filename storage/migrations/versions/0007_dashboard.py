"""The clinic dashboard: sign-in links, scheduled broadcasts, and indexes for its figures.

`dashboard_signins` holds the SHA-256 of each single-use sign-in link the bot sent a staff
member (never the link itself), who it signs in, for which clinic, until when, and when it
was used. `broadcasts.scheduled_for` is the instant a scheduled broadcast starts (its outbox
rows are due then). Two partial/compound indexes answer the overview: reminders sent per
week, and "Booked" presses (audit entries) per clinic and week.

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
    op.create_index(
        "ix_outbox_sent_reminders",
        "outbox",
        ["sent_at", "patient_id"],
        sqlite_where=sa.text(SENT_REMINDERS),
        postgresql_where=sa.text(SENT_REMINDERS),
    )
    op.create_index("ix_audit_log_clinic_id_action_at", "audit_log", ["clinic_id", "action", "at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_audit_log_clinic_id_action_at", table_name="audit_log")
    op.drop_index("ix_outbox_sent_reminders", table_name="outbox")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("scheduled_for")
    op.drop_table("dashboard_signins")
