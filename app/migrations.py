"""Alembic from inside the service: upgrading, and knowing whether the schema is at head."""

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.config import PROJECT_ROOT, get_settings

# The lock `alone` takes on PostgreSQL (any constant other code does not use).
_LOCK_KEY = int.from_bytes(b"convmigr", "big", signed=True)


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


@lru_cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


@contextmanager
def alone(database_url: str | None = None) -> Iterator[None]:
    """Hold the database's migration lock: any number of processes may run `convenios migrate`
    at once (every replica as it starts, say); each waits for the one before it, and finds the
    schema at head and the templates in place. On PostgreSQL an advisory lock on a connection
    of its own, with no transaction open (CREATE INDEX CONCURRENTLY waits for every open one);
    on SQLite a lock on a file beside the database (`convenios.migrate-lock`)."""
    url = make_url(database_url or get_settings().database_url)
    if url.get_backend_name() == "sqlite":
        with open(Path(url.database or "convenios").with_suffix(".migrate-lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # Tried again and again rather than waited for in one statement: a statement
            # waiting holds a snapshot, for which the holder's CREATE INDEX CONCURRENTLY would
            # wait in turn, forever.
            lock = text("SELECT pg_try_advisory_lock(:key)")
            while not connection.execute(lock, {"key": _LOCK_KEY}).scalar_one():
                time.sleep(0.5)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
    finally:
        engine.dispose()
