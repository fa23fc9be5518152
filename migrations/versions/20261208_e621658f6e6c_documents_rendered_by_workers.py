"""Documents rendered by workers: a document has a status — ``pending`` while a worker renders
it, ``ready`` once its file is stored (every existing one), ``failed`` with the error that
stopped it — and its digest, size and pages only when ready (a CHECK constraint); a pending one
counts its attempts and until when the worker that claimed it may still be rendering it. And
``scheduled_runs``: when each periodic job last started, so that one process runs it per period
whatever the number of replicas and workers.

Revision ID: e621658f6e6c
Revises: 6e1f0a2b3c4d
Create Date: 2026-12-08 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e621658f6e6c"
down_revision: str | None = "6e1f0a2b3c4d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILE_WHEN_READY = (
    "(status = 'ready') = (sha256 IS NOT NULL AND size IS NOT NULL AND pages IS NOT NULL)"
    " AND (status = 'failed') = (error IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_runs")),
    )
    status = sa.Enum(
        "pending",
        "ready",
        "failed",
        name="document_status",
        native_enum=False,
        create_constraint=True,
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        # Every document until now has its file: ready.
        batch_op.add_column(sa.Column("status", status, nullable=False, server_default="ready"))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("size", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("pages", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint("file_when_ready", _FILE_WHEN_READY)
    # The defaults served the existing rows only: the application sets both on every insert.
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=status, server_default=None)
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default=None)


def downgrade() -> None:
    # Documents without a file cannot stay where every document has one.
    op.execute("DELETE FROM documents WHERE status <> 'ready'")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_documents_file_when_ready"), type_="check")
        batch_op.drop_constraint(op.f("ck_documents_document_status"), type_="check")
        batch_op.alter_column("pages", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("size", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("attempts")
        batch_op.drop_column("error")
        batch_op.drop_column("status")
    op.drop_table("scheduled_runs")
