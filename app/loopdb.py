"""Reads asked from the event loop, for the routes that answer most often.

A sync route costs a hop to a worker thread and back for its session, its key and its own body;
on the two-core benchmark machine those hops cost more than an agreement's read itself, and an
authenticated read could not answer more than a third as often as a bare endpoint
(`bench/read.py`). A route that needs a few rows before it can answer asks for them here: on
PostgreSQL through asyncpg's connections (`app.pgpool`), without leaving the event loop; on
SQLite (and in an application whose lifespan has not run) through a read session, in a worker
thread.

Only short reads, each a statement of its own: nothing here ever holds a transaction open.
"""

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import anyio.to_thread
from sqlalchemy import Dialect, Engine, Select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_factory

if TYPE_CHECKING:
    from app.pgpool import Pool

# A statement of any columns.
AnySelect = Select[*tuple[Any, ...]]

# Connections of one replica's event loop: a read takes well under a millisecond, so a few
# serve thousands a second. Eight, so that requests seldom wait for one: a read that waits
# costs the event loop more than the read itself (a page measured 297 to 319 µs of CPU with eight,
# 348 to 391 with four, eight requests at once). PostgreSQL's other connections stay with the
# engine's pool.
POOL_SIZE = 8
# How long a request waits for a connection, or for the server to accept a new one, before it
# fails (the database is down or overwhelmed): the 500 a sync route gives too, not a hang.
WAIT_SECONDS = 10
# Statements kept compiled: the few constant ones and the shapes of pages asked for lately.
STATEMENTS_KEPT = 1024


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
        # Each statement compiled once for the driver that runs it, the latest asked for kept
        # (each with its statement, so that its id stays its own while it is).
        self._dialect: Dialect = engine.dialect
        self._compiled: OrderedDict[int, _Compiled] = OrderedDict()

    async def open(self) -> None:
        """Read through a pool from now on, on PostgreSQL, in the loop that runs this (the
        lifespan's). Connections are made as reads need them, so a database that is down at
        start does not stop the replica from starting; `/readyz` says so meanwhile."""
        if self.engine.dialect.name == "postgresql" and self._pooled:
            # Imported here: the driver costs an embedded (SQLite) replica memory it has no use
            # for.
            from app.pgpool import Pool

            url = self.engine.url.set(drivername="postgresql")
            dsn = url.render_as_string(hide_password=False)
            self._pool = Pool(dsn, POOL_SIZE, WAIT_SECONDS, STATEMENTS_KEPT)
            self._dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
            self._compiled.clear()

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def one(self, statement: AnySelect, **params: Any) -> tuple[Any, ...] | None:
        """The first row of ``statement`` (a module's constant) with ``params`` bound, or None.

        Values come as the driver gives them, on either path: no type of the statement's
        columns converts them (an enum column's value is its ``str``)."""
        rows = await self.all(statement, **params)
        return rows[0] if rows else None

    async def all(self, statement: AnySelect, **params: Any) -> list[tuple[Any, ...]]:
        """The rows of ``statement``, a statement made once and kept (a module's constant, or
        one of a few shapes made once each), with ``params`` bound by their names."""
        compiled = self._compile(statement)
        args = {**compiled.constants, **params}
        for name, process in compiled.processors:
            if name in args:
                args[name] = process(args[name])
        if compiled.order is None:  # by name (psycopg's, in a worker thread)
            return await anyio.to_thread.run_sync(self._all_in_thread, compiled.sql, args)
        bound = tuple(args[name] for name in compiled.order)
        if self._pool is not None:
            return await self._pool.fetch(compiled.sql, bound)
        return await anyio.to_thread.run_sync(self._all_in_thread, compiled.sql, bound)

    def _compile(self, statement: AnySelect) -> "_Compiled":
        compiled = self._compiled.get(id(statement))
        if compiled is not None:
            self._compiled.move_to_end(id(statement))
            return compiled
        sql = statement.compile(dialect=self._dialect)
        compiled = self._compiled[id(statement)] = _Compiled(
            statement,
            str(sql),
            tuple(sql.positiontup) if sql.positiontup else None,
            {name: value for name, value in sql.params.items() if value is not None},
            # Values as the columns' types write them (a date as text on SQLite): the driver
            # gets them as SQLAlchemy would give them.
            tuple(
                (name, process)
                for name, bind in sql.binds.items()
                if (process := bind.type.bind_processor(self._dialect)) is not None
            ),
        )
        if len(self._compiled) > STATEMENTS_KEPT:
            self._compiled.popitem(last=False)
        return compiled

    def _all_in_thread(self, sql: str, bound: Any) -> list[tuple[Any, ...]]:
        with self.sessions() as session:
            return [tuple(row) for row in session.connection().exec_driver_sql(sql, bound)]


class _Compiled(NamedTuple):
    statement: AnySelect
    sql: str
    # The parameters' names in order, where the driver takes them by position (sqlite3,
    # asyncpg).
    order: tuple[str, ...] | None
    # The values the statement itself binds (a literal in it, such as COALESCE's 0).
    constants: dict[str, Any]
    # How the columns' types write the values of the parameters that need it.
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]
