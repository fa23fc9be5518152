"""What a convenio template sees: the agreement as plain data, plus the document's own facts.

Built from the agreement as stored (one version of it), so the same agreement version gives
the same context — and, with the same template version, the same PDF bytes.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import segno
from sqlalchemy.orm import Session

from app.catalog import repository as catalog
from app.catalog.states import STATES
from app.models import Agreement, AgreementParty
from app.models.enums import PartyKind

# How a state is named after a city in a closing line ("Toluca, Estado de México").
_STATE_IN_PLACE = {"15": "Estado de México"}
FEDERAL_SEAT = "Ciudad de México"


@dataclass(frozen=True)
class DocumentFacts:
    place: str
    date: date
    verification_url: str
    verification_code: str = ""


def state_label(code: str | None) -> str | None:
    if code is None:
        return None
    return _STATE_IN_PLACE.get(code, STATES.get(code))


def signing_place(session: Session, agreement: Agreement) -> str:
    """Where the convenio is signed: the first municipio's seat, else the first estado, else
    the federal seat."""
    for link in agreement.parties:
        party = link.party
        if party.kind is PartyKind.MUNICIPIO and party.inegi_code:
            municipality = catalog.municipality(session, party.inegi_code)
            if municipality is not None:
                return f"{municipality.name}, {state_label(municipality.state_code)}"
    for link in agreement.parties:
        if link.party.kind is PartyKind.ESTADO and link.party.state_code:
            return state_label(link.party.state_code) or FEDERAL_SEAT
    return FEDERAL_SEAT


def qr_data_uri(url: str) -> str:
    """The verification address as a QR code: a PNG data: URI, embedded as an image on every
    page (deterministic: the same address gives the same bytes)."""
    return str(segno.make(url, error="m").png_data_uri(scale=8, border=0))


def _party(link: AgreementParty) -> dict[str, Any]:
    party = link.party
    return {
        "role": link.role,
        "declarations": list(link.declarations),
        "name": party.name,
        "legal_name": party.legal_name,
        "kind": party.kind.value,
        "rfc": party.rfc,
        "address": party.address,
        "state_name": state_label(party.state_code),
        "signatories": [
            {
                "full_name": signatory.representative.full_name,
                "position": signatory.representative.position,
                "legal_basis": signatory.representative.legal_basis,
            }
            for signatory in link.signatories
        ],
    }


def agreement_context(agreement: Agreement, parent: Agreement | None = None) -> dict[str, Any]:
    """The agreement as a template sees it (``agreement.*``)."""
    return {
        "folio": agreement.folio,
        "title": agreement.title,
        "kind": agreement.kind.value,
        "objective": agreement.objective,
        "antecedents": list(agreement.antecedents),
        "clauses": [
            {"title": clause["title"], "text": clause["text"]} for clause in agreement.clauses
        ],
        "amount": agreement.amount,
        "currency": agreement.currency,
        "effective_date": agreement.effective_date,
        "expiry_date": agreement.expiry_date,
        "signed_on": agreement.signed_on,
        "renewal": {
            "mode": agreement.renewal_mode.value,
            "months": agreement.renewal_months,
            "notice_days": agreement.renewal_notice_days,
        },
        "parent": (
            {"folio": parent.folio, "title": parent.title, "signed_on": parent.signed_on}
            if parent is not None
            else None
        ),
        "parties": [_party(link) for link in agreement.parties],
        "witnesses": [
            {"full_name": witness["full_name"], "position": witness["position"]}
            for witness in agreement.witnesses
        ],
    }


def document_context(facts: DocumentFacts) -> dict[str, Any]:
    """The document's own facts as a template sees them (``document.*``)."""
    return {
        "place": facts.place,
        "date": facts.date,
        "verification_url": facts.verification_url,
        "verification_code": facts.verification_code,
        "qr_data_uri": qr_data_uri(facts.verification_url),
    }


def template_context(
    agreement: Agreement, facts: DocumentFacts, parent: Agreement | None = None
) -> dict[str, Any]:
    """The context of every convenio template (documented in templates/README.md)."""
    return {"agreement": agreement_context(agreement, parent), "document": document_context(facts)}
