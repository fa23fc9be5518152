"""Queries on parties and representatives."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.kit import like_pattern, searchable
from app.models import Party, Representative
from app.models.enums import PartyKind


def get_party(session: Session, party_id: int, *, for_update: bool = False) -> Party | None:
    return session.get(Party, party_id, with_for_update=for_update)


def get_representative(
    session: Session, representative_id: int, *, for_update: bool = False
) -> Representative | None:
    return session.get(Representative, representative_id, with_for_update=for_update)


def list_parties(
    session: Session,
    *,
    kind: PartyKind | None,
    state_code: str | None,
    q: str | None,
    after: int | None,
    limit: int,
) -> Sequence[Party]:
    query = select(Party).order_by(Party.id).limit(limit)
    if kind is not None:
        query = query.where(Party.kind == kind)
    if state_code is not None:
        query = query.where(Party.state_code == state_code)
    if q:
        query = query.where(Party.search_text.like(like_pattern(searchable(q)), escape="\\"))
    if after is not None:
        query = query.where(Party.id > after)
    return session.scalars(query).all()


def list_representatives(
    session: Session, *, party_id: int, after: int | None, limit: int
) -> Sequence[Representative]:
    query = (
        select(Representative)
        .where(Representative.party_id == party_id)
        .order_by(Representative.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Representative.id > after)
    return session.scalars(query).all()


def representatives_by_id(session: Session, ids: set[int]) -> dict[int, Representative]:
    if not ids:
        return {}
    found = session.scalars(select(Representative).where(Representative.id.in_(ids)))
    return {representative.id: representative for representative in found}


def parties_by_id(session: Session, ids: set[int]) -> dict[int, Party]:
    if not ids:
        return {}
    return {party.id: party for party in session.scalars(select(Party).where(Party.id.in_(ids)))}
