"""Search that stays fast at a million convenios: an agreement's search text holds its title,
objective and parties' names (its folio is found by its beginning, from the folio itself), and
on PostgreSQL a trigram index (pg_trgm, GIN) on it and on the parties' answers `LIKE '%…%'`
without reading the table, and a B-tree on the folio in byte order (`text_pattern_ops`) its
prefix. The indexes are built CONCURRENTLY, outside the migration's transaction, so writers
are not locked out while they build; kept out of the models (kinds of index only PostgreSQL
has), as `migrations/env.py` says.

Revision ID: 3c8d5e7f9a12
Revises: 9d2e7b4c1a60
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from app.kit import searchable

revision: str = "3c8d5e7f9a12"
down_revision: str | None = "9d2e7b4c1a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
INDEXES = {
    "ix_agreements_search_trgm": "agreements USING gin (search_text gin_trgm_ops)",
    "ix_parties_search_trgm": "parties USING gin (search_text gin_trgm_ops)",
    "ix_agreements_folio_pattern": "agreements (folio text_pattern_ops)",
}

agreements = sa.table(
    "agreements",
    sa.column("id", sa.Integer),
    sa.column("folio", sa.String),
    sa.column("title", sa.String),
    sa.column("objective", sa.Text),
    sa.column("search_text", sa.Text),
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


def _rewrite(text_of: Callable[[sa.Row, list[str | None]], str]) -> None:
    """Every agreement's search text, BATCH at a time in id order."""
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                agreements.c.id, agreements.c.folio, agreements.c.title, agreements.c.objective
            )
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
            .values(search_text=sa.bindparam("text")),
            [{"row_id": row.id, "text": text_of(row, names.get(row.id, []))} for row in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    _rewrite(lambda row, names: searchable(row.title, row.objective, *names))
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may add it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.get_context().autocommit_block():
        for name, definition in INDEXES.items():
            # A build that failed half-way leaves an invalid index of that name: built anew.
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY {name} ON {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for name in INDEXES:
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    _rewrite(lambda row, names: searchable(row.folio, row.title))
