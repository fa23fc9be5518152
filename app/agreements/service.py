"""The rules for agreements: folios, content checks, edits and lifecycle moves."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.agreements import lifecycle, repository
from app.agreements.schemas import (
    AgreementCreate,
    AgreementPartyInput,
    AgreementRead,
    AgreementUpdate,
    Renewal,
    TransitionRequest,
)
from app.audit import service as audit
from app.auth.principal import Principal
from app.config import API_PREFIX, get_settings
from app.documents import repository as documents_repository
from app.documents import service as documents
from app.errors import Frozen, InvalidParam, InvalidTransition, NotFound, Unprocessable
from app.events.service import emit
from app.kit import changed_fields, searchable
from app.models import (
    Agreement,
    AgreementParty,
    AgreementSignatory,
    AgreementTopic,
    Document,
    Party,
    Representative,
)
from app.models.base import touch
from app.models.enums import AgreementKind, AgreementStatus, EventType, RenewalMode
from app.parties import repository as parties_repository
from app.signatures import repository as signature_repository
from app.signatures import rounds

_NOT_AUDITED = {"version", "created_at", "updated_at", "allowed_transitions"}


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


def _check(session: Session, content: _Content, *, agreement_id: int | None) -> dict[int, Party]:
    """Every cross-field and reference rule; returns the parties by id. 422 on the first failure."""
    errors: list[InvalidParam] = []

    def problem(field: str, message: str) -> None:
        errors.append(InvalidParam(field=f"body.{field}", message=message))

    if content.expiry_date is not None and content.expiry_date <= content.effective_date:
        problem("expiry_date", "must be after effective_date")
    if content.currency is not None and content.amount is None:
        problem("currency", "a currency needs an amount")
    renewal = content.renewal
    if renewal.mode is RenewalMode.AUTOMATIC and renewal.months is None:
        problem("renewal.months", "an automatic renewal says for how many months")
    if renewal.mode is RenewalMode.NONE and (renewal.months or renewal.notice_days is not None):
        problem("renewal.mode", "months and notice_days apply only to agreements that renew")
    if renewal.mode is not RenewalMode.NONE and content.expiry_date is None:
        problem("renewal.mode", "only an agreement with an expiry date can renew")
    if renewal.mode is RenewalMode.BY_AGREEMENT and renewal.months is not None:
        problem("renewal.months", "a renewal by written agreement sets its own term")

    if content.kind is AgreementKind.MODIFICATORIO:
        if content.parent_id is None:
            problem("parent_id", "a convenio modificatorio names the agreement it amends")
        elif content.parent_id == agreement_id:
            problem("parent_id", "an agreement cannot amend itself")
        else:
            parent = repository.exists_by_id(session, content.parent_id)
            if parent is None:
                problem("parent_id", f"agreement {content.parent_id} does not exist")
            elif parent.status is not AgreementStatus.ACTIVE:
                problem(
                    "parent_id",
                    f"agreement {parent.folio} is {parent.status.value}; only an agreement "
                    "in force can be amended",
                )
    elif content.parent_id is not None:
        problem("parent_id", "only a convenio modificatorio has a parent agreement")

    parties = parties_repository.parties_by_id(session, {p.party_id for p in content.parties})
    wanted = {rid for p in content.parties for rid in p.signatory_ids}
    representatives = parties_repository.representatives_by_id(session, wanted)
    for i, link in enumerate(content.parties):
        if link.party_id not in parties:
            problem(f"parties.{i}.party_id", f"party {link.party_id} does not exist")
            continue
        for j, representative_id in enumerate(link.signatory_ids):
            representative = representatives.get(representative_id)
            if representative is None:
                problem(
                    f"parties.{i}.signatory_ids.{j}",
                    f"representative {representative_id} does not exist",
                )
            elif representative.party_id != link.party_id:
                problem(
                    f"parties.{i}.signatory_ids.{j}",
                    f"representative {representative_id} acts for another party",
                )
    if errors:
        raise Unprocessable("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return parties


def _set_parties(
    session: Session,
    agreement: Agreement,
    links: list[AgreementPartyInput],
    parties: dict[int, Party],
) -> None:
    representatives = parties_repository.representatives_by_id(
        session, {rid for link in links for rid in link.signatory_ids}
    )
    agreement.parties.clear()
    session.flush()
    for position, link in enumerate(links):
        entry = AgreementParty(
            party_id=link.party_id,
            position=position,
            role=link.role,
            declarations=list(link.declarations),
        )
        entry.party = parties[link.party_id]
        entry.signatories = [
            _signatory(agreement, representatives[rid], order)
            for order, rid in enumerate(link.signatory_ids)
        ]
        agreement.parties.append(entry)


def _signatory(
    agreement: Agreement, representative: Representative, order: int
) -> AgreementSignatory:
    signatory = AgreementSignatory(representative_id=representative.id, position=order)
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
        AgreementPartyInput(
            party_id=link.party_id,
            role=link.role,
            declarations=link.declarations,
            signatory_ids=[s.representative_id for s in link.signatories],
        )
        for link in agreement.parties
    ]


def _refresh_search(agreement: Agreement) -> None:
    agreement.search_text = searchable(agreement.folio, agreement.title)


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
        parties=[],
        topics=[],
    )
    _refresh_search(agreement)
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
    if not lifecycle.is_editable(agreement.status):
        raise Frozen(
            f"Agreement {agreement.folio} is {agreement.status.value}: its content is frozen. "
            "Changes after signing starts need a convenio modificatorio."
        )
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
    )
    parties = _check(session, content, agreement_id=agreement.id)

    for field in ("title", "kind", "initiative", "objective", "antecedents", "effective_date"):
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
    if data.parties is not None:
        _set_parties(session, agreement, data.parties, parties)
    if data.topics is not None:
        _set_topics(agreement, data.topics)
    _refresh_search(agreement)

    diff = changed_fields(before, snapshot(agreement))
    if not diff:
        return agreement
    status = lifecycle.after_edit(agreement.status)
    if status is not agreement.status:
        diff["status"] = [agreement.status.value, status.value]
        agreement.status = status
    # Always touch the row: its version is the agreement's, even when only a child changed.
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
    if not documents.is_current(session, agreement, document, settings):
        raise Unprocessable.field(
            "body.document_id",
            "not a convenio generated from the agreement's present content; generate it again",
        )
    return document


def transition(
    *,
    session: Session,
    agreement: Agreement,
    request: TransitionRequest,
    actor: Principal,
    today: date,
) -> Agreement:
    signed_on = (request.signed_on or today) if request.to is AgreementStatus.ACTIVE else None
    if request.signed_on is not None and request.to is not AgreementStatus.ACTIVE:
        raise Unprocessable.field("body.signed_on", "only a move to active has a signing date")
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
