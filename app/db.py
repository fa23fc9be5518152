"""Engine, sessions and the one transaction of each request."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings

# Requests that only read take the ordinary (deferred) SQLite transaction; the others take the
# write lock up front, so two writers queue instead of failing with "database is locked" when
# both try to upgrade a read lock.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A pooled PostgreSQL connection left unused for longer than this is pinged before it is handed
# out (a server restarted or a connection cut by a firewall shows there, and is replaced); one
# used a moment ago is not, so a busy server does not pay a round trip per request for it.
IDLE_BEFORE_PING_SECONDS = 10.0
_COMPUTES = "__convenios_computes__"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """An engine for ``url`` with the settings convenios needs on each database; on PostgreSQL
    a pool of ``pool_size`` connections kept open and ``max_overflow`` more at a peak."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections idle for a while only."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The server went away: the pool discards every connection it had before now and
            # hands out a new one.
            raise InvalidatePoolError(str(error)) from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    settings = get_settings()
    return make_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )


def insert_unless_present(session: Session, model: type[Any], key: str, **values: Any) -> Any:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING key``: the key when this statement
    wrote the row, None when one was there already (RETURNING, since drivers do not all count
    the rows of such an insert alike)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    column = getattr(model, key)
    return session.scalar(
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[key])
        .returning(column)
    )


@lru_cache(maxsize=32)
def session_factory(engine: Engine, *, write: bool) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``write`` sessions take SQLite's write lock when they begin."""
    bind = engine.execution_options(sqlite_immediate=True) if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


def computes(endpoint: Endpoint) -> Endpoint:
    """Mark a route that changes data after CPU work — rendering, parsing, signing, validating.

    Its request session only reads: the dependencies load what it acts on without locking it,
    so no writer waits while it works. It records its result in a short transaction of its
    own (`WritesDep`), where it locks what it changes and checks again what it read."""
    setattr(endpoint, _COMPUTES, True)
    return endpoint


def _writes(request: Request) -> bool:
    route = request.scope.get("route")
    computing = getattr(getattr(route, "endpoint", None), _COMPUTES, False)
    return request.method not in READ_METHODS and not computing


def get_session(request: Request) -> Iterator[Session]:
    """One session and one transaction per request: committed here, and only here."""
    engine: Engine = request.app.state.engine
    with session_factory(engine, write=_writes(request))() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def is_write(request: Request) -> bool:  # async: pure, so no worker thread hop
    return _writes(request)


# True when the request changes data: the rows it loads to change are locked until commit, so
# concurrent writers queue on PostgreSQL as they do on SQLite, and each sees the last one's work.
WriteIntent = Annotated[bool, Depends(is_write)]


def hold_lock(session: Session, key: bytes) -> None:
    """Hold the lock named by ``key`` (its first 8 bytes) until the transaction ends: on
    PostgreSQL a transaction-scoped advisory lock; on SQLite nothing, since every write
    transaction holds the database's one write lock already."""
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(key[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def end_reading(session: Session) -> None:
    """A computing route lets go of its read transaction before the work: nothing it holds
    keeps a snapshot open meanwhile, and what it reads afterwards is read afresh."""
    session.commit()  # it wrote nothing; the objects stay loaded (expire_on_commit=False)


class Writes:
    """Short write transactions for a computing route: ``with writes() as session:`` commits
    at the end of the block, or rolls back if it raises."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session


async def get_writes(request: Request) -> Writes:  # async: it only builds an object
    return Writes(session_factory(request.app.state.engine, write=True))


WritesDep = Annotated[Writes, Depends(get_writes)]
