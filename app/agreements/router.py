"""HTTP routes for agreements and their lifecycle."""

from fastapi import APIRouter, Request, Response

from app.agreements import reading, service
from app.agreements.dependencies import AgreementDep
from app.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementSummary,
    AgreementUpdate,
    CabildoAuthorization,
    PublicationCreate,
    PublicationRead,
    TransitionRequest,
)
from app.auth.dependencies import Writer
from app.clock import Today
from app.concurrency import IfMatch, check_if_match, etag
from app.db import SessionDep
from app.errors import problem_responses
from app.idempotency import IdempotencyDep, respond, respond_created
from app.pagination import Page
from app.schemas import Id

router = APIRouter(
    prefix="/agreements", tags=["agreements"], responses=problem_responses(401, 403, 422)
)


@router.post("", status_code=201, responses=problem_responses(409, 413, 415))
def create_agreement(
    actor: Writer,
    payload: AgreementCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    today: Today,
) -> AgreementRead:
    """Draft a new agreement; the service assigns its folio."""
    idempotency.claim()
    agreement = service.create_agreement(session=session, data=payload, actor=actor, today=today)
    body = AgreementRead.from_model(agreement)
    respond_created(
        response,
        idempotency,
        body,
        location=f"/api/v1/agreements/{agreement.id}",
        version=agreement.version,
    )
    return body


@router.get("", response_model=Page[AgreementSummary], openapi_extra=reading.PAGE_OPENAPI)
async def list_agreements(request: Request) -> Response:
    """List agreements, newest first; signatories see only those they sign."""
    # Read as `get_agreement` is, and for the same reason: solving the key and nine query
    # parameters cost FastAPI more than the page itself; `reading` reads and checks them as
    # FastAPI would, and documents them alike.
    return await reading.read_page(request)


@router.get(
    "/{agreement_id}",
    response_model=AgreementRead,
    responses=problem_responses(404),
    openapi_extra=reading.OPENAPI,
)
async def get_agreement(request: Request) -> Response:
    """Read one agreement with its parties, signatories and legal content."""
    # The most asked answer: no session, no worker thread, and no parameter for FastAPI to
    # solve (solving the key and the id cost a quarter of the whole answer): `reading` reads
    # and checks them as the other routes do, from one row it reads on the event loop, and
    # documents them as FastAPI would.
    return await reading.read(request)


@router.patch("/{agreement_id}", responses=problem_responses(404, 409, 412, 413, 415))
def update_agreement(
    # The agreement before the role: a signatory gets 404 for agreements it does not sign.
    agreement: AgreementDep,
    actor: Writer,
    payload: AgreementUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> AgreementRead:
    """Change the content of an agreement that is not yet in signature."""
    check_if_match(if_match, agreement.version)
    agreement = service.update_agreement(
        session=session, agreement=agreement, data=payload, actor=actor
    )
    response.headers["ETag"] = etag(agreement.version)
    return AgreementRead.from_model(agreement)


@router.post("/{agreement_id}/transitions", responses=problem_responses(404, 409, 412, 413, 415))
def transition_agreement(
    agreement: AgreementDep,  # before the role, as in update_agreement
    actor: Writer,
    payload: TransitionRequest,
    session: SessionDep,
    response: Response,
    today: Today,
    idempotency: IdempotencyDep,
    if_match: IfMatch = None,
) -> AgreementRead:
    """Move an agreement along its lifecycle (409 names the moves allowed from here).

    With an `Idempotency-Key`, a retry gets the first answer instead of a 409 for a move
    already made."""
    idempotency.claim()
    check_if_match(if_match, agreement.version)
    agreement = service.transition(
        session=session, agreement=agreement, request=payload, actor=actor, today=today
    )
    body = AgreementRead.from_model(agreement)
    respond(response, idempotency, body, headers={"ETag": etag(agreement.version)})
    return body


@router.put(
    "/{agreement_id}/parties/{party_id}/authorization",
    responses=problem_responses(404, 409, 412, 413, 415),
)
def put_authorization(
    agreement: AgreementDep,  # before the role, as in update_agreement
    actor: Writer,
    party_id: Id,
    payload: CabildoAuthorization,
    session: SessionDep,
    response: Response,
    today: Today,
    if_match: IfMatch = None,
) -> AgreementRead:
    """Record the sesión de cabildo that authorised a municipio party to sign.

    The vote must reach the majority the agreement needs: two thirds of the cabildo's members
    when it binds the municipio beyond the ayuntamiento's term (CPEUM art. 115, fr. II, b), the
    majority of those present otherwise. The authorisation is part of the convenio's text (the
    municipio's declarations), so recording it is an edit.
    """
    check_if_match(if_match, agreement.version)
    agreement = service.set_authorization(
        session=session,
        agreement=agreement,
        party_id=party_id,
        data=payload,
        actor=actor,
        today=today,
    )
    response.headers["ETag"] = etag(agreement.version)
    return AgreementRead.from_model(agreement)


@router.delete(
    "/{agreement_id}/parties/{party_id}/authorization",
    responses=problem_responses(404, 409, 412),
)
def delete_authorization(
    agreement: AgreementDep,
    actor: Writer,
    party_id: Id,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> AgreementRead:
    """Remove a municipio party's cabildo authorisation (before signing starts)."""
    check_if_match(if_match, agreement.version)
    agreement = service.remove_authorization(
        session=session, agreement=agreement, party_id=party_id, actor=actor
    )
    response.headers["ETag"] = etag(agreement.version)
    return AgreementRead.from_model(agreement)


@router.post(
    "/{agreement_id}/publications",
    status_code=201,
    responses=problem_responses(404, 409, 413, 415),
)
def add_publication(
    agreement: AgreementDep,
    actor: Writer,
    payload: PublicationCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    today: Today,
) -> PublicationRead:
    """Record where and when the signed convenio was published (DOF, Periódico Oficial,
    Gaceta Municipal); a modificatorio drafted afterwards cites it."""
    idempotency.claim()
    publication = service.add_publication(
        session=session, agreement=agreement, data=payload, actor=actor, today=today
    )
    body = PublicationRead.model_validate(publication)
    respond_created(
        response,
        idempotency,
        body,
        location=f"/api/v1/agreements/{agreement.id}",
    )
    return body
