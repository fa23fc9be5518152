"""The signature named in a path, as the routes that read or change one need it."""

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import current_principal
from app.auth.principal import Principal
from app.db import SessionDep
from app.models import Signature
from app.schemas import Id
from app.signatures import service


def visible_signature(
    signature_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_principal)],
) -> Signature:
    """The signature in the path, if the caller may see its agreement (404 for others)."""
    return service.get_signature(session, signature_id, principal)


SignatureDep = Annotated[Signature, Depends(visible_signature)]
