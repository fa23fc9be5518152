"""Convenio documents: generated and uploaded PDFs, kept by their SHA-256; witnesses.

Revision ID: 9b195adfd387
Revises: a43ae58035f1
Create Date: 2026-11-25 18:39:33.291894
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b195adfd387"
down_revision: str | None = "a43ae58035f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("witnesses", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "convenio",
                "annex",
                "signed_copy",
                "evidence",
                name="document_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "origin",
            sa.Enum(
                "generated",
                "uploaded",
                name="document_origin",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("template_version_id", sa.Integer(), nullable=True),
        sa.Column(
            "variant",
            sa.Enum(
                "standard",
                "pdf/a-3b",
                name="pdf_variant",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("verification_code", sa.String(length=14), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "(origin = 'generated') = (source_sha256 IS NOT NULL"
            " AND template_version_id IS NOT NULL AND verification_code IS NOT NULL"
            " AND variant IS NOT NULL)",
            name=op.f("ck_documents_generated_inputs"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_documents_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["template_version_id"],
            ["template_versions.id"],
            name=op.f("fk_documents_template_version_id_template_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "agreement_id", "sha256", name=op.f("uq_documents_agreement_id_sha256")
        ),
        sa.UniqueConstraint(
            "agreement_id", "source_sha256", name=op.f("uq_documents_agreement_id_source_sha256")
        ),
        sa.UniqueConstraint("verification_code", name=op.f("uq_documents_verification_code")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_documents_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_documents_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_documents_template_version_id"), ["template_version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_template_version_id"))
        batch_op.drop_index(batch_op.f("ix_documents_sha256"))
        batch_op.drop_index(batch_op.f("ix_documents_agreement_id"))

    op.drop_table("documents")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("witnesses")
