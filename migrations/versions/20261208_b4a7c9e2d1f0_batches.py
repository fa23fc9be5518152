"""Batches: one convenio for many municipios (`POST /batches`), and an item per municipio
that records its agreement, its document, its outcome and who has claimed it.

Revision ID: b4a7c9e2d1f0
Revises: e621658f6e6c
Create Date: 2026-12-08 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4a7c9e2d1f0"
down_revision: str | None = "e621658f6e6c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("batch_status", "running", "finished"), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("template_version_id", sa.Integer(), nullable=False),
        sa.Column("variant", _enum("pdf_variant", "standard", "pdf/a-3b"), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_version_id"],
            ["template_versions.id"],
            name=op.f("fk_batches_template_version_id_template_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index(op.f("ix_batches_status"), "batches", ["status"], unique=False)
    op.create_table(
        "batch_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=5), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column(
            "status", _enum("batch_item_status", "pending", "done", "failed"), nullable=False
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_items_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_batch_items_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_batch_items_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_batch_items_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_items")),
        sa.UniqueConstraint(
            "batch_id", "municipality_code", name=op.f("uq_batch_items_batch_id_municipality_code")
        ),
        sa.UniqueConstraint("batch_id", "position", name=op.f("uq_batch_items_batch_id_position")),
    )
    op.create_index("ix_batch_items_status_id", "batch_items", ["status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_batch_items_status_id", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_index(op.f("ix_batches_status"), table_name="batches")
    op.drop_table("batches")
