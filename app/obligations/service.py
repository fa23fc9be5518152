"""The rules for obligations: who owes what by when, within the agreement's dates; fulfilment
with evidence, by staff or by the responsible party's own signatory; waivers with a reason."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.agreements import repository as agreements
from app.audit import service as audit
from app.auth.principal import Principal
from app.config import Settings
from app.documents import service as documents
from app.documents.blobs import Staged, Staging
from app.documents.inspection import PdfFacts
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.events.service import emit
from app.models import Agreement, Document, Obligation, Representative
from app.models.enums import (
    OPEN_OBLIGATIONS,
    AgreementStatus,
    DocumentKind,
    EventType,
    ObligationStatus,
)
from app.obligations import repository
from app.obligations.calendar import add_business_days
from app.obligations.recurrence import TooManyOccurrences, occurrences
from app.obligations.schemas import ObligationCreate
from app.schemas import LATEST_DATE

# An agreement that ended, or never began, takes no new obligations.
_CLOSED = frozenset(
    {AgreementStatus.CANCELLED, AgreementStatus.TERMINATED, AgreementStatus.EXPIRED}
)


def event_payload(obligation: Obligation, **extra: Any) -> dict[str, Any]:
    """What an obligation's events say about it."""
    return {
        "obligation_id": obligation.id,
        "party_id": obligation.party_id,
        "description": obligation.description,
        "due_date": obligation.due_date,
        **extra,
    }


def get_obligation(
    session: Session, obligation_id: int, actor: Principal, *, for_update: bool = False
) -> Obligation:
    """The obligation, if it exists and the actor may see its agreement; 404 otherwise."""
    obligation = repository.get(session, obligation_id, for_update=for_update)
    if obligation is None or not agreements.sees(session, actor, obligation.agreement_id):
        raise NotFound(f"Obligation {obligation_id} does not exist.")
    return obligation


def _due_dates(agreement: Agreement, data: ObligationCreate, settings: Settings) -> list[date]:
    """Every due date the request asks for, each within the agreement's dates."""
    field = "body.due_date"
    if data.due_in_business_days is not None:
        term = data.due_in_business_days
        field = "body.due_in_business_days"
        try:
            first = add_business_days(term.after, term.days, settings.extra_non_working_days)
        except ValueError as error:
            raise Unprocessable.field(field, str(error)) from None
    else:
        assert data.due_date is not None
        first = data.due_date
    if first > LATEST_DATE:
        raise Unprocessable.field(
            field,
            f"falls on {first.isoformat()}, after the last date the service keeps "
            f"({LATEST_DATE.isoformat()})",
        )
    start, end = agreement.effective_date, agreement.expiry_date
    if first < start or (end is not None and first > end):
        until = f" to {end.isoformat()}" if end else " on"
        raise Unprocessable.field(
            field,
            f"falls on {first.isoformat()}, outside the agreement's dates "
            f"({start.isoformat()}{until})",
        )
    if data.recurrence is None:
        return [first]
    last = data.recurrence.until or end
    if last is None:
        raise Unprocessable.field(
            "body.recurrence.until",
            "the agreement has no expiry date: a recurrence needs its own end",
        )
    if end is not None and last > end:
        raise Unprocessable.field(
            "body.recurrence.until", f"is after the agreement's expiry date ({end.isoformat()})"
        )
    if last < first:
        raise Unprocessable.field("body.recurrence.until", "is before the first due date")
    try:
        return occurrences(first, data.recurrence.frequency, last, limit=settings.max_occurrences)
    except TooManyOccurrences as error:
        raise Unprocessable.field(
            "body.recurrence",
            f"would make {error.count} or more occurrences; at most {error.limit} are allowed "
            "(CONVENIOS_MAX_OCCURRENCES)",
        ) from None


def create(
    *,
    session: Session,
    agreement: Agreement,
    data: ObligationCreate,
    actor: Principal,
    settings: Settings,
) -> list[Obligation]:
    """The obligation, or every occurrence of a recurring one, with an audit event each."""
    if agreement.status in _CLOSED:
        raise Conflict(
            f"Agreement {agreement.folio} is {agreement.status.value}: it takes no new obligations."
        )
    if data.party_id not in {link.party_id for link in agreement.parties}:
        raise Unprocessable.field("body.party_id", "not a party of this agreement")
    if data.clause is not None and data.clause > len(agreement.clauses):
        raise Unprocessable.field(
            "body.clause", f"the agreement has {len(agreement.clauses)} cláusulas"
        )
    dates = _due_dates(agreement, data, settings)
    recurring = data.recurrence is not None
    deadline: dict[str, Any] | None = None
    if data.due_in_business_days is not None:
        term = data.due_in_business_days
        deadline = {"business_days": term.days, "after": term.after.isoformat()}
    created: list[Obligation] = []
    for number, due in enumerate(dates, start=1):
        obligation = Obligation(
            agreement_id=agreement.id,
            party_id=data.party_id,
            clause=data.clause,
            description=data.description,
            due_date=due,
            deadline=deadline,
            occurrence=number if recurring else None,
            frequency=data.recurrence.frequency.value if data.recurrence else None,
            status=ObligationStatus.PENDING,
            created_by=actor.as_actor(),
            evidence=[],
        )
        session.add(obligation)
        session.flush()
        obligation.series = (created[0].id if created else obligation.id) if recurring else None
        created.append(obligation)
        audit.record(
            session,
            actor=actor,
            action="obligation.created",
            entity=("obligation", obligation.id),
            agreement_id=agreement.id,
            changes={
                "party_id": [None, data.party_id],
                "description": [None, data.description],
                "due_date": [None, due.isoformat()],
                **({"series": [None, obligation.series]} if recurring else {}),
            },
        )
    session.flush()
    return created


@dataclass(frozen=True)
class Evidence:
    data: bytes
    filename: str | None


def _may_act(session: Session, obligation: Obligation, actor: Principal) -> None:
    """A signatory fulfils only what its own party owes (staff fulfil anything)."""
    if not actor.is_signatory:
        return
    representative = (
        session.get(Representative, actor.representative_id) if actor.representative_id else None
    )
    if representative is None or representative.party_id != obligation.party_id:
        raise Forbidden("This obligation is another party's: only its own signatories fulfil it.")


def _locked(session: Session, obligation: Obligation) -> tuple[Agreement, Obligation]:
    """The agreement and the obligation, locked and read afresh: two requests that settle the
    same obligation at once are taken one after the other, and the second sees the first."""
    agreement = agreements.get(session, obligation.agreement_id, for_update=True)
    fresh = repository.get(session, obligation.id, for_update=True)
    assert agreement is not None and fresh is not None  # neither is ever deleted
    return agreement, fresh


def _require_open(obligation: Obligation) -> None:
    if obligation.status not in OPEN_OBLIGATIONS:
        raise Conflict(f"Obligation {obligation.id} is already {obligation.status.value}.")


def check_fulfilment(session: Session, obligation: Obligation, actor: Principal) -> None:
    """What a fulfilment can be refused for before its evidence is read."""
    _may_act(session, obligation, actor)
    _require_open(obligation)


@dataclass(frozen=True)
class CheckedEvidence:
    """An evidence file, parsed (outside any transaction) and put in storage under a lease."""

    evidence: Evidence
    facts: PdfFacts
    file: Staged


def record_fulfilment(
    session: Session,
    obligation_id: int,
    *,
    note: str | None,
    evidence: list[CheckedEvidence],
    stage: Staging,
    actor: Principal,
) -> Obligation:
    """Mark it fulfilled, keeping each evidence file as a document of the agreement; checked
    again under the lock (another request may have settled it meanwhile)."""
    obligation = repository.get(session, obligation_id)
    assert obligation is not None  # obligations are never deleted
    _may_act(session, obligation, actor)
    agreement, obligation = _locked(session, obligation)
    _require_open(obligation)
    kept: list[Document] = []
    for item in evidence:
        document, _ = documents.record_upload(
            session,
            agreement.id,
            documents.Upload(
                data=item.evidence.data,
                kind=DocumentKind.EVIDENCE,
                title=f"Evidencia: {obligation.description[:200]}",
                filename=item.evidence.filename,
            ),
            item.facts,
            item.file,
            stage=stage,
            actor=actor,
        )
        if document not in kept:
            kept.append(document)
    before = obligation.status.value
    obligation.status = ObligationStatus.FULFILLED
    obligation.note = note
    obligation.decided_at = clock.now()
    obligation.decided_by = actor.as_actor()
    obligation.evidence = kept
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="obligation.fulfilled",
        entity=("obligation", obligation.id),
        agreement_id=obligation.agreement_id,
        changes={
            "status": [before, ObligationStatus.FULFILLED.value],
            "note": [None, note],
            "evidence": [None, [document.id for document in kept]],
        },
    )
    emit(
        session,
        EventType.OBLIGATION_FULFILLED,
        agreement_id=obligation.agreement_id,
        payload=event_payload(obligation, note=note),
    )
    return obligation


def waive(*, session: Session, obligation: Obligation, reason: str, actor: Principal) -> Obligation:
    """Excuse the obligation, saying why."""
    _, obligation = _locked(session, obligation)
    _require_open(obligation)
    before = obligation.status.value
    obligation.status = ObligationStatus.WAIVED
    obligation.note = reason
    obligation.decided_at = clock.now()
    obligation.decided_by = actor.as_actor()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="obligation.waived",
        entity=("obligation", obligation.id),
        agreement_id=obligation.agreement_id,
        changes={"status": [before, ObligationStatus.WAIVED.value], "reason": [None, reason]},
    )
    return obligation
