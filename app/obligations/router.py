"""HTTP routes for obligations: define them (a date, días hábiles, a recurrence), list them
across agreements, fulfil them with evidence, waive them."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response
from sqlalchemy.orm import Session

from app.agreements.dependencies import AgreementDep
from app.auth.dependencies import Actor, AnyRole, Writer
from app.config import API_PREFIX, get_settings
from app.db import SessionDep, WritesDep, computes, end_reading
from app.documents import service as documents
from app.documents.blobs import staging
from app.documents.router import safe_filename
from app.documents.runners import get_storage, inspect_runner
from app.errors import problem_responses
from app.forms import CheckedForm, PdfUpload
from app.idempotency import IdempotencyDep, respond, respond_created
from app.models import Obligation, Party
from app.models.enums import ObligationStatus
from app.obligations import repository, service
from app.obligations.dependencies import ObligationDep
from app.obligations.recurrence import Frequency
from app.obligations.repository import ObligationFilters
from app.obligations.schemas import (
    BusinessDaysRead,
    ObligationBatch,
    ObligationCreate,
    ObligationRead,
    ObligationWaive,
    PartyRef,
)
from app.pagination import Page, PageParams, build_page, id_cursor, keyed_pages, str_after
from app.schemas import Date, Id
from app.signatures.service import ref

router = APIRouter(tags=["obligations"], responses=problem_responses(401, 403, 422))

# At most this many evidence files with one fulfilment.
_MAX_EVIDENCE = 10


def _read(session: Session, obligation: Obligation) -> ObligationRead:
    party = session.get(Party, obligation.party_id)
    return ObligationRead(
        id=obligation.id,
        agreement_id=obligation.agreement_id,
        party=PartyRef(id=obligation.party_id, name=party.name if party else ""),
        clause=obligation.clause,
        description=obligation.description,
        due_date=obligation.due_date,
        due_in_business_days=(
            BusinessDaysRead(
                days=obligation.deadline["business_days"], after=obligation.deadline["after"]
            )
            if obligation.deadline
            else None
        ),
        series=obligation.series,
        occurrence=obligation.occurrence,
        frequency=Frequency(obligation.frequency) if obligation.frequency else None,
        status=obligation.status,
        decided_at=obligation.decided_at,
        note=obligation.note,
        evidence=[ref(document) for document in obligation.evidence],
        created_at=obligation.created_at,
    )


# In due-date order: a cursor is the due date of the page's last obligation (days since
# 1900-01-01, five hexadecimal digits: any of them is a date) and its id.
_EPOCH = date(1900, 1, 1)
ObligationPages = Annotated[PageParams, Depends(keyed_pages(r"^[0-9a-f]{5}[0-7][0-9a-f]{7}$"))]


def _cursor(obligation: ObligationRead) -> str:
    return f"{(obligation.due_date - _EPOCH).days:05x}{id_cursor(obligation.id)}"


def _after(page: PageParams) -> tuple[date, int] | None:
    after = str_after(page)
    if after is None:
        return None
    return _EPOCH + timedelta(days=int(after[:5], 16)), int(after[5:], 16)


def _page(
    session: Session, filters: ObligationFilters, actor: AnyRole, page: PageParams
) -> Page[ObligationRead]:
    found = repository.page(
        session,
        filters,
        signatory=(actor.representative_id or 0) if actor.is_signatory else None,
        after=_after(page),
        limit=page.limit + 1,
    )
    return build_page([_read(session, o) for o in found], page.limit, _cursor)


@router.post(
    "/agreements/{agreement_id}/obligations",
    status_code=201,
    responses=problem_responses(404, 409, 413, 415),
)
def create_obligation(
    agreement: AgreementDep,  # before the role: a signatory gets 404 for others' agreements
    actor: Writer,
    payload: ObligationCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> ObligationBatch:
    """Define what a party owes: by a date, by a term in días hábiles, or recurring (monthly,
    quarterly, yearly until the expiry date), expanded into dated occurrences."""
    idempotency.claim()
    created = service.create(
        session=session, agreement=agreement, data=payload, actor=actor, settings=get_settings()
    )
    body = ObligationBatch(items=[_read(session, o) for o in created])
    respond_created(
        response, idempotency, body, location=f"{API_PREFIX}/obligations/{created[0].id}"
    )
    return body


@router.get("/agreements/{agreement_id}/obligations", responses=problem_responses(404))
def list_agreement_obligations(
    agreement: AgreementDep, actor: AnyRole, session: SessionDep, page: ObligationPages
) -> Page[ObligationRead]:
    """The agreement's obligations by due date."""
    return _page(session, ObligationFilters(agreement_id=agreement.id), actor, page)


@router.get("/obligations")
def list_obligations(
    actor: AnyRole,
    session: SessionDep,
    page: ObligationPages,
    status: Annotated[ObligationStatus | None, Query()] = None,
    party_id: Annotated[Id | None, Query(description="The responsible party.")] = None,
    agreement_id: Annotated[Id | None, Query()] = None,
    due_from: Annotated[Date | None, Query(description="Due on or after.")] = None,
    due_to: Annotated[Date | None, Query(description="Due on or before.")] = None,
) -> Page[ObligationRead]:
    """Obligations across agreements by due date; a signatory sees those of its agreements."""
    filters = ObligationFilters(
        agreement_id=agreement_id,
        party_id=party_id,
        status=status,
        due_from=due_from,
        due_to=due_to,
    )
    return _page(session, filters, actor, page)


@router.get("/obligations/{obligation_id}", responses=problem_responses(404))
def get_obligation(obligation: ObligationDep, _: AnyRole, session: SessionDep) -> ObligationRead:
    """One obligation: who owes what by when, its status and evidence."""
    return _read(session, obligation)


@router.post(
    "/obligations/{obligation_id}/fulfill", responses=problem_responses(404, 409, 413, 415, 503)
)
@computes
def fulfill_obligation(
    obligation: ObligationDep,  # before the role: 404 for others' obligations
    actor: Actor,
    session: SessionDep,
    writes: WritesDep,
    idempotency: IdempotencyDep,
    response: Response,
    form: CheckedForm,
    note: Annotated[str | None, Form(min_length=1, max_length=5000)] = None,
    evidence: Annotated[
        list[PdfUpload] | None,
        File(max_length=_MAX_EVIDENCE, description=f"Evidence PDFs (at most {_MAX_EVIDENCE})."),
    ] = None,
) -> ObligationRead:
    """Mark an obligation fulfilled, with a note and evidence files (multipart).

    Staff fulfil any; a signatory only what its own party owes. Evidence is parsed like any
    upload (415 for what is not a PDF) and kept among the agreement's documents; when one file
    is refused, none is kept."""
    idempotency.replay_if_answered()
    files = evidence or []
    service.check_fulfilment(session, obligation, actor)
    received = [
        service.Evidence(data=file.file.read(), filename=safe_filename(file.filename))
        for file in files
    ]
    end_reading(session)
    settings, inspect = get_settings(), inspect_runner()
    # Every file is parsed before any is stored: one refused file leaves nothing behind.
    facts = [
        documents.check_pdf(item.data, settings=settings, inspect=inspect) for item in received
    ]
    with staging(writes.sessions, get_storage()) as stage:
        checked = [
            service.CheckedEvidence(item, item_facts, stage.put(item.data))
            for item, item_facts in zip(received, facts, strict=True)
        ]
        with writes() as recording:
            idempotency.claim(recording)
            fulfilled = service.record_fulfilment(
                recording, obligation.id, note=note, evidence=checked, stage=stage, actor=actor
            )
            body = _read(recording, fulfilled)
            respond(response, idempotency, body)
            return body


@router.post("/obligations/{obligation_id}/waive", responses=problem_responses(404, 409))
def waive_obligation(
    obligation: ObligationDep,  # before the role, as in fulfill_obligation
    actor: Writer,
    payload: ObligationWaive,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> ObligationRead:
    """Excuse an obligation, with the reason (kept in the audit trail)."""
    idempotency.claim()
    obligation = service.waive(
        session=session, obligation=obligation, reason=payload.reason, actor=actor
    )
    body = _read(session, obligation)
    respond(response, idempotency, body)
    return body
