"""Queries on the audit trail."""

from collections.abc import Iterator, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import AuditEvent, AuditHead

HEAD_ID = 1


def advance_head(session: Session) -> tuple[int, str]:
    """Take the chain's write lock and the next sequence number, with the previous hash."""
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_seq=AuditHead.last_seq + 1)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    ).one()
    return row.last_seq, row.last_hash


def set_head_hash(session: Session, digest: str) -> None:
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=digest))


def head(session: Session) -> AuditHead | None:
    return session.get(AuditHead, HEAD_ID)


def page(
    session: Session,
    *,
    agreement_id: int | None,
    entity_type: str | None,
    entity_id: str | None,
    before_seq: int | None,
    limit: int,
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if agreement_id is not None:
        query = query.where(AuditEvent.agreement_id == agreement_id)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if before_seq is not None:
        query = query.where(AuditEvent.seq < before_seq)
    return session.scalars(query).all()


def in_order(session: Session) -> Iterator[AuditEvent]:
    """Every event in chain order, fetched in batches."""
    return iter(
        session.scalars(
            select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=500)
        )
    )
