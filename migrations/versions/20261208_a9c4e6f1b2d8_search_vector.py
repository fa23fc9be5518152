"""On PostgreSQL, an agreement's search words kept as a `tsvector` beside them
(``agreements.search_vector``), set by a trigger whenever they are written, and the full-text
index on it in place of the index on the expression ``to_tsvector('simple', search_words)``.

Why: a search whose condition PostgreSQL checks again row by row — the words `OR` the text `OR`
the folio, or a filter beside them — computed that expression for every row it looked at, 10 µs
a row; at a million convenios a name found in 800 of them spent 8 ms there alone. A stored
vector is read, not computed.

Nothing here locks writers out for long: the column is added without a default (no rewrite),
the trigger fills it for every row written from then on, the rows before are filled ten
thousand at a time, each batch its own transaction, and the index is built CONCURRENTLY — and
so are the table's other indexes, rebuilt after every row was written (`_rebuild_indexes`). At a
million convenios, on two cores: 83 s to fill, 53 s to rebuild. The
column and the trigger are PostgreSQL's alone, made by migrations only (`migrations/env.py`);
SQLite compares the search words as they are (`app.agreements.search`).

Revision ID: a9c4e6f1b2d8
Revises: f7d2e9a1c3b5
Create Date: 2026-12-08 20:00:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text

revision: str = "a9c4e6f1b2d8"
down_revision: str | None = "f7d2e9a1c3b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000
INDEX = "ix_agreements_search_vector"
EXPRESSION_INDEX = "ix_agreements_search_words"
TRIGGER = "agreements_search_vector"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The steps after this transaction commit one by one: a run stopped among them is run
    # again from the start, and finds the column and the trigger there already.
    op.execute("ALTER TABLE agreements ADD COLUMN IF NOT EXISTS search_vector tsvector")
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON agreements")
    # PostgreSQL's own trigger function: to_tsvector('simple', search_words) into the column.
    op.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF search_words ON agreements "
        "FOR EACH ROW EXECUTE FUNCTION "
        "tsvector_update_trigger(search_vector, 'pg_catalog.simple', search_words)"
    )
    with op.get_context().autocommit_block():
        filled = _fill(op.get_bind())
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        op.execute(f"CREATE INDEX CONCURRENTLY {INDEX} ON agreements USING gin (search_vector)")
        if filled:
            _rebuild_indexes(op.get_bind())
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {EXPRESSION_INDEX}")


def _fill(connection: Connection) -> int:
    """The vectors of the rows written before the trigger, a batch of ids at a time; how many
    rows were written."""
    last = connection.execute(text("SELECT coalesce(max(id), 0) FROM agreements")).scalar_one()
    filled = 0
    for start in range(0, last, BATCH):
        written = connection.execute(
            text(
                "UPDATE agreements SET search_vector = to_tsvector('simple', search_words) "
                "WHERE id > :start AND id <= :end AND search_vector IS NULL"
            ),
            {"start": start, "end": start + BATCH},
        )
        filled += written.rowcount
    return filled


def _rebuild_indexes(connection: Connection) -> None:
    """Every other index of the table built again, CONCURRENTLY. Writing every row gave each
    index an entry more per row: at a million convenios the trigram index doubled, and a name
    it found in 4 ms took 65 until rebuilt (VACUUM frees the entries, not the space)."""
    names = connection.execute(
        text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'agreements' AND indexname NOT IN (:new, :old)"
        ),
        {"new": INDEX, "old": EXPRESSION_INDEX},
    ).scalars()
    for name in list(names):
        op.execute(f'REINDEX INDEX CONCURRENTLY "{name}"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {EXPRESSION_INDEX}")
        op.execute(
            f"CREATE INDEX CONCURRENTLY {EXPRESSION_INDEX} ON agreements "
            "USING gin (to_tsvector('simple', search_words))"
        )
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON agreements")
    op.execute("ALTER TABLE agreements DROP COLUMN search_vector")
