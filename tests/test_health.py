"""Liveness, readiness and the errors every client sees."""

import functools
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import main
from app.config import get_settings
from app.db import get_engine, make_engine
from app.main import create_app
from tests.conftest import Keys


def test_healthz_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_migrations_and_storage(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "ok",
        "storage": "ok",
        "broker": "none",
        "signatures": "no trust roots (CONVENIOS_TRUST_ROOTS): PAdES signing is refused",
    }


def test_readyz_reports_an_unmigrated_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with TestClient(create_app(engine)) as client:
        response = client.get("/readyz")
    engine.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "convenios migrate" in response.json()["detail"]


def test_readyz_reports_trust_roots_that_cannot_be_read(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "trust.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("CONVENIOS_TRUST_ROOTS", str(bundle))
    get_settings.cache_clear()
    response = client.get("/readyz")
    assert response.status_code == 503 and "unreadable trust roots" in response.json()["detail"]
    monkeypatch.setenv("CONVENIOS_TRUST_ROOTS", str(tmp_path / "absent"))
    get_settings.cache_clear()
    assert client.get("/readyz").status_code == 503


def test_readyz_reports_storage_that_cannot_be_written(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    monkeypatch.setenv("CONVENIOS_STORAGE_URL", str(not_a_directory / "storage"))
    get_settings.cache_clear()
    response = client.get("/readyz")
    assert response.status_code == 503 and "storage" in response.json()["detail"]


def test_unknown_routes_and_methods_are_problems(client: TestClient, keys: Keys) -> None:
    missing = client.get("/api/v1/nothing-here", headers=keys.viewer)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = client.delete("/api/v1/parties", headers=keys.admin)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "urn:convenios:problem:method-not-allowed"


def test_responses_are_not_cached_or_sniffed(client: TestClient, keys: Keys) -> None:
    response = client.get("/api/v1/me", headers=keys.viewer)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_operation_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    for op in operations:
        assert op["summary"] and op["tags"], op["operationId"]
        errors = [status for status in op["responses"] if status.startswith(("4", "5"))]
        assert errors, op["operationId"]
        for status in errors:
            assert "application/problem+json" in op["responses"][status]["content"], (
                op["operationId"],
                status,
            )


@pytest.mark.parametrize("broker", ["", "redis://127.0.0.1:9/0"])
def test_a_served_replica_runs_the_periodic_loops_unless_workers_do(
    broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`convenios serve` sweeps, delivers and makes batches itself in the embedded mode; with a
    broker the workers run those loops, and every replica leaves them alone."""
    started: list[str] = []
    monkeypatch.setenv("CONVENIOS_BROKER_URL", broker)
    monkeypatch.setenv("CONVENIOS_DATABASE_URL", f"sqlite:///{tmp_path / 'served.sqlite3'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    for name in ("sweep_periodically", "dispatch_periodically", "process_periodically"):
        monkeypatch.setattr(main, name, functools.partial(_record, started, name))
    try:
        with TestClient(create_app()):  # as `convenios serve` builds it: no engine given
            pass
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
    expected = (
        [] if broker else ["dispatch_periodically", "process_periodically", "sweep_periodically"]
    )
    assert sorted(started) == expected


async def _record(started: list[str], name: str, engine: object, settings: object) -> None:
    started.append(name)
