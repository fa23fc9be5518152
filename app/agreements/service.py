"""The rules for agreements: folios, content checks, edits and lifecycle moves."""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.agreements import cabildo, lifecycle, repository, search
from app.agreements.schemas import (
    AgreementCreate,
    AgreementPartyInput,
    AgreementRead,
    AgreementUpdate,
    CabildoAuthorization,
    PublicationCreate,
    PublicationPlan,
    Renewal,
    SignatoryInput,
    Signing,
    StandardClauseChoice,
    TransitionRequest,
    Witness,
)
from app.audit import service as audit
from app.auth.principal import Principal
from app.config import API_PREFIX, CabildoRule, get_settings
from app.documents import repository as documents_repository
from app.documents import service as documents
from app.documents.formatting import amount_in_figures
from app.errors import (
    Conflict,
    Frozen,
    InvalidParam,
    InvalidTransition,
    NotFound,
    Rules,
    Unprocessable,
)
from app.events.service import emit
from app.kit import changed_fields
from app.models import (
    Agreement,
    AgreementParty,
    AgreementSignatory,
    AgreementTopic,
    Document,
    Party,
    Publication,
    Representative,
)
from app.models.base import touch
from app.models.enums import (
    PUBLIC_PARTY_KINDS,
    SIGNED_STATUSES,
    AgreementKind,
    AgreementStatus,
    Capacity,
    DocumentKind,
    DocumentStatus,
    EventType,
    FundSource,
    PartyKind,
    RenewalMode,
    SigningMethod,
)
from app.parties import repository as parties_repository
from app.signatures import repository as signature_repository
from app.signatures import rounds
from app.templates import service as templates

_NOT_AUDITED = {"version", "created_at", "updated_at", "allowed_transitions", "publications"}


def snapshot(agreement: Agreement) -> dict[str, Any]:
    return AgreementRead.from_model(agreement).model_dump(mode="json", exclude=_NOT_AUDITED)


def get_agreement(
    session: Session, agreement_id: int, actor: Principal, *, for_update: bool = False
) -> Agreement:
    """The agreement, if it exists and the actor may see it; 404 otherwise, for both cases."""
    signatory = actor.representative_id if actor.is_signatory else None
    if actor.is_signatory and signatory is None:
        raise NotFound(f"Agreement {agreement_id} does not exist.")
    agreement = repository.get(session, agreement_id, signatory=signatory, for_update=for_update)
    if agreement is None:
        raise NotFound(f"Agreement {agreement_id} does not exist.")
    return agreement


@dataclass
class _Content:
    """The fields that are checked together, whether they come from a create or a patch."""

    kind: AgreementKind
    parties: list[AgreementPartyInput]
    amount: Decimal | None
    currency: str | None
    effective_date: date
    expiry_date: date | None
    renewal: Renewal
    parent_id: int | None
    signing: Signing
    standard_clauses: dict[str, StandardClauseChoice] = dataclass_field(default_factory=dict)
    witnesses: list[Witness] = dataclass_field(default_factory=list)
    # The top-level fields a patch sent (the others are the agreement's on record); None for a
    # create.
    sent: frozenset[str] | None = None


def _check(session: Session, content: _Content, *, agreement_id: int | None) -> dict[int, Party]:
    """Every cross-field and reference rule; returns the parties by id. Refused together: 422,
    or 409 when a patch breaks them only against the agreement's values on record (Rules)."""
    rules = Rules(content.sent)
    problem = rules.breaks

    if content.expiry_date is not None and content.expiry_date <= content.effective_date:
        problem("expiry_date", "must be after effective_date", "effective_date")
    if content.currency is not None and content.amount is None:
        problem("currency", "a currency needs an amount", "amount")
    renewal = content.renewal
    if renewal.mode is RenewalMode.AUTOMATIC and renewal.months is None:
        problem("renewal.months", "an automatic renewal says for how many months")
    if renewal.mode is RenewalMode.NONE and (renewal.months or renewal.notice_days is not None):
        problem("renewal.mode", "months and notice_days apply only to agreements that renew")
    if renewal.mode is not RenewalMode.NONE and content.expiry_date is None:
        problem("renewal.mode", "only an agreement with an expiry date can renew", "expiry_date")
    if renewal.mode is RenewalMode.BY_AGREEMENT and renewal.months is not None:
        problem("renewal.months", "a renewal by written agreement sets its own term")
    _check_signing(content.signing, problem)

    parent = _check_parent(session, content, agreement_id, problem)
    parties = parties_repository.parties_by_id(session, {p.party_id for p in content.parties})
    wanted = {s.representative_id for p in content.parties for s in p.signatories}
    representatives = parties_repository.representatives_by_id(session, wanted)
    for i, link in enumerate(content.parties):
        party = parties.get(link.party_id)
        if party is None:
            problem(f"parties.{i}.party_id", f"party {link.party_id} does not exist")
            continue
        _check_signatories(i, link, party, representatives, problem)
        _check_contributions(i, link, party, content, problem)
    _check_amount(content, problem)
    ours = {link.party_id for link in content.parties}
    for i, witness in enumerate(content.witnesses):
        if witness.party_id is not None and witness.party_id not in ours:
            problem(
                f"witnesses.{i}.party_id",
                f"party {witness.party_id} is not a party to the agreement",
                "parties",
            )
    if parent is not None:
        _check_comparecencias(content, parent, problem)
    _check_standard_clauses(session, content, problem)
    rules.check()
    return parties


def _check_signing(signing: Signing, problem: Any) -> None:
    if signing.method is not SigningMethod.AUTOGRAFA:
        if signing.date is not None:
            problem(
                "signing.date",
                "a convenio its parties sign each on their own date (electronica, mixta) states "
                "no day of signing",
            )
        if signing.copies is not None:
            problem(
                "signing.copies",
                "only a convenio signed on paper at one act (autografa) has originals to count",
            )


def _check_parent(
    session: Session, content: _Content, agreement_id: int | None, problem: Any
) -> Agreement | None:
    if content.kind is not AgreementKind.MODIFICATORIO:
        if content.parent_id is not None:
            problem("parent_id", "only a convenio modificatorio has a parent agreement", "kind")
        return None
    if content.parent_id is None:
        problem("parent_id", "a convenio modificatorio names the agreement it amends", "kind")
        return None
    if content.parent_id == agreement_id:
        problem("parent_id", "an agreement cannot amend itself")
        return None
    parent = repository.get(session, content.parent_id)
    if parent is None:
        problem("parent_id", f"agreement {content.parent_id} does not exist")
        return None
    if parent.status is not AgreementStatus.ACTIVE:
        problem("parent_id", _not_in_force(parent))
        return None
    return parent


def _not_in_force(principal: Agreement) -> str:
    return (
        f"agreement {principal.folio} is {principal.status.value}; only an agreement in force "
        "can be amended"
    )


def principal_problems(session: Session, agreement: Agreement) -> list[str]:
    """A modificatorio is agreed and signed while its principal is in force: one whose
    principal expired or was terminated since it was drafted goes no further."""
    if agreement.parent_id is None:
        return []
    principal = session.get(Agreement, agreement.parent_id)
    if principal is None or principal.status is AgreementStatus.ACTIVE:
        return []
    return [_not_in_force(principal)]


def _check_comparecencias(content: _Content, parent: Agreement, problem: Any) -> None:
    """A modificatorio is agreed by the parties of its principal, each named as it was there."""
    roles = {link.party_id: link.role for link in parent.parties}
    for i, link in enumerate(content.parties):
        if link.party_id not in roles:
            problem(
                f"parties.{i}.party_id",
                f"party {link.party_id} is not a party to {parent.folio}, which this convenio "
                "modifies",
                "parent_id",
            )
        elif link.role.casefold() != roles[link.party_id].casefold():
            problem(
                f"parties.{i}.role",
                f"{parent.folio} names this party «{roles[link.party_id]}»; its modificatorio "
                "keeps that name",
                "parent_id",
            )


def _check_signatories(
    i: int,
    link: AgreementPartyInput,
    party: Party,
    representatives: dict[int, Representative],
    problem: Any,
) -> None:
    for j, signatory in enumerate(link.signatories):
        representative = representatives.get(signatory.representative_id)
        where = f"parties.{i}.signatories.{j}"
        if representative is None:
            problem(
                f"{where}.representative_id",
                f"representative {signatory.representative_id} does not exist",
            )
        elif representative.party_id != link.party_id:
            problem(
                f"{where}.representative_id",
                f"representative {signatory.representative_id} acts for another party",
            )
        if signatory.capacity is Capacity.ATTESTS and party.kind not in PUBLIC_PARTY_KINDS:
            problem(
                f"{where}.capacity",
                "only an officer of a public body validates a convenio with their signature "
                "(the secretario del ayuntamiento); a company or organisation signs through "
                "those who represent it",
            )
    if link.signatories and not any(s.capacity is Capacity.REPRESENTS for s in link.signatories):
        problem(
            f"parties.{i}.signatories",
            f"nobody represents party {link.party_id}: someone who assists or validates signs "
            "beside a representative (capacity represents)",
        )


def _check_contributions(
    i: int, link: AgreementPartyInput, party: Party, content: _Content, problem: Any
) -> None:
    public = party.kind in PUBLIC_PARTY_KINDS
    for j, contribution in enumerate(link.contributions):
        where = f"parties.{i}.contributions.{j}"
        if content.amount is None:
            problem(
                "amount", "contributions make up the agreement's amount: give the amount", "parties"
            )
        elif contribution.currency not in (None, content.currency):
            problem(
                f"{where}.currency",
                f"the agreement is in {content.currency}; its contributions are too",
                "currency",
            )
        if public and contribution.source is FundSource.PRIVADOS:
            problem(f"{where}.source", "a public body contributes public funds, not privados")
        if not public and contribution.source is not FundSource.PRIVADOS:
            problem(f"{where}.source", f"a {party.kind.value} party contributes privados funds")
        paid = sum((m.amount for m in contribution.schedule), Decimal(0))
        if paid > contribution.amount:
            problem(
                f"{where}.schedule",
                f"the ministraciones add up to {paid}, more than the contribution "
                f"({contribution.amount})",
            )
        for k, ministration in enumerate(contribution.schedule):
            late = content.expiry_date is not None and ministration.date > content.expiry_date
            if ministration.date < content.effective_date or late:
                problem(
                    f"{where}.schedule.{k}.date",
                    "a ministración falls within the agreement's dates",
                    "effective_date",
                    "expiry_date",
                )


def _check_amount(content: _Content, problem: Any) -> None:
    total = sum((c.amount for link in content.parties for c in link.contributions), Decimal(0))
    if content.amount is not None and total > content.amount:
        problem(
            "amount",
            f"the parties' contributions add up to {total}, more than the agreement's amount "
            f"({content.amount})",
            "parties",
        )


def _check_standard_clauses(session: Session, content: _Content, problem: Any) -> None:
    if not content.standard_clauses:
        return
    keys = templates.standard_keys(session, content.kind) or set()
    for key in content.standard_clauses:
        if key not in keys:
            known = ", ".join(sorted(keys)) or "none"
            problem(
                f"standard_clauses.{key}",
                f"template {templates.key_for(content.kind)!r} has no standard clause {key!r}; "
                f"it has: {known}",
                "kind",
            )


def _set_parties(
    session: Session,
    agreement: Agreement,
    links: list[AgreementPartyInput],
    parties: dict[int, Party],
) -> None:
    representatives = parties_repository.representatives_by_id(
        session, {s.representative_id for link in links for s in link.signatories}
    )
    # A cabildo's authorisation belongs to its party, whatever else of the party changes.
    authorizations = {link.party_id: link.authorization for link in agreement.parties}
    agreement.parties.clear()
    session.flush()
    for position, link in enumerate(links):
        entry = AgreementParty(
            party_id=link.party_id,
            position=position,
            role=link.role,
            declarations=list(link.declarations),
            declarations_mode=link.declarations_mode,
            contributions=[
                _contribution(c.model_dump(mode="json"), agreement.currency)
                for c in link.contributions
            ],
            authorization=authorizations.get(link.party_id),
        )
        entry.party = parties[link.party_id]
        entry.signatories = [
            _signatory(agreement, representatives[s.representative_id], s, order)
            for order, s in enumerate(link.signatories)
        ]
        agreement.parties.append(entry)


def _contribution(data: dict[str, Any], currency: str | None) -> dict[str, Any]:
    """A contribution as kept: in the agreement's currency, its calendar in date order."""
    data["currency"] = data["currency"] or currency
    data["schedule"] = sorted(data["schedule"], key=lambda m: m["date"])
    return data


def _signatory(
    agreement: Agreement, representative: Representative, given: SignatoryInput, order: int
) -> AgreementSignatory:
    signatory = AgreementSignatory(
        representative_id=representative.id, position=order, capacity=given.capacity
    )
    signatory.agreement_id = agreement.id
    signatory.representative = representative
    return signatory


def _set_topics(agreement: Agreement, topics: list[str]) -> None:
    current = {topic.topic: topic for topic in agreement.topics}
    agreement.topics = [
        current.get(topic) or AgreementTopic(topic=topic) for topic in sorted(topics)
    ]


def _default_currency(amount: Decimal | None, currency: str | None) -> str | None:
    """An amount without a currency is in pesos."""
    return currency or ("MXN" if amount is not None else None)


def _current_links(agreement: Agreement) -> list[AgreementPartyInput]:
    """The agreement's parties as a client would send them, to check them with a patch."""
    return [
        AgreementPartyInput.model_validate(
            {
                "party_id": link.party_id,
                "role": link.role,
                "declarations": link.declarations,
                "declarations_mode": link.declarations_mode,
                "signatories": [
                    {"representative_id": s.representative_id, "capacity": s.capacity}
                    for s in link.signatories
                ],
                # Kept in the agreement's currency, whichever it is after the patch.
                "contributions": [{**c, "currency": None} for c in link.contributions],
            }
        )
        for link in agreement.parties
    ]


def _current_signing(agreement: Agreement) -> Signing:
    return Signing(
        method=agreement.signing_method,
        place=agreement.signing_place,
        date=agreement.signing_date,
        copies=agreement.copies,
    )


def _apply_signing(agreement: Agreement, signing: Signing) -> None:
    agreement.signing_method, agreement.signing_place = signing.method, signing.place
    agreement.signing_date, agreement.copies = signing.date, signing.copies


def _apply_publication(agreement: Agreement, plan: PublicationPlan) -> None:
    agreement.publication_media = (
        None if plan.media is None else [medium.value for medium in plan.media]
    )
    agreement.effective_on_publication = plan.effective_on_publication


def _choices(choices: dict[str, StandardClauseChoice]) -> dict[str, Any]:
    return {key: choice.model_dump(exclude_none=True) for key, choice in choices.items()}


def create_agreement(
    *, session: Session, data: AgreementCreate, actor: Principal, today: date
) -> Agreement:
    currency = _default_currency(data.amount, data.currency)
    content = _Content(
        kind=data.kind,
        parties=data.parties,
        amount=data.amount,
        currency=currency,
        effective_date=data.effective_date,
        expiry_date=data.expiry_date,
        renewal=data.renewal,
        parent_id=data.parent_id,
        signing=data.signing,
        standard_clauses=data.standard_clauses,
        witnesses=data.witnesses,
    )
    parties = _check(session, content, agreement_id=None)
    number = repository.next_folio_number(session, today.year)
    agreement = Agreement(
        folio=f"{get_settings().folio_prefix}-{today.year}-{number:04d}",
        title=data.title,
        kind=data.kind,
        status=AgreementStatus.DRAFT,
        initiative=data.initiative,
        objective=data.objective,
        follow_up_unit=data.follow_up_unit,
        antecedents=list(data.antecedents),
        clauses=[clause.model_dump() for clause in data.clauses],
        witnesses=[witness.model_dump() for witness in data.witnesses],
        amount=data.amount,
        currency=currency,
        effective_date=data.effective_date,
        expiry_date=data.expiry_date,
        renewal_mode=data.renewal.mode,
        renewal_months=data.renewal.months,
        renewal_notice_days=data.renewal.notice_days,
        parent_id=data.parent_id,
        standard_clauses=_choices(data.standard_clauses),
        parties=[],
        topics=[],
        publications=[],
    )
    _apply_signing(agreement, data.signing)
    _apply_publication(agreement, data.publication)
    search.refresh(agreement, [parties[link.party_id] for link in data.parties])
    session.add(agreement)
    session.flush()
    _set_parties(session, agreement, data.parties, parties)
    _set_topics(agreement, data.topics)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agreement.created",
        entity=("agreement", agreement.id),
        agreement_id=agreement.id,
        changes=changed_fields({}, snapshot(agreement)),
    )
    return agreement


def update_agreement(
    *, session: Session, agreement: Agreement, data: AgreementUpdate, actor: Principal
) -> Agreement:
    _editable(agreement)
    changes = data.changes()
    if not changes:
        return agreement
    before = snapshot(agreement)
    amount = changes.get("amount", agreement.amount)
    # Clearing the amount clears its currency, unless the client sends one (then refused).
    currency = changes.get("currency", agreement.currency if amount is not None else None)
    currency = _default_currency(amount, currency)
    renewal = data.renewal or Renewal(
        mode=agreement.renewal_mode,
        months=agreement.renewal_months,
        notice_days=agreement.renewal_notice_days,
    )
    content = _Content(
        kind=data.kind or agreement.kind,
        parties=data.parties if data.parties is not None else _current_links(agreement),
        amount=amount,
        currency=currency,
        effective_date=data.effective_date or agreement.effective_date,
        expiry_date=changes.get("expiry_date", agreement.expiry_date),
        renewal=renewal,
        parent_id=changes.get("parent_id", agreement.parent_id),
        signing=data.signing or _current_signing(agreement),
        standard_clauses=(
            data.standard_clauses
            if data.standard_clauses is not None
            else {
                key: StandardClauseChoice.model_validate(choice)
                for key, choice in agreement.standard_clauses.items()
            }
        ),
        witnesses=(
            data.witnesses
            if data.witnesses is not None
            else [Witness.model_validate(w) for w in agreement.witnesses]
        ),
        sent=frozenset(changes),
    )
    parties = _check(session, content, agreement_id=agreement.id)

    for field in (
        "title",
        "kind",
        "initiative",
        "objective",
        "follow_up_unit",
        "antecedents",
        "effective_date",
    ):
        if field in changes:
            setattr(agreement, field, changes[field])
    if data.clauses is not None:
        agreement.clauses = [clause.model_dump() for clause in data.clauses]
    if data.witnesses is not None:
        agreement.witnesses = [witness.model_dump() for witness in data.witnesses]
    agreement.amount, agreement.currency = content.amount, content.currency
    agreement.expiry_date, agreement.parent_id = content.expiry_date, content.parent_id
    agreement.renewal_mode = renewal.mode
    agreement.renewal_months, agreement.renewal_notice_days = renewal.months, renewal.notice_days
    _apply_signing(agreement, content.signing)
    if data.publication is not None:
        _apply_publication(agreement, data.publication)
    agreement.standard_clauses = _choices(content.standard_clauses)
    if data.parties is not None:
        _set_parties(session, agreement, data.parties, parties)
    elif "currency" in changes or "amount" in changes:
        # Contributions are kept in the agreement's currency.
        for link in agreement.parties:
            link.contributions = [{**c, "currency": agreement.currency} for c in link.contributions]
    if data.topics is not None:
        _set_topics(agreement, data.topics)
    search.refresh(agreement, [link.party for link in agreement.parties])

    diff = changed_fields(before, snapshot(agreement))
    if diff:
        _edited(session, agreement, actor, diff)
    return agreement


def _document_to_sign(session: Session, agreement: Agreement, document_id: int | None) -> Document:
    """The convenio every party will sign: the one named, or the newest generated from the
    agreement's present content. Either way its bytes are what the content now says."""
    settings = get_settings()
    if document_id is None:
        document = documents.current_convenio(session, agreement, settings)
        if document is None:
            raise InvalidTransition(
                f"Agreement {agreement.folio} has no convenio generated from its present "
                f"content to sign: generate it (POST {API_PREFIX}/agreements/{agreement.id}"
                "/documents) first."
            )
        return document
    document = documents_repository.get(session, document_id)
    if document is None or document.agreement_id != agreement.id:
        raise Unprocessable.field("body.document_id", "not a document of this agreement")
    if document.status is not DocumentStatus.READY:
        raise Unprocessable.field(
            "body.document_id",
            f"document {document.id} is {document.status.value}, not ready: a convenio is "
            "signed once rendered",
        )
    if not documents.is_current(session, agreement, document, settings):
        raise Unprocessable.field(
            "body.document_id",
            "not a convenio generated from the agreement's present content; generate it again",
        )
    return document


def content_problems(agreement: Agreement) -> list[str]:
    """What keeps the agreement's content from being complete for review and signing."""
    contributions = [c for link in agreement.parties for c in link.contributions]
    total = sum((Decimal(c["amount"]) for c in contributions), Decimal(0))
    if agreement.amount is None:
        return []
    currency = agreement.currency or "MXN"
    if not contributions:
        return [
            f"the amount of {amount_in_figures(agreement.amount, currency)} needs the parties' "
            "contributions that make it up"
        ]
    if total != agreement.amount:
        return [
            f"the parties' contributions add up to {amount_in_figures(total, currency)}, not "
            f"the agreement's {amount_in_figures(agreement.amount, currency)}"
        ]
    return []


def authorization_requirement(
    session: Session,
    agreement: Agreement,
    party: Party,
    authorization: dict[str, Any],
    rules: dict[str, CabildoRule],
) -> cabildo.Requirement | None:
    """The majority the municipio's cabildo needs for this agreement (None while the
    ayuntamiento's term is not on record)."""
    if party.term_end is None:
        return None
    expiry_date, renewal_mode = repository.binding_terms(session, agreement)
    return cabildo.requirement(
        authorization,
        term_end=party.term_end,
        expiry_date=expiry_date,
        renewal_mode=renewal_mode,
        rule=rules.get(party.state_code or "", CabildoRule()),
    )


def signing_problems(
    session: Session, agreement: Agreement, *, today: date, rules: dict[str, CabildoRule]
) -> list[str]:
    """What keeps the agreement from being signed: each municipio's cabildo authorisation
    (with the majority its term requires, its certified acta, the Legislature's where the
    state's rule asks for it), and a stated signing date that has passed."""
    problems: list[str] = []
    for link in agreement.parties:
        party = link.party
        if party.kind is not PartyKind.MUNICIPIO:
            continue
        where = f"the cabildo of {party.name}"
        found = link.authorization
        if found is None:
            problems.append(
                f"{where} has not authorised it (PUT {API_PREFIX}/agreements/{agreement.id}"
                f"/parties/{party.id}/authorization)"
            )
            continue
        needed = authorization_requirement(session, agreement, party, found, rules)
        if needed is None:
            problems.append(
                f"the term of the ayuntamiento of {party.name} is not on record (term_start, "
                "term_end), so the majority it needs is not known"
            )
            continue
        problems.extend(f"{where}: {p}" for p in cabildo.vote_problems(found, needed))
        if found["certified_acta_document_id"] is None:
            problems.append(
                f"{where}: the certified acta of the session is not uploaded (kind cabildo_acta)"
            )
        if needed.legislature and found.get("legislature") is None:
            problems.append(
                f"{where}: the convenio binds the municipio beyond the ayuntamiento's term, and "
                "the state's Legislature must authorise it too (authorization.legislature)"
            )
    stated = agreement.signing_date
    if stated is not None and stated < today:
        problems.append(
            f"the convenio states it is signed on {stated.isoformat()}, which has passed: "
            "change signing.date"
        )
    return problems


def transition(
    *,
    session: Session,
    agreement: Agreement,
    request: TransitionRequest,
    actor: Principal,
    today: date,
) -> Agreement:
    signed_on = (
        (request.signed_on or agreement.signing_date or today)
        if request.to is AgreementStatus.ACTIVE
        else None
    )
    if request.signed_on is not None and request.to is not AgreementStatus.ACTIVE:
        raise Unprocessable.field("body.signed_on", "only a move to active has a signing date")
    stated = agreement.signing_date
    if signed_on is not None and stated is not None and signed_on != stated:
        # The date sent is a date; it is the convenio's text on record that it contradicts.
        message = (
            f"the convenio states it is signed on {stated.isoformat()}; it cannot have been "
            "signed on another day: leave signed_on out, or change signing.date first"
        )
        raise Conflict(
            f"body.signed_on: {message}",
            errors=[InvalidParam(field="body.signed_on", message=message)],
        )
    if request.document_id is not None and request.to is not AgreementStatus.IN_SIGNATURE:
        raise Unprocessable.field(
            "body.document_id", "only a move to in_signature fixes a document"
        )
    signatures = signature_repository.for_agreement(session, agreement.id)
    facts = lifecycle.Facts(
        today=today,
        expiry_date=agreement.expiry_date,
        effective_date=agreement.effective_date,
        parties=len(agreement.parties),
        parties_without_signatories=tuple(
            link.party.name for link in agreement.parties if not link.signatories
        ),
        inactive_signatories=tuple(
            s.representative.full_name
            for link in agreement.parties
            for s in link.signatories
            if not s.representative.active
        ),
        clauses=len(agreement.clauses),
        content_problems=tuple(content_problems(agreement)),
        principal_problems=tuple(principal_problems(session, agreement)),
        signing_problems=tuple(
            signing_problems(session, agreement, today=today, rules=get_settings().cabildo_rules)
        ),
        reason=request.reason,
        signed_on=signed_on,
        pending_signatures=rounds.unsigned(signatures),
        signature_problems=tuple(rounds.request_problems(agreement, signatures)),
    )
    refusal = lifecycle.check(agreement.status, request.to, facts)
    if refusal is not None:
        allowed = [state.value for state in refusal.allowed]
        if refusal.illegal:
            final = not lifecycle.allowed_from(agreement.status)
            moves = ", ".join(allowed) or ("nothing (final)" if final else "nothing yet")
            raise InvalidTransition(
                f"Agreement {agreement.folio} is {agreement.status.value} and cannot move to "
                f"{request.to.value}; it can move to: {moves}.",
                allowed=allowed,
            )
        raise InvalidTransition(
            f"Agreement {agreement.folio} cannot move to {request.to.value} yet: "
            + "; ".join(refusal.problems)
            + ".",
            allowed=allowed,
        )
    changes: dict[str, Any] = {"status": [agreement.status.value, request.to.value]}
    if request.to is AgreementStatus.IN_SIGNATURE and signatures:
        document = _document_to_sign(session, agreement, request.document_id)
        rounds.open_round(agreement, document, signatures)
        changes["signing_document"] = [None, {"id": document.id, "sha256": document.sha256}]
    if request.reason:
        changes["reason"] = [None, request.reason]
    if signed_on is not None:
        changes["signed_on"] = [None, signed_on.isoformat()]
        agreement.signed_on = signed_on
    agreement.status = request.to
    touch(agreement)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agreement.status_changed",
        entity=("agreement", agreement.id),
        agreement_id=agreement.id,
        changes=changes,
    )
    emit(
        session,
        EventType.AGREEMENT_STATUS_CHANGED,
        agreement_id=agreement.id,
        payload={
            "folio": agreement.folio,
            "from": changes["status"][0],
            "to": changes["status"][1],
            "reason": request.reason,
        },
    )
    return agreement


def _editable(agreement: Agreement) -> None:
    if not lifecycle.is_editable(agreement.status):
        raise Frozen(
            f"Agreement {agreement.folio} is {agreement.status.value}: its content is frozen. "
            "Changes after signing starts need a convenio modificatorio."
        )


def _municipio_link(agreement: Agreement, party_id: int) -> AgreementParty:
    for link in agreement.parties:
        if link.party_id == party_id:
            if link.party.kind is not PartyKind.MUNICIPIO:
                raise Unprocessable(
                    f"Party {party_id} is a {link.party.kind.value}: only a municipio's cabildo "
                    "authorises a convenio.",
                    errors=[InvalidParam(field="path.party_id", message="not a municipio")],
                )
            return link
    raise NotFound(f"Party {party_id} is not a party to agreement {agreement.folio}.")


def _edited(session: Session, agreement: Agreement, actor: Principal, diff: dict[str, Any]) -> None:
    """Record an edit of the content: an approval is withdrawn, the version bumped (always:
    the version is the agreement's, even when only a child changed), the change audited."""
    status = lifecycle.after_edit(agreement.status)
    if status is not agreement.status:
        diff["status"] = [agreement.status.value, status.value]
        agreement.status = status
    touch(agreement)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agreement.updated",
        entity=("agreement", agreement.id),
        agreement_id=agreement.id,
        changes=diff,
    )


def set_authorization(
    *,
    session: Session,
    agreement: Agreement,
    party_id: int,
    data: CabildoAuthorization,
    actor: Principal,
    today: date,
) -> Agreement:
    """Record the sesión de cabildo that authorised a municipio to sign the agreement."""
    _editable(agreement)
    link = _municipio_link(agreement, party_id)
    party = link.party
    if party.term_end is None:
        raise Unprocessable.field(
            "path.party_id",
            f"record the term of the ayuntamiento of {party.name} first (PATCH "
            f"{API_PREFIX}/parties/{party.id} with term_start and term_end): it decides the "
            "majority the convenio needs",
        )
    found = data.model_dump(mode="json")
    if data.date > today:
        raise Unprocessable.field("body.date", "the session has not taken place yet")
    if party.term_start is not None and not party.term_start <= data.date <= party.term_end:
        raise Unprocessable.field(
            "body.date",
            f"the ayuntamiento on record for {party.name} sits from "
            f"{party.term_start.isoformat()} to {party.term_end.isoformat()}: a session on "
            "another day was not its own (record the present term first)",
        )
    if data.legislature is not None and data.legislature.date > today:
        raise Unprocessable.field("body.legislature.date", "a date that has not come yet")
    needed = authorization_requirement(
        session, agreement, party, found, get_settings().cabildo_rules
    )
    assert needed is not None  # the term is known
    problems = cabildo.vote_problems(found, needed)
    if problems:
        raise Unprocessable.field("body.votes_for", problems[0])
    if data.certified_acta_document_id is not None:
        acta = documents_repository.get(session, data.certified_acta_document_id)
        if (
            acta is None
            or acta.agreement_id != agreement.id
            or acta.kind is not DocumentKind.CABILDO_ACTA
        ):
            raise Unprocessable.field(
                "body.certified_acta_document_id",
                "not a cabildo_acta document of this agreement (upload the certified acta "
                f"to {API_PREFIX}/agreements/{agreement.id}/documents/upload with kind "
                "cabildo_acta)",
            )
    before = link.authorization
    if before == found:
        return agreement
    link.authorization = found
    _edited(session, agreement, actor, {f"parties.{party.id}.authorization": [before, found]})
    return agreement


def remove_authorization(
    *, session: Session, agreement: Agreement, party_id: int, actor: Principal
) -> Agreement:
    _editable(agreement)
    link = next((link for link in agreement.parties if link.party_id == party_id), None)
    if link is None or link.authorization is None:
        # Nothing to remove (only a municipio's cabildo authorises a convenio).
        raise NotFound(
            f"Agreement {agreement.folio} has no cabildo authorisation of party {party_id}."
        )
    before, link.authorization = link.authorization, None
    _edited(session, agreement, actor, {f"parties.{party_id}.authorization": [before, None]})
    return agreement


def add_publication(
    *,
    session: Session,
    agreement: Agreement,
    data: PublicationCreate,
    actor: Principal,
    today: date,
) -> Publication:
    """Record where and when the signed convenio was published."""
    if agreement.status not in SIGNED_STATUSES or agreement.signed_on is None:
        raise Conflict(
            f"Agreement {agreement.folio} is {agreement.status.value}: only a signed convenio "
            "is published."
        )
    if data.published_on < agreement.signed_on:
        raise Unprocessable.field(
            "body.published_on",
            f"the convenio was signed on {agreement.signed_on.isoformat()}; it cannot have "
            "been published before",
        )
    if data.published_on > today:
        raise Unprocessable.field("body.published_on", "a date that has not come yet")
    publication = Publication(
        agreement_id=agreement.id,
        medium=data.medium,
        medium_name=data.medium_name,
        published_on=data.published_on,
        number=data.number,
        url=data.url,
        created_by=actor.name,
    )
    session.add(publication)
    touch(agreement)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agreement.published",
        entity=("agreement", agreement.id),
        agreement_id=agreement.id,
        changes={
            "publication": [
                None,
                {
                    "medium": data.medium.value,
                    "published_on": data.published_on.isoformat(),
                    "number": data.number,
                },
            ]
        },
    )
    return publication
