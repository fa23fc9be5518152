"""Creating, revoking and checking API keys."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from app import clock
from app.audit import service as audit
from app.auth import keys, repository
from app.auth.principal import Principal
from app.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.loopdb import LoopReads
from app.models import ApiKey, Representative
from app.models.enums import Role


class _KeyCheck(Protocol):
    """What admitting a key reads: its secret's hash and whether it was revoked."""

    @property
    def secret_hash(self) -> str: ...

    @property
    def revoked_at(self) -> datetime | str | None: ...


CredentialsT = TypeVar("CredentialsT", bound=_KeyCheck)


def create_key(
    *, session: Session, name: str, role: Role, representative_id: int | None, actor: Principal
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise Unprocessable.field("name", "a key needs a name saying whose it is")
    if role is Role.SIGNATORY:
        if representative_id is None:
            raise Unprocessable.field(
                "representative_id", "a signatory key is bound to one representative"
            )
        if session.get(Representative, representative_id) is None:
            raise Unprocessable.field(
                "representative_id", f"representative {representative_id} does not exist"
            )
    elif representative_id is not None:
        raise Unprocessable.field(
            "representative_id", "only signatory keys are bound to a representative"
        )
    new = keys.generate()
    api_key = ApiKey(
        key_id=new.key_id,
        secret_hash=new.secret_hash,
        name=name,
        role=role,
        representative_id=representative_id,
    )
    session.add(api_key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_key.created",
        entity=("api_key", api_key.id),
        changes={
            "name": [None, name],
            "role": [None, role.value],
            "representative_id": [None, representative_id],
        },
    )
    return api_key, new.plaintext


def revoke_key(*, session: Session, api_key_id: int, actor: Principal) -> ApiKey:
    api_key = repository.by_id(session, api_key_id)
    if api_key is None:
        raise NotFound(f"API key {api_key_id} does not exist")
    if api_key.revoked_at is not None:
        raise Conflict(f"API key {api_key_id} is already revoked")
    api_key.revoked_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_key.revoked",
        entity=("api_key", api_key.id),
        changes={"revoked_at": [None, api_key.revoked_at.isoformat()]},
    )
    return api_key


def list_keys(*, session: Session) -> Sequence[ApiKey]:
    return repository.all_keys(session)


async def authenticate(reads: LoopReads, token: str) -> repository.Credentials:
    """The live key behind ``token``; a missing, malformed, unknown or revoked key is a 401."""
    key_id, secret = parse_key(token)
    return admit(await repository.credentials(reads, key_id), secret)


def parse_key(token: str) -> tuple[str, str]:
    """The key id and secret of ``token``; a 401 when it is not shaped as a key."""
    parsed = keys.parse(token)
    if parsed is None:
        raise Unauthorized("The API key is malformed.", headers=_challenge("invalid_token"))
    return parsed


def admit(api_key: CredentialsT | None, secret: str) -> CredentialsT:
    """``api_key`` (as read by its key id) if ``secret`` is its secret and it is not revoked;
    a 401 otherwise, the same for an unknown key as for a wrong secret."""
    if api_key is None or not keys.matches(secret, api_key.secret_hash):
        raise Unauthorized("The API key is not valid.", headers=_challenge("invalid_token"))
    if api_key.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.", headers=_challenge("invalid_token"))
    return api_key


def _challenge(error: str | None = None) -> dict[str, str]:
    value = 'Bearer realm="convenios"'
    return {"WWW-Authenticate": f'{value}, error="{error}"' if error else value}


def missing_credentials() -> Unauthorized:
    return Unauthorized("Send an API key as `Authorization: Bearer <key>`.", headers=_challenge())
