"""The legal facts a convenio is written from: how a party is named (article, gender, legal
framework, autonomy, an ayuntamiento's term) and its new kinds (organismo descentralizado,
public and private academic institutions); a representative's honorific, gender and
appointment; each signatory's capacity; each party's contributions, own declarations and
cabildo authorisation; how, where and when the convenio is signed; its publication plan and
publications; the drafter's choice of standard clauses, which each template version lists; the
certified acta of a sesión de cabildo as a kind of document.

Parties of kind "academico" become "academico_privado", the way the templates treated them.

Revision ID: a175e17091b8
Revises: 8b25db490650
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a175e17091b8"
down_revision: str | None = "8b25db490650"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_PARTY_KINDS = (
    "municipio",
    "estado",
    "federacion",
    "organismo_autonomo",
    "privado",
    "social",
    "academico",
    "internacional",
)
_NEW_PARTY_KINDS = (
    "municipio",
    "estado",
    "federacion",
    "organismo_autonomo",
    "organismo_descentralizado",
    "academico_publico",
    "academico_privado",
    "privado",
    "social",
    "internacional",
)
_OLD_DOCUMENT_KINDS = ("convenio", "annex", "signed_copy", "evidence")
_NEW_DOCUMENT_KINDS = (*_OLD_DOCUMENT_KINDS, "cabildo_acta")


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def _change_enum(
    table: str, column: str, name: str, old: Sequence[str], new: Sequence[str]
) -> None:
    # The old CHECK constraint goes with the old type (batch mode rebuilds SQLite's table).
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(
            column,
            existing_type=_enum(old, name),
            type_=_enum(new, name),
            existing_nullable=False,
        )


def upgrade() -> None:
    # Through both vocabularies at once, so the rows can move from one to the other.
    both = (*_NEW_PARTY_KINDS, "academico")
    _change_enum("parties", "kind", "party_kind", _OLD_PARTY_KINDS, both)
    op.execute("UPDATE parties SET kind = 'academico_privado' WHERE kind = 'academico'")
    _change_enum("parties", "kind", "party_kind", both, _NEW_PARTY_KINDS)
    _change_enum("documents", "kind", "document_kind", _OLD_DOCUMENT_KINDS, _NEW_DOCUMENT_KINDS)

    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("article", _enum(("el", "la", "los", "las"), "party_article"), nullable=True)
        )
        batch_op.add_column(
            sa.Column("gender", _enum(("feminine", "masculine"), "party_gender"), nullable=True)
        )
        batch_op.add_column(sa.Column("legal_framework", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("autonomous", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("term_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("term_end", sa.Date(), nullable=True))

    with op.batch_alter_table("representatives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("honorific", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                "gender", _enum(("feminine", "masculine"), "representative_gender"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("appointment", sa.Text(), nullable=True))

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "signing_method",
                _enum(("autografa", "electronica", "mixta"), "signing_method"),
                server_default="autografa",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("signing_place", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("signing_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("copies", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("publication_media", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "effective_on_publication",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("standard_clauses", sa.JSON(), server_default="{}", nullable=False)
        )

    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "declarations_mode",
                _enum(("follow", "precede", "replace"), "declarations_mode"),
                server_default="follow",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("contributions", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("authorization", sa.JSON(), nullable=True))

    with op.batch_alter_table("agreement_signatories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "capacity",
                _enum(("represents", "assists", "attests"), "signatory_capacity"),
                server_default="represents",
                nullable=False,
            )
        )

    with op.batch_alter_table("template_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("standard_clauses", sa.JSON(), server_default="[]", nullable=False)
        )

    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column(
            "medium",
            _enum(("dof", "periodico_oficial", "gaceta_municipal"), "publication_medium"),
            nullable=False,
        ),
        sa.Column("medium_name", sa.String(length=300), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=120), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_publications_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publications_agreement_id"), ["agreement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publications_agreement_id"))
    op.drop_table("publications")

    with op.batch_alter_table("template_versions", schema=None) as batch_op:
        batch_op.drop_column("standard_clauses")
    with op.batch_alter_table("agreement_signatories", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_agreement_signatories_signatory_capacity"), type_="check")
        batch_op.drop_column("capacity")
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_column("authorization")
        batch_op.drop_column("contributions")
        batch_op.drop_constraint(op.f("ck_agreement_parties_declarations_mode"), type_="check")
        batch_op.drop_column("declarations_mode")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_agreements_signing_method"), type_="check")
        for column in (
            "standard_clauses",
            "effective_on_publication",
            "publication_media",
            "copies",
            "signing_date",
            "signing_place",
            "signing_method",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("representatives", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_representatives_representative_gender"), type_="check")
        batch_op.drop_column("appointment")
        batch_op.drop_column("gender")
        batch_op.drop_column("honorific")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_parties_party_article"), type_="check")
        batch_op.drop_constraint(op.f("ck_parties_party_gender"), type_="check")
        for column in ("term_end", "term_start", "autonomous", "legal_framework", "gender"):
            batch_op.drop_column(column)
        batch_op.drop_column("article")

    # Rows of the new kinds take the nearest old one.
    documents = (*_OLD_DOCUMENT_KINDS, "cabildo_acta")
    op.execute("UPDATE documents SET kind = 'annex' WHERE kind = 'cabildo_acta'")
    _change_enum("documents", "kind", "document_kind", documents, _OLD_DOCUMENT_KINDS)
    both = (*_NEW_PARTY_KINDS, "academico")
    _change_enum("parties", "kind", "party_kind", _NEW_PARTY_KINDS, both)
    op.execute(
        "UPDATE parties SET kind = 'academico' "
        "WHERE kind IN ('academico_privado', 'academico_publico')"
    )
    op.execute(
        "UPDATE parties SET kind = 'organismo_autonomo' WHERE kind = 'organismo_descentralizado'"
    )
    _change_enum("parties", "kind", "party_kind", both, _OLD_PARTY_KINDS)
