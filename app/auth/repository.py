"""Queries on API keys."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.models import ApiKey
from app.models.enums import Role

# What every request's authentication reads: the columns, not the mapped object, which costs
# more to build than the query does to run.
_CREDENTIALS = select(
    ApiKey.id,
    ApiKey.name,
    ApiKey.role,
    ApiKey.representative_id,
    ApiKey.secret_hash,
    ApiKey.revoked_at,
)


Credentials = Row[int, str, Role, int | None, str, datetime | None]


def credentials(session: Session, key_id: str) -> Credentials | None:
    """The key ``key_id``'s id, name, role, representative_id, secret_hash and revoked_at."""
    return session.execute(_CREDENTIALS.where(ApiKey.key_id == key_id)).one_or_none()


def by_id(session: Session, api_key_id: int) -> ApiKey | None:
    return session.get(ApiKey, api_key_id)


def all_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
