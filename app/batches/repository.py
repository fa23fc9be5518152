"""Queries on batches and their items."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, exists, func, or_, select, update
from sqlalchemy.orm import Session

from app.db import hold_lock
from app.models import Agreement, Batch, BatchItem, Document, Municipality, Party
from app.models.enums import BatchItemStatus, BatchStatus, PartyKind


@dataclass(frozen=True)
class Counts:
    done: int = 0
    failed: int = 0
    pending: int = 0


def get(session: Session, batch_id: int, *, for_update: bool = False) -> Batch | None:
    return session.get(Batch, batch_id, with_for_update=for_update)


def page(session: Session, *, after: int | None, limit: int) -> Sequence[Batch]:
    """Newest first."""
    query = select(Batch).order_by(Batch.id.desc()).limit(limit)
    if after is not None:
        query = query.where(Batch.id < after)
    return session.scalars(query).all()


def counts(session: Session, batch_ids: Sequence[int]) -> dict[int, Counts]:
    """How many items of each batch are done, failed and pending (one query for a page)."""
    if not batch_ids:
        return {}

    def tally(status: BatchItemStatus) -> ColumnElement[int]:
        return func.sum(case((BatchItem.status == status, 1), else_=0))

    rows = session.execute(
        select(
            BatchItem.batch_id,
            tally(BatchItemStatus.DONE),
            tally(BatchItemStatus.FAILED),
            tally(BatchItemStatus.PENDING),
        )
        .where(BatchItem.batch_id.in_(batch_ids))
        .group_by(BatchItem.batch_id)
    ).all()
    return {row[0]: Counts(int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in rows}


def municipalities_in_state(session: Session, state_code: str) -> Sequence[Municipality]:
    query = select(Municipality).where(Municipality.state_code == state_code)
    return session.scalars(query.order_by(Municipality.code)).all()


def municipalities_by_code(session: Session, codes: Sequence[str]) -> dict[str, Municipality]:
    found = session.scalars(select(Municipality).where(Municipality.code.in_(codes)))
    return {municipality.code: municipality for municipality in found}


def lock_municipio(session: Session, code: str) -> None:
    """Hold the lock of municipio ``code``'s party until the transaction ends, so that two
    workers never both create it."""
    hold_lock(session, hashlib.sha256(f"municipio-party:{code}".encode()).digest())


def municipio_party(session: Session, code: str) -> Party | None:
    """The municipio party with INEGI code ``code`` (the first recorded, if several)."""
    query = select(Party).where(Party.kind == PartyKind.MUNICIPIO, Party.inegi_code == code)
    return session.scalars(query.order_by(Party.id).limit(1)).first()


def item_for_update(session: Session, item_id: int) -> BatchItem | None:
    query = select(BatchItem).where(BatchItem.id == item_id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one_or_none()


def claim(session: Session, item_id: int, *, now: datetime, until: datetime) -> int | None:
    """Claim the item until ``until`` if it is pending and nobody's claim holds it: its
    attempts so far, this one included; None when it was not claimed."""
    claimed = session.execute(
        update(BatchItem)
        .where(
            BatchItem.id == item_id,
            BatchItem.status == BatchItemStatus.PENDING,
            or_(BatchItem.claimed_until.is_(None), BatchItem.claimed_until < now),
        )
        .values(claimed_until=until, attempts=BatchItem.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return session.scalar(select(BatchItem.attempts).where(BatchItem.id == item_id))


def next_claimable(session: Session, *, now: datetime, batch_id: int | None = None) -> int | None:
    """The first pending item that no claim holds (of batch ``batch_id``, if given)."""
    query = select(BatchItem.id).where(
        BatchItem.status == BatchItemStatus.PENDING,
        or_(BatchItem.claimed_until.is_(None), BatchItem.claimed_until < now),
    )
    if batch_id is not None:
        query = query.where(BatchItem.batch_id == batch_id)
    return session.scalar(query.order_by(BatchItem.id).limit(1))


def fail_pending(session: Session, batch_id: int, reason: str) -> list[str]:
    """Fail the batch's pending items for ``reason``; the codes of their municipios, in order.
    An item a worker is making meanwhile stays failed: its outcome is recorded only over a
    pending one."""
    failed = session.execute(
        update(BatchItem)
        .where(BatchItem.batch_id == batch_id, BatchItem.status == BatchItemStatus.PENDING)
        .values(status=BatchItemStatus.FAILED, error=reason, claimed_until=None)
        .returning(BatchItem.position, BatchItem.municipality_code)
        .execution_options(synchronize_session=False)
    )
    return [code for _, code in sorted(failed.all())]


def reopen_failed(session: Session, batch_id: int) -> list[str]:
    """Put the batch's failed items back to pending, with their attempts counted afresh; the
    codes of their municipios, in order. An item keeps the agreement it had, if any."""
    reopened = session.execute(
        update(BatchItem)
        .where(BatchItem.batch_id == batch_id, BatchItem.status == BatchItemStatus.FAILED)
        .values(status=BatchItemStatus.PENDING, error=None, attempts=0, claimed_until=None)
        .returning(BatchItem.position, BatchItem.municipality_code)
        .execution_options(synchronize_session=False)
    )
    return [code for _, code in sorted(reopened.all())]


def has_pending(session: Session, batch_id: int) -> bool:
    query = exists().where(
        BatchItem.batch_id == batch_id, BatchItem.status == BatchItemStatus.PENDING
    )
    return bool(session.scalar(select(query)))


def unfinished_without_pending(session: Session) -> Sequence[int]:
    """Running batches none of whose items is pending any more."""
    pending = exists().where(
        BatchItem.batch_id == Batch.id, BatchItem.status == BatchItemStatus.PENDING
    )
    query = select(Batch.id).where(Batch.status == BatchStatus.RUNNING, ~pending)
    return session.scalars(query).all()


ItemRow = tuple[BatchItem, str | None, str | None]


def items(
    session: Session,
    batch_id: int,
    *,
    status: BatchItemStatus | None = None,
    after: int | None = None,
    limit: int,
) -> list[ItemRow]:
    """The batch's items in order, each with its municipio's name and its agreement's folio."""
    query = (
        select(BatchItem, Municipality.name, Agreement.folio)
        .outerjoin(Municipality, Municipality.code == BatchItem.municipality_code)
        .outerjoin(Agreement, Agreement.id == BatchItem.agreement_id)
        .where(BatchItem.batch_id == batch_id)
        .order_by(BatchItem.position)
        .limit(limit)
    )
    if status is not None:
        query = query.where(BatchItem.status == status)
    if after is not None:
        query = query.where(BatchItem.position > after)
    return [(item, name, folio) for item, name, folio in session.execute(query)]


DocumentRow = tuple[Document, str, str | None]


def documents_done(session: Session, batch_id: int) -> list[DocumentRow]:
    """The documents of the batch's items done, with their folio and municipio, in order."""
    query = (
        select(Document, Agreement.folio, Municipality.name)
        .join(BatchItem, BatchItem.document_id == Document.id)
        .join(Agreement, Agreement.id == Document.agreement_id)
        .outerjoin(Municipality, Municipality.code == BatchItem.municipality_code)
        .where(BatchItem.batch_id == batch_id, BatchItem.status == BatchItemStatus.DONE)
        .order_by(BatchItem.position)
    )
    return [(document, folio, name) for document, folio, name in session.execute(query)]
