"""Search by word forms: an agreement's search words — the Spanish stems of the words of its
title, objective and parties' names (app.words), distinct and space-separated — written for
every agreement a batch at a time, and on PostgreSQL a full-text GIN index on them (as they are,
configuration `simple`), so that "convenios municipales" finds "Convenio municipal" without
reading the table. The index is built CONCURRENTLY, outside the migration's transaction, so
writers are not locked out while it builds; kept out of the models, as `migrations/env.py` says.

Revision ID: 6e1f0a2b3c4d
Revises: 3c8d5e7f9a12
Create Date: 2026-12-08 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.words import stems

revision: str = "6e1f0a2b3c4d"
down_revision: str | None = "3c8d5e7f9a12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
INDEX = "ix_agreements_search_words"

agreements = sa.table(
    "agreements",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("objective", sa.Text),
    sa.column("search_words", sa.Text),
)
links = sa.table(
    "agreement_parties",
    sa.column("agreement_id", sa.Integer),
    sa.column("party_id", sa.Integer),
    sa.column("position", sa.Integer),
)
parties = sa.table(
    "parties",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("legal_name", sa.String),
)


def _write_words() -> None:
    """Every agreement's search words, BATCH at a time in id order."""
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(agreements.c.id, agreements.c.title, agreements.c.objective)
            .where(agreements.c.id > last)
            .order_by(agreements.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        names: dict[int, list[str | None]] = {}
        for agreement_id, name, legal_name in connection.execute(
            sa.select(links.c.agreement_id, parties.c.name, parties.c.legal_name)
            .join(parties, parties.c.id == links.c.party_id)
            .where(links.c.agreement_id.in_([row.id for row in rows]))
            .order_by(links.c.agreement_id, links.c.position)
        ):
            names.setdefault(agreement_id, []).extend((name, legal_name))
        connection.execute(
            agreements.update()
            .where(agreements.c.id == sa.bindparam("row_id"))
            .values(search_words=sa.bindparam("words")),
            [
                {
                    "row_id": row.id,
                    "words": " ".join(stems(row.title, row.objective, *names.get(row.id, []))),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table, and SQLite
    # without copying it.
    op.add_column(
        "agreements", sa.Column("search_words", sa.Text(), server_default="", nullable=False)
    )
    _write_words()
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        # A build that failed half-way leaves an invalid index of that name: built anew.
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        op.execute(
            f"CREATE INDEX CONCURRENTLY {INDEX} ON agreements "
            "USING gin (to_tsvector('simple', search_words))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    # Dropped in place (SQLite 3.35 and later can): a batch would copy the table and drop the
    # original, which the rows that refer to agreements forbid once there are any.
    op.drop_column("agreements", "search_words")
