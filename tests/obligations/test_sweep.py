"""The sweep, driven with a controllable clock: overdue obligations, expiry, automatic renewal
and reminders; idempotent when run again on the same day."""

import logging
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import get_engine
from app.main import create_app
from app.models import AuditEvent, Event
from app.models.enums import EventType
from app.obligations.scheduled import SweepReport, sweep
from tests.clock import FEBRUARY_2026, TestClock
from tests.conftest import Keys
from tests.databases import new_database
from tests.factories import API, agreement, move, ok


@pytest.fixture(autouse=True)
def _february_2026(clock: TestClock) -> None:
    """These tests are written around the calendar of early 2026."""
    clock.set(FEBRUARY_2026)


def _active(client: TestClient, keys: Keys, **fields: Any) -> dict[str, Any]:
    created = agreement(client, keys.legal, **fields)
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    return move(client, keys.legal, created["id"], "active", signed_on="2026-01-20")


def _sweep(db: Session, day: date) -> SweepReport:
    report = sweep(db, today=day, settings=get_settings())
    db.flush()
    return report


def _events(db: Session, agreement_id: int) -> list[tuple[str, dict[str, Any]]]:
    db.expire_all()
    return [
        (event.type.value, event.payload)
        for event in db.scalars(
            select(Event).where(Event.agreement_id == agreement_id).order_by(Event.id)
        )
    ]


def test_an_agreement_walked_from_signing_to_expiry(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = _active(client, keys, expiry_date="2026-12-31")
    url = f"{API}/agreements/{created['id']}"
    party_id = created["parties"][0]["party"]["id"]
    report = ok(
        client.post(
            f"{url}/obligations",
            json={"party_id": party_id, "description": "Informe", "due_date": "2026-03-31"},
            headers=keys.legal,
        ),
        201,
    )["items"][0]

    # Eight days before: nothing yet. Seven days before: one reminder, once.
    assert _sweep(db, date(2026, 3, 23)).reminders == 0
    first = _sweep(db, date(2026, 3, 24))
    assert first.reminders == 1 and first.overdue == 0
    assert _sweep(db, date(2026, 3, 24)).reminders == 0  # the same day again: nothing new
    assert _sweep(db, date(2026, 3, 30)).reminders == 1  # the 1-day reminder
    reminders = [p for t, p in _events(db, created["id"]) if t == "obligation.due_soon"]
    assert [p["days_left"] for p in reminders] == [7, 1]

    # The day after it is due: overdue, once.
    late = _sweep(db, date(2026, 4, 1))
    assert late.overdue == 1
    assert _sweep(db, date(2026, 4, 1)).overdue == 0
    read = ok(client.get(f"{API}/obligations/{report['id']}", headers=keys.viewer))
    assert read["status"] == "overdue"
    overdue = ok(
        client.get(
            f"{API}/obligations",
            params={"status": "overdue", "agreement_id": created["id"]},
            headers=keys.viewer,
        )
    )["items"]
    assert [o["id"] for o in overdue] == [report["id"]]
    # An overdue obligation can still be fulfilled.
    done = ok(
        client.post(
            f"{API}/obligations/{report['id']}/fulfill",
            files={"note": (None, "Entregado tarde")},
            headers=keys.legal,
        )
    )
    assert done["status"] == "fulfilled"

    # 90, 30 and 7 days before expiry: one reminder each; a missed day still reminds once.
    assert _sweep(db, date(2026, 10, 2)).reminders == 1  # 90 days left
    assert _sweep(db, date(2026, 10, 3)).reminders == 0
    assert _sweep(db, date(2026, 12, 10)).reminders == 1  # 21 days left: the 30-day one
    assert _sweep(db, date(2026, 12, 24)).reminders == 1  # 7 days left
    expiring = [p["days_left"] for t, p in _events(db, created["id"]) if t == "agreement.expiring"]
    assert expiring == [90, 21, 7]

    # On its expiry date it is still in force; the day after, expired, once.
    assert _sweep(db, date(2026, 12, 31)).expired == 0
    assert _sweep(db, date(2027, 1, 1)).expired == 1
    assert _sweep(db, date(2027, 1, 1)).expired == 0
    assert ok(client.get(url, headers=keys.viewer))["status"] == "expired"
    types = [t for t, _ in _events(db, created["id"])]
    assert types.count("agreement.expired") == 1
    assert types[-2:] == ["agreement.status_changed", "agreement.expired"]
    assert "obligation.fulfilled" in types and "obligation.overdue" in types


def test_automatic_renewal_moves_the_expiry_date(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = _active(
        client,
        keys,
        expiry_date="2026-06-30",
        renewal={"mode": "automatic", "months": 12},
    )
    report = _sweep(db, date(2026, 7, 1))
    assert (report.renewed, report.expired) == (1, 0)
    read = ok(client.get(f"{API}/agreements/{created['id']}", headers=keys.viewer))
    assert read["status"] == "active" and read["expiry_date"] == "2027-06-30"
    assert _sweep(db, date(2026, 7, 1)).renewed == 0
    # Down for two whole periods: renewed past today at once, one event.
    report = _sweep(db, date(2029, 2, 1))
    assert report.renewed == 1
    read = ok(client.get(f"{API}/agreements/{created['id']}", headers=keys.viewer))
    assert read["expiry_date"] == "2029-06-30"
    renewed = [p for t, p in _events(db, created["id"]) if t == "agreement.renewed"]
    assert [(p["previous_expiry_date"], p["expiry_date"]) for p in renewed] == [
        ("2026-06-30", "2027-06-30"),
        ("2027-06-30", "2029-06-30"),
    ]
    audit = db.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.agreement_id == created["id"], AuditEvent.action == "agreement.renewed"
        )
    ).all()
    assert [c["periods"][1] for c in audit] == [1, 2]


def test_only_active_agreements_are_swept(client: TestClient, keys: Keys, db: Session) -> None:
    draft = agreement(client, keys.legal, expiry_date="2026-06-30")
    ok(
        client.post(
            f"{API}/agreements/{draft['id']}/obligations",
            json={
                "party_id": draft["parties"][0]["party"]["id"],
                "description": "Informe",
                "due_date": "2026-03-31",
            },
            headers=keys.legal,
        ),
        201,
    )
    later = date(2026, 6, 30) + timedelta(days=1)
    report = _sweep(db, later)
    assert (report.overdue, report.expired, report.renewed) == (0, 0, 0)
    assert ok(client.get(f"{API}/agreements/{draft['id']}", headers=keys.viewer))["status"] == (
        "draft"
    )


def test_changes_write_their_events_in_the_same_transaction(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = agreement(client, keys.legal)
    ok(client.post(f"{API}/agreements/{created['id']}/documents", json={}, headers=keys.legal), 201)
    move(client, keys.legal, created["id"], "in_review")
    types = [t for t, _ in _events(db, created["id"])]
    assert types == [EventType.DOCUMENT_GENERATED.value, EventType.AGREEMENT_STATUS_CHANGED.value]
    # A refused change writes no event.
    refused = client.post(
        f"{API}/agreements/{created['id']}/transitions", json={"to": "active"}, headers=keys.legal
    )
    assert refused.status_code == 409
    assert len(_events(db, created["id"])) == 2


def test_the_served_application_sweeps_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_database("sqlite", tmp_path)
    # Alembic (in-process here) reconfigures the root logger: listen on ours directly.
    logger = logging.getLogger("convenios")
    heard: list[str] = []
    listener = logging.Handler(level=logging.INFO)
    listener.emit = lambda record: heard.append(record.getMessage())  # type: ignore[method-assign]
    monkeypatch.setattr(logger, "level", logging.INFO)
    logger.addHandler(listener)
    monkeypatch.setenv("CONVENIOS_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        with TestClient(create_app()) as served:
            assert served.get("/healthz").status_code == 200
            deadline = time.monotonic() + 10
            while not heard and time.monotonic() < deadline:
                time.sleep(0.05)
        assert heard == [
            "sweep: 0 overdue, 0 expired, 0 renewed, 0 reminders, 0 constancias, "
            "0 reminders to sign"
        ]
    finally:
        logger.removeHandler(listener)
        get_engine.cache_clear()
