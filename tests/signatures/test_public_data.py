"""No personal data in any answer without a key.

A convenio whose three signers signed with their e.firma (certificates that carry each one's RFC
and CURP), whose representatives and parties have emails, telephones and addresses on record:
every route of the service is called without a key — every verification reference the service
knows (each document's code and SHA-256, the signed convenio's included), every file by upload,
as JSON and as the page a phone gets — and no answer, header or page may carry any of those
data. Routes are found from the application itself, so a keyless route added later is covered
without touching this test."""

import io
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Document
from app.models.enums import DocumentKind
from tests.auth.test_matrix import operations
from tests.conftest import Keys
from tests.factories import API, LEYENDA, ok
from tests.signatures.pki import Pki
from tests.signatures.test_signing_api import (
    ORDER,
    PEOPLE,
    _efirma,
    _prepare,
    _trust,
    _with_credentials,
    pki,
)

__all__ = ["_trust", "pki"]  # the fixtures this module shares with the signing tests

EMAILS = {
    "municipio": "teresa.hernandez@correo-personal.mx",
    "estado": "luis.ramirez@correo-personal.mx",
    "federacion": "ana.medina@correo-personal.mx",
}
# A party's contact is a person; the parties themselves are public bodies, whose addresses
# are public (a persona física party's is withheld: tests/transparency).
CONTACT = {
    "contact_name": "Julieta Vargas Ponce",
    "contact_email": "julieta.vargas@correo-personal.mx",
    "contact_phone": "+52 55 5123 4567",
}
PATH_PARAM = re.compile(r"\{(\w+)\}")
DOCUMENTATION = ("/openapi.json", "/docs", "/redoc")
# The pages outside the API's document that answer without a session or a link's token.
PAGES = ("/verificar", "/firmar", "/firmar/documento.pdf", "/firmar/efirma")


def _personal_data() -> list[str]:
    """Every datum of the fixture the law protects: RFC and CURP of each signer (as their
    certificates carry them too), their emails, and the contact's email and telephone — each
    also as a browser or a JSON encoder might write it."""
    data = [datum for _, rfc, curp in PEOPLE.values() for datum in (rfc, curp)]
    data += EMAILS.values()
    data += [CONTACT["contact_email"], CONTACT["contact_phone"]]
    data.append("".join(CONTACT["contact_phone"].split()))  # the telephone without spaces
    return data


def _readable(response: Any) -> str:
    """What an answer says: its headers and body, and the text of a PDF's pages."""
    text = str(response.headers) + response.text
    if response.headers.get("content-type") == "application/pdf":
        text += " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
    return text


def _requests(app: FastAPI, references: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    """Every (method, url) the application serves — its OpenAPI document's operations (no route
    is left out of it) and the documentation itself — each path parameter given every value the
    fixture knows for its name (an unknown name gets an id that exists: 1)."""
    keyless = [("GET", page) for page in (*DOCUMENTATION, *PAGES)]
    for method, path in [*operations(app), *keyless]:
        urls = [path]
        for name in PATH_PARAM.findall(path):
            urls = [
                url.replace("{" + name + "}", value)
                for url in urls
                for value in references.get(name, ["1"])
            ]
        for url in urls:
            yield method, url


def test_no_answer_without_a_key_carries_a_persons_data(
    app: FastAPI, client: TestClient, keys: Keys, db: Session, pki: Pki
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    for who in ("municipio", "estado", "federacion"):
        ok(_with_credentials(client, signing, who, _efirma(pki, who)))
    agreement = ok(client.get(signing.url, headers=keys.legal))
    assert agreement["status"] == "active" and agreement["signed_document_id"]
    # Personal data on record besides what the certificates carry.
    for link in agreement["parties"]:
        ok(client.patch(f"{API}/parties/{link['party']['id']}", json=CONTACT, headers=keys.legal))
    for who, request in signing.requests.items():
        ok(
            client.patch(
                f"{API}/representatives/{request['signer']['representative_id']}",
                json={"email": EMAILS[who]},
                headers=keys.legal,
            )
        )
    # Its versión pública, published: the convenio as anyone may read it.
    public = ok(
        client.post(f"{signing.url}/public-versions", json=LEYENDA, headers=keys.legal), 201
    )
    ok(client.post(f"{signing.url}/public-versions/{public['id']}/publish", headers=keys.legal))
    feed = ok(
        client.post(f"{API}/calendar-feeds", json={"name": "Agenda"}, headers=keys.admin), 201
    )

    documents = db.scalars(select(Document)).all()
    # Its constancia de firmas among them: it holds personal data, and is verified keyless too.
    assert any(d.kind is DocumentKind.CONSTANCIA for d in documents)
    files = {
        document.sha256: client.get(
            f"{API}/documents/{document.id}/pdf", headers=keys.legal
        ).content
        for document in documents
    }
    references = {
        "reference": [d.sha256 for d in documents] + [d.verification_code or "" for d in documents],
        "secret": [feed["url"].rsplit("/", 1)[1].removesuffix(".ics")],
        "agreement_id": [str(agreement["id"])],
        "folio": [agreement["folio"]],
        "document_id": [str(d.id) for d in documents],
    }
    references["reference"] = [r for r in references["reference"] if r]

    answers: list[tuple[str, Any]] = []
    for method, url in _requests(app, references):
        for accept in ("application/json", "text/html"):
            answers.append(
                (
                    f"{method} {url} ({accept})",
                    client.request(method, url, headers={"Accept": accept}),
                )
            )
    form = re.search(r'name="formulario" value="([^"]+)"', client.get("/verificar").text)
    assert form is not None
    for sha256, content in files.items():
        answers.append(
            (
                f"POST {API}/verify ({sha256[:12]}…)",
                client.post(f"{API}/verify", files={"file": ("c.pdf", content, "application/pdf")}),
            )
        )
        # The verification page's own form, as a person uploads the file.
        answers.append(
            (
                f"POST /verificar ({sha256[:12]}…)",
                client.post(
                    "/verificar",
                    files={
                        "formulario": (None, form.group(1)),
                        "archivo": ("c.pdf", content, "application/pdf"),
                    },
                ),
            )
        )

    leaks = [
        f"{what}: {datum!r}"
        for what, response in answers
        for datum in _personal_data()
        if datum.casefold() in _readable(response).casefold()
    ]
    assert not leaks, "\n".join(leaks)

    # The test reaches what it means to: the signed convenio, verified by its digest, reports
    # the three e.firma signatures by name and cargo.
    signed = next(d for d in documents if d.id == agreement["signed_document_id"])
    verified = client.get(f"{API}/verify/{signed.sha256}").json()
    assert verified["known"] and len(verified["signatures"]) == 3
    assert {s["signer"]["name"] for s in verified["signatures"]} == {
        n for n, _, _ in PEOPLE.values()
    }
    assert all(s["signer"]["position"] == "Titular" for s in verified["signatures"])
    served = client.get(f"{API}/public-versions/{agreement['folio']}")
    assert served.status_code == 200 and "LEYENDA DE CLASIFICACIÓN" in _readable(served)
    assert sum(response.status_code == 200 for _, response in answers) >= 2 * len(
        references["reference"]
    )
