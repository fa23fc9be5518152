"""HTTP routes for convenio templates."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from app.auth.dependencies import Admin, Reader
from app.db import SessionDep
from app.errors import Conflict, problem_responses
from app.idempotency import IdempotencyDep, respond_created
from app.models import Template
from app.pagination import Page, PageDep, build_page, int_after
from app.schemas import MAX_ID
from app.templates import repository
from app.templates import service as templates
from app.templates.schemas import (
    TEMPLATE_KEY,
    TemplateRead,
    TemplateVersionCreate,
    TemplateVersionRead,
    TemplateVersionSummary,
)

router = APIRouter(
    prefix="/templates", tags=["templates"], responses=problem_responses(401, 403, 422)
)

KeyPath = Annotated[str, Path(pattern=TEMPLATE_KEY)]


def valid_template(key: KeyPath, session: SessionDep) -> Template:
    return templates.get_template(session, key)


TemplateDep = Annotated[Template, Depends(valid_template)]


@router.get("")
def list_templates(_: Reader, session: SessionDep, page: PageDep) -> Page[TemplateRead]:
    """The convenio templates and the number of their newest version."""
    found = repository.page(session, after=int_after(page), limit=page.limit + 1)
    latest = repository.latest_numbers(session, [t.id for t in found])
    items = [
        TemplateRead(
            id=t.id,
            key=t.key,
            name=t.name,
            description=t.description,
            latest_version=latest.get(t.id),
        )
        for t in found
    ]
    return build_page(items, page.limit)


@router.get("/{key}/versions", responses=problem_responses(404))
def list_template_versions(
    _: Reader, template: TemplateDep, session: SessionDep, page: PageDep
) -> Page[TemplateVersionSummary]:
    """Every version of a template, oldest first; versions never change."""
    found = repository.versions_page(session, template, after=int_after(page), limit=page.limit + 1)
    return build_page([TemplateVersionSummary.model_validate(v) for v in found], page.limit)


@router.get("/{key}/versions/{number}", responses=problem_responses(404))
def get_template_version(
    _: Reader,
    template: TemplateDep,
    session: SessionDep,
    number: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> TemplateVersionRead:
    """One version of a template, with its source."""
    return TemplateVersionRead.model_validate(templates.get_version(session, template, number))


@router.post("/{key}/versions", status_code=201, responses=problem_responses(409))
def create_template_version(
    actor: Admin,
    key: KeyPath,
    payload: TemplateVersionCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> TemplateVersionRead:
    """Upload a new version of a template (admins); earlier versions stay as they were."""
    idempotency.claim()
    version = templates.add_version(
        session,
        key=key,
        source=templates.Source(
            html=payload.html,
            css=payload.css,
            required_fields=payload.required_fields,
            standard_clauses=[clause.model_dump() for clause in payload.standard_clauses],
        ),
        origin="uploaded",
        actor=actor,
        name=payload.name,
        description=payload.description,
    )
    if version is None:
        raise Conflict(f"The newest version of {key!r} already has exactly this source.")
    body = TemplateVersionRead.model_validate(version)
    respond_created(
        response, idempotency, body, location=f"/api/v1/templates/{key}/versions/{version.number}"
    )
    return body
