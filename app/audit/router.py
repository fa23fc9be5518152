"""HTTP routes for reading and verifying the audit trail."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import repository, service
from app.audit.schemas import AuditEventRead, AuditVerification
from app.auth.dependencies import Reader
from app.db import SessionDep
from app.errors import problem_responses
from app.models.enums import Role
from app.pagination import Page, PageDep, build_page, id_cursor, int_after
from app.schemas import Id, QueryText

router = APIRouter(prefix="/audit", tags=["audit"], responses=problem_responses(401, 403, 422))


@router.get("")
def list_audit_events(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    agreement_id: Id | None = None,
    entity_type: Annotated[QueryText | None, Query(max_length=40)] = None,
    entity_id: Annotated[QueryText | None, Query(max_length=40)] = None,
) -> Page[AuditEventRead]:
    """Read the history, newest first, for one agreement or any entity."""
    events = repository.page(
        session,
        agreement_id=agreement_id,
        entity_type=entity_type,
        entity_id=entity_id,
        before_seq=int_after(page),
        limit=page.limit + 1,
    )
    items = [AuditEventRead.model_validate(event) for event in events]
    if principal.role is not Role.ADMIN:
        items = [item.model_copy(update={"context": None}) for item in items]
    return build_page(items, page.limit, cursor_of=lambda event: id_cursor(event.seq))


@router.get("/verify")
def verify_audit_chain(_: Reader, session: SessionDep) -> AuditVerification:
    """Recompute the hash chain and name the first event edited or deleted behind our back."""
    result = service.verify(session)
    return AuditVerification(
        ok=result.ok,
        events_checked=result.events_checked,
        first_broken_seq=result.first_broken_seq,
        reason=result.reason,
    )
