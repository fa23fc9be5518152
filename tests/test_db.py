"""Durability settings and the one transaction of each request."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import make_engine
from app.models import AuditEvent, Party
from tests.conftest import Keys
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
