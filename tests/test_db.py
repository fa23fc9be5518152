"""Durability settings and the one transaction of each request."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import db
from app.audit import service as audit
from app.db import make_engine
from app.models import AuditEvent, Party
from tests.conftest import Keys
from tests.databases import POSTGRES_URL, require_postgres
from tests.factories import API


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_a_failure_after_the_change_leaves_nothing_half_written(
    client: TestClient, keys: Keys, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_record(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while writing the audit event")

    parties_before = db.scalar(select(func.count()).select_from(Party))
    events_before = db.scalar(select(func.count()).select_from(AuditEvent))
    monkeypatch.setattr(audit, "record", broken_record)
    response = client.post(
        f"{API}/parties",
        json={"kind": "social", "name": "Fundación", "article": "la"},
        headers=keys.legal,
    )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text and "disk full" not in response.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Party)) == parties_before
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_a_pooled_connection_the_server_cut_is_replaced_without_a_failed_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_postgres()
    server = make_url(POSTGRES_URL).set(database="postgres").render_as_string(hide_password=False)
    engine = make_engine(server, pool_size=1, max_overflow=0)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    try:
        with engine.connect() as connection:
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # Used a moment ago: handed out again with no round trip of its own.
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == backend
        assert pings == []
        # The server ends the connection (a restart, a firewall) while it sits idle.
        other = make_engine(server)
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        other.dispose()
        monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
        assert len(pings) == 1
    finally:
        engine.dispose()
