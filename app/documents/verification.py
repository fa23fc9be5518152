"""Public verification: anyone holding a document — or its QR code — can ask whether convenios
knows it, and learn the public facts of its agreement. Nothing private is exposed: no amounts,
no contacts, no content, no internal ids, and nothing personal — the signatures a file carries
are reported by the signer's name and cargo, never by the RFC, CURP or serial number their
certificates hold: they are datos personales (Ley General de Protección de Datos Personales en
Posesión de Sujetos Obligados, DOF 20/03/2025, art. 3 fr. IX), and so confidential information
(Ley General de Transparencia y Acceso a la Información Pública, DOF 20/03/2025, art. 115)."""

import re
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.agreements import repository as agreements
from app.config import get_settings
from app.documents import repository
from app.documents.runners import crypto_runner, get_storage
from app.documents.schemas import (
    PublicSignatureReport,
    PublicSigner,
    Verification,
    VerifiedAgreement,
    VerifiedDocument,
    VerifiedLink,
    VerifiedSignatory,
    VerifiedSignature,
)
from app.documents.service import content, verification_url
from app.models import Agreement, Document
from app.models.enums import DocumentOrigin
from app.signatures import repository as signatures
from app.signatures.schemas import SignatureReportRead
from app.signatures.trust import configured_trust
from app.signatures.verification import reports as signature_reports

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _code(reference: str) -> str:
    """A verification code as printed (``ABCD-EFGH-IJKL``), whatever case or dashes it came in."""
    letters = reference.replace("-", "").upper()
    return f"{letters[:4]}-{letters[4:8]}-{letters[8:]}"


def _agreement(session: Session, agreement: Agreement) -> VerifiedAgreement:
    parties = {link.party_id: link.party.name for link in agreement.parties}
    signed = (
        repository.get(session, agreement.signed_document_id)
        if agreement.signed_document_id
        else None
    )
    return VerifiedAgreement(
        folio=agreement.folio,
        title=agreement.title,
        kind=agreement.kind,
        status=agreement.status,
        effective_date=agreement.effective_date,
        expiry_date=agreement.expiry_date,
        signed_on=agreement.signed_on,
        parties=[link.party.name for link in agreement.parties],
        signatories=[
            VerifiedSignatory(
                full_name=signatory.representative.full_name,
                position=signatory.representative.position,
                party=link.party.name,
            )
            for link in agreement.parties
            for signatory in link.signatories
        ],
        signing=[
            VerifiedSignature(
                full_name=signature.representative.full_name,
                position=signature.representative.position,
                party=parties.get(signature.representative.party_id, ""),
                status=signature.status,
                method=signature.method,
                decided_at=signature.decided_at,
            )
            for signature in signatures.for_agreement(session, agreement.id)
        ],
        signed_document_sha256=signed.sha256 if signed else None,
        constancia=_constancia(session, agreement),
    )


def _constancia(session: Session, agreement: Agreement) -> VerifiedLink | None:
    if agreement.signed_document_id is None:
        return None
    issued = repository.constancia(session, agreement.id, agreement.signed_document_id)
    if issued is None:
        return None
    reference = issued.verification_code or issued.sha256 or ""
    return VerifiedLink(
        sha256=issued.sha256,
        verification_code=issued.verification_code,
        verification_url=verification_url(get_settings().public_url, reference),
    )


# The signatures a document carries, validated (the caller knows the workers and trust roots).
Embedded = Callable[[Document], list[SignatureReportRead]]


def embedded_signatures(document: Document) -> list[SignatureReportRead]:
    """The signatures ``document`` carries, validated against the configured trust roots."""
    data = content(get_storage(), document)
    assert document.sha256 is not None  # content() refuses a document without its file
    return signature_reports(
        data,
        sha256=document.sha256,
        trust=configured_trust(),
        crypto=crypto_runner(),
    )


def _signers(agreement: Agreement | None) -> dict[str, tuple[str, str]]:
    """The cargo and party of each of the agreement's signatories, by RFC and CURP: what names
    a certificate's holder publicly without repeating the identifiers it was found by."""
    if agreement is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for link in agreement.parties:
        for signatory in link.signatories:
            person = signatory.representative
            for identifier in (person.rfc, person.curp):
                if identifier:
                    found[identifier.upper()] = (person.position, link.party.name)
    return found


def _public(
    reports: list[SignatureReportRead], agreement: Agreement | None
) -> list[PublicSignatureReport]:
    signers = _signers(agreement)
    public = []
    for report in reports:
        certificate = report.signer
        identifiers = [*certificate.rfcs, certificate.curp or ""]
        match = next((signers[i.upper()] for i in identifiers if i.upper() in signers), None)
        public.append(
            PublicSignatureReport(
                revision=report.revision,
                signer=PublicSigner(
                    name=certificate.name,
                    position=match[0] if match else None,
                    party=match[1] if match else None,
                    issuer=certificate.issuer,
                ),
                signing_time=report.signing_time,
                time_source=report.time_source,
                intact=report.intact,
                covers_document=report.covers_document,
                certificate_valid_at_signing=report.certificate_valid_at_signing,
                trusted=report.trusted,
                timestamp_trusted=report.timestamp_trusted,
                ok=report.ok,
            )
        )
    return public


def _answer(
    session: Session, document: Document | None, sha256: str | None, embedded: Embedded
) -> Verification:
    if document is None:
        return Verification(
            known=False, sha256=sha256, document=None, agreement=None, signatures=[]
        )
    agreement = agreements.get(session, document.agreement_id)
    return Verification(
        known=True,
        sha256=document.sha256,
        document=VerifiedDocument(
            kind=document.kind,
            origin=document.origin,
            issued_by_service=document.origin is DocumentOrigin.GENERATED,
            sha256=document.sha256,
            pages=document.pages,
            verification_code=document.verification_code,
            created_at=document.created_at,
        ),
        agreement=_agreement(session, agreement) if agreement is not None else None,
        signatures=_public(embedded(document), agreement),
    )


def by_sha256(session: Session, sha256: str, embedded: Embedded) -> Verification:
    sha256 = sha256.lower()
    found = repository.for_verification(session, sha256=sha256)
    return _answer(session, found, sha256, embedded)


def by_reference(session: Session, reference: str, embedded: Embedded) -> Verification:
    """By SHA-256 (64 hexadecimal characters) or by verification code."""
    if _SHA256.fullmatch(reference):
        return by_sha256(session, reference, embedded)
    found = repository.for_verification(session, code=_code(reference))
    return _answer(session, found, None, embedded)
