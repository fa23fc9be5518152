"""Three dispatchers at the same moment, each with its own committed transactions (see
tests/agreements/test_concurrency.py for how the application runs here): between them every
event is queued once and every delivery sent once."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_engine, session_factory
from app.events.dispatch import DispatchReport, dispatch
from app.main import create_app
from app.models import Delivery
from app.models.enums import DeliveryStatus, Role
from tests.agreements.test_concurrency import concurrently
from tests.databases import api_key, drop_database, new_database
from tests.factories import API, agreement_payload, move, ok, signing_party
from tests.webhooks.conftest import Receiver

# They measure the service under load: alone, after the others (Makefile).
pytestmark = [pytest.mark.slow, pytest.mark.serial]


def test_three_dispatchers_at_once_send_each_delivery_once(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONVENIOS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()
    url = new_database(backend, tmp_path_factory.mktemp(f"dispatch-{backend}"))
    engine = make_engine(url)
    try:
        keys = {role: api_key(engine, role) for role in (Role.ADMIN, Role.LEGAL)}
        with TestClient(create_app(engine), raise_server_exceptions=False) as client:
            hook = ok(
                client.post(
                    f"{API}/webhooks",
                    json={"url": receiver.url, "event_types": ["agreement.status_changed"]},
                    headers=keys[Role.ADMIN],
                ),
                201,
            )
            receiver.secret = hook["secret"]
            for _ in range(4):
                signers = [signing_party(client, keys[Role.LEGAL]) for _ in range(2)]
                created = ok(
                    client.post(
                        f"{API}/agreements",
                        json=agreement_payload(signers),
                        headers=keys[Role.LEGAL],
                    ),
                    201,
                )
                move(client, keys[Role.LEGAL], created["id"], "in_review", "approved")

        def run() -> DispatchReport:
            return dispatch(session_factory(engine, write=True), get_settings())

        reports = concurrently([run, run, run])
        assert sum(r.queued for r in reports) == 8
        assert sum(r.delivered for r in reports) == 8
        sent = [item.headers["Convenios-Delivery"] for item in receiver.received]
        assert len(sent) == len(set(sent)) == 8
        assert all(item.signature_valid for item in receiver.received)
        with Session(engine) as session:
            statuses = session.scalars(select(Delivery.status)).all()
        assert statuses == [DeliveryStatus.DELIVERED] * 8
    finally:
        engine.dispose()
        drop_database(backend, url)
