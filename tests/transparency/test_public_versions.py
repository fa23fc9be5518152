"""The versión pública: what a transparency unit classifies, what the public reads, and what no
one can classify or publish.

A colaboración between a municipio and a persona física con actividad empresarial (an RFC of
13 characters, a home address), with a cláusula holding a bank account and an antecedente naming
a person: classified, the versión pública carries none of their text — not hidden, not drawn
over, absent from the PDF — and names each removal, its page and its legal basis in the leyenda.
"""

import csv
import io
import re
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.agreements import repository as agreements
from app.config import get_settings
from app.documents import service as documents
from app.documents.samples import one_page_pdf
from app.models import AuditEvent, Classification, Document, PublicVersion
from app.transparency import service
from app.transparency.schemas import PublicVersionCreate
from tests.conftest import Keys
from tests.factories import (
    API,
    LEYENDA,
    agreement_payload,
    move,
    municipio,
    ok,
    party,
    representative,
)

PERSON_RFC = "LOPJ800101AB3"
HOME = "Calle de los Olivos 27, Colonia Centro, Tlalnepantla"
CLABE = "012180001234567891"
WITNESS = "Rosa Elvira Cabrera Montes"
OWN_DECLARATION = "Que su patrimonio personal asciende a cuatro millones de pesos."
BASIS = "Artículo 115 de la Ley General de Transparencia y Acceso a la Información Pública"


def _convenio(client: TestClient, keys: Keys) -> dict[str, Any]:
    mun = municipio(client, keys.legal)
    proveedor = party(
        client,
        keys.legal,
        kind="privado",
        name="Juan López Pérez",
        rfc=PERSON_RFC,
        address=HOME,
    )
    payload = agreement_payload(
        [
            (mun, representative(client, keys.legal, mun["id"])),
            (
                proveedor,
                representative(
                    client,
                    keys.legal,
                    proveedor["id"],
                    full_name="Juan López Pérez",
                    position="Titular",
                ),
            ),
        ]
    )
    payload["clauses"].append(
        {"title": "DATOS BANCARIOS", "text": f"Los pagos se harán a la cuenta CLABE {CLABE}."}
    )
    payload["antecedents"].append(f"La C. {WITNESS} propuso el proyecto al Cabildo.")
    payload["parties"][1]["declarations"] = [OWN_DECLARATION]
    return ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _classify(client: TestClient, keys: Keys, agreement_id: int, **body: Any) -> Any:
    return client.post(
        f"{API}/agreements/{agreement_id}/classifications",
        json={"description": "Datos personales", "legal_basis": BASIS, **body},
        headers=keys.legal,
    )


def test_a_versión_pública_withholds_what_is_classified_and_names_it_in_its_leyenda(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = _convenio(client, keys)
    url = f"{API}/agreements/{created['id']}"
    # Of a draft, nothing: not a classification, not a versión pública.
    assert _classify(client, keys, created["id"], part="clause", position=3).status_code == 409
    draft = client.post(f"{url}/public-versions", json=LEYENDA, headers=keys.legal)
    assert draft.status_code == 409 and "draft" in draft.text
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    signed = move(client, keys.legal, created["id"], "active", signed_on=created["effective_date"])
    clauses = len(signed["clauses"])
    bank = clauses  # the drafter's last cláusula

    # What the law makes public, and what does not exist, cannot be classified.
    before = db.scalar(select(func.count()).select_from(Classification))
    for refused in (
        {"part": "folio"},
        {"part": "parties"},
        {"part": "amount"},
        {"part": "clause", "position": bank, "legal_basis": ""},
        {"part": "clause", "position": clauses + 1},
        {"part": "clause"},
        {"part": "declaration", "position": 1},
        {"part": "annex", "document_id": 987654},
    ):
        response = _classify(client, keys, created["id"], **refused)
        assert response.status_code == 422, (refused, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert "public by law" in _classify(client, keys, created["id"], part="folio").text
    assert db.scalar(select(func.count()).select_from(Classification)) == before

    bank_account = ok(
        _classify(
            client,
            keys,
            created["id"],
            part="clause",
            position=bank,
            description="Cuenta bancaria del proveedor",
        ),
        201,
    )
    assert _classify(client, keys, created["id"], part="clause", position=bank).status_code == 409
    ok(
        _classify(
            client,
            keys,
            created["id"],
            part="antecedent",
            position=len(signed["antecedents"]),
            description="Nombre de una persona física",
        ),
        201,
    )
    provider = signed["parties"][1]["party"]["id"]
    ok(
        _classify(
            client,
            keys,
            created["id"],
            part="declaration",
            party_id=provider,
            position=1,
            description="Declaración sobre la situación patrimonial del proveedor",
        ),
        201,
    )
    listed = ok(client.get(f"{url}/classifications", headers=keys.viewer))
    assert listed[0]["id"] == bank_account["id"] and len(listed) == 3

    # Reproducible: rendered here from its inputs, it has the bytes the service will keep.
    agreement = agreements.get(db, created["id"])
    assert agreement is not None
    public_inputs = service.public_inputs(
        db, agreement, PublicVersionCreate.model_validate(LEYENDA)
    )
    plan = documents.plan_public_version(db, agreement, public_inputs, settings=get_settings())
    assert plan.existing is None and plan.job is not None
    rendered_here = plan.job.run().pdf

    first = ok(client.post(f"{url}/public-versions", json=LEYENDA, headers=keys.legal), 201)
    again = client.post(f"{url}/public-versions", json=LEYENDA, headers=keys.legal)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert first["published_at"] is None and first["public_url"] is None
    document = ok(client.get(f"{API}/documents/{first['document_id']}", headers=keys.legal))
    assert document["kind"] == "version_publica" and document["verification_code"]
    pdf = client.get(document["download_url"], headers=keys.legal).content
    assert pdf == rendered_here
    pages = _text(pdf)
    whole = " ".join(" ".join(pages).split())
    # Removed before layout: no trace of them in the text, nor in the file's bytes.
    for withheld in (CLABE, PERSON_RFC, HOME, WITNESS, "Calle de los Olivos", OWN_DECLARATION):
        assert withheld not in whole
    assert CLABE.encode() not in pdf and PERSON_RFC.encode() not in pdf
    assert all("VERSIÓN PÚBLICA" in page for page in pages)
    # The leyenda, on the last page, names each removal, its page and its legal basis.
    leyenda = " ".join(pages[-1].split())
    assert "LEYENDA DE CLASIFICACIÓN" in leyenda and "Dirección Jurídica" in leyenda
    assert "CT/EXT/10/2026-03" in leyenda and "Lic. Ana Torres, Directora Jurídica" in leyenda
    assert "Fecha de clasificación 20 de noviembre de 2026" in leyenda
    for number, description in (
        (1, "RFC de persona física (Juan López Pérez)"),
        (2, "Domicilio de persona física (Juan López Pérez)"),
        (3, "Cuenta bancaria del proveedor"),
        (4, "Nombre de una persona física"),
        (5, "Declaración sobre la situación patrimonial del proveedor"),
    ):
        found = re.search(
            rf"\[Eliminado {number}\], página (\d+): {re.escape(description)}", leyenda
        )
        assert found, (number, leyenda)
        page = int(found.group(1))
        assert f"[Eliminado {number}]" in pages[page - 1], (number, page)
    assert BASIS in leyenda

    # Not public until published; then anyone reads it by the convenio's folio, and verifies it.
    public = f"{API}/public-versions/{signed['folio']}"
    assert client.get(public).status_code == 404
    published = ok(client.post(f"{url}/public-versions/{first['id']}/publish", headers=keys.legal))
    assert published["public_url"].endswith(f"/api/v1/public-versions/{signed['folio']}")
    served = client.get(public)
    assert served.status_code == 200 and served.content == pdf
    assert served.headers["content-type"] == "application/pdf"
    # The transparency export links to it (column 15), for the municipio that reports it.
    export = client.get(
        f"{API}/reports/transparency",
        params={
            "period_start": signed["effective_date"],
            "period_end": signed["effective_date"],
            "party_id": signed["parties"][0]["party"]["id"],
        },
        headers=keys.viewer,
    )
    [row] = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))[1:]
    assert row[14] == published["public_url"] and row[15] == ""
    verified = ok(client.get(f"{API}/verify/{document['verification_code']}"))
    assert verified["known"] and verified["document"]["kind"] == "version_publica"
    page = client.get(
        f"{API}/verify/{document['verification_code']}", headers={"Accept": "text/html"}
    )
    assert (
        "versión pública del\nconvenio" in page.text or "versión pública del convenio" in page.text
    )

    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.agreement_id == created["id"])
    ).all()
    assert actions.count("classification.added") == 3
    assert actions.count("public_version.generated") == 1
    assert actions.count("public_version.published") == 1
    assert db.scalar(select(func.count()).select_from(PublicVersion)) == 1


def test_no_public_address_for_a_cancelled_convenio(client: TestClient, keys: Keys) -> None:
    created = _convenio(client, keys)
    move(client, keys.legal, created["id"], "cancelled", reason="No se firmó")
    url = f"{API}/agreements/{created['id']}"
    refused = client.post(f"{url}/public-versions", json=LEYENDA, headers=keys.legal)
    assert refused.status_code == 409 and "cancelled" in refused.text
    assert client.get(f"{API}/public-versions/{created['folio']}").status_code == 404
    assert client.get(f"{API}/public-versions/not-a-folio").status_code == 422


def test_a_convenio_signed_on_paper_gets_the_redacted_scan_as_its_versión_pública(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = _convenio(client, keys)
    url = f"{API}/agreements/{created['id']}"
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    move(client, keys.legal, created["id"], "active", signed_on=created["effective_date"])
    scan = one_page_pdf("Versión pública (escaneo testado)")
    fields = {
        "area": "Dirección Jurídica",
        "classified_by": "Lic. Ana Torres",
        "classified_by_position": "Directora Jurídica",
        "classified_on": "2026-11-20",
        "committee_session": "Décima Sesión Extraordinaria",
        "committee_date": "2026-11-25",
        "committee_resolution": "CT/EXT/10/2026-03",
    }
    files = {"file": ("vp.pdf", scan, "application/pdf")}
    before = db.scalar(select(func.count()).select_from(Document))
    # Never as a bare document; never confirmed before it is classified; never a non-PDF.
    bare = client.post(
        f"{url}/documents/upload",
        files=files,
        data={"kind": "version_publica"},
        headers=keys.legal,
    )
    assert bare.status_code == 422 and "leyenda" in bare.text
    early = client.post(
        f"{url}/public-versions/scan",
        files=files,
        data={**fields, "committee_date": "2026-11-19"},
        headers=keys.legal,
    )
    assert early.status_code == 422, early.text
    text = {"file": ("vp.pdf", b"no es un PDF", "application/pdf")}
    assert (
        client.post(
            f"{url}/public-versions/scan", files=text, data=fields, headers=keys.legal
        ).status_code
        == 415
    )
    assert db.scalar(select(func.count()).select_from(Document)) == before

    # The signed scan itself, sent as its versión pública by mistake, is refused: publishing
    # it would publish everything the versión pública withholds.
    signed_scan = one_page_pdf("Convenio firmado (escaneo)")
    ok(
        client.post(
            f"{url}/documents/upload",
            files={"file": ("firmado.pdf", signed_scan, "application/pdf")},
            data={"kind": "signed_copy"},
            headers=keys.legal,
        ),
        201,
    )
    whole = client.post(
        f"{url}/public-versions/scan",
        files={"file": ("vp.pdf", signed_scan, "application/pdf")},
        data=fields,
        headers=keys.legal,
    )
    assert whole.status_code == 409 and "unredacted" in whole.text
    made = ok(
        client.post(f"{url}/public-versions/scan", files=files, data=fields, headers=keys.legal),
        201,
    )
    ok(client.post(f"{url}/public-versions/{made['id']}/publish", headers=keys.legal))
    served = client.get(f"{API}/public-versions/{created['folio']}")
    assert served.status_code == 200 and served.content == scan
    document = ok(client.get(f"{API}/documents/{made['document_id']}", headers=keys.legal))
    assert (document["kind"], document["origin"]) == ("version_publica", "uploaded")
