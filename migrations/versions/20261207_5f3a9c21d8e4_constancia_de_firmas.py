"""Constancia de firmas: a document of its own kind, which the service issues when the last
party signs a convenio. It is generated (it has inputs, a digest of them and a verification
code) but from no template version: the generated-inputs rule lets it go without one.

Revision ID: 5f3a9c21d8e4
Revises: e4c1d2a9b7f3
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f3a9c21d8e4"
down_revision: str | None = "e4c1d2a9b7f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_DOCUMENT_KINDS = (
    "convenio",
    "annex",
    "signed_copy",
    "evidence",
    "cabildo_acta",
    "version_publica",
)
_NEW_DOCUMENT_KINDS = (*_OLD_DOCUMENT_KINDS, "constancia")

_OLD_GENERATED_INPUTS = (
    "(origin = 'generated') = (source_sha256 IS NOT NULL"
    " AND template_version_id IS NOT NULL AND verification_code IS NOT NULL"
    " AND variant IS NOT NULL)"
)
_NEW_GENERATED_INPUTS = (
    "(origin = 'generated') = (source_sha256 IS NOT NULL"
    " AND verification_code IS NOT NULL AND variant IS NOT NULL"
    " AND (template_version_id IS NOT NULL) = (kind <> 'constancia'))"
)


def _enum(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="document_kind", native_enum=False, create_constraint=True)


def _documents(kinds: tuple[Sequence[str], Sequence[str]], generated_inputs: str) -> None:
    # The old CHECK constraint of the kinds goes with the old type; batch mode rebuilds SQLite's
    # table, on which a CHECK constraint cannot be changed in place.
    old, new = kinds
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=_enum(old), type_=_enum(new), existing_nullable=False
        )
        batch_op.drop_constraint(op.f("ck_documents_generated_inputs"), type_="check")
        batch_op.create_check_constraint("generated_inputs", generated_inputs)


def upgrade() -> None:
    _documents((_OLD_DOCUMENT_KINDS, _NEW_DOCUMENT_KINDS), _NEW_GENERATED_INPUTS)


def downgrade() -> None:
    # A constancia cannot stay without its kind; it is issued again after an upgrade (the sweep
    # issues the missing ones).
    op.execute("DELETE FROM documents WHERE kind = 'constancia'")
    _documents((_NEW_DOCUMENT_KINDS, _OLD_DOCUMENT_KINDS), _OLD_GENERATED_INPUTS)
