"""Staff lifecycle: invites can be revoked; staff keep the name they joined with; owners.

`staff_invites.revoked_at` marks an invite an owner or the operator withdrew (refused as
"no longer valid"). `clinic_staff.display_name` and `language` are the Telegram name and
language a member had when they joined, so owners can tell members apart on /staff, and are
told who used an invite in their own language (staff have no patient row to hold it). Until
now every member was plain staff; the earliest member of each clinic without an owner
becomes its owner, as a clinic's first member is from now on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "staff_invites", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("clinic_staff", sa.Column("display_name", sa.String(200), nullable=True))
    op.add_column("clinic_staff", sa.Column("language", sa.String(8), nullable=True))
    op.execute(
        """
        UPDATE clinic_staff SET role = 'owner'
        WHERE clinic_id NOT IN (SELECT clinic_id FROM clinic_staff WHERE role = 'owner')
          AND telegram_user_id = (
            SELECT first.telegram_user_id FROM clinic_staff AS first
            WHERE first.clinic_id = clinic_staff.clinic_id
            ORDER BY first.added_at, first.telegram_user_id
            LIMIT 1
          )
        """
    )


def downgrade() -> None:
    """Revert this revision (roles stay as they are)."""
    with op.batch_alter_table("clinic_staff") as batch:
        batch.drop_column("language")
        batch.drop_column("display_name")
    with op.batch_alter_table("staff_invites") as batch:
        batch.drop_column("revoked_at")
