"""Signing rounds: what entering ``in_signature`` asks of the signature requests, and what it
fixes. Pure rules on loaded rows; the agreement's transition calls them."""

from collections.abc import Sequence

from app.models import Agreement, Document, Signature
from app.models.enums import SignatureStatus


def request_problems(agreement: Agreement, signatures: Sequence[Signature]) -> list[str]:
    """Signing through the service needs one request per signatory, and a signatory for each
    request (parties may have changed since the requests were made)."""
    if not signatures:
        return []  # signed outside the service: activation is recorded by hand
    signers = {
        signatory.representative_id: signatory.representative.full_name
        for link in agreement.parties
        for signatory in link.signatories
    }
    requested = {signature.representative_id for signature in signatures}
    problems = [
        f"{name} signs for a party but has no signature request"
        for representative_id, name in signers.items()
        if representative_id not in requested
    ]
    problems.extend(
        f"{signature.representative.full_name} has a signature request but no longer signs "
        "for any party"
        for signature in signatures
        if signature.representative_id not in signers
    )
    return problems


def unsigned(signatures: Sequence[Signature]) -> int:
    return sum(signature.status is not SignatureStatus.SIGNED for signature in signatures)


def open_round(agreement: Agreement, document: Document, signatures: Sequence[Signature]) -> None:
    """Fix ``document`` as what every request signs, and start every request afresh: an
    earlier round was for other bytes, or ended with a decline."""
    agreement.signing_document_id = document.id
    agreement.signed_document_id = None
    for signature in signatures:
        signature.status = SignatureStatus.PENDING
        signature.document_id = document.id
        signature.method = signature.signed_sha256 = signature.evidence_document_id = None
        signature.decided_at = signature.reason = signature.certificate = None
        signature.ip = signature.user_agent = None
