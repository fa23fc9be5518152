"""Webhook deliveries end to end, against a local receiver that checks the HMAC of every
delivery and fails the first attempts; the dispatcher driven with a controllable clock."""

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.db import get_engine
from app.events.dispatch import DispatchReport, claim, dispatch, fan_out, retry_delay
from app.main import create_app
from app.models import Delivery
from app.models.enums import DeliveryStatus, Role
from tests.clock import CLOCK, RUN_STARTED
from tests.conftest import Keys
from tests.databases import api_key, new_database
from tests.factories import API, agreement, agreement_payload, move, ok, signing_party
from tests.webhooks.conftest import Receiver

T0 = RUN_STARTED  # every test starts there


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers here listen on loopback, which only an admin setting allows."""
    monkeypatch.setenv("CONVENIOS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    monkeypatch.setenv("CONVENIOS_DELIVERY_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()


def _subscribe(client: TestClient, keys: Keys, url: str, *event_types: str) -> dict[str, Any]:
    payload = {"url": url, "event_types": list(event_types), "description": "Portal"}
    return ok(client.post(f"{API}/webhooks", json=payload, headers=keys.admin), 201)


def _run(sessions: sessionmaker[Session], at: datetime) -> DispatchReport:
    """One pass of the dispatcher with the service's clock at ``at``."""
    CLOCK.set(at)
    return dispatch(sessions, get_settings())


def test_a_delivery_is_retried_with_backoff_until_the_receiver_takes_it(
    client: TestClient, keys: Keys, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    hook = _subscribe(client, keys, receiver.url, "agreement.status_changed")
    receiver.secret, receiver.failures = hook["secret"], 2
    created = agreement(client, keys.legal)
    move(client, keys.legal, created["id"], "in_review")

    first = _run(sessions, T0)
    assert (first.queued, first.delivered, first.retrying) == (1, 0, 1)
    deliveries_url = f"{API}/webhooks/{hook['id']}/deliveries"
    [pending] = ok(client.get(deliveries_url, headers=keys.admin))["items"]
    assert pending["status"] == "pending" and pending["attempts"] == 1
    assert pending["last_status_code"] == 500
    wait = retry_delay(1, get_settings())
    assert datetime.fromisoformat(pending["next_attempt_at"]) == T0 + wait

    assert _run(sessions, T0 + wait - timedelta(seconds=1)).retrying == 0  # not due yet
    assert len(receiver.received) == 1
    assert _run(sessions, T0 + wait).retrying == 1
    later = T0 + wait + retry_delay(2, get_settings())
    assert _run(sessions, later).delivered == 1
    assert _run(sessions, later + timedelta(days=2)) == DispatchReport()  # nothing left

    assert len(receiver.received) == 3
    assert all(item.signature_valid for item in receiver.received)
    assert {item.headers["Convenios-Delivery"] for item in receiver.received} == {
        str(pending["id"])
    }
    event = receiver.events()[0]
    assert event["type"] == "agreement.status_changed"
    assert event["agreement_id"] == created["id"]
    assert event["data"]["folio"] == created["folio"]
    assert (event["data"]["from"], event["data"]["to"]) == ("draft", "in_review")
    assert receiver.received[0].headers["Convenios-Timestamp"] == str(int(T0.timestamp()))

    detail = ok(client.get(f"{deliveries_url}/{pending['id']}", headers=keys.admin))
    assert detail["status"] == "delivered" and detail["next_attempt_at"] is None
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 500, 204]
    assert [a["error"] is None for a in detail["attempt_log"]] == [False, False, True]

    # Re-sent by an admin: one more delivery, signed afresh, with the same delivery id.
    resent = client.post(f"{deliveries_url}/{pending['id']}/resend", headers=keys.admin)
    assert resent.status_code == 202 and resent.json()["status"] == "pending"
    assert (
        client.post(f"{deliveries_url}/{pending['id']}/resend", headers=keys.admin).status_code
        == 409
    )
    assert _run(sessions, later + timedelta(days=3)).delivered == 1
    assert len(receiver.received) == 4 and receiver.received[3].signature_valid
    audit = ok(client.get(f"{API}/audit", headers=keys.admin))["items"]
    assert "webhook.delivery_resent" in {entry["action"] for entry in audit}


def test_each_subscription_gets_only_its_event_types_and_only_new_events(
    client: TestClient, keys: Keys, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    created = agreement(client, keys.legal)
    move(client, keys.legal, created["id"], "in_review")  # before the subscription: not sent
    hook = _subscribe(client, keys, receiver.url, "document.generated")
    receiver.secret = hook["secret"]
    move(client, keys.legal, created["id"], "approved")  # not subscribed to
    ok(client.post(f"{API}/agreements/{created['id']}/documents", json={}, headers=keys.legal), 201)

    report = _run(sessions, T0)
    assert (report.queued, report.delivered) == (1, 1)
    [event] = receiver.events()
    assert event["type"] == "document.generated"
    assert event["data"]["folio"] == created["folio"]
    assert len(event["data"]["sha256"]) == 64
    # Every event was looked at once: a second pass queues nothing.
    assert _run(sessions, T0 + timedelta(minutes=1)).queued == 0


def test_a_hanging_receiver_times_out_and_holds_up_nothing_else(
    client: TestClient,
    keys: Keys,
    receiver: Receiver,
    hanging: str,
    sessions: sessionmaker[Session],
) -> None:
    stuck = _subscribe(client, keys, hanging, "agreement.status_changed")
    hook = _subscribe(client, keys, receiver.url, "agreement.status_changed")
    receiver.secret = hook["secret"]
    created = agreement(client, keys.legal)
    move(client, keys.legal, created["id"], "in_review", "approved")
    move(client, keys.legal, created["id"], "cancelled", reason="Se celebrará otro convenio.")

    started = time.monotonic()
    report = _run(sessions, T0)
    elapsed = time.monotonic() - started
    # Three events for each receiver: the good one gets them all; the hanging one costs one
    # timeout (0.5 s) in this pass, and its other deliveries wait for the next.
    assert (report.queued, report.delivered, report.retrying) == (6, 3, 1)
    assert elapsed < 5
    assert len(receiver.received) == 3
    stuck_deliveries = ok(
        client.get(f"{API}/webhooks/{stuck['id']}/deliveries", headers=keys.admin)
    )["items"]
    assert sorted(d["attempts"] for d in stuck_deliveries) == [0, 0, 1]
    [tried] = [d for d in stuck_deliveries if d["attempts"] == 1]
    assert "timed out" in tried["last_error"] and tried["last_status_code"] is None


def test_the_last_failed_attempt_fails_the_delivery(
    client: TestClient,
    keys: Keys,
    receiver: Receiver,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONVENIOS_DELIVERY_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    hook = _subscribe(client, keys, receiver.url, "agreement.status_changed")
    receiver.secret, receiver.failures = hook["secret"], 10
    created = agreement(client, keys.legal)
    move(client, keys.legal, created["id"], "in_review")
    _run(sessions, T0)
    report = _run(sessions, T0 + timedelta(days=1))
    assert (report.failed, report.retrying) == (1, 0)
    assert _run(sessions, T0 + timedelta(days=5)) == DispatchReport()
    failed = ok(
        client.get(
            f"{API}/webhooks/{hook['id']}/deliveries",
            params={"status": "failed"},
            headers=keys.admin,
        )
    )["items"]
    assert len(failed) == 1 and failed[0]["attempts"] == 2
    assert len(receiver.received) == 2


def test_deleting_a_webhook_cancels_what_waits_for_it(
    client: TestClient,
    keys: Keys,
    receiver: Receiver,
    sessions: sessionmaker[Session],
    db: Session,
) -> None:
    hook = _subscribe(client, keys, receiver.url, "agreement.status_changed")
    receiver.secret, receiver.failures = hook["secret"], 10
    created = agreement(client, keys.legal)
    move(client, keys.legal, created["id"], "in_review")
    _run(sessions, T0)
    assert client.delete(f"{API}/webhooks/{hook['id']}", headers=keys.admin).status_code == 204
    assert client.delete(f"{API}/webhooks/{hook['id']}", headers=keys.admin).status_code == 409
    move(client, keys.legal, created["id"], "approved")
    assert _run(sessions, T0 + timedelta(days=1)) == DispatchReport()
    assert len(receiver.received) == 1
    statuses = db.scalars(select(Delivery.status).where(Delivery.subscription_id == hook["id"]))
    assert list(statuses) == [DeliveryStatus.CANCELLED]
    listed = ok(client.get(f"{API}/webhooks/{hook['id']}", headers=keys.admin))
    assert listed["deleted_at"] is not None and "secret" not in listed


def test_a_dispatcher_that_dies_mid_attempt_leaves_the_delivery_to_be_retried(
    client: TestClient, keys: Keys, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    hook = _subscribe(client, keys, receiver.url, "agreement.status_changed")
    receiver.secret = hook["secret"]
    created = agreement(client, keys.legal)
    move(client, keys.legal, created["id"], "in_review")
    with sessions() as session, session.begin():
        fan_out(session, get_settings(), T0)
    # Claimed, then the process is gone before the POST's outcome is recorded.
    claimed = claim(sessions, get_settings(), T0, set())
    assert claimed is not None
    assert _run(sessions, T0 + timedelta(seconds=30)) == DispatchReport()  # still claimed
    lapsed = T0 + timedelta(seconds=get_settings().delivery_timeout_seconds + 61)
    assert _run(sessions, lapsed).delivered == 1
    assert len(receiver.received) == 1 and receiver.received[0].signature_valid


def test_the_served_application_delivers_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """`convenios serve` runs the dispatcher every CONVENIOS_DELIVERY_INTERVAL_SECONDS."""
    url = new_database("sqlite", tmp_path)
    monkeypatch.setenv("CONVENIOS_DATABASE_URL", url)
    monkeypatch.setenv("CONVENIOS_DELIVERY_INTERVAL_SECONDS", "1")
    monkeypatch.setenv("CONVENIOS_SWEEP_INTERVAL_MINUTES", "0")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        admin = api_key(get_engine(), Role.ADMIN)
        with TestClient(create_app()) as served:
            hook = {"url": receiver.url, "event_types": ["agreement.status_changed"]}
            receiver.secret = ok(served.post(f"{API}/webhooks", json=hook, headers=admin), 201)[
                "secret"
            ]
            signers = [signing_party(served, admin) for _ in range(2)]
            created = ok(
                served.post(f"{API}/agreements", json=agreement_payload(signers), headers=admin),
                201,
            )
            move(served, admin, created["id"], "in_review")
            deadline = time.monotonic() + 10
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.05)
        assert [event["data"]["to"] for event in receiver.events()] == ["in_review"]
        assert receiver.received[0].signature_valid
    finally:
        get_engine.cache_clear()


def test_a_test_event_reaches_its_webhook_alone_signed_like_any_delivery(
    client: TestClient, keys: Keys, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    hook = _subscribe(client, keys, receiver.url, "agreement.status_changed")
    other = _subscribe(client, keys, receiver.url, "agreement.status_changed")
    receiver.secret = hook["secret"]
    sent = client.post(f"{API}/webhooks/{hook['id']}/test", headers=keys.admin)
    assert sent.status_code == 201, sent.text
    delivery = sent.json()
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert [a["status_code"] for a in delivery["attempt_log"]] == [204]
    assert sent.headers["Location"].endswith(f"/webhooks/{hook['id']}/deliveries/{delivery['id']}")
    [received] = receiver.received
    assert received.signature_valid and received.headers["Convenios-Event"] == "webhook.test"
    event = receiver.events()[0]
    assert event["type"] == "webhook.test" and event["data"]["webhook_id"] == hook["id"]
    assert "Evento de prueba" in event["data"]["message"]
    # The dispatcher finds nothing more to send: not to this webhook, nor to the other one.
    assert _run(sessions, T0) == DispatchReport()
    listed = ok(client.get(f"{API}/webhooks/{other['id']}/deliveries", headers=keys.admin))
    assert listed["items"] == []

    # A receiver that refuses: the answer says so, and the delivery is retried like any other.
    receiver.failures = len(receiver.received) + 1  # the next request gets a 500
    refused = ok(client.post(f"{API}/webhooks/{hook['id']}/test", headers=keys.admin), 201)
    assert refused["status"] == "pending" and refused["last_status_code"] == 500
    # Never subscribed to; never sent to a deleted webhook or one that does not exist.
    subscribe = client.post(
        f"{API}/webhooks",
        json={"url": receiver.url, "event_types": ["webhook.test"]},
        headers=keys.admin,
    )
    assert subscribe.status_code == 422
    assert client.delete(f"{API}/webhooks/{other['id']}", headers=keys.admin).status_code == 204
    assert client.post(f"{API}/webhooks/{other['id']}/test", headers=keys.admin).status_code == 409
    assert client.post(f"{API}/webhooks/987654/test", headers=keys.admin).status_code == 404
    assert client.post(f"{API}/webhooks/{hook['id']}/test", headers=keys.legal).status_code == 403
