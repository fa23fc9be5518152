"""Blob leases: files being put in storage for rows not yet committed, which no scrub may take.

Revision ID: 8b25db490650
Revises: d281222b02ae
Create Date: 2026-12-01 22:11:40.329434
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b25db490650"
down_revision: str | None = "d281222b02ae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blob_leases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blob_leases")),
    )
    with op.batch_alter_table("blob_leases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blob_leases_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("blob_leases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blob_leases_sha256"))

    op.drop_table("blob_leases")
