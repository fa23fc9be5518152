"""The caller of a request, and the roles each route admits."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.principal import Principal
from app.errors import Forbidden
from app.models.enums import Role

_bearer = HTTPBearer(
    auto_error=False, description="An API key created with `convenios apikey create`."
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The holder of the request's API key (401 when there is none that works)."""
    # Async: the key is read from the event loop (`app.loopdb`), not in a worker thread.
    api_key = await service.authenticate(request.app.state.loop_reads, _key_of(credentials))
    return Principal(
        role=api_key.role,
        name=api_key.name,
        api_key_id=api_key.id,
        representative_id=api_key.representative_id,
        context={
            "ip": request.client.host if request.client else None,
            "user_agent": request.headers.get("user-agent"),
        },
    )


async def bearer_key(request: Request) -> str:
    """The API key the request sends, read as every route reads it (401 when it sends none);
    for a route that checks the key itself, with what it reads anyway (`agreements.reading`)."""
    return _key_of(await _bearer(request))


# What a route that checks the key itself declares in its OpenAPI operation, as the others get
# it from their dependency on the key.
KEY_SECURITY: list[dict[str, list[str]]] = [{_bearer.scheme_name: []}]


def _key_of(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise service.missing_credentials()
    return credentials.credentials


def require(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles`` (403 for the others)."""
    allowed = frozenset(roles)

    # Async because it only compares: FastAPI runs a sync dependency in a worker thread, and
    # each such hop costs more than the check itself.
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"The role {principal.role.value!r} may not do this.",
                allowed=sorted(role.value for role in allowed),
            )
        return principal

    return check


# Every route takes exactly one of these (or checks the key itself: `bearer_key`); the
# authorization matrix test holds them to account.
AnyRole = Annotated[Principal, Depends(require(*Role))]
Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.LEGAL, Role.VIEWER))]
Writer = Annotated[Principal, Depends(require(Role.ADMIN, Role.LEGAL))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Signatory = Annotated[Principal, Depends(require(Role.SIGNATORY))]
# Staff, or a signatory acting for its own party (the service checks which party).
Actor = Annotated[Principal, Depends(require(Role.ADMIN, Role.LEGAL, Role.SIGNATORY))]
