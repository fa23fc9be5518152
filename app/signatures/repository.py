"""Queries on signatures; a signatory's reach is its own agreements' signatures."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Signature
from app.models.enums import SignatureStatus

_WITH_REPRESENTATIVE = selectinload(Signature.representative)


def get(session: Session, signature_id: int, *, for_update: bool = False) -> Signature | None:
    query = select(Signature).where(Signature.id == signature_id).options(_WITH_REPRESENTATIVE)
    if for_update:
        # Locked rows are read afresh, not taken from the session as they were loaded before.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def for_agreement(session: Session, agreement_id: int) -> Sequence[Signature]:
    """The agreement's signatures in signing order."""
    return session.scalars(
        select(Signature)
        .where(Signature.agreement_id == agreement_id)
        .order_by(Signature.order, Signature.id)
        .options(_WITH_REPRESENTATIVE)
    ).all()


def count_for_agreement(session: Session, agreement_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Signature)
            .where(Signature.agreement_id == agreement_id)
        )
        or 0
    )


def page(
    session: Session,
    *,
    signatory: int | None,
    agreement_id: int | None,
    representative_id: int | None,
    status: SignatureStatus | None,
    after: int | None,
    limit: int,
) -> Sequence[Signature]:
    """Signatures, newest first; a signatory (``signatory``) sees only its own."""
    query = (
        select(Signature).order_by(Signature.id.desc()).limit(limit).options(_WITH_REPRESENTATIVE)
    )
    if signatory is not None:
        query = query.where(Signature.representative_id == signatory)
    if agreement_id is not None:
        query = query.where(Signature.agreement_id == agreement_id)
    if representative_id is not None:
        query = query.where(Signature.representative_id == representative_id)
    if status is not None:
        query = query.where(Signature.status == status)
    if after is not None:
        query = query.where(Signature.id < after)
    return session.scalars(query).all()
