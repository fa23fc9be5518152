"""Job results: what a task worker answered to an upload check or a signature validation that
an API replica asked of it, kept until the replica reads it.

Revision ID: f7d2e9a1c3b5
Revises: b4a7c9e2d1f0
Create Date: 2026-12-08 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f7d2e9a1c3b5"
down_revision: str | None = "b4a7c9e2d1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_results",
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket", name=op.f("pk_job_results")),
    )
    op.create_index(op.f("ix_job_results_created_at"), "job_results", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_results_created_at"), table_name="job_results")
    op.drop_table("job_results")
