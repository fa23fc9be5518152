"""Queries on API keys."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiKey


def by_key_id(session: Session, key_id: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_id == key_id)).one_or_none()


def by_id(session: Session, api_key_id: int) -> ApiKey | None:
    return session.get(ApiKey, api_key_id)


def all_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
