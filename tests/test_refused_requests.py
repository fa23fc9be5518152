"""A refused request leaves nothing behind — no file in storage, no lease, no row, no audit
event — on every route that takes files, whatever refuses it: a hostile file beside good ones,
the caller's role or party, the agreement's state. (Signatures: tests/signatures.)"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.documents.router import get_storage
from app.models import AuditEvent, BlobLease, Document
from tests.conftest import Keys
from tests.documents.test_inspection import bomb_pdf, spanish_pdf, written_pdf
from tests.factories import API, agreement, move, ok

PDF = "application/pdf"


def _left_behind(db: Session) -> tuple[Any, ...]:
    """What a request may leave: files (and interrupted writes), leases, documents, events."""
    storage = get_storage()
    db.expire_all()
    return (
        sorted(storage.digests()),
        sorted(path.name for path in getattr(storage, "root").glob("??/.tmp-*")),  # noqa: B009
        db.scalar(select(func.count()).select_from(BlobLease)),
        db.scalar(select(func.count()).select_from(Document)),
        db.scalar(select(func.count()).select_from(AuditEvent)),
    )


def _refused(db: Session, send: Callable[[], Any], status: int) -> dict[str, Any]:
    before = _left_behind(db)
    response = send()
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _left_behind(db) == before
    body: dict[str, Any] = response.json()
    return body


def _obligation(client: TestClient, keys: Keys, created: dict[str, Any], party: int = 0) -> int:
    body = {
        "party_id": created["parties"][party]["party"]["id"],
        "description": "Informe",
        "due_date": created["effective_date"],
    }
    url = f"{API}/agreements/{created['id']}/obligations"
    return int(ok(client.post(url, json=body, headers=keys.legal), 201)["items"][0]["id"])


def test_a_fulfilment_with_a_good_file_and_a_bomb_keeps_neither(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = agreement(client, keys.legal)
    obligation = _obligation(client, keys, created)
    url = f"{API}/obligations/{obligation}/fulfill"
    files = [
        ("evidence", ("acta.pdf", spanish_pdf(), PDF)),
        ("evidence", ("fotos.pdf", written_pdf(3), PDF)),
        ("evidence", ("bomba.pdf", bomb_pdf(), PDF)),
    ]
    problem = _refused(
        db, lambda: client.post(url, files=files, data={"note": "x"}, headers=keys.legal), 422
    )
    assert problem["type"].endswith(("pdf-too-complex", "pdf-corrupt"))
    assert ok(client.get(f"{API}/obligations/{obligation}", headers=keys.viewer))["status"] == (
        "pending"
    )


def test_a_signatory_fulfilling_another_partys_obligation_stores_nothing(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = agreement(client, keys.legal)
    theirs = _obligation(client, keys, created, party=1)
    mine = keys.signatory(db, created["parties"][0]["signatories"][0]["representative_id"])
    files = [("evidence", (f"e{i}.pdf", written_pdf(i + 1), PDF)) for i in range(5)]
    _refused(
        db,
        lambda: client.post(f"{API}/obligations/{theirs}/fulfill", files=files, headers=mine),
        403,
    )


@pytest.mark.parametrize(
    ("state", "file", "status"),
    [
        ("draft", bomb_pdf, 422),
        ("draft", lambda: b"\x89PNG\r\n\x1a\n" + bytes(200), 415),
        ("cancelled", spanish_pdf, 409),
    ],
)
def test_a_refused_upload_stores_nothing(
    client: TestClient,
    keys: Keys,
    db: Session,
    state: str,
    file: Callable[[], bytes],
    status: int,
) -> None:
    created = agreement(client, keys.legal)
    if state == "cancelled":
        move(client, keys.legal, created["id"], "cancelled", reason="Otro instrumento.")
    _refused(
        db,
        lambda: client.post(
            f"{API}/agreements/{created['id']}/documents/upload",
            files={"kind": (None, "annex"), "file": ("anexo.pdf", file(), PDF)},
            headers=keys.legal,
        ),
        status,
    )
