"""Aftercare notes a clinic sets, the patient's switch for them, and questions to the clinic.

`aftercare_changes` versions a clinic's own aftercare text per procedure (the latest row is in
force; mode "default" goes back to the shipped lines). `patients.aftercare_off` is the
patient's "no aftercare notes" setting. `questions` holds a patient's questions to their
clinic with the answer; `question_relays` remembers which message in which staff chat is a
copy of which question, so a Telegram reply to it reaches the right patient. Clinics get
the delay before an unanswered question reminds the staff, and optional opening hours.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "patients",
        sa.Column("aftercare_off", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "clinics",
        sa.Column(
            "question_reminder_hours",
            sa.SmallInteger(),
            server_default=sa.text("24"),
            nullable=False,
        ),
    )
    op.add_column("clinics", sa.Column("opening_hours", sa.String(200), nullable=True))
    op.create_table(
        "aftercare_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mode IN ('replace', 'extend', 'default')", name=op.f("ck_aftercare_changes_mode")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_aftercare_changes_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftercare_changes")),
        sa.UniqueConstraint(
            "clinic_id", "version", name=op.f("uq_aftercare_changes_clinic_id_version")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_aftercare_changes_clinic_id_procedure",
        "aftercare_changes",
        ["clinic_id", "procedure"],
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shared_history", sa.Boolean(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("answered_by_name", sa.String(200), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_questions_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_questions_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_questions_patient_id_asked_at", "questions", ["patient_id", "asked_at"])
    op.create_index("ix_questions_clinic_id_asked_at", "questions", ["clinic_id", "asked_at"])
    op.create_index(
        "ix_questions_unanswered_remind_at",
        "questions",
        ["remind_at"],
        sqlite_where=sa.text("answered_at IS NULL AND reminded_at IS NULL"),
        postgresql_where=sa.text("answered_at IS NULL AND reminded_at IS NULL"),
    )
    op.create_table(
        "question_relays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_relays_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_relays")),
        sa.UniqueConstraint(
            "chat_id", "message_id", name=op.f("uq_question_relays_chat_id_message_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_question_relays_question_id", "question_relays", ["question_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_question_relays_question_id", table_name="question_relays")
    op.drop_table("question_relays")
    op.drop_index("ix_questions_unanswered_remind_at", table_name="questions")
    op.drop_index("ix_questions_clinic_id_asked_at", table_name="questions")
    op.drop_index("ix_questions_patient_id_asked_at", table_name="questions")
    op.drop_table("questions")
    op.drop_index("ix_aftercare_changes_clinic_id_procedure", table_name="aftercare_changes")
    op.drop_table("aftercare_changes")
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("opening_hours")
        batch.drop_column("question_reminder_hours")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("aftercare_off")
