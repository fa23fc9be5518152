"""The agreement named in a path, as every route that works on one needs it."""

from typing import Annotated

from fastapi import Depends

from app.agreements import service
from app.auth.dependencies import current_principal
from app.auth.principal import Principal
from app.db import SessionDep, WriteIntent
from app.models import Agreement
from app.schemas import Id


def visible_agreement(
    agreement_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_principal)],
    write: WriteIntent,
) -> Agreement:
    """The agreement in the path, if the caller may see it (404 for others, so nothing leaks)."""
    return service.get_agreement(session, agreement_id, principal, for_update=write)


AgreementDep = Annotated[Agreement, Depends(visible_agreement)]
