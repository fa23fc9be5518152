"""The verification page a QR code opens, and its upload form: the facts in Spanish under the
pages' headers, each signature in plain words, the constancia de firmas to verify in turn, and
every bad upload (not a PDF, a forged form, an unknown file) answered with a page."""

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.pages.html import CONTENT_SECURITY_POLICY
from tests.conftest import Keys
from tests.factories import API, ok
from tests.pages.test_signing_pages import browser
from tests.signatures.test_signing_api import ORDER, PEOPLE, _prepare

FORM = re.compile(r'name="formulario" value="([^"]+)"')
HTML = {"Accept": "text/html"}


def _upload(page: TestClient, content: bytes, form: str | None = None) -> Any:
    if form is None:
        found = FORM.search(page.get("/verificar").text)
        assert found is not None
        form = found.group(1)
    return page.post(
        "/verificar",
        files={"formulario": (None, form), "archivo": ("c.pdf", content, "application/pdf")},
    )


def test_a_signed_convenio_shows_its_signatures_and_its_constancia(
    client: TestClient, keys: Keys, db: Session
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    for who in ("municipio", "estado", "federacion"):
        url = f"{API}/signatures/{signing.requests[who]['id']}/sign"
        body = {"document_sha256": signing.document["sha256"], "accept": True}
        ok(client.post(url, json=body, headers=signing.keys[who]))
    shown = client.get(f"{API}/verify/{signing.document['verification_code']}", headers=HTML)
    assert shown.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    text = " ".join(shown.text.split())
    assert "Documento emitido por el sistema de convenios" in text
    assert "Vigente" in text and "mediante aceptación electrónica" in text
    assert "Constancia de firmas" in text
    constancia = re.search(r'href="([^"]+)">verificar la constancia', shown.text)
    assert constancia is not None
    path = constancia.group(1).split("://", 1)[1].split("/", 1)[1]
    of_constancia = client.get("/" + path, headers=HTML)
    assert "Constancia de firmas" in of_constancia.text
    for _, rfc, curp in PEOPLE.values():
        assert rfc not in of_constancia.text and curp not in of_constancia.text
    # JSON for API clients names the same constancia.
    answer = ok(client.get(f"{API}/verify/{signing.document['sha256']}"))
    assert answer["agreement"]["constancia"]["verification_url"] == constancia.group(1)
    # The same file uploaded on the page is known; a changed one is not.
    pdf = client.get(signing.document["download_url"], headers=keys.legal).content
    page = browser(client)
    assert "Documento emitido" in _upload(page, pdf).text
    unknown = _upload(page, pdf + b"\n%")
    assert "Documento no reconocido" in unknown.text and "huella digital cambia" in unknown.text


def test_bad_uploads_get_a_page(client: TestClient) -> None:
    page = browser(client)
    assert page.get("/verificar").status_code == 200
    not_pdf = _upload(page, b"GIF89a not a pdf")
    assert not_pdf.status_code == 415 and "Suba un archivo PDF" in not_pdf.text
    forged = _upload(browser(client), b"%PDF-1.7", form="x" * 43)
    assert forged.status_code == 403 and "Formulario no válido" in forged.text
    empty = page.post("/verificar", files={"formulario": (None, "y")})
    assert empty.status_code == 403
    for response in (not_pdf, forged, empty):
        assert response.headers["content-type"].startswith("text/html")
