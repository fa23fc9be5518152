"""Queries on the municipality catalog."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.kit import like_pattern
from app.models import Municipality


def municipality(session: Session, code: str) -> Municipality | None:
    return session.get(Municipality, code)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Municipality)) or 0


def all_by_code(session: Session) -> dict[str, Municipality]:
    return {entry.code: entry for entry in session.scalars(select(Municipality))}


def search(
    session: Session, *, state_code: str | None, name: str | None, after: str | None, limit: int
) -> Sequence[Municipality]:
    query = select(Municipality).order_by(Municipality.code).limit(limit)
    if state_code is not None:
        query = query.where(Municipality.state_code == state_code)
    if name:
        query = query.where(Municipality.name.ilike(like_pattern(name), escape="\\"))
    if after is not None:
        query = query.where(Municipality.code > after)
    return session.scalars(query).all()
