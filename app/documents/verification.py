"""Public verification: anyone holding a document — or its QR code — can ask whether convenios
knows it, and learn the public facts of its agreement. Nothing private is exposed: no amounts,
no RFCs, no contacts, no content, no internal ids."""

import re

from sqlalchemy.orm import Session

from app.agreements import repository as agreements
from app.documents import repository
from app.documents.schemas import (
    Verification,
    VerifiedAgreement,
    VerifiedDocument,
    VerifiedSignatory,
)
from app.models import Agreement, Document
from app.models.enums import DocumentOrigin

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _code(reference: str) -> str:
    """A verification code as printed (``ABCD-EFGH-IJKL``), whatever case or dashes it came in."""
    letters = reference.replace("-", "").upper()
    return f"{letters[:4]}-{letters[4:8]}-{letters[8:]}"


def _agreement(agreement: Agreement) -> VerifiedAgreement:
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
    )


def _answer(session: Session, document: Document | None, sha256: str | None) -> Verification:
    if document is None:
        return Verification(known=False, sha256=sha256, document=None, agreement=None)
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
        agreement=_agreement(agreement) if agreement is not None else None,
    )


def by_sha256(session: Session, sha256: str) -> Verification:
    sha256 = sha256.lower()
    return _answer(session, repository.for_verification(session, sha256=sha256), sha256)


def by_reference(session: Session, reference: str) -> Verification:
    """By SHA-256 (64 hexadecimal characters) or by verification code."""
    if _SHA256.fullmatch(reference):
        return by_sha256(session, reference)
    return _answer(session, repository.for_verification(session, code=_code(reference)), None)
