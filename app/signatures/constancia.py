"""The constancia de firmas: when the last party signs a convenio, the service issues a PDF of
its own that states who signed, in what capacity, how, when and from where, in the order
followed. It is a separate document, so that the PAdES signatures of the signed convenio keep
covering their whole file; like every document the service issues, the same inputs give the
same bytes, and it carries the QR code and code of its own verification.

It is issued after the signature that completes the round has committed (`ensure`): read, with
no transaction held while it renders in a worker, then recorded in a short transaction. A
failure leaves the signature as it is; the sweep issues the constancias missing
(`issue_missing`), so a crash between the two is repaired.

It carries personal data (IP addresses, user agents, certificate serial numbers): it is
downloaded with an API key like every document; the public verification says what it is and
nothing it holds.
"""

import hashlib
import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.agreements import repository as agreements
from app.auth.principal import Principal
from app.config import API_PREFIX, Settings
from app.db import Writes, end_reading
from app.documents import repository as documents_repository
from app.documents import service as documents
from app.documents.blobs import Staged, Staging, staging
from app.documents.context import is_test_address, qr_data_uri
from app.documents.rendering import RenderedPdf
from app.documents.service import Runner, verification_code, verification_url
from app.documents.storage import Storage
from app.kit import canonical_json
from app.models import Agreement, Document, Signature
from app.models.enums import (
    SIGNED_STATUSES,
    DocumentKind,
    DocumentOrigin,
    PdfVariant,
    SignatureMethod,
    SignatureStatus,
)
from app.signatures import repository
from app.signatures.constancia_layout import LAYOUT_SHA256, ConstanciaJob
from app.signatures.pades import TrustStore
from app.signatures.trust import fingerprint, trust_store

logger = logging.getLogger("convenios")

# How many constancias one sweep issues at most: a sweep stays short even when a whole archive
# of convenios signed before constancias existed is waiting for theirs.
PER_SWEEP = 20


@dataclass(frozen=True)
class Plan:
    """A constancia to issue, worked out on a read: the one already issued for the signed
    convenio, or what to render (outside any transaction) and record."""

    agreement_id: int
    signed_document_id: int
    source_sha256: str
    verification_code: str
    existing: Document | None
    job: ConstanciaJob | None


def _signer(session: Session, agreement: Agreement, signature: Signature) -> dict[str, Any]:
    """One signature as the constancia states it, from the records of the service."""
    person = signature.representative
    link = next(
        (
            (link, signatory)
            for link in agreement.parties
            for signatory in link.signatories
            if signatory.representative_id == person.id
        ),
        None,
    )
    evidence = (
        documents_repository.get(session, signature.evidence_document_id)
        if signature.evidence_document_id is not None
        else None
    )
    certificate = signature.certificate
    assert signature.method is not None and signature.decided_at is not None  # signed
    return {
        "order": signature.order,
        "name": person.full_name,
        "position": person.position,
        "party": link[0].party.name if link else "",
        "role": link[0].role if link else None,
        "capacity": link[1].capacity.value if link else None,
        "method": signature.method.value,
        "decided_at": signature.decided_at.isoformat(),
        "ip": signature.ip,
        "user_agent": signature.user_agent,
        "certificate": {
            "serial": certificate["serial"],
            "sat_serial": certificate.get("sat_serial"),
            "issuer": certificate["issuer"],
        }
        if certificate
        else None,
        "evidence_sha256": evidence.sha256 if evidence is not None else None,
    }


def plan(
    session: Session, agreement_id: int, *, settings: Settings, storage: Storage
) -> Plan | None:
    """What issuing the agreement's constancia takes now; None while it has no signed
    convenio (not signed yet, or cancelled)."""
    agreement = agreements.get(session, agreement_id)
    if (
        agreement is None
        or agreement.status not in SIGNED_STATUSES
        or agreement.signed_document_id is None
        or agreement.signing_document_id is None
    ):
        return None
    signed = documents_repository.get(session, agreement.signed_document_id)
    signing = documents_repository.get(session, agreement.signing_document_id)
    assert signed is not None and signing is not None  # documents are never deleted
    existing = documents_repository.constancia(session, agreement.id, signed.id)
    if existing is not None:  # issued: whatever changed since (a cargo, a name) changes nothing
        assert existing.source_sha256 is not None and existing.verification_code is not None
        return Plan(
            agreement.id,
            signed.id,
            existing.source_sha256,
            existing.verification_code,
            existing,
            job=None,
        )
    signatures = [
        s
        for s in repository.for_agreement(session, agreement.id)
        if s.status is SignatureStatus.SIGNED
    ]
    content = {
        "folio": agreement.folio,
        "title": agreement.title,
        "signed_on": agreement.signed_on.isoformat() if agreement.signed_on else None,
        "signing_sha256": signing.sha256,
        "signed_sha256": signed.sha256,
        "verify_url": f"{settings.public_url}{API_PREFIX}/verify",
        "signers": [_signer(session, agreement, s) for s in signatures],
    }
    pades = any(s.method is SignatureMethod.PADES for s in signatures)
    # Read only when there are e.firma signatures to validate: the others need no roots.
    trust = trust_store(settings.trust_roots) if pades else TrustStore(roots=())
    sources = {
        "constancia": content,
        "layout": LAYOUT_SHA256,
        "timezone": settings.timezone,
        "public_url": settings.public_url,
        # The e.firma times are read from the signed convenio, validated against these roots.
        "trust": fingerprint(trust) if pades else None,
    }
    source_sha256 = hashlib.sha256(canonical_json(sources).encode()).hexdigest()
    code = verification_code(source_sha256)
    existing = documents_repository.by_source(session, agreement.id, source_sha256)
    found = Plan(agreement.id, signed.id, source_sha256, code, existing, job=None)
    if existing is not None:
        return found
    address = verification_url(settings.public_url, code)
    job = ConstanciaJob(
        content=content,
        document={
            "verification_url": address,
            "verification_code": code,
            "qr_data_uri": qr_data_uri(address),
            "test_copy": is_test_address(settings.public_url),
        },
        timezone=settings.timezone,
        max_pages=settings.render_max_pages,
        trust=trust,
        signed_pdf=documents.content(storage, signed) if pades else None,
    )
    return replace(found, job=job)


def record(
    session: Session,
    planned: Plan,
    rendered: RenderedPdf,
    file: Staged,
    *,
    stage: Staging,
    actor: Principal,
) -> Document | None:
    """Write the constancia's row and its audit event, unless one was issued for the same
    signed convenio meanwhile (that one is returned) or the agreement no longer has that
    signed convenio (None)."""
    agreement = agreements.get(session, planned.agreement_id, for_update=True)
    assert agreement is not None  # agreements are never deleted
    if agreement.signed_document_id != planned.signed_document_id:
        return None
    existing = (
        documents_repository.constancia(session, agreement.id, planned.signed_document_id)
        or documents_repository.by_source(session, agreement.id, planned.source_sha256)
        or documents_repository.by_content(session, agreement.id, file.sha256)
    )
    if existing is not None:
        return existing
    return documents.record(
        session,
        stage,
        file,
        agreement,
        Document(
            kind=DocumentKind.CONSTANCIA,
            origin=DocumentOrigin.GENERATED,
            pages=rendered.pages,
            title=f"Constancia de firmas del convenio {agreement.folio}",
            variant=PdfVariant.STANDARD,
            source_sha256=planned.source_sha256,
            verification_code=planned.verification_code,
        ),
        actor=actor,
        action="document.issued",
        changes={
            "kind": [None, DocumentKind.CONSTANCIA.value],
            "signed_document_id": [None, planned.signed_document_id],
        },
    )


def ensure(
    *,
    session: Session,
    writes: Writes,
    agreement_id: int,
    actor: Principal,
    settings: Settings,
    storage: Storage,
    render: Runner,
) -> Document | None:
    """The constancia de firmas of the agreement's signed convenio: the one issued already,
    else a new one — read on ``session`` (which it lets go of before rendering), rendered in
    a worker, recorded in a short transaction of ``writes``. None while the agreement has no
    signed convenio."""
    session.expire_all()  # what the caller read before may be older than what it committed
    planned = plan(session, agreement_id, settings=settings, storage=storage)
    end_reading(session)
    if planned is None:
        return None
    if planned.existing is not None:
        return planned.existing
    assert planned.job is not None
    rendered: RenderedPdf = render(planned.job)
    with staging(writes.sessions, storage) as stage:
        file = stage.put(rendered.pdf)
        with writes() as recording:
            return record(recording, planned, rendered, file, stage=stage, actor=actor)


def issue_missing(
    reads: sessionmaker[Session],
    writes: Writes,
    *,
    actor: Principal,
    settings: Settings,
    storage: Storage,
    render: Runner,
    limit: int = PER_SWEEP,
) -> int:
    """Issue the constancias missing — of convenios whose last signature committed but whose
    constancia did not (a crash, a worker that failed), or signed before constancias existed
    — at most ``limit`` of them; how many were issued. One that fails is logged and tried
    again by the next sweep; the others go on."""
    with reads() as session:
        waiting = list(documents_repository.without_constancia(session, limit=limit))
    issued = 0
    for agreement_id in waiting:
        try:
            with reads() as session:
                if ensure(
                    session=session,
                    writes=writes,
                    agreement_id=agreement_id,
                    actor=actor,
                    settings=settings,
                    storage=storage,
                    render=render,
                ):
                    issued += 1
        except Exception:
            logger.exception("constancia de firmas of agreement %s not issued", agreement_id)
    return issued
