"""What a convenio template sees: the agreement as plain data, plus the document's own facts.

Built from the agreement as stored (one version of it), so the same agreement version gives
the same context — and, with the same template version, the same PDF bytes. Nothing here
depends on the day or on the agreement's state: a copy made after signing is the same document.
The legal facts the text follows — how each party is named and what it is, who signs in what
capacity, who pays what, the cabildo's authorisation — are data the drafter gave, never guessed
from a name.
"""

import ipaddress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import segno
from sqlalchemy.orm import Session

from app.agreements import cabildo
from app.agreements import repository as agreements
from app.catalog import repository as catalog
from app.catalog.constitutions import constitution_of
from app.catalog.states import STATES
from app.config import CabildoRule
from app.models import Agreement, AgreementParty, AgreementSignatory
from app.models.enums import (
    PUBLIC_PARTY_KINDS,
    AgreementKind,
    Article,
    PartyKind,
    PublicationMedium,
    SigningMethod,
)

# How a state is named after a city in a closing line ("Toluca, Estado de México").
_STATE_IN_PLACE = {"15": "Estado de México"}
FEDERAL_SEAT = "Ciudad de México"


@dataclass(frozen=True)
class DocumentFacts:
    """The document's own facts: where and when its closing line says it is signed (None: not
    stated), its verification address, and whether it is a draft or a test copy."""

    place: str | None
    date: date | None
    verification_url: str
    verification_code: str = ""
    test_copy: bool = False
    draft: bool = False


def state_label(code: str | None) -> str | None:
    if code is None:
        return None
    return _STATE_IN_PLACE.get(code, STATES.get(code))


def default_place(session: Session, agreement: Agreement) -> str:
    """Where a convenio is signed unless its drafter says otherwise: the first municipio's
    seat, else the first estado, else the federal seat."""
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


def signing_place(session: Session, agreement: Agreement) -> str | None:
    """The place the closing line states: the drafter's, else (on paper) the default one; a
    convenio signed electronically states none unless its drafter gives one."""
    if agreement.signing_place:
        return agreement.signing_place
    if agreement.signing_method is SigningMethod.ELECTRONICA:
        return None
    return default_place(session, agreement)


def is_test_address(public_url: str) -> bool:
    """Whether the service's public address is one nobody outside this machine or network can
    open (loopback, private, link-local, a reserved name): its documents are test copies."""
    host = (urlsplit(public_url).hostname or "").lower()
    if host == "localhost" or host.endswith(
        (".localhost", ".local", ".internal", ".test", ".invalid", ".example", ".lan")
    ):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host  # a bare host name resolves only inside a network
    return not address.is_global


def qr_data_uri(url: str) -> str:
    """The verification address as a QR code: a PNG data: URI, embedded as an image on every
    page (deterministic: the same address gives the same bytes). The four-module quiet zone
    is part of the image, so a printer's margin never eats into the code."""
    return str(segno.make(url, error="m").png_data_uri(scale=8, border=4))


def level_of(kind: PartyKind, inegi_code: str | None, state_code: str | None) -> str | None:
    """The order of government a public party belongs to."""
    if kind is PartyKind.MUNICIPIO:
        return "municipal"
    if kind is PartyKind.ESTADO:
        return "estatal"
    if kind is PartyKind.FEDERACION:
        return "federal"
    if kind is PartyKind.ORGANISMO_DESCENTRALIZADO:
        if inegi_code is not None and len(inegi_code) == 5:
            return "municipal"
        return "estatal" if state_code is not None else "federal"
    if kind in (PartyKind.ORGANISMO_AUTONOMO, PartyKind.ACADEMICO_PUBLICO):
        return "estatal" if state_code is not None else "federal"
    return None


def scope_of(parties: list[dict[str, Any]]) -> str:
    """Who coordinates with whom: "federal" when the federation takes part, "estatal" for an
    estado with municipios, "intermunicipal" for municipios among themselves, else "otro"."""
    levels = [party["level"] for party in parties if party["kind"] != "organismo_autonomo"]
    municipios = sum(1 for party in parties if party["kind"] == "municipio")
    if "federal" in levels:
        return "federal"
    if any(party["kind"] == "estado" for party in parties):
        return "estatal"
    if municipios >= 2:
        return "intermunicipal"
    return "otro"


def _signatory(signatory: AgreementSignatory) -> dict[str, Any]:
    person = signatory.representative
    return {
        "honorific": person.honorific,
        "full_name": person.full_name,
        "gender": person.gender.value if person.gender else None,
        "position": person.position,
        "legal_basis": person.legal_basis,
        "appointment": person.appointment,
        "capacity": signatory.capacity.value,
    }


def _contribution(contribution: dict[str, Any]) -> dict[str, Any]:
    return {
        "amount": Decimal(contribution["amount"]),
        "currency": contribution["currency"],
        "purpose": contribution["purpose"],
        "source": contribution["source"],
        "budget_item": contribution["budget_item"],
        "schedule": [
            {"date": date.fromisoformat(m["date"]), "amount": Decimal(m["amount"])}
            for m in contribution["schedule"]
        ],
    }


def _authorization(
    session: Session, link: AgreementParty, agreement: Agreement, rules: dict[str, CabildoRule]
) -> dict[str, Any] | None:
    found, party = link.authorization, link.party
    if found is None:
        return None
    expiry_date, renewal_mode = agreements.binding_terms(session, agreement)
    needed = (
        cabildo.requirement(
            found,
            term_end=party.term_end,
            expiry_date=expiry_date,
            renewal_mode=renewal_mode,
            rule=rules.get(party.state_code or "", CabildoRule()),
        )
        if party.term_end is not None
        else None
    )
    legislature = found.get("legislature")
    # What the text says of the session; not the acta's document id, which no text prints.
    return {
        **{
            key: value
            for key, value in found.items()
            if key not in ("legislature", "certified_acta_document_id")
        },
        "date": date.fromisoformat(found["date"]),
        "legislature": (
            {**legislature, "date": date.fromisoformat(legislature["date"])}
            if legislature
            else None
        ),
        "present": cabildo.present_members(found),
        "unanimous": found["votes_for"] == cabildo.present_members(found),
        "beyond_term": needed.beyond_term if needed else None,
        "majority": needed.majority if needed else None,
    }


def _party(
    session: Session,
    link: AgreementParty,
    agreement: Agreement,
    rules: dict[str, CabildoRule],
) -> dict[str, Any]:
    party = link.party
    municipality = (
        catalog.municipality(session, party.inegi_code)
        if party.inegi_code is not None and len(party.inegi_code) == 5
        else None
    )
    return {
        "role": link.role,
        "declarations": list(link.declarations),
        "declarations_mode": link.declarations_mode.value,
        "name": party.name,
        "legal_name": party.legal_name,
        "denomination": party.legal_name or party.name,
        "article": party.article.value if party.article else None,
        "gender": party.gender.value if party.gender else None,
        "plural": party.article in (Article.LOS, Article.LAS),
        "kind": party.kind.value,
        "public": party.kind in PUBLIC_PARTY_KINDS,
        "level": level_of(party.kind, party.inegi_code, party.state_code),
        "autonomous": party.autonomous,
        "legal_framework": party.legal_framework,
        "rfc": party.rfc,
        "address": party.address,
        "state_name": state_label(party.state_code),
        "constitution": constitution_of(party.state_code),
        "municipality": municipality.name if municipality else None,
        "term": (
            {"start": party.term_start, "end": party.term_end}
            if party.term_start is not None
            else None
        ),
        "authorization": _authorization(session, link, agreement, rules),
        "contributions": [_contribution(c) for c in link.contributions],
        "signatories": [_signatory(signatory) for signatory in link.signatories],
    }


def _publication_media(
    agreement: Agreement, scope: str, parent: dict[str, Any] | None
) -> list[str]:
    """Where the convenio is published: as its drafter says, else as its kind requires — a
    coordinación with the federation in the DOF (Ley de Planeación art. 36) and the state's
    gazette, one among local governments in the state's gazette (and, intermunicipal, the
    municipal gazettes), a modificatorio where its principal was."""
    if agreement.publication_media is not None:
        return list(agreement.publication_media)
    if parent is not None:
        return list(parent["publication"]["media"])
    if agreement.kind is not AgreementKind.COORDINACION:
        return []
    media = {
        "federal": [PublicationMedium.DOF, PublicationMedium.PERIODICO_OFICIAL],
        "estatal": [PublicationMedium.PERIODICO_OFICIAL],
        "intermunicipal": [PublicationMedium.PERIODICO_OFICIAL, PublicationMedium.GACETA_MUNICIPAL],
    }.get(scope, [])
    return [medium.value for medium in media]


def agreement_context(
    session: Session,
    agreement: Agreement,
    *,
    parent: dict[str, Any] | None,
    rules: dict[str, CabildoRule],
) -> dict[str, Any]:
    """The agreement as a template sees it (``agreement.*``), without its clause plan, which
    depends on the template version (`app.documents.clauses`)."""
    parties = [_party(session, link, agreement, rules) for link in agreement.parties]
    roles: dict[int | None, str] = {link.party_id: link.role for link in agreement.parties}
    scope = scope_of(parties)
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
        "renewal": {
            "mode": agreement.renewal_mode.value,
            "months": agreement.renewal_months,
            "notice_days": agreement.renewal_notice_days,
        },
        "signing": {
            "method": agreement.signing_method.value,
            "copies": agreement.copies or len(parties),
        },
        "publication": {
            "media": _publication_media(agreement, scope, parent),
            "effective_on_publication": agreement.effective_on_publication,
        },
        "scope": scope,
        # The seat whose courts a party that is not a public body submits to.
        "forum": default_place(session, agreement),
        # Where the money comes from: federal, estatal, municipal, propios, privados.
        "fund_sources": sorted({c["source"] for party in parties for c in party["contributions"]}),
        "parent": parent,
        "parties": parties,
        "witnesses": [
            {
                "full_name": witness["full_name"],
                "position": witness["position"],
                # The role of the party it signs under, or None: after every party's.
                "party_role": roles.get(witness.get("party_id")),
            }
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
        "test_copy": facts.test_copy,
        "draft": facts.draft,
    }


def legal_gaps(content: dict[str, Any]) -> list[str]:
    """What the document would have to guess: a party named without its article or gender, a
    signatory whose gender is not on record (both were not kept before 2026-12)."""
    gaps = []
    for party in content["parties"]:
        if party["gender"] is None:
            gaps.append(f"how the instrument names {party['name']} (its article, or its gender)")
        gaps.extend(
            f"the gender of {signatory['full_name']} ({party['name']})"
            for signatory in party["signatories"]
            if signatory["gender"] is None
        )
    return gaps
