"""Two sweeps at the same moment, each in its own committed transaction (see
tests/agreements/test_concurrency.py for how the application runs here): between them every
change happens once and every reminder is written once."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_engine, session_factory
from app.main import create_app
from app.models import AuditEvent, Event
from app.models.enums import Role
from app.obligations.scheduled import SweepReport, sweep
from tests.agreements.test_concurrency import concurrently
from tests.clock import FEBRUARY_2026, TestClock
from tests.databases import api_key, drop_database, new_database
from tests.factories import API, agreement_payload, move, ok, signing_party


@pytest.fixture(autouse=True)
def _february_2026(clock: TestClock) -> None:
    """These tests are written around the calendar of early 2026."""
    clock.set(FEBRUARY_2026)


# They measure the service under load: alone, after the others (Makefile).
pytestmark = [pytest.mark.slow, pytest.mark.serial]


def test_two_sweeps_at_once_change_everything_once(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = new_database(backend, tmp_path_factory.mktemp(f"sweep-{backend}"))
    engine = make_engine(url)
    try:
        legal = api_key(engine, Role.LEGAL)
        with TestClient(create_app(engine), raise_server_exceptions=False) as client:
            signers = [signing_party(client, legal, "federacion"), signing_party(client, legal)]
            created = ok(
                client.post(
                    f"{API}/agreements",
                    json=agreement_payload(signers, expiry_date="2026-06-01"),
                    headers=legal,
                ),
                201,
            )
            for day in ("2026-03-31", "2026-04-02"):  # one overdue, one due tomorrow
                ok(
                    client.post(
                        f"{API}/agreements/{created['id']}/obligations",
                        json={
                            "party_id": signers[0][0]["id"],
                            "description": "Informe",
                            "due_date": day,
                        },
                        headers=legal,
                    ),
                    201,
                )
            move(client, legal, created["id"], "in_review", "approved", "in_signature")
            move(client, legal, created["id"], "active", signed_on="2026-01-20")

        def run() -> SweepReport:
            with session_factory(engine, write=True)() as session, session.begin():
                return sweep(session, today=date(2026, 4, 1), settings=get_settings())

        reports = concurrently([run, run])
        assert sum(r.overdue for r in reports) == 1
        assert sum(r.reminders for r in reports) == 2  # expiring (61 days) and due tomorrow
        with Session(engine) as session:
            types = sorted(
                event.type.value
                for event in session.scalars(
                    select(Event).where(Event.agreement_id == created["id"])
                )
            )
            overdue_audit = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "obligation.overdue")
            ).all()
        assert types.count("obligation.overdue") == 1
        assert types.count("agreement.expiring") == 1
        assert types.count("obligation.due_soon") == 1
        assert len(overdue_audit) == 1
    finally:
        engine.dispose()
        drop_database(backend, url)
