"""HTTP routes for INEGI codes, so clients can offer valid ones."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.dependencies import Reader
from app.catalog import repository
from app.catalog.schemas import MunicipalityRead, StateRead
from app.catalog.states import STATES
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageParams, build_page, keyed_pages, str_after
from app.schemas import QueryText

router = APIRouter(prefix="/catalog", tags=["catalog"], responses=problem_responses(401, 403, 422))


@router.get("/states")
def list_states(_: Reader) -> list[StateRead]:
    """The 32 federal entities with their INEGI codes."""
    return [StateRead(code=code, name=name) for code, name in STATES.items()]


# In code order: a cursor is the five-digit INEGI code the previous page ended at.
MunicipalityPages = Annotated[PageParams, Depends(keyed_pages(r"^\d{5}$"))]


@router.get("/municipalities")
def list_municipalities(
    _: Reader,
    session: SessionDep,
    page: MunicipalityPages,
    state_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    q: Annotated[QueryText | None, Query(max_length=100, description="Part of the name.")] = None,
) -> Page[MunicipalityRead]:
    """Municipalities of the imported INEGI catalog, by code."""
    found = repository.search(
        session, state_code=state_code, name=q, after=str_after(page), limit=page.limit + 1
    )
    items = [MunicipalityRead.model_validate(m) for m in found]
    return build_page(items, page.limit, cursor_of=lambda municipality: municipality.code)
