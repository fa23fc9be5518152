"""The unidad administrativa that follows each convenio up (the transparency export's column 7).

Revision ID: c054e72f30bb
Revises: a175e17091b8
Create Date: 2026-12-07 08:58:33.289910
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c054e72f30bb"
down_revision: str | None = "a175e17091b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_unit", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("follow_up_unit")
