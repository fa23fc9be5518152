"""Test databases: SQLite files and PostgreSQL databases, each built by `alembic upgrade head`."""

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import migrations
from app.auth import service as keys_service
from app.auth.principal import operator
from app.models.enums import Role

POSTGRES_URL = os.environ.get(
    "CONVENIOS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/convenios_test"
)
BACKENDS = [
    b for b in os.environ.get("CONVENIOS_TEST_DATABASES", "sqlite,postgresql").split(",") if b
]
# For tests of what a document says and how it is laid out, which no database changes (the
# golden texts were seen identical on both): one database is enough, the first of the run's.
ONE_DATABASE = pytest.mark.parametrize("backend", BACKENDS[:1], indirect=True)


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    engine = create_engine(_admin_url(POSTGRES_URL), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        return str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    finally:
        engine.dispose()
    return None


def require_postgres() -> None:
    """Skip locally, fail in CI, when PostgreSQL cannot be reached: say so either way."""
    reason = postgres_unreachable()
    if reason is None:
        return
    message = (
        f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is unreachable ({reason}). "
        "Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
    )
    if os.environ.get("CI"):
        pytest.fail(message + " — CI requires the PostgreSQL run.", pytrace=False)
    pytest.skip(message + " — PostgreSQL tests skipped (they fail in CI).")


def new_database(
    backend: str, directory: Path, name: str | None = None, *, migrate: bool = True
) -> str:
    """A new database at the latest migration (``migrate``) or empty; returns its URL."""
    name = name or f"convenios_test_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url = f"sqlite:///{directory / (name + '.sqlite3')}"
    else:
        require_postgres()
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        admin = create_engine(_admin_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    if migrate:
        migrations.upgrade(url)
    return url


def drop_database(backend: str, url: str) -> None:
    if backend == "sqlite":
        return
    name = make_url(url).database
    admin = create_engine(_admin_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def api_key(engine: Engine, role: Role, representative_id: int | None = None) -> dict[str, str]:
    """A key of ``role`` (a signatory's bound to ``representative_id``), committed to
    ``engine``'s database, as an `Authorization` header."""
    with Session(engine) as session, session.begin():
        _, secret = keys_service.create_key(
            session=session,
            name=f"tests {role.value}",
            role=role,
            representative_id=representative_id,
            actor=operator("tests"),
        )
    return {"Authorization": f"Bearer {secret}"}
