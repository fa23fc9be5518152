"""Signatures: requests with an order, their outcome and evidence; the document to sign and
the signed one on each agreement.

Revision ID: 182661997bdd
Revises: 9b195adfd387
Create Date: 2026-11-25 20:33:37.220105
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "182661997bdd"
down_revision: str | None = "9b195adfd387"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ORIGINS = ("generated", "uploaded")


def _origins(*values: str) -> str:
    return "origin IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    # A third origin: the document to sign with PAdES signatures added.
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_documents_document_origin"), type_="check")
        batch_op.create_check_constraint("document_origin", _origins(*_ORIGINS, "signed"))
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "signed",
                "declined",
                name="signature_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "electronic",
                "autografa",
                "pades",
                name="signature_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("signed_sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence_document_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("certificate", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "(status = 'declined') = (reason IS NOT NULL)",
            name=op.f("ck_signatures_declined_reason"),
        ),
        sa.CheckConstraint(
            "(status = 'signed') = (method IS NOT NULL AND signed_sha256 IS NOT NULL"
            " AND decided_at IS NOT NULL)",
            name=op.f("ck_signatures_signed_outcome"),
        ),
        sa.CheckConstraint('"order" >= 1', name=op.f("ck_signatures_order_positive")),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_signatures_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_signatures_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_document_id"],
            ["documents.id"],
            name=op.f("fk_signatures_evidence_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representatives.id"],
            name=op.f("fk_signatures_representative_id_representatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint(
            "agreement_id",
            "representative_id",
            name=op.f("uq_signatures_agreement_id_representative_id"),
        ),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signatures_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_signatures_representative_id"), ["representative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signatures_status"), ["status"], unique=False)

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_document_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signed_document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_agreements_signed_document_id_documents"),
            "documents",
            ["signed_document_id"],
            ["id"],
            use_alter=True,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_agreements_signing_document_id_documents"),
            "documents",
            ["signing_document_id"],
            ["id"],
            use_alter=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_agreements_signing_document_id_documents"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_agreements_signed_document_id_documents"), type_="foreignkey"
        )
        batch_op.drop_column("signed_document_id")
        batch_op.drop_column("signing_document_id")

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_status"))
        batch_op.drop_index(batch_op.f("ix_signatures_representative_id"))
        batch_op.drop_index(batch_op.f("ix_signatures_agreement_id"))

    op.drop_table("signatures")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_documents_document_origin"), type_="check")
        batch_op.create_check_constraint("document_origin", _origins(*_ORIGINS))
