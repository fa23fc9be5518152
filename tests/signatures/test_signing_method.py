"""A convenio is signed the way its closing line says: on paper (the scans of the copies signed
al margen y al calce), electronically, or some parties each way; and, when it states the day it
is signed, on that day."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.clock import TestClock, days_from_today
from tests.conftest import Keys
from tests.factories import (
    API,
    acta_pdf,
    agreement_payload,
    authorize_municipios,
    move,
    municipio_and_estado,
    ok,
)


def _in_signature(
    client: TestClient, keys: Keys, db: Session, signing: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], dict[str, str]]]]:
    """A municipio and an estado, both asked to sign in parallel: each request with its key."""
    signers = municipio_and_estado(client, keys.legal)
    payload = agreement_payload(signers, amount=None, signing=signing)
    created = ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)
    authorize_municipios(client, keys.legal, created["id"])
    url = f"{API}/agreements/{created['id']}"
    requests = [
        (
            ok(
                client.post(
                    f"{url}/signatures",
                    json={"representative_id": person["id"], "order": 1},
                    headers=keys.legal,
                ),
                201,
            ),
            keys.signatory(db, person["id"]),
        )
        for _, person in signers
    ]
    ok(client.post(f"{url}/documents", json={}, headers=keys.legal), 201)
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    return ok(client.get(url, headers=keys.legal)), requests


def _electronic(client: TestClient, request: dict[str, Any], headers: dict[str, str]) -> Any:
    sha = ok(client.get(f"{API}/signatures/{request['id']}", headers=headers))["document"]["sha256"]
    return client.post(
        f"{API}/signatures/{request['id']}/sign",
        json={"document_sha256": sha, "accept": True},
        headers=headers,
    )


def _scan(client: TestClient, request: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(
        f"{API}/signatures/{request['id']}/sign/autografa",
        files={"file": ("firmado.pdf", acta_pdf(f"firma {request['id']}"), "application/pdf")},
        headers=headers,
    )


@pytest.mark.parametrize(
    ("method", "refused", "accepted"),
    [("autografa", _electronic, _scan), ("electronica", _scan, _electronic)],
)
def test_a_signature_of_another_kind_than_the_convenio_states_is_refused(
    client: TestClient, keys: Keys, db: Session, method: str, refused: Any, accepted: Any
) -> None:
    agreement, requests = _in_signature(client, keys, db, {"method": method})
    (first, first_key), (second, second_key) = requests
    response = refused(client, first, first_key)
    assert response.status_code == 409, response.text
    assert response.json()["type"].endswith("signing-method")
    assert (
        ok(client.get(f"{API}/signatures/{first['id']}", headers=first_key))["status"] == "pending"
    )
    ok(accepted(client, first, first_key))
    ok(accepted(client, second, second_key))
    assert (
        ok(client.get(f"{API}/agreements/{agreement['id']}", headers=keys.legal))["status"]
        == "active"
    )


def test_a_mixed_convenio_takes_both(client: TestClient, keys: Keys, db: Session) -> None:
    agreement, [(first, first_key), (second, second_key)] = _in_signature(
        client, keys, db, {"method": "mixta"}
    )
    ok(_scan(client, first, first_key))
    ok(_electronic(client, second, second_key))
    assert (
        ok(client.get(f"{API}/agreements/{agreement['id']}", headers=keys.legal))["status"]
        == "active"
    )


def test_a_convenio_dated_for_signing_is_signed_on_that_day(
    client: TestClient, keys: Keys, db: Session, clock: TestClock
) -> None:
    day = days_from_today(3)
    agreement, [(first, first_key), (second, second_key)] = _in_signature(
        client, keys, db, {"method": "autografa", "date": day}
    )
    early = _scan(client, first, first_key)
    assert early.status_code == 409 and early.json()["type"].endswith("signing-date")
    clock.advance(timedelta(days=3))
    ok(_scan(client, first, first_key))
    # The scans of the paper signed that day may arrive later.
    clock.advance(timedelta(days=2))
    ok(_scan(client, second, second_key))
    signed = ok(client.get(f"{API}/agreements/{agreement['id']}", headers=keys.legal))
    assert (signed["status"], signed["signed_on"]) == ("active", day)
