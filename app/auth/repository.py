"""Queries on API keys."""

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.loopdb import LoopReads
from app.models import ApiKey
from app.models.enums import Role

# What every request's authentication reads, from the event loop (`app.loopdb`): the columns,
# not the mapped object, which costs more to build than the query does to run.
_CREDENTIALS = select(
    ApiKey.id,
    ApiKey.name,
    ApiKey.role,
    ApiKey.representative_id,
    ApiKey.secret_hash,
    ApiKey.revoked_at,
).where(ApiKey.key_id == bindparam("key_id"))


class Credentials(NamedTuple):
    id: int
    name: str
    role: Role
    representative_id: int | None
    secret_hash: str
    revoked_at: datetime | str | None  # a datetime from asyncpg or psycopg, text from sqlite3


async def credentials(reads: LoopReads, key_id: str) -> Credentials | None:
    """The key ``key_id``'s id, name, role, representative_id, secret_hash and revoked_at."""
    row = await reads.one(_CREDENTIALS, key_id=key_id)
    if row is None:
        return None
    api_key = Credentials(*row)
    return api_key._replace(role=Role(api_key.role))


def by_id(session: Session, api_key_id: int) -> ApiKey | None:
    return session.get(ApiKey, api_key_id)


def all_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
