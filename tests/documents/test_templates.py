"""The shipped convenio templates, rendered from a real agreement, read back as text."""

import io
import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.agreements import repository
from app.documents.context import DocumentFacts, signing_place, template_context
from app.documents.rendering import TEMPLATES_ROOT, render_html, render_pdf
from app.templates.service import shipped
from tests.conftest import Keys
from tests.factories import API, agreement_payload, move, ok, representative, signing_party

SHIPPED = sorted(shipped())
VERIFY = "https://convenios.example.gob.mx/verify/4f1c2a9e0b7d3c5a6e8f9012"


def _agreement(client: TestClient, keys: Keys, db: Session, **fields: object) -> dict[str, object]:
    municipio = signing_party(client, keys.legal, "municipio")
    estado = signing_party(client, keys.legal, "estado")
    federacion = signing_party(
        client, keys.legal, "federacion", name="Secretaría de Seguridad y Protección Ciudadana"
    )
    representative(
        client, keys.legal, municipio[0]["id"], full_name="Ana Núñez Peña", position="Síndica"
    )
    payload = agreement_payload([municipio, estado, federacion], **fields)
    return ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)


def _context(db: Session, agreement_id: int, parent_id: int | None = None) -> dict[str, object]:
    db.expire_all()
    agreement = repository.get(db, agreement_id)
    assert agreement is not None
    parent = repository.get(db, parent_id) if parent_id else None
    facts = DocumentFacts(
        place=signing_place(db, agreement), date=date(2026, 2, 3), verification_url=VERIFY
    )
    return template_context(agreement, facts, parent)


def test_the_context_carries_the_agreement_as_stored(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = _agreement(client, keys, db)
    context = _context(db, int(created["id"]))
    html = render_html(
        "{{ agreement.folio }}|{{ document.place }}|{{ agreement.amount|amount }}|"
        "{% for p in agreement.parties %}"
        "{{ p.role }}: {{ p.signatories[0].position }};"
        "{% endfor %}",
        context,
    )
    folio = created["folio"]
    assert html == (
        f"{folio}|Tlalnepantla de Baz, Estado de México|"
        "$1,500,000.50 (UN MILLÓN QUINIENTOS MIL PESOS 50/100 M.N.)|"
        "EL MUNICIPIO: Presidenta Municipal;EL ESTADO: Presidenta Municipal;"
        "LA FEDERACIÓN: Presidenta Municipal;"
    )
    assert context["document"]["qr_data_uri"].startswith("data:image/png;base64,")  # type: ignore[index]


@pytest.mark.parametrize("key", SHIPPED)
def test_a_shipped_template_renders_a_complete_convenio(
    key: str, client: TestClient, keys: Keys, db: Session
) -> None:
    manifest, source = shipped()[key]
    parent_id = None
    kind = {"coordinacion": "coordinacion", "modificatorio": "modificatorio"}.get(
        key, "colaboracion"
    )
    if kind == "modificatorio":
        original = _agreement(client, keys, db)
        move(client, keys.legal, int(original["id"]), "in_review", "approved", "in_signature")
        move(client, keys.legal, int(original["id"]), "active", signed_on="2026-01-20")
        parent_id = int(original["id"])
    witness = {"full_name": "Sofía Ramírez Ávila", "position": "Contralora Municipal"}
    created = _agreement(client, keys, db, kind=kind, parent_id=parent_id, witnesses=[witness])
    assert created["witnesses"] == [witness]
    context = _context(db, int(created["id"]), parent_id)
    result = render_pdf(source.html, source.css, context, max_pages=50)
    reader = PdfReader(io.BytesIO(result.pdf))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    assert manifest["name"] and isinstance(manifest["required_fields"], list)
    for needed in (
        "CLÁUSULAS",
        "DECLARACIONES",
        "PRIMERA",
        "UN MILLÓN QUINIENTOS MIL PESOS 50/100 M.N.",
        "Tlalnepantla de Baz",
        "TESTIGOS",
        "SOFÍA RAMÍREZ ÁVILA",
    ):
        assert needed in text, (key, needed)
    assert "None" not in text
    for number, page_text in enumerate(pages, start=1):
        assert str(created["folio"]) in page_text, (key, number)
        assert f"Página {number} de {len(pages)}" in page_text, (key, number)
        objects = reader.pages[number - 1]["/Resources"].get("/XObject", {}).values()
        images = [o for o in objects if o.get_object().get("/Subtype") == "/Image"]
        assert images, f"{key}: page {number} has no QR code"
    if kind == "modificatorio":
        assert f"{context['agreement']['parent']['folio']}" in text  # type: ignore[index]


def test_every_shipped_template_declares_its_required_fields() -> None:
    assert SHIPPED == ["colaboracion", "coordinacion", "modificatorio"]  # comun/ is not one
    for key in SHIPPED:
        manifest = json.loads((TEMPLATES_ROOT / key / "template.json").read_text(encoding="utf-8"))
        assert all(
            field.startswith(("agreement.", "document.")) for field in manifest["required_fields"]
        )
    assert Path(TEMPLATES_ROOT / "assets" / "fonts" / "OFL.txt").is_file()
