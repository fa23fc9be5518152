"""The documents API: generate once per set of inputs, download with ETag and Range, upload
checked PDFs, and verify in public."""

import hashlib
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.documents import router as documents_router
from app.models import AuditEvent, Document
from tests.clock import TERM_2026_2027
from tests.conftest import Keys
from tests.factories import API, agreement, move, ok


def _generate(
    client: TestClient, headers: dict[str, str], agreement_id: int, status: int = 201, **body: Any
) -> dict[str, Any]:
    return ok(
        client.post(f"{API}/agreements/{agreement_id}/documents", json=body, headers=headers),
        status,
    )


def _pdf(text: str = "Anexo técnico") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upload(
    client: TestClient,
    headers: dict[str, str],
    agreement_id: int,
    data: bytes,
    kind: str = "annex",
    name: str = "anexo.pdf",
) -> Any:
    return client.post(
        f"{API}/agreements/{agreement_id}/documents/upload",
        files={"file": (name, data, "application/pdf")},
        data={"kind": kind},
        headers=headers,
    )


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Document)) or 0)


def test_generating_renders_once_then_returns_the_same_document(
    client: TestClient, keys: Keys, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = agreement(client, keys.legal)
    document = _generate(client, keys.legal, created["id"])
    assert document["origin"] == "generated" and document["kind"] == "convenio"
    assert document["template"] == {"key": "colaboracion", "version": 1}
    assert document["agreement_version"] == created["version"]
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", document["verification_code"])
    assert document["verification_url"].endswith(f"/api/v1/verify/{document['verification_code']}")

    pdf = client.get(f"{API}/documents/{document['id']}/pdf", headers=keys.viewer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == document["sha256"]
    assert len(pdf.content) == document["size"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert created["folio"] in text and document["verification_code"] in text

    # Nothing changed: the second request renders nothing and answers with the same document.
    def no_render(job: Any) -> Any:
        raise AssertionError("an unchanged agreement must not be rendered again")

    monkeypatch.setattr(documents_router, "render_runner", lambda: no_render)
    again = _generate(client, keys.legal, created["id"], status=200)
    assert again == document
    assert _count(db) == 1


def test_a_transition_alone_does_not_change_the_document_but_an_edit_does(
    client: TestClient, keys: Keys
) -> None:
    created = agreement(client, keys.legal)
    first = _generate(client, keys.legal, created["id"])
    move(client, keys.legal, created["id"], "in_review")
    assert _generate(client, keys.legal, created["id"], status=200)["id"] == first["id"]
    ok(
        client.patch(
            f"{API}/agreements/{created['id']}",
            json={"title": "Convenio de colaboración en materia de catastro"},
            headers=keys.legal,
        )
    )
    second = _generate(client, keys.legal, created["id"])
    assert second["id"] != first["id"] and second["sha256"] != first["sha256"]
    assert second["verification_code"] != first["verification_code"]


def test_the_archival_variant_is_pdf_a_3b(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    standard = _generate(client, keys.legal, created["id"])
    archival = _generate(client, keys.legal, created["id"], variant="pdf/a-3b")
    assert archival["variant"] == "pdf/a-3b" and archival["sha256"] != standard["sha256"]
    pdf = client.get(f"{API}/documents/{archival['id']}/pdf", headers=keys.legal)
    catalog = PdfReader(io.BytesIO(pdf.content)).trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/OutputIntents" in catalog  # the colour profile PDF/A requires
    assert "_pdfa.pdf" in pdf.headers["content-disposition"]


def test_a_template_and_version_can_be_chosen(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    document = _generate(
        client, keys.legal, created["id"], template="coordinacion", template_version=1
    )
    assert document["template"] == {"key": "coordinacion", "version": 1}
    # A template or version named that does not exist: 404, as a path naming nothing.
    for body, field in (
        ({"template": "no_such_template"}, "body.template"),
        ({"template_version": 999}, "body.template_version"),
    ):
        problem = client.post(
            f"{API}/agreements/{created['id']}/documents", json=body, headers=keys.legal
        )
        assert problem.status_code == 404, problem.text
        assert problem.json()["errors"][0]["field"] == field


def test_a_field_the_template_requires_is_named_when_missing(
    client: TestClient, keys: Keys
) -> None:
    created = agreement(client, keys.legal, clauses=[])
    problem = client.post(
        f"{API}/agreements/{created['id']}/documents", json={}, headers=keys.legal
    )
    assert problem.status_code == 409  # the agreement on record lacks it
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["type"].endswith("template-field-missing")
    assert "agreement.clauses" in problem.json()["detail"]


def test_a_cancelled_agreement_gets_no_new_documents(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    move(client, keys.legal, created["id"], "cancelled", reason="Se desistieron las partes.")
    problem = client.post(
        f"{API}/agreements/{created['id']}/documents", json={}, headers=keys.legal
    )
    assert problem.status_code == 409


def test_download_honours_etag_and_ranges(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    document = _generate(client, keys.legal, created["id"])
    url = f"{API}/documents/{document['id']}/pdf"
    full = client.get(url, headers=keys.legal)
    etag = f'"{document["sha256"]}"'
    assert full.headers["etag"] == etag
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-disposition"] == (
        f'attachment; filename="{created["folio"]}_convenio_v{created["version"]}.pdf"'
    )

    unchanged = client.get(url, headers={**keys.legal, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    changed = client.get(url, headers={**keys.legal, "If-None-Match": '"other"'})
    assert changed.status_code == 200

    size = len(full.content)
    part = client.get(url, headers={**keys.legal, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    tail = client.get(url, headers={**keys.legal, "Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == full.content[-50:]
    rest = client.get(url, headers={**keys.legal, "Range": f"bytes={size - 10}-"})
    assert rest.content == full.content[-10:]
    outside = client.get(url, headers={**keys.legal, "Range": f"bytes={size}-"})
    assert outside.status_code == 416
    assert outside.headers["content-type"] == "application/problem+json"
    assert outside.headers["content-range"] == f"bytes */{size}"
    stale = client.get(url, headers={**keys.legal, "Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == full.content
    several = client.get(url, headers={**keys.legal, "Range": "bytes=0-1,5-6"})
    assert several.status_code == 200


def test_a_missing_or_damaged_blob_is_reported_not_served(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    document = _generate(client, keys.legal, created["id"])
    storage = documents_router.get_storage()
    path = storage.root / document["sha256"][:2] / document["sha256"]  # type: ignore[attr-defined]
    path.write_bytes(b"%PDF-1.7 damaged")
    damaged = client.get(f"{API}/documents/{document['id']}/pdf", headers=keys.legal)
    assert damaged.status_code == 503 and damaged.json()["type"].endswith("document-unavailable")
    path.unlink()
    missing = client.get(f"{API}/documents/{document['id']}/pdf", headers=keys.legal)
    assert missing.status_code == 503


def test_uploads_are_checked_by_content(client: TestClient, keys: Keys, db: Session) -> None:
    created = agreement(client, keys.legal)
    data = _pdf()
    response = _upload(client, keys.legal, created["id"], data, name="../../etc/Anexo técnico.pdf")
    document = ok(response, 201)
    assert document["origin"] == "uploaded" and document["kind"] == "annex"
    assert document["sha256"] == hashlib.sha256(data).hexdigest() and document["pages"] == 1
    assert document["original_filename"] == "Anexo técnico.pdf"
    assert document["title"] == f"Anexo del convenio {created['folio']}"
    assert document["verification_code"] is None
    # The same bytes again are the same document.
    again = ok(_upload(client, keys.legal, created["id"], data), 200)
    assert again["id"] == document["id"]

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    refused = _upload(client, keys.legal, created["id"], png, name="escaneo.pdf")
    assert refused.status_code == 415, refused.text
    assert refused.json()["type"].endswith("not-a-pdf")
    truncated = _upload(client, keys.legal, created["id"], data[: len(data) // 3])
    assert truncated.status_code in (415, 422), truncated.text
    convenio = _upload(client, keys.legal, created["id"], _pdf("x"), kind="convenio")
    assert convenio.status_code == 422
    assert _count(db) == 1


def test_a_retried_upload_with_its_idempotency_key_gets_the_first_answer(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = agreement(client, keys.legal)
    retry = {**keys.legal, "Idempotency-Key": "anexo-tecnico-1"}
    first = _upload(client, retry, created["id"], _pdf("Anexo técnico"))
    again = _upload(client, retry, created["id"], _pdf("Anexo técnico"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other_file = _upload(client, retry, created["id"], _pdf("Otro anexo"))
    assert other_file.status_code == 422
    assert other_file.json()["type"].endswith("idempotency-key-reused")
    assert _count(db) == 1


def test_upload_limits_and_media_types(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}/documents/upload"
    as_json = client.post(url, json={"kind": "annex"}, headers=keys.legal)
    assert as_json.status_code == 415
    assert as_json.headers["content-type"] == "application/problem+json"
    no_file = client.post(url, data={"kind": "annex"}, files={"x": ("a", b"")}, headers=keys.legal)
    assert no_file.status_code == 422


def test_an_upload_over_the_limit_gets_413(
    engine: Any, connection: Any, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings
    from app.db import get_session
    from app.main import create_app

    monkeypatch.setenv("CONVENIOS_MAX_UPLOAD_BYTES", "4096")
    get_settings.cache_clear()
    small = create_app(engine)

    def session() -> Any:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s

    small.dependency_overrides[get_session] = session
    with TestClient(small, raise_server_exceptions=False) as client:
        big = b"%PDF-1.7\n" + b"0" * 10_000
        declared = _upload(client, keys.legal, 1, big)
        assert declared.status_code == 413
        assert declared.headers["content-type"] == "application/problem+json"

        def chunks() -> Any:
            boundary = b"--b\r\n"
            yield boundary + b'Content-Disposition: form-data; name="kind"\r\n\r\nannex\r\n'
            yield boundary + (
                b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
                b"Content-Type: application/pdf\r\n\r\n"
            )
            for _ in range(10):
                yield b"0" * 1000
            yield b"\r\n--b--\r\n"

        streamed = client.post(
            f"{API}/agreements/1/documents/upload",
            content=chunks(),
            headers={**keys.legal, "Content-Type": "multipart/form-data; boundary=b"},
        )
        assert streamed.status_code == 413, streamed.text


def test_public_verification(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    document = _generate(client, keys.legal, created["id"])
    by_code = ok(client.get(f"{API}/verify/{document['verification_code'].lower()}"))
    by_hash = ok(client.get(f"{API}/verify/{document['sha256'].upper()}"))
    pdf = client.get(f"{API}/documents/{document['id']}/pdf", headers=keys.legal).content
    by_file = ok(client.post(f"{API}/verify", files={"file": ("c.pdf", pdf, "application/pdf")}))
    assert by_code == by_hash == by_file
    assert by_code["known"] is True
    assert by_code["document"]["issued_by_service"] is True
    assert by_code["agreement"]["folio"] == created["folio"]
    assert by_code["agreement"]["status"] == "draft"
    assert [s["full_name"] for s in by_code["agreement"]["signatories"]] == [
        "María Pérez Hernández",
        "María Pérez Hernández",
    ]
    # Only public facts: no amounts, RFCs, ids, contacts or content.
    flat = str(by_code)
    for private in ("1500000", "amount", "rfc", "email", "objective", "'id'", "created_by"):
        assert private not in flat

    unknown = ok(client.get(f"{API}/verify/{'0' * 64}"))
    assert unknown == {
        "known": False,
        "sha256": "0" * 64,
        "document": None,
        "agreement": None,
        "signatures": [],
    }
    assert client.get(f"{API}/verify/not-a-reference").status_code == 422


def test_generating_and_uploading_are_audited(client: TestClient, keys: Keys, db: Session) -> None:
    created = agreement(client, keys.legal)
    _generate(client, keys.legal, created["id"])
    ok(_upload(client, keys.legal, created["id"], _pdf()), 201)
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.agreement_id == created["id"])
    ).all()
    assert "document.generated" in actions and "document.uploaded" in actions


def test_signatories_see_only_their_agreements_documents(
    client: TestClient, keys: Keys, db: Session
) -> None:
    mine = agreement(client, keys.legal)
    other = agreement(client, keys.legal)
    representative_id = mine["parties"][0]["signatories"][0]["representative_id"]
    signatory = keys.signatory(db, representative_id)
    my_document = _generate(client, keys.legal, mine["id"])
    other_document = _generate(client, keys.legal, other["id"])
    assert ok(client.get(f"{API}/documents/{my_document['id']}", headers=signatory))
    assert client.get(f"{API}/documents/{my_document['id']}/pdf", headers=signatory).is_success
    for url in (
        f"{API}/documents/{other_document['id']}",
        f"{API}/documents/{other_document['id']}/pdf",
        f"{API}/agreements/{other['id']}/documents",
    ):
        assert client.get(url, headers=signatory).status_code == 404
    listed = ok(client.get(f"{API}/agreements/{mine['id']}/documents", headers=signatory))
    assert [d["id"] for d in listed["items"]] == [my_document["id"]]
    refused = client.post(f"{API}/agreements/{mine['id']}/documents", json={}, headers=signatory)
    assert refused.status_code == 403


def test_a_browser_gets_the_verification_as_a_page_in_spanish(
    client: TestClient, keys: Keys
) -> None:
    created = agreement(
        client, keys.legal, title="Convenio <b>de</b> catastro & predial", **TERM_2026_2027
    )
    document = _generate(client, keys.legal, created["id"])
    browser = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
    page = client.get(f"{API}/verify/{document['verification_code']}", headers=browser)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for text in (
        "Documento emitido por el sistema de convenios",
        created["folio"],
        "Borrador",
        "Del 15 de enero de 2026 al 31 de diciembre de 2027",
        "Convenio &lt;b&gt;de&lt;/b&gt; catastro &amp; predial",  # escaped, never markup
        "María Pérez Hernández",
    ):
        assert text in page.text, text
    unknown = client.get(f"{API}/verify/{'a' * 64}", headers=browser)
    assert unknown.status_code == 200 and "Documento no reconocido" in unknown.text


def test_two_template_versions_that_print_the_same_bytes_give_one_document(
    client: TestClient, keys: Keys
) -> None:
    url = f"{API}/templates/sobrio/versions"
    html = "<h1>{{ agreement.title }}</h1><p>{{ agreement.folio }}</p>"
    ok(client.post(url, json={"name": "Sobrio", "html": html}, headers=keys.admin), 201)
    commented = html + "{# una nota para quien edite la plantilla #}"
    ok(client.post(url, json={"html": commented}, headers=keys.admin), 201)
    created = agreement(client, keys.legal)
    generate = f"{API}/agreements/{created['id']}/documents"
    first = ok(
        client.post(
            generate, json={"template": "sobrio", "template_version": 1}, headers=keys.legal
        ),
        201,
    )
    again = client.post(
        generate, json={"template": "sobrio", "template_version": 2}, headers=keys.legal
    )
    # The same bytes are the same document: not a 409 that no retry can ever get past.
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"] and again.json()["sha256"] == first["sha256"]
    listed = ok(client.get(generate, headers=keys.viewer))["items"]
    assert [d["id"] for d in listed] == [first["id"]]
