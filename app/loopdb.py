"""Reads asked from the event loop, for the routes that answer most often.

A sync route costs a hop to a worker thread and back for its session, its key and its own body;
on the two-core benchmark machine those hops cost more than an agreement's read itself, and an
authenticated read could not answer more than a third as often as a bare endpoint
(`bench/read.py`). A route that needs one row before it can answer asks for it here: on
PostgreSQL through psycopg's asyncio connections, without leaving the event loop; on SQLite (and
in an application whose lifespan has not run) through a read session, in a worker thread.

Only reads of one row, in autocommit: nothing here ever holds a transaction open.
"""

from typing import TYPE_CHECKING, Any, NamedTuple

import anyio.to_thread
from sqlalchemy import Engine, Select
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_factory

if TYPE_CHECKING:
    from app.pgpool import Pool

# A statement of any columns.
AnySelect = Select[*tuple[Any, ...]]

# Connections of one replica's event loop: a read takes well under a millisecond, so a few
# serve thousands a second; PostgreSQL's other connections stay with the engine's pool.
POOL_SIZE = 4
# How long a request waits for a connection, or for the server to accept a new one, before it
# fails (the database is down or overwhelmed): the 500 a sync route gives too, not a hang.
WAIT_SECONDS = 10


class LoopReads:
    """One-row reads for the event loop of the application that owns ``engine``.

    ``sessions`` make the reads that run in a worker thread (by default, read sessions of the
    engine; the tests give theirs, inside a transaction they roll back). Only reads through the
    engine's own connections go through the pool."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session] | None = None) -> None:
        self.engine = engine
        self.sessions = sessions or session_factory(engine, write=False)
        self._pooled = sessions is None
        self._pool: Pool | None = None
        # Each statement compiled once for the database (and kept, so that its id stays its own).
        self._compiled: dict[int, _Compiled] = {}

    async def open(self) -> None:
        """Read through a pool from now on, on PostgreSQL, in the loop that runs this (the
        lifespan's). Connections are made as reads need them, so a database that is down at
        start does not stop the replica from starting; `/readyz` says so meanwhile."""
        if self.engine.dialect.name == "postgresql" and self._pooled:
            # Imported here: psycopg costs an embedded (SQLite) replica 9 MB it has no use for.
            from app.pgpool import Pool

            url = self.engine.url.set(drivername="postgresql")
            self._pool = Pool(url.render_as_string(hide_password=False), POOL_SIZE, WAIT_SECONDS)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def one(self, statement: AnySelect, **params: Any) -> tuple[Any, ...] | None:
        """The first row of ``statement`` (a module's constant) with ``params`` bound, or None.

        Values come as the driver gives them, on either path: no type of the statement's
        columns converts them (an enum column's value is its ``str``)."""
        compiled = self._compile(statement)
        params = {**compiled.constants, **params}
        if self._pool is None:
            return await anyio.to_thread.run_sync(self._one_in_thread, compiled, params)
        return await self._pool.read(compiled.sql, params)

    def _compile(self, statement: AnySelect) -> "_Compiled":
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            sql = statement.compile(dialect=self.engine.dialect)
            compiled = self._compiled[id(statement)] = _Compiled(
                statement,
                str(sql),
                tuple(sql.positiontup) if sql.positiontup else None,
                {name: value for name, value in sql.params.items() if value is not None},
            )
        return compiled

    def _one_in_thread(self, compiled: "_Compiled", params: dict[str, Any]) -> Any:
        order = compiled.order
        bound = tuple(params[name] for name in order) if order is not None else params
        with self.sessions() as session:
            row = session.connection().exec_driver_sql(compiled.sql, bound).first()
            return tuple(row) if row is not None else None


class _Compiled(NamedTuple):
    statement: AnySelect
    sql: str
    # The parameters' names in order, where the driver takes them by position (sqlite3).
    order: tuple[str, ...] | None
    # The values the statement itself binds (a literal in it, such as COALESCE's 0).
    constants: dict[str, Any]
