"""HTTP routes for parties and representatives."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.auth.dependencies import Reader, Writer
from app.concurrency import IfMatch, check_if_match, etag
from app.db import SessionDep, WriteIntent
from app.errors import problem_responses
from app.idempotency import IdempotencyDep, respond_created
from app.models import Party, Representative
from app.models.enums import PartyKind
from app.pagination import Page, PageDep, build_page, int_after
from app.parties import repository, service
from app.parties.schemas import (
    PartyCreate,
    PartyRead,
    PartyUpdate,
    RepresentativeCreate,
    RepresentativeRead,
    RepresentativeUpdate,
)
from app.schemas import Id, QueryText

router = APIRouter(tags=["parties"], responses=problem_responses(401, 403, 422))
CREATE_ERRORS = problem_responses(404, 409, 413, 415)
UPDATE_ERRORS = problem_responses(404, 409, 412, 413, 415)


def valid_party(party_id: Id, session: SessionDep, write: WriteIntent) -> Party:
    return service.get_party(session, party_id, for_update=write)


def valid_representative(
    representative_id: Id, session: SessionDep, write: WriteIntent
) -> Representative:
    return service.get_representative(session, representative_id, for_update=write)


PartyDep = Annotated[Party, Depends(valid_party)]
RepresentativeDep = Annotated[Representative, Depends(valid_representative)]


@router.post("/parties", status_code=201, responses=CREATE_ERRORS)
def create_party(
    actor: Writer,
    payload: PartyCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> PartyRead:
    """Register a party: a municipio, an estado, a federal agency, a company, a university…"""
    idempotency.claim()
    party = service.create_party(session=session, data=payload, actor=actor)
    body = PartyRead.model_validate(party)
    respond_created(
        response, idempotency, body, location=f"/api/v1/parties/{party.id}", version=party.version
    )
    return body


@router.get("/parties")
def list_parties(
    _: Reader,
    session: SessionDep,
    page: PageDep,
    kind: PartyKind | None = None,
    state_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    q: Annotated[
        QueryText | None,
        Query(max_length=200, description="Words of the name, legal name or RFC."),
    ] = None,
) -> Page[PartyRead]:
    """List parties, filtered by kind, state or text."""
    parties = repository.list_parties(
        session,
        kind=kind,
        state_code=state_code,
        q=q,
        after=int_after(page),
        limit=page.limit + 1,
    )
    return build_page([PartyRead.model_validate(p) for p in parties], page.limit)


@router.get("/parties/{party_id}", responses=problem_responses(404))
def get_party(_: Reader, party: PartyDep, response: Response) -> PartyRead:
    """Read one party."""
    response.headers["ETag"] = etag(party.version)
    return PartyRead.model_validate(party)


@router.patch("/parties/{party_id}", responses=UPDATE_ERRORS)
def update_party(
    actor: Writer,
    party: PartyDep,
    payload: PartyUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> PartyRead:
    """Change some fields of a party; send `If-Match` to be sure you change what you read."""
    check_if_match(if_match, party.version)
    party = service.update_party(session=session, party=party, data=payload, actor=actor)
    response.headers["ETag"] = etag(party.version)
    return PartyRead.model_validate(party)


@router.post("/parties/{party_id}/representatives", status_code=201, responses=CREATE_ERRORS)
def create_representative(
    actor: Writer,
    party: PartyDep,
    payload: RepresentativeCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> RepresentativeRead:
    """Add a person who acts for the party (presidente municipal, secretario, apoderado…)."""
    idempotency.claim()
    representative = service.create_representative(
        session=session, party=party, data=payload, actor=actor
    )
    body = RepresentativeRead.model_validate(representative)
    respond_created(
        response,
        idempotency,
        body,
        location=f"/api/v1/representatives/{representative.id}",
        version=representative.version,
    )
    return body


@router.get("/parties/{party_id}/representatives", responses=problem_responses(404))
def list_representatives(
    _: Reader, party: PartyDep, session: SessionDep, page: PageDep
) -> Page[RepresentativeRead]:
    """List the representatives of a party."""
    found = repository.list_representatives(
        session, party_id=party.id, after=int_after(page), limit=page.limit + 1
    )
    return build_page([RepresentativeRead.model_validate(r) for r in found], page.limit)


@router.get("/representatives/{representative_id}", responses=problem_responses(404))
def get_representative(
    _: Reader, representative: RepresentativeDep, response: Response
) -> RepresentativeRead:
    """Read one representative."""
    response.headers["ETag"] = etag(representative.version)
    return RepresentativeRead.model_validate(representative)


@router.patch("/representatives/{representative_id}", responses=UPDATE_ERRORS)
def update_representative(
    actor: Writer,
    representative: RepresentativeDep,
    payload: RepresentativeUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> RepresentativeRead:
    """Change some fields of a representative (a new cargo, a new fundamento…)."""
    check_if_match(if_match, representative.version)
    representative = service.update_representative(
        session=session, representative=representative, data=payload, actor=actor
    )
    response.headers["ETag"] = etag(representative.version)
    return RepresentativeRead.model_validate(representative)
