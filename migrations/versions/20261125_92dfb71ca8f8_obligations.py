"""Obligations: dated (or recurring, as occurrences) duties of a party under an agreement,
with their evidence documents.

Revision ID: 92dfb71ca8f8
Revises: 182661997bdd
Create Date: 2026-11-25 21:48:54.335782
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "92dfb71ca8f8"
down_revision: str | None = "182661997bdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "obligations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("clause", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("deadline", sa.JSON(), nullable=True),
        sa.Column("series", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.Integer(), nullable=True),
        sa.Column("frequency", sa.String(length=16), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "fulfilled",
                "overdue",
                "waived",
                name="obligation_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_obligations_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_obligations_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligations")),
    )
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obligations_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_obligations_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligations_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligations_series"), ["series"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligations_status"), ["status"], unique=False)

    op.create_table(
        "obligation_evidence",
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_obligation_evidence_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.id"],
            name=op.f("fk_obligation_evidence_obligation_id_obligations"),
        ),
        sa.PrimaryKeyConstraint(
            "obligation_id", "document_id", name=op.f("pk_obligation_evidence")
        ),
    )


def downgrade() -> None:
    op.drop_table("obligation_evidence")
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligations_status"))
        batch_op.drop_index(batch_op.f("ix_obligations_series"))
        batch_op.drop_index(batch_op.f("ix_obligations_party_id"))
        batch_op.drop_index(batch_op.f("ix_obligations_due_date"))
        batch_op.drop_index(batch_op.f("ix_obligations_agreement_id"))

    op.drop_table("obligations")
