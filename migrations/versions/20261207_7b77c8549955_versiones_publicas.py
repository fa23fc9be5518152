"""Versiones públicas: the parts of a convenio its transparency unit classifies, each with its
legal basis; the versiones públicas made without them, with their leyenda de clasificación and
when each was published; and the versión pública as a kind of document.

Revision ID: 7b77c8549955
Revises: c054e72f30bb
Create Date: 2026-12-07 09:02:59.020244
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b77c8549955"
down_revision: str | None = "c054e72f30bb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_DOCUMENT_KINDS = ("convenio", "annex", "signed_copy", "evidence", "cabildo_acta")
_NEW_DOCUMENT_KINDS = (*_OLD_DOCUMENT_KINDS, "version_publica")


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def _document_kinds(old: Sequence[str], new: Sequence[str]) -> None:
    # The old CHECK constraint goes with the old type (batch mode rebuilds SQLite's table).
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_enum(old, "document_kind"),
            type_=_enum(new, "document_kind"),
            existing_nullable=False,
        )


def upgrade() -> None:
    op.create_table(
        "classifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column(
            "part",
            _enum(("clause", "antecedent", "declaration", "annex"), "classified_part"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_classifications_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_classifications_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_classifications_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifications")),
    )
    with op.batch_alter_table("classifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_classifications_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "public_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=300), nullable=False),
        sa.Column("classified_by", sa.String(length=200), nullable=False),
        sa.Column("classified_by_position", sa.String(length=300), nullable=False),
        sa.Column("classified_on", sa.Date(), nullable=False),
        sa.Column("committee_session", sa.String(length=300), nullable=False),
        sa.Column("committee_date", sa.Date(), nullable=False),
        sa.Column("committee_resolution", sa.String(length=120), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_public_versions_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_public_versions_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_versions")),
        sa.UniqueConstraint("document_id", name=op.f("uq_public_versions_document_id")),
    )
    with op.batch_alter_table("public_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_versions_agreement_id"), ["agreement_id"], unique=False
        )

    _document_kinds(_OLD_DOCUMENT_KINDS, _NEW_DOCUMENT_KINDS)


def downgrade() -> None:
    # Their documents go too: a versión pública cannot stay without its kind.
    op.execute("DELETE FROM public_versions")
    op.execute("DELETE FROM documents WHERE kind = 'version_publica'")
    _document_kinds(_NEW_DOCUMENT_KINDS, _OLD_DOCUMENT_KINDS)
    with op.batch_alter_table("public_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_versions_agreement_id"))
    op.drop_table("public_versions")
    with op.batch_alter_table("classifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classifications_agreement_id"))
    op.drop_table("classifications")
