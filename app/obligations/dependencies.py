"""The obligation named in a path, as the routes that read or settle one need it."""

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import current_principal
from app.auth.principal import Principal
from app.db import SessionDep
from app.models import Obligation
from app.obligations import service
from app.schemas import Id


def visible_obligation(
    obligation_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_principal)],
) -> Obligation:
    """The obligation in the path, if the caller may see its agreement (404 for others)."""
    return service.get_obligation(session, obligation_id, principal)


ObligationDep = Annotated[Obligation, Depends(visible_obligation)]
