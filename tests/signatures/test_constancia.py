"""The constancia de firmas: issued when the last party signs, a PDF apart from the signed
convenio that states who signed, how, when and from where, in the order followed; the same
inputs give the same bytes; it is verifiable like every document, and the public verification
shows none of the personal data it holds. Its failure never fails the signature, and the sweep
issues the ones missing."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.principal import operator
from app.config import get_settings
from app.db import Writes
from app.documents import runners
from app.documents.workers import JobCrashed
from app.models import AuditEvent, Document
from app.models.enums import DocumentKind
from app.signatures import constancia
from tests import factories
from tests.conftest import Keys
from tests.factories import API, ok
from tests.signatures.pki import Pki
from tests.signatures.test_signing_api import (
    ORDER,
    PEOPLE,
    Signing,
    _efirma,
    _prepare,
    _sign_url,
    _trust,
    _with_credentials,
    pki,
)
from tests.signatures.tsa import local_tsa

__all__ = ["_trust", "pki"]  # the fixtures this module shares with the signing tests

# What each signer's browser says it is: recorded with the signature, stated in the constancia.
AGENTS = {
    "municipio": "Navegador de pruebas 1.0 (municipio)",
    "estado": "Navegador de pruebas 2.0 (estado)",
    "federacion": "Navegador de pruebas 3.0 (federacion)",
}
# Where the test client's requests come from, as the service records it.
IP = "testclient"


def _accept(client: TestClient, signing: Signing, who: str) -> Any:
    return client.post(
        _sign_url(signing, who),
        json={"document_sha256": signing.document["sha256"], "accept": True},
        headers={**signing.keys[who], "User-Agent": AGENTS[who]},
    )


def _constancias(db: Session, agreement_id: int) -> list[Document]:
    db.expire_all()
    return list(
        db.scalars(
            select(Document).where(
                Document.agreement_id == agreement_id, Document.kind == DocumentKind.CONSTANCIA
            )
        ).all()
    )


def _text(pdf: bytes) -> str:
    """The PDF's text, each run of white space one space (the layout breaks lines)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def _compact(text: str) -> str:
    return "".join(text.split())


def _rows(db: Session) -> tuple[int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Document)) or 0,
        db.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


def _ensure(
    sessions: sessionmaker[Session], agreement_id: int, render: Callable[[Any], Any]
) -> Document | None:
    with sessions() as session:
        return constancia.ensure(
            session=session,
            writes=Writes(sessions),
            agreement_id=agreement_id,
            actor=operator("tests"),
            settings=get_settings(),
            storage=runners.get_storage(),
            render=render,
        )


def _in_process(job: Any) -> Any:
    return job.run()


def _public_answers(client: TestClient, document: Document) -> str:
    """Everything the keyless verification says of ``document``, by digest and by code."""
    answers = []
    for reference in (document.sha256, document.verification_code):
        for accept in ("application/json", "text/html"):
            response = client.get(f"{API}/verify/{reference}", headers={"Accept": accept})
            assert response.status_code == 200
            answers.append(response.text)
    return "\n".join(answers)


def test_the_last_signature_issues_the_constancia_with_every_signature_in_order(
    client: TestClient, keys: Keys, db: Session, sessions: sessionmaker[Session]
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    for who in ("municipio", "estado"):
        ok(_accept(client, signing, who))
        assert _constancias(db, signing.agreement["id"]) == []  # not before the last one
    ok(_accept(client, signing, "federacion"))
    agreement = ok(client.get(signing.url, headers=keys.legal))
    assert agreement["status"] == "active"

    [issued] = _constancias(db, agreement["id"])
    assert issued.verification_code and issued.source_sha256
    read = ok(client.get(f"{API}/documents/{issued.id}", headers=keys.viewer))
    assert read["kind"] == "constancia" and read["origin"] == "generated"
    download = client.get(f"{API}/documents/{issued.id}/pdf", headers=keys.viewer)
    assert download.status_code == 200
    assert "_constancia-de-firmas.pdf" in download.headers["content-disposition"]
    text = _text(download.content)
    signed = ok(
        client.get(f"{API}/documents/{agreement['signed_document_id']}", headers=keys.legal)
    )
    assert signed["id"] == agreement["signing_document_id"]  # acceptances only: the same file
    for expected in (
        "CONSTANCIA DE FIRMAS",
        agreement["folio"],
        "Convenio de colaboración en materia de gobierno digital",
        "Aceptación electrónica del documento sometido a firma",
        "Fuente: reloj del servidor",
        "hora del centro de México",
        "Comparece en representación de la parte",
        f"Dirección IP {IP}",
        "no sustituye al convenio firmado",
        issued.verification_code,
        # The order followed: the municipio first, then the estado and the federation at once.
        "Turno 1: Teresa Hernández García.",
        "Turno 2: Luis Ramírez Ortega y Ana Sofía Medina Cruz (en paralelo).",
    ):
        assert expected in text, expected
    for who, (name, _, _) in PEOPLE.items():
        assert name in text and AGENTS[who] in text
    assert text.count("Cargo Titular") == 3
    assert signed["sha256"] in _compact(text)
    # Who signed for which party: each name is followed by its cargo and its party.
    assert "Nombre Teresa Hernández García Cargo Titular Parte Municipio de Tlalnepantla" in text

    # Verifiable without a key, saying what it is and nothing it holds.
    verified = ok(client.get(f"{API}/verify/{issued.sha256}"))
    assert verified["known"] and verified["document"]["kind"] == "constancia"
    assert verified["document"]["issued_by_service"]
    assert verified["agreement"]["signed_document_sha256"] == signed["sha256"]
    public = _public_answers(client, issued)
    assert "constancia de firmas" in public
    for datum in (IP, *AGENTS.values(), "Navegador de pruebas"):
        assert datum not in public, datum

    # Asked again, it is the same document: nothing is rendered or recorded.
    before = _rows(db)

    def no_render(job: Any) -> Any:
        raise AssertionError("rendered again")

    again = _ensure(sessions, agreement["id"], no_render)
    assert again is not None and again.id == issued.id
    assert _rows(db) == before


def test_an_efirma_is_stated_with_its_certificate_and_the_source_of_its_time(
    client: TestClient,
    keys: Keys,
    db: Session,
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    # The municipio's e.firma carries a trusted timestamp; the estado's, its own clock only.
    with local_tsa(pki) as url:
        monkeypatch.setenv("CONVENIOS_TSA_URL", url)
        get_settings.cache_clear()
        stamped = ok(_with_credentials(client, signing, "municipio", _efirma(pki, "municipio")))
    monkeypatch.delenv("CONVENIOS_TSA_URL")
    get_settings.cache_clear()
    own_clock = ok(_with_credentials(client, signing, "estado", _efirma(pki, "estado")))
    ok(_accept(client, signing, "federacion"))
    agreement = ok(client.get(signing.url, headers=keys.legal))
    assert agreement["status"] == "active"

    [issued] = _constancias(db, agreement["id"])
    pdf = client.get(f"{API}/documents/{issued.id}/pdf", headers=keys.legal).content
    text = _text(pdf)
    assert text.count("Firma electrónica avanzada (e.firma)") == 2
    assert "sello de tiempo (RFC 3161) de una autoridad de confianza" in text
    assert "hora que declara la firma (el equipo de quien firmó), sin sello de tiempo" in text
    certificates = [stamped["certificate"], own_clock["certificate"]]
    for certificate in certificates:
        assert certificate["sat_serial"] and certificate["sat_serial"] in text
        assert _compact(certificate["issuer"]) in _compact(text)
    signed = ok(
        client.get(f"{API}/documents/{agreement['signed_document_id']}", headers=keys.legal)
    )
    assert signed["kind"] == "signed_copy" and signed["sha256"] in _compact(text)
    assert signing.document["sha256"] in _compact(text)  # the document that was signed
    assert "Fuente: reloj del servidor" in text  # the electronic acceptance, and the records

    # The constancia is a file apart: the signed convenio's signatures still cover it whole.
    report = ok(client.get(f"{API}/documents/{signed['id']}/signatures", headers=keys.legal))
    assert len(report["signatures"]) == 2 and all(s["ok"] for s in report["signatures"])

    public = _public_answers(client, issued)
    assert "constancia de firmas" in public
    for certificate in certificates:
        for datum in (certificate["serial"], certificate["sat_serial"], *certificate["rfcs"]):
            assert datum not in public, datum
    assert IP not in public


def test_a_failed_constancia_leaves_the_signature_and_the_sweep_issues_it(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signing = _prepare(client, keys, db, orders=ORDER)
    ok(_accept(client, signing, "municipio"))
    ok(_accept(client, signing, "estado"))

    def broken(job: Any) -> Any:
        raise JobCrashed("the render worker died")

    monkeypatch.setattr(runners, "render_runner", lambda: broken)
    last = _accept(client, signing, "federacion")
    assert last.status_code == 200 and last.json()["status"] == "signed"
    agreement = ok(client.get(signing.url, headers=keys.legal))
    assert agreement["status"] == "active"
    assert _constancias(db, agreement["id"]) == []

    # The same inputs give the same bytes: rendered twice here, then once more by the sweep.
    with sessions() as session:
        planned = constancia.plan(
            session, agreement["id"], settings=get_settings(), storage=runners.get_storage()
        )
    assert planned is not None and planned.existing is None and planned.job is not None
    first, second = planned.job.run(), planned.job.run()
    assert first.pdf == second.pdf

    storage = runners.get_storage()

    def sweep() -> int:
        return constancia.issue_missing(
            sessions,
            Writes(sessions),
            actor=operator("sweep"),
            settings=get_settings(),
            storage=storage,
            render=_in_process,
        )

    assert sweep() == 1
    [issued] = _constancias(db, agreement["id"])
    assert storage.read(issued.sha256) == first.pdf
    assert issued.source_sha256 == planned.source_sha256
    assert issued.verification_code == planned.verification_code
    # Nothing is missing any more: the next sweep renders nothing.
    before = _rows(db)
    assert sweep() == 0
    assert _rows(db) == before


def test_a_constancia_is_issued_by_the_service_never_uploaded(
    client: TestClient, keys: Keys
) -> None:
    created = factories.agreement(client, keys.legal)
    refused = client.post(
        f"{API}/agreements/{created['id']}/documents/upload",
        files={"kind": (None, "constancia"), "file": ("c.pdf", b"%PDF-1.4\n", "application/pdf")},
        headers=keys.legal,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.kind"
