"""One entry per procedure and date; when a broadcast was queued.

Updates are now handled concurrently (one chat in order): two chats of one patient could
save the same entry at once, so the database refuses a second identical row. Entries that
are already repeated keep their oldest row. `broadcasts.queued_at` is when a broadcast was
confirmed, for the per-clinic cooldown and daily cap.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.execute(
        """
        DELETE FROM treatments
        WHERE id NOT IN (
            SELECT MIN(id) FROM treatments GROUP BY patient_id, procedure, on_date
        )
        """
    )
    op.create_index(
        "uq_treatments_patient_id_procedure_on_date",
        "treatments",
        ["patient_id", "procedure", "on_date"],
        unique=True,
    )
    op.add_column("broadcasts", sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE broadcasts SET queued_at = created_at WHERE state <> 'draft'")
    op.create_index("ix_broadcasts_clinic_id_queued_at", "broadcasts", ["clinic_id", "queued_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_broadcasts_clinic_id_queued_at", table_name="broadcasts")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("queued_at")
    op.drop_index("uq_treatments_patient_id_procedure_on_date", table_name="treatments")
