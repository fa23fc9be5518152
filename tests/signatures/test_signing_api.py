"""Signing convenios through the API: requests and order, the signatories' own access, the
three ways to sign, declines, completion, and every bad input refused with nothing recorded.

The certificates come from the test PKI (`tests/signatures/pki.py`), laid out like the SAT's
e.firma; never real ones."""

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import get_settings
from app.models import AuditEvent, Document, Signature
from app.signatures.pades import Credentials, SignJob
from tests.conftest import Keys
from tests.documents.test_inspection import bomb_pdf, spanish_pdf
from tests.factories import (
    API,
    agreement_payload,
    authorize_municipios,
    estado,
    move,
    municipio,
    ok,
    party,
)
from tests.signatures.pki import EFirma, Pki, test_pki
from tests.signatures.tsa import local_tsa
from tests.test_refused_requests import PDF, _refused

PASSWORD = "12345678a"

# Three representatives: a municipio's, an estado's and the federation's, each with an e.firma
# in the SAT layout. The municipio's is a persona moral certificate: the entity's RFC, then its
# representative's.
PEOPLE = {
    "municipio": ("Teresa Hernández García", "HEGT7610034S2", "HEGT761003MDFRNN09"),
    "estado": ("Luis Ramírez Ortega", "RAOL7005128K3", "RAOL700512HMCMRS04"),
    "federacion": ("Ana Sofía Medina Cruz", "MECA8203217Q1", "MECA820321MDFDRN02"),
}


def _efirma(pki: Pki, who: str, **kwargs: Any) -> EFirma:
    name, rfc, curp = PEOPLE[who]
    rfc_attr = f"MTB850101AB1 / {rfc}" if who == "municipio" else rfc
    return pki.efirma(name, rfc_attr, f" / {curp}", password=PASSWORD, **kwargs)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return test_pki()


@pytest.fixture(autouse=True)
def _trust(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The service trusts the test PKI's root (and knows its intermediate)."""
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(
        pki.root.certificate.public_bytes(Encoding.PEM)
        + pki.intermediate.certificate.public_bytes(Encoding.PEM)
    )
    monkeypatch.setenv("CONVENIOS_TRUST_ROOTS", str(bundle))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@dataclass
class Signing:
    """An agreement between a municipio, an estado and the federation, sent for signature:
    the municipio signs first, then the estado and the federation in parallel."""

    agreement: dict[str, Any]
    document: dict[str, Any]
    requests: dict[str, dict[str, Any]]
    keys: dict[str, dict[str, str]]

    @property
    def url(self) -> str:
        return f"{API}/agreements/{self.agreement['id']}"


def _prepare(client: TestClient, keys: Keys, db: Session, *, orders: dict[str, int]) -> Signing:
    builders = {"municipio": municipio, "estado": estado, "federacion": party}
    signers = []
    for who, builder in builders.items():
        created = builder(client, keys.legal)
        name, rfc, curp = PEOPLE[who]
        rep = ok(
            client.post(
                f"{API}/parties/{created['id']}/representatives",
                json={
                    "full_name": name,
                    "gender": "masculine",
                    "position": "Titular",
                    "rfc": rfc,
                    "curp": curp,
                },
                headers=keys.legal,
            ),
            201,
        )
        signers.append((created, rep))
    # Every way of signing in one round: electronic, autógrafa and e.firma.
    payload = agreement_payload(signers, signing={"method": "mixta"})
    agreement = ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)
    authorize_municipios(client, keys.legal, agreement["id"])
    url = f"{API}/agreements/{agreement['id']}"
    document = ok(client.post(f"{url}/documents", json={}, headers=keys.legal), 201)
    requests = {
        who: ok(
            client.post(
                f"{url}/signatures",
                json={"representative_id": rep["id"], "order": orders[who]},
                headers=keys.legal,
            ),
            201,
        )
        for who, (_, rep) in zip(builders, signers, strict=True)
    }
    signatory_keys = {
        who: keys.signatory(db, rep["id"]) for who, (_, rep) in zip(builders, signers, strict=True)
    }
    agreement = move(client, keys.legal, agreement["id"], "in_review", "approved", "in_signature")
    return Signing(agreement, document, requests, signatory_keys)


ORDER = {"municipio": 1, "estado": 2, "federacion": 2}


@pytest.fixture
def signing(client: TestClient, keys: Keys, db: Session) -> Signing:
    return _prepare(client, keys, db, orders=ORDER)


def _sign_url(signing: Signing, who: str, how: str = "") -> str:
    return f"{API}/signatures/{signing.requests[who]['id']}/sign{how}"


def _with_credentials(client: TestClient, signing: Signing, who: str, firma: EFirma) -> Any:
    return client.post(
        _sign_url(signing, who, "/pades"),
        files={
            "certificate": ("firma.cer", firma.cer, "application/octet-stream"),
            "private_key": ("firma.key", firma.key, "application/octet-stream"),
        },
        data={"password": firma.password},
        headers=signing.keys[who],
    )


def _download(client: TestClient, document: dict[str, Any], headers: dict[str, str]) -> bytes:
    response = client.get(document["download_url"], headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def _sign_locally(pdf: bytes, firma: EFirma, pki: Pki, field: str) -> bytes:
    """What a signatory's own signing program does: pyHanko, on its machine."""
    job = SignJob(
        pdf=pdf,
        credentials=Credentials(password=firma.password, pkcs12=firma.p12),
        trust=pki.trust,
        at=clock.now(),
        field_name=field,
        reason="Firma del convenio",
    )
    return job.run().pdf


def _counts(db: Session) -> tuple[int, int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        db.scalar(select(func.count()).select_from(Document)) or 0,
        db.scalar(select(func.count()).select_from(Signature).where(Signature.status != "pending"))
        or 0,
    )


def test_three_parties_sign_in_order_and_the_pdf_carries_three_valid_signatures(
    client: TestClient, keys: Keys, db: Session, pki: Pki
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    frozen = signing.agreement["signing_document_id"]
    assert frozen == signing.document["id"]
    listed = ok(client.get(f"{signing.url}/signatures", headers=keys.viewer))
    assert [(s["order"], s["status"], s["can_sign_now"]) for s in listed] == [
        (1, "pending", True),
        (2, "pending", False),
        (2, "pending", False),
    ]
    assert all(s["document"]["id"] == frozen for s in listed)

    # The estado's turn comes after the municipio's.
    early = _with_credentials(client, signing, "estado", _efirma(pki, "estado"))
    assert early.status_code == 409 and early.json()["type"].endswith(":out-of-turn")
    assert "Teresa Hernández García" in early.json()["detail"]

    # 1. The municipio's representative sends its .cer, .key and password: the service signs.
    first = ok(_with_credentials(client, signing, "municipio", _efirma(pki, "municipio")))
    assert first["status"] == "signed" and first["method"] == "pades"
    assert first["certificate"]["rfcs"] == ["MTB850101AB1", "HEGT7610034S2"]
    assert first["certificate"]["curp"] == "HEGT761003MDFRNN09"
    assert first["signed_sha256"] == signing.document["sha256"]  # the frozen document's bytes
    assert first["ip"] and first["user_agent"]

    # 2. The estado's signs on its own machine over `sign_over` and uploads the result.
    mine = ok(
        client.get(
            f"{API}/signatures/{signing.requests['estado']['id']}", headers=signing.keys["estado"]
        )
    )
    assert mine["can_sign_now"] and mine["sign_over"]["id"] == first["evidence"]["id"]
    base = _download(client, mine["sign_over"], signing.keys["estado"])
    signed = _sign_locally(base, _efirma(pki, "estado"), pki, "FirmaEstado")
    second = ok(
        client.post(
            _sign_url(signing, "estado", "/pades"),
            files={"signed_pdf": ("firmado.pdf", signed, "application/pdf")},
            headers=signing.keys["estado"],
        )
    )
    assert second["status"] == "signed" and second["certificate"]["rfcs"] == ["RAOL7005128K3"]
    assert ok(client.get(signing.url, headers=keys.viewer))["status"] == "in_signature"

    # 3. The federation's signs with a PKCS#12: the last signature completes the agreement.
    firma = _efirma(pki, "federacion")
    third = ok(
        client.post(
            _sign_url(signing, "federacion", "/pades"),
            files={"pkcs12": ("firma.p12", firma.p12, "application/x-pkcs12")},
            data={"password": firma.password},
            headers=signing.keys["federacion"],
        )
    )
    assert third["status"] == "signed"
    agreement = ok(client.get(signing.url, headers=keys.viewer))
    assert agreement["status"] == "active" and agreement["signed_on"]
    assert agreement["signed_document_id"] == third["evidence"]["id"]

    # pyHanko's own validator, against the test root: three intact, valid, trusted signatures.
    final = _download(
        client,
        ok(client.get(f"{API}/documents/{agreement['signed_document_id']}", headers=keys.viewer)),
        keys.viewer,
    )
    assert final.startswith(base) and base.startswith(
        _download(client, signing.document, keys.viewer)
    )
    reader = PdfFileReader(io.BytesIO(final))
    assert len(reader.embedded_signatures) == 3
    for embedded in reader.embedded_signatures:
        status = validate_pdf_signature(
            embedded,
            ValidationContext(
                trust_roots=[asn1_x509.Certificate.load(pki.root_der)],
                other_certs=[asn1_x509.Certificate.load(pki.intermediate_der)],
                allow_fetching=False,
            ),
        )
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()

    # The service's own report, and the public verification of the signed PDF.
    report = ok(
        client.get(
            f"{API}/documents/{agreement['signed_document_id']}/signatures",
            headers=signing.keys["municipio"],
        )
    )
    assert report["trust_configured"] is True
    assert [s["signer"]["rfcs"][-1] for s in report["signatures"]] == [
        "HEGT7610034S2",
        "RAOL7005128K3",
        "MECA8203217Q1",
    ]
    assert all(s["ok"] and s["covers_document"] for s in report["signatures"])
    public = ok(client.post(f"{API}/verify", files={"file": ("c.pdf", final, "application/pdf")}))
    assert public["known"] and public["document"]["kind"] == "signed_copy"
    assert len(public["signatures"]) == 3 and all(s["ok"] for s in public["signatures"])
    assert [s["status"] for s in public["agreement"]["signing"]] == ["signed"] * 3
    # The QR code of the document signed leads to the signed one; a phone gets it in Spanish.
    by_code = ok(client.get(f"{API}/verify/{signing.document['verification_code']}"))
    assert by_code["agreement"]["signed_document_sha256"] == public["sha256"]
    html = client.get(f"{API}/verify/{public['sha256']}", headers={"Accept": "text/html"}).text
    page = " ".join(re.sub(r"<[^>]+>", "", html).split())  # the text a person reads
    assert "Firmas electrónicas avanzadas en este archivo" in page
    assert "Este archivo es el convenio firmado por las partes" in page
    # By name and cargo, never by the RFC or CURP the certificate carries.
    signer = "Teresa Hernández García, Titular (Municipio de Tlalnepantla de Baz)"
    assert f"{signer}: firma válida: el documento no ha cambiado desde que se firmó" in page
    assert [s["signer"]["position"] for s in public["signatures"]] == ["Titular"] * 3
    assert not any(rfc in html + str(public) for _, rfc, _ in PEOPLE.values())
    assert "firmó, mediante e.firma (firma electrónica avanzada), el" in page

    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.agreement_id == agreement["id"])
    ).all()
    assert actions.count("signature.requested") == 3
    assert actions.count("signature.signed") == 3
    assert actions.count("document.signed") == 3
    # Signed, then (once that committed) the constancia de firmas issued.
    assert actions[-2:] == ["agreement.status_changed", "document.issued"]


def test_every_bad_signature_is_refused_and_nothing_is_recorded(
    client: TestClient, keys: Keys, db: Session, pki: Pki
) -> None:
    signing = _prepare(client, keys, db, orders={"municipio": 1, "estado": 1, "federacion": 1})
    name, rfc, curp = PEOPLE["municipio"]
    good = _efirma(pki, "municipio")
    now = clock.now()
    expired = _efirma(
        pki, "municipio", not_before=now - timedelta(days=800), not_after=now - timedelta(days=1)
    )
    future = _efirma(
        pki, "municipio", not_before=now + timedelta(days=30), not_after=now + timedelta(days=800)
    )
    stranger = pki.efirma(
        name, f"MTB850101AB1 / {rfc}", f" / {curp}", password=PASSWORD, issuer=pki.other_root
    )
    someone_else = _efirma(pki, "estado")
    other_key = _efirma(pki, "federacion")

    frozen = _download(client, signing.document, keys.viewer)
    signed_elsewhere = _sign_locally(_blank_pdf(), good, pki, "Firma")
    flipped = bytearray(_sign_locally(frozen, good, pki, "Firma"))
    flipped[len(frozen) // 2] ^= 0x01  # a byte of the document to sign, flipped after signing
    signed = _sign_locally(frozen, good, pki, "Firma")
    # A byte of the signature's own revision (its /Reason), changed after signing.
    at = signed.index(b"Firma del convenio", len(frozen))
    tampered = signed[:at] + b"Firma del convenia" + signed[at + 18 :]
    edited = _incremental_edit(_sign_locally(frozen, good, pki, "Firma"))

    def credentials(firma: EFirma, password: str | None = None, key: bytes | None = None) -> Any:
        return client.post(
            _sign_url(signing, "municipio", "/pades"),
            files={
                "certificate": ("f.cer", firma.cer, "application/octet-stream"),
                "private_key": ("f.key", key or firma.key, "application/octet-stream"),
            },
            data={"password": password or firma.password},
            headers=signing.keys["municipio"],
        )

    def upload(pdf: bytes) -> Any:
        return client.post(
            _sign_url(signing, "municipio", "/pades"),
            files={"signed_pdf": ("f.pdf", pdf, "application/pdf")},
            headers=signing.keys["municipio"],
        )

    cases = {
        "wrong-password": lambda: credentials(good, password="otra-cosa"),
        "key-mismatch": lambda: credentials(good, key=other_key.key),
        "certificate-expired": lambda: credentials(expired),
        "certificate-not-yet-valid": lambda: credentials(future),
        "certificate-untrusted": lambda: credentials(stranger),
        "certificate-rfc-mismatch": lambda: credentials(someone_else),
        "credentials-unreadable": lambda: credentials(
            EFirma(cer=b"no", key=b"no", p12=b"", password="x", certificate=good.certificate)
        ),
        "not-incremental": lambda: upload(signed_elsewhere),
        "flipped": lambda: upload(bytes(flipped)),
        "signature-invalid": lambda: upload(tampered),
        "not-a-pdf": lambda: upload(b"hello"),
        "edited": lambda: upload(edited),
    }
    before = _counts(db)
    for expected, attempt in cases.items():
        response = attempt()
        assert 400 <= response.status_code < 500, (expected, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        slug = response.json()["type"].rsplit(":", 1)[-1]
        if expected == "signature-invalid":  # the damage may also make it unreadable
            assert slug in {"signature-invalid", "signatures-unreadable"}, response.json()
        elif expected not in {"edited", "flipped"}:
            assert slug == expected, response.json()
        assert _counts(db) == before, expected
        assert "12345678a" not in response.text

    incomplete = client.post(
        _sign_url(signing, "municipio", "/pades"),
        files={"certificate": ("f.cer", good.cer, "application/octet-stream")},
        headers=signing.keys["municipio"],
    )
    assert incomplete.status_code == 422
    assert {e["field"] for e in incomplete.json()["errors"]} == {
        "body.private_key",
        "body.password",
    }

    # Signed once; a second signature by the same signatory is refused.
    ok(credentials(good))
    again = credentials(good)
    assert again.status_code == 409 and "already signed" in again.json()["detail"]
    electronic_again = client.post(
        _sign_url(signing, "municipio"),
        json={"document_sha256": signing.document["sha256"], "accept": True},
        headers=signing.keys["municipio"],
    )
    assert electronic_again.status_code == 409


def test_signatures_only_while_in_signature_and_requests_only_while_prepared(
    client: TestClient, keys: Keys, db: Session
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    late = client.post(
        f"{signing.url}/signatures", json={"representative_id": 1, "order": 1}, headers=keys.legal
    )
    assert late.status_code == 409
    withdraw = client.delete(
        f"{API}/signatures/{signing.requests['estado']['id']}", headers=keys.legal
    )
    assert withdraw.status_code == 409

    move(client, keys.legal, signing.agreement["id"], "cancelled", reason="Ya no se firmará")
    before = _counts(db)
    response = client.post(
        _sign_url(signing, "municipio"),
        json={"document_sha256": signing.document["sha256"], "accept": True},
        headers=signing.keys["municipio"],
    )
    assert response.status_code == 409 and "not in_signature" in response.json()["detail"]
    assert _counts(db) == before


def test_electronic_and_autografa_signatures_complete_the_agreement_with_the_scans(
    client: TestClient, keys: Keys, db: Session
) -> None:
    signing = _prepare(client, keys, db, orders={"municipio": 1, "estado": 2, "federacion": 3})
    sha256 = signing.document["sha256"]

    wrong = client.post(
        _sign_url(signing, "municipio"),
        json={"document_sha256": "0" * 64, "accept": True},
        headers=signing.keys["municipio"],
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.document_sha256"
    no_consent = client.post(
        _sign_url(signing, "municipio"),
        json={"document_sha256": sha256, "accept": False},
        headers=signing.keys["municipio"],
    )
    assert no_consent.status_code == 422

    accepted = ok(
        client.post(
            _sign_url(signing, "municipio"),
            json={"document_sha256": sha256.upper(), "accept": True},
            headers={**signing.keys["municipio"], "User-Agent": "Navegador de pruebas"},
        )
    )
    assert accepted["method"] == "electronic" and accepted["signed_sha256"] == sha256
    assert accepted["user_agent"] == "Navegador de pruebas" and accepted["evidence"] is None

    not_pdf = client.post(
        _sign_url(signing, "estado", "/autografa"),
        files={"file": ("firma.pdf", b"GIF89a...", "application/pdf")},
        headers=signing.keys["estado"],
    )
    assert not_pdf.status_code == 415
    scans = {}
    for who in ("estado", "federacion"):
        scan = _blank_pdf(pages=2, title=f"Escaneo {who}")
        signed = ok(
            client.post(
                _sign_url(signing, who, "/autografa"),
                files={"file": ("escaneo.pdf", scan, "application/pdf")},
                headers=signing.keys[who],
            )
        )
        assert signed["method"] == "autografa" and signed["signed_sha256"] == sha256
        scans[who] = signed["evidence"]

    agreement = ok(client.get(signing.url, headers=keys.viewer))
    assert agreement["status"] == "active"
    bundle = ok(
        client.get(f"{API}/documents/{agreement['signed_document_id']}", headers=keys.viewer)
    )
    assert bundle["kind"] == "signed_copy" and bundle["pages"] == 4
    # The co-signers see each other's signatures, but not where they signed from.
    seen = ok(client.get(f"{signing.url}/signatures", headers=signing.keys["estado"]))
    assert [s["ip"] is None for s in seen] == [True, False, True]
    report = ok(client.get(f"{API}/documents/{bundle['id']}/signatures", headers=keys.viewer))
    assert report["signatures"] == []


def test_a_decline_sends_the_agreement_back_to_review_and_a_new_round_starts_afresh(
    client: TestClient, keys: Keys, db: Session
) -> None:
    signing = _prepare(client, keys, db, orders={"municipio": 1, "estado": 1, "federacion": 1})
    ok(
        client.post(
            _sign_url(signing, "municipio"),
            json={"document_sha256": signing.document["sha256"], "accept": True},
            headers=signing.keys["municipio"],
        )
    )
    reason = "La cláusula TERCERA no refleja lo acordado."
    declined = ok(
        client.post(
            f"{API}/signatures/{signing.requests['estado']['id']}/decline",
            json={"reason": reason},
            headers=signing.keys["estado"],
        )
    )
    assert declined["status"] == "declined" and declined["reason"] == reason
    agreement = ok(client.get(signing.url, headers=keys.viewer))
    assert agreement["status"] == "in_review"
    event = db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.agreement_id == agreement["id"],
            AuditEvent.action == "agreement.status_changed",
        )
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert event is not None and reason in event.changes["reason"][1]
    assert event.changes["status"] == ["in_signature", "in_review"]

    # Nobody signs an agreement under review.
    federacion = client.post(
        _sign_url(signing, "federacion"),
        json={"document_sha256": signing.document["sha256"], "accept": True},
        headers=signing.keys["federacion"],
    )
    assert federacion.status_code == 409

    # The text changes, a new convenio is generated, and the next round starts from nothing.
    ok(client.patch(signing.url, json={"title": "Convenio corregido"}, headers=keys.legal))
    stale = client.post(
        f"{signing.url}/transitions",
        json={"to": "in_signature"},
        headers=keys.legal,
    )
    assert stale.status_code == 409
    move(client, keys.legal, agreement["id"], "approved")
    refused = client.post(
        f"{signing.url}/transitions", json={"to": "in_signature"}, headers=keys.legal
    )
    assert refused.status_code == 409 and "generate it" in refused.json()["detail"]
    old = client.post(
        f"{signing.url}/transitions",
        json={"to": "in_signature", "document_id": signing.document["id"]},
        headers=keys.legal,
    )
    assert old.status_code == 422 and old.json()["errors"][0]["field"] == "body.document_id"
    new_document = ok(client.post(f"{signing.url}/documents", json={}, headers=keys.legal), 201)
    again = move(client, keys.legal, agreement["id"], "in_signature")
    assert again["signing_document_id"] == new_document["id"]
    listed = ok(client.get(f"{signing.url}/signatures", headers=keys.viewer))
    assert {s["status"] for s in listed} == {"pending"}
    assert {s["document"]["id"] for s in listed} == {new_document["id"]}


def test_entering_signature_needs_a_request_for_every_signatory(
    client: TestClient, keys: Keys, db: Session
) -> None:
    signing_parties = []
    for builder in (municipio, estado):
        created = builder(client, keys.legal)
        rep = ok(
            client.post(
                f"{API}/parties/{created['id']}/representatives",
                json={"full_name": "Rosa Díaz", "gender": "feminine", "position": "Titular"},
                headers=keys.legal,
            ),
            201,
        )
        signing_parties.append((created, rep))
    agreement = ok(
        client.post(
            f"{API}/agreements", json=agreement_payload(signing_parties), headers=keys.legal
        ),
        201,
    )
    authorize_municipios(client, keys.legal, agreement["id"])
    url = f"{API}/agreements/{agreement['id']}"
    first_rep = signing_parties[0][1]["id"]
    outsider = ok(
        client.post(
            f"{API}/parties/{signing_parties[0][0]['id']}/representatives",
            json={"full_name": "Otra Persona", "gender": "feminine", "position": "Síndica"},
            headers=keys.legal,
        ),
        201,
    )
    not_signer = client.post(
        f"{url}/signatures",
        json={"representative_id": outsider["id"], "order": 1},
        headers=keys.legal,
    )
    assert not_signer.status_code == 422
    ok(
        client.post(
            f"{url}/signatures",
            json={"representative_id": first_rep, "order": 1},
            headers=keys.legal,
        ),
        201,
    )
    twice = client.post(
        f"{url}/signatures", json={"representative_id": first_rep, "order": 2}, headers=keys.legal
    )
    assert twice.status_code == 409
    ok(client.post(f"{url}/documents", json={}, headers=keys.legal), 201)
    move(client, keys.legal, agreement["id"], "in_review", "approved")
    missing = client.post(f"{url}/transitions", json={"to": "in_signature"}, headers=keys.legal)
    assert missing.status_code == 409 and "has no signature request" in missing.json()["detail"]
    # A manual activation cannot skip pending signatures either.
    ok(
        client.post(
            f"{url}/signatures",
            json={"representative_id": signing_parties[1][1]["id"], "order": 2},
            headers=keys.legal,
        ),
        201,
    )
    move(client, keys.legal, agreement["id"], "in_signature")
    manual = client.post(f"{url}/transitions", json={"to": "active"}, headers=keys.legal)
    assert (
        manual.status_code == 409 and "2 signature(s) are still pending" in manual.json()["detail"]
    )


def test_a_signatory_sees_and_signs_only_its_own(
    client: TestClient, keys: Keys, db: Session
) -> None:
    mine = _prepare(client, keys, db, orders=ORDER)
    theirs = _prepare(client, keys, db, orders=ORDER)
    me = mine.keys["municipio"]
    other = theirs.requests["municipio"]["id"]
    assert client.get(f"{API}/signatures/{other}", headers=me).status_code == 404
    assert client.get(f"{theirs.url}/signatures", headers=me).status_code == 404
    assert client.get(theirs.url, headers=me).status_code == 404
    assert client.get(theirs.document["download_url"], headers=me).status_code == 404
    body = {"document_sha256": theirs.document["sha256"], "accept": True}
    assert client.post(f"{API}/signatures/{other}/sign", json=body, headers=me).status_code == 404
    assert (
        client.post(
            f"{API}/signatures/{other}/decline", json={"reason": "x"}, headers=me
        ).status_code
        == 404
    )
    # A co-signer's request is visible but not theirs to sign.
    co_signer = mine.requests["estado"]["id"]
    body = {"document_sha256": mine.document["sha256"], "accept": True}
    assert (
        client.post(f"{API}/signatures/{co_signer}/sign", json=body, headers=me).status_code == 403
    )
    # Staff cannot sign for anyone.
    assert (
        client.post(_sign_url(mine, "municipio"), json=body, headers=keys.legal).status_code == 403
    )
    listed = ok(client.get(f"{API}/signatures", headers=me))["items"]
    assert [s["id"] for s in listed] == [mine.requests["municipio"]["id"]]
    pending = ok(
        client.get(f"{API}/signatures", params={"status": "pending"}, headers=keys.viewer)
    )["items"]
    assert len(pending) >= 6


def _blank_pdf(pages: int = 1, title: str = "Documento") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _incremental_edit(pdf: bytes) -> bytes:
    """A revision appended after the signature that changes the document's metadata."""
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_metadata({"/Title": "Convenio alterado"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_timestamp_authority_gives_the_service_signatures_a_trusted_time(
    client: TestClient, keys: Keys, db: Session, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    firma = _efirma(pki, "municipio")
    with local_tsa(pki, answer="error") as url:
        monkeypatch.setenv("CONVENIOS_TSA_URL", url)
        get_settings.cache_clear()
        before = _counts(db)
        down = _with_credentials(client, signing, "municipio", firma)
        assert down.status_code == 503 and down.json()["type"].endswith(":timestamp-unavailable")
        assert _counts(db) == before
    with local_tsa(pki) as url:
        monkeypatch.setenv("CONVENIOS_TSA_URL", url)
        get_settings.cache_clear()
        signed = ok(_with_credentials(client, signing, "municipio", firma))
    report = ok(
        client.get(f"{API}/documents/{signed['evidence']['id']}/signatures", headers=keys.viewer)
    )["signatures"]
    assert len(report) == 1
    assert report[0]["timestamp"] and report[0]["timestamp_trusted"]
    assert report[0]["time_source"] == "timestamp" and report[0]["ok"]


def test_parallel_signers_on_their_own_machines_extend_the_latest_pdf(
    client: TestClient, keys: Keys, db: Session, pki: Pki
) -> None:
    signing = _prepare(client, keys, db, orders={"municipio": 1, "estado": 1, "federacion": 1})
    frozen = _download(client, signing.document, keys.viewer)

    def upload(who: str, pdf: bytes) -> Any:
        return client.post(
            _sign_url(signing, who, "/pades"),
            files={"signed_pdf": ("firmado.pdf", pdf, "application/pdf")},
            headers=signing.keys[who],
        )

    # Both download the same PDF and sign it; the estado's upload arrives first.
    estado_pdf = _sign_locally(frozen, _efirma(pki, "estado"), pki, "FirmaEstado")
    federacion_pdf = _sign_locally(frozen, _efirma(pki, "federacion"), pki, "FirmaFederacion")
    ok(upload("estado", estado_pdf))
    late = upload("federacion", federacion_pdf)
    assert late.status_code == 409 and late.json()["type"].endswith(":sign-over-changed")

    mine = ok(
        client.get(
            f"{API}/signatures/{signing.requests['federacion']['id']}",
            headers=signing.keys["federacion"],
        )
    )
    latest = _download(client, mine["sign_over"], signing.keys["federacion"])
    assert latest == estado_pdf
    # Signed over the latest PDF, then altered inside the estado's earlier signature: the
    # file's integrity is judged first — a 422, not a "someone signed since" 409 to retry.
    signed = _sign_locally(latest, _efirma(pki, "federacion"), pki, "FirmaFed")
    at = signed.index(b"Firma del convenio", len(frozen))
    altered = signed[:at] + b"Firma del convenia" + signed[at + 18 :]
    refused = upload("federacion", altered)
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith(":signature-invalid")
    assert "FirmaEstado" in refused.json()["detail"]
    ok(upload("federacion", signed))
    # The municipio signs electronically: no PDF signature, yet the agreement completes, and
    # the signed convenio is the PDF with the two PAdES signatures.
    ok(
        client.post(
            _sign_url(signing, "municipio"),
            json={"document_sha256": signing.document["sha256"], "accept": True},
            headers=signing.keys["municipio"],
        )
    )
    agreement = ok(client.get(signing.url, headers=keys.viewer))
    assert agreement["status"] == "active"
    report = ok(
        client.get(
            f"{API}/documents/{agreement['signed_document_id']}/signatures", headers=keys.viewer
        )
    )
    assert [s["field"] for s in report["signatures"]] == ["FirmaEstado", "FirmaFed"]
    assert all(s["ok"] for s in report["signatures"])


def test_a_refused_signature_stores_nothing(
    client: TestClient, keys: Keys, db: Session, signing: Signing, pki: Pki
) -> None:
    def autografa(who: str, scan: bytes) -> Callable[[], Any]:
        url = f"{API}/signatures/{signing.requests[who]['id']}/sign/autografa"
        return lambda: client.post(
            url, files={"file": ("firma.pdf", scan, PDF)}, headers=signing.keys[who]
        )

    def pades(who: str, signed: bytes) -> Callable[[], Any]:
        url = f"{API}/signatures/{signing.requests[who]['id']}/sign/pades"
        return lambda: client.post(
            url, files={"signed_pdf": ("firmado.pdf", signed, PDF)}, headers=signing.keys[who]
        )

    """Whatever refuses it — a hostile scan, the turn, another's e.firma, an altered file —
    no file, lease, row or event is left (tests/test_refused_requests.py)."""
    _refused(db, autografa("municipio", bomb_pdf()), 422)
    _refused(db, autografa("estado", spanish_pdf()), 409)  # not its turn yet
    frozen = _download(client, signing.document, keys.viewer)
    foreign = _sign_locally(frozen, _efirma(pki, "estado"), pki, "Firma")  # another's e.firma
    assert _refused(db, pades("municipio", foreign), 422)["type"].endswith("rfc-mismatch")
    altered = bytearray(_sign_locally(frozen, _efirma(pki, "municipio"), pki, "Firma"))
    altered[len(frozen) // 2] ^= 0x01
    _refused(db, pades("municipio", bytes(altered)), 422)
