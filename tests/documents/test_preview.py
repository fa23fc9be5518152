"""The preview: the whole convenio as a page, marked as a draft, with the text and the
verification code its PDF will have, quickly (nothing is laid out or stored)."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Document
from tests.conftest import Keys
from tests.databases import ONE_DATABASE
from tests.documents.legal_text import body_words, download, generate, legal_words, preview_text
from tests.factories import API, agreement, ok

# The text and the layout do not depend on the database (tests/databases.py).
pytestmark = ONE_DATABASE


def test_the_preview_is_the_text_of_the_pdf_to_come_marked_as_a_draft(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = agreement(client, keys.legal)
    before = db.scalar(select(func.count()).select_from(Document))
    response = client.get(f"{API}/agreements/{created['id']}/preview", headers=keys.viewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "BORRADOR" in response.text and "sin validez legal" in response.text
    # Nothing rendered, nothing stored.
    assert db.scalar(select(func.count()).select_from(Document)) == before
    text = preview_text(client, keys.legal, created["id"])
    document = generate(client, keys.legal, created["id"])
    assert document["verification_code"] in response.text
    assert body_words(download(client, keys.legal, document)) == legal_words(text)


def test_the_preview_loads_nothing_and_runs_nothing(client: TestClient, keys: Keys) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    created = agreement(
        client,
        keys.legal,
        title=f"Convenio {hostile}",
        clauses=[{"title": "OBJETO", "text": hostile}],
    )
    response = client.get(f"{API}/agreements/{created['id']}/preview", headers=keys.legal)
    assert response.status_code == 200
    assert "<script>" not in response.text and "onerror=alert" not in response.text.replace(
        "onerror=alert(1)&gt;", ""
    )
    assert "&lt;script&gt;" in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_the_preview_follows_the_template_asked_for(client: TestClient, keys: Keys) -> None:
    created: dict[str, Any] = agreement(client, keys.legal, kind="coordinacion")
    url = f"{API}/agreements/{created['id']}/preview"
    coordinacion = client.get(url, headers=keys.legal).text
    colaboracion = client.get(url, params={"template": "colaboracion"}, headers=keys.legal).text
    assert "Convenio De Coordinación" not in colaboracion
    assert "CONVENIO DE COORDINACIÓN" in coordinacion or "Convenio de Coordinación" in coordinacion
    for params, status in (
        ({"template": "no_existe"}, 404),
        ({"template_version": 999}, 404),
        ({"template": "A B"}, 422),
    ):
        response = client.get(url, params=params, headers=keys.legal)
        assert response.status_code == status, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_a_signatory_previews_only_what_it_signs(
    client: TestClient, keys: Keys, db: Session
) -> None:
    mine, other = agreement(client, keys.legal), agreement(client, keys.legal)
    signatory = keys.signatory(db, mine["parties"][0]["signatories"][0]["representative_id"])
    assert (
        client.get(f"{API}/agreements/{mine['id']}/preview", headers=signatory).status_code == 200
    )
    refused = client.get(f"{API}/agreements/{other['id']}/preview", headers=signatory)
    assert refused.status_code == 404
    assert ok(client.get(f"{API}/agreements/{other['id']}", headers=keys.viewer))
