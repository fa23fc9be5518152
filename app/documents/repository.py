"""Queries on documents; a signatory's reach is its agreements' documents only."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, case, exists, select
from sqlalchemy.orm import Session

from app.models import Agreement, Document
from app.models.enums import SIGNED_STATUSES, DocumentKind, DocumentOrigin, DocumentStatus


def get(session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


def by_source(session: Session, agreement_id: int, source_sha256: str) -> Document | None:
    """The document already generated from exactly these inputs, if any."""
    return session.scalars(
        select(Document).where(
            Document.agreement_id == agreement_id, Document.source_sha256 == source_sha256
        )
    ).one_or_none()


def by_content(session: Session, agreement_id: int, sha256: str) -> Document | None:
    """The agreement's document with exactly these bytes, if any."""
    return session.scalars(
        select(Document).where(Document.agreement_id == agreement_id, Document.sha256 == sha256)
    ).one_or_none()


def generated(session: Session, agreement_id: int) -> Sequence[Document]:
    """The agreement's generated convenios that are ready, newest first (not its constancia de
    firmas, which the service generates too)."""
    return session.scalars(
        select(Document)
        .where(
            Document.agreement_id == agreement_id,
            Document.origin == DocumentOrigin.GENERATED,
            Document.kind != DocumentKind.CONSTANCIA,
            Document.status == DocumentStatus.READY,
        )
        .order_by(Document.id.desc())
    ).all()


def _constancia_of_signed(agreement_id: object, signed_document_id: object) -> ColumnElement[bool]:
    # A constancia is issued after the signed convenio it is of exists, so it is a newer row
    # (ids only grow; documents are never deleted): that tells one of the convenio signed now
    # from one of an earlier signed document, should a convenio ever be signed twice.
    return and_(
        Document.agreement_id == agreement_id,
        Document.kind == DocumentKind.CONSTANCIA,
        Document.id > signed_document_id,
    )


def constancia(session: Session, agreement_id: int, signed_document_id: int) -> Document | None:
    """The constancia de firmas issued for the agreement's signed convenio, if any."""
    return session.scalars(
        select(Document)
        .where(_constancia_of_signed(agreement_id, signed_document_id))
        .order_by(Document.id)
        .limit(1)
    ).one_or_none()


def without_constancia(session: Session, *, limit: int) -> Sequence[int]:
    """Signed agreements (active, expired, terminated) whose signed convenio has no constancia
    de firmas yet, oldest first, at most ``limit``."""
    issued = exists().where(_constancia_of_signed(Agreement.id, Agreement.signed_document_id))
    return session.scalars(
        select(Agreement.id)
        .where(
            Agreement.status.in_(SIGNED_STATUSES),
            Agreement.signed_document_id.is_not(None),
            ~issued,
        )
        .order_by(Agreement.id)
        .limit(limit)
    ).all()


def for_verification(
    session: Session, *, sha256: str | None = None, code: str | None = None
) -> Document | None:
    """The document a verification refers to: by its code, or by its bytes — preferring one the
    service generated over an upload of the same bytes. Only a ready one: a pending or failed
    document was never issued."""
    query = select(Document).where(Document.status == DocumentStatus.READY)
    if code is not None:
        query = query.where(Document.verification_code == code)
    else:
        query = query.where(Document.sha256 == sha256)
    generated_first = case((Document.origin == DocumentOrigin.GENERATED, 0), else_=1)
    return session.scalars(query.order_by(generated_first, Document.id).limit(1)).one_or_none()


def page(
    session: Session, agreement_id: int, *, after: int | None, limit: int
) -> Sequence[Document]:
    # Documents with their file only: a pending one is followed at its own address.
    query = (
        select(Document)
        .where(Document.agreement_id == agreement_id, Document.status == DocumentStatus.READY)
        .order_by(Document.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Document.id > after)
    return session.scalars(query).all()
