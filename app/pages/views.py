"""What the signing page shows of a convenio, on one screen: folio, parties, objective, amounts
and contributions, dates, who signs and in what order, who has signed — read from the
agreement and its signature requests, in Spanish."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.agreements import repository as agreements
from app.documents import repository as documents
from app.documents.formatting import amount_in_figures, long_date
from app.models import Agreement, Document, Signature
from app.models.enums import SignatureMethod, SignatureStatus, SigningMethod
from app.pages.words import KINDS, METHODS, SOURCES
from app.signatures import repository as signatures
from app.signatures.service import turn_problem

# The ways of signing the page offers, by how the convenio says it is signed.
OFFERED = {
    SigningMethod.AUTOGRAFA: (SignatureMethod.AUTOGRAFA,),
    SigningMethod.ELECTRONICA: (SignatureMethod.ELECTRONIC, SignatureMethod.PADES),
    SigningMethod.MIXTA: (
        SignatureMethod.ELECTRONIC,
        SignatureMethod.AUTOGRAFA,
        SignatureMethod.PADES,
    ),
}


@dataclass(frozen=True)
class Contribution:
    party: str
    amount: str
    purpose: str
    source: str


@dataclass(frozen=True)
class Signer:
    order: int
    name: str
    position: str
    party: str
    status: str
    method: str | None
    when: str | None
    you: bool


@dataclass(frozen=True)
class Summary:
    agreement: Agreement
    kind: str
    parties: list[tuple[str, str]]
    amount: str | None
    contributions: list[Contribution]
    effective: str
    expiry: str | None
    signing: str
    signers: list[Signer]
    document: Document
    signature: Signature
    waiting_for: list[str]
    offered: tuple[SignatureMethod, ...]


def local_time(moment: datetime, timezone: str) -> str:
    here = moment.astimezone(ZoneInfo(timezone))
    return f"{long_date(here.date())}, {here:%H:%M} horas"


def _signing_line(agreement: Agreement) -> str:
    how = {
        SigningMethod.AUTOGRAFA: "con firma autógrafa",
        SigningMethod.ELECTRONICA: "con firma electrónica",
        SigningMethod.MIXTA: "con firma autógrafa o electrónica, cada parte en su fecha",
    }[agreement.signing_method]
    where = f" en {agreement.signing_place}" if agreement.signing_place else ""
    when = f" el {long_date(agreement.signing_date)}" if agreement.signing_date else ""
    return f"Se firma {how}{where}{when}."


def _document(session: Session, signature: Signature, agreement: Agreement) -> Document:
    document_id = signature.document_id or agreement.signing_document_id
    document = documents.get(session, document_id) if document_id else None
    assert document is not None  # fixed when the agreement entered in_signature
    return document


def document_of(session: Session, signature: Signature) -> tuple[Document, str]:
    """The document ``signature`` is asked over, and its convenio's folio."""
    agreement = session.get(Agreement, signature.agreement_id)
    assert agreement is not None
    return _document(session, signature, agreement), agreement.folio


def summary(session: Session, signature: Signature, timezone: str) -> Summary:
    agreement = agreements.get(session, signature.agreement_id)
    assert agreement is not None
    document = _document(session, signature, agreement)
    names = {link.party_id: link.party.name for link in agreement.parties}
    round_ = list(signatures.for_agreement(session, agreement.id))
    currency = agreement.currency or "MXN"
    waiting = [
        s.representative.full_name
        for s in round_
        if s.order < signature.order and s.status is not SignatureStatus.SIGNED
    ]
    return Summary(
        agreement=agreement,
        kind=KINDS[agreement.kind.value],
        parties=[(link.party.name, link.role) for link in agreement.parties],
        amount=amount_in_figures(agreement.amount, currency) + f" ({currency})"
        if agreement.amount is not None
        else None,
        contributions=[
            Contribution(
                party=link.party.name,
                amount=amount_in_figures(c["amount"], c.get("currency") or currency),
                purpose=c["purpose"],
                source=SOURCES.get(c["source"], c["source"]),
            )
            for link in agreement.parties
            for c in link.contributions
        ],
        effective=long_date(agreement.effective_date),
        expiry=long_date(agreement.expiry_date) if agreement.expiry_date else None,
        signing=_signing_line(agreement),
        signers=[
            Signer(
                order=s.order,
                name=s.representative.full_name,
                position=s.representative.position,
                party=names.get(s.representative.party_id, ""),
                status={
                    SignatureStatus.PENDING: "pendiente",
                    SignatureStatus.SIGNED: "firmó",
                    SignatureStatus.DECLINED: "declinó",
                }[s.status],
                method=METHODS[s.method] if s.method else None,
                when=local_time(s.decided_at, timezone) if s.decided_at else None,
                you=s.id == signature.id,
            )
            for s in round_
        ],
        document=document,
        signature=signature,
        waiting_for=waiting if turn_problem(signature, round_) else [],
        offered=OFFERED[agreement.signing_method],
    )
