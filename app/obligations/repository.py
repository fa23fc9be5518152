"""Queries on obligations; every query a signatory makes is limited to its agreements."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.agreements.repository import visible_to
from app.models import Agreement, Obligation
from app.models.enums import ObligationStatus


@dataclass(frozen=True)
class ObligationFilters:
    agreement_id: int | None = None
    party_id: int | None = None
    status: ObligationStatus | None = None
    due_from: date | None = None
    due_to: date | None = None


def get(session: Session, obligation_id: int, *, for_update: bool = False) -> Obligation | None:
    query = (
        select(Obligation)
        .where(Obligation.id == obligation_id)
        .options(selectinload(Obligation.evidence))
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def page(
    session: Session,
    filters: ObligationFilters,
    *,
    signatory: int | None,
    after: tuple[date, int] | None,
    limit: int,
) -> Sequence[Obligation]:
    """Obligations by due date (then id); a signatory's only on the agreements it signs."""
    query = visible_to(
        select(Obligation).join(Agreement, Agreement.id == Obligation.agreement_id), signatory
    )
    if filters.agreement_id is not None:
        query = query.where(Obligation.agreement_id == filters.agreement_id)
    if filters.party_id is not None:
        query = query.where(Obligation.party_id == filters.party_id)
    if filters.status is not None:
        query = query.where(Obligation.status == filters.status)
    if filters.due_from is not None:
        query = query.where(Obligation.due_date >= filters.due_from)
    if filters.due_to is not None:
        query = query.where(Obligation.due_date <= filters.due_to)
    if after is not None:
        due, last_id = after
        query = query.where(
            (Obligation.due_date > due) | ((Obligation.due_date == due) & (Obligation.id > last_id))
        )
    query = query.order_by(Obligation.due_date, Obligation.id).limit(limit)
    return session.scalars(query.options(selectinload(Obligation.evidence))).all()
