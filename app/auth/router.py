"""Who am I: lets a client check its key and role."""

from fastapi import APIRouter

from app.auth.dependencies import AnyRole
from app.auth.schemas import Me
from app.errors import problem_responses

router = APIRouter(tags=["auth"], responses=problem_responses(401, 403))


@router.get("/me")
def read_me(principal: AnyRole) -> Me:
    """The holder, role and (for signatories) representative of the key in use."""
    return Me(
        name=principal.name,
        role=principal.role,
        api_key_id=principal.api_key_id,
        representative_id=principal.representative_id,
    )
