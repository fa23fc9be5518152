"""Signatures: one representative's signature of one agreement, requested, then given or
declined."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.models.base import Base, UTCDateTime
from app.models.enums import SignatureMethod, SignatureStatus, db_enum
from app.models.party import Representative


class Signature(Base):
    """A signature request and, once the representative acts, its outcome and evidence.

    Requests are made while the agreement is prepared. Entering ``in_signature`` fixes the
    document to sign for every request and sets them all pending again: a new signing round
    starts from nothing, since the earlier one was for other bytes or was declined. Earlier
    outcomes remain in the audit trail, and their evidence remains among the documents."""

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("agreement_id", "representative_id"),
        CheckConstraint('"order" >= 1', name="order_positive"),
        CheckConstraint(
            "(status = 'signed') = (method IS NOT NULL AND signed_sha256 IS NOT NULL"
            " AND decided_at IS NOT NULL)",
            name="signed_outcome",
        ),
        CheckConstraint(
            "(status = 'declined') = (reason IS NOT NULL)",
            name="declined_reason",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representatives.id"), index=True)
    # Requests with the same order sign in parallel; a higher order waits for the lower ones.
    order: Mapped[int] = mapped_column("order", Integer)
    status: Mapped[SignatureStatus] = mapped_column(
        db_enum(SignatureStatus, "signature_status"), index=True
    )
    # The document to sign, fixed when the agreement enters in_signature.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    method: Mapped[SignatureMethod | None] = mapped_column(
        db_enum(SignatureMethod, "signature_method")
    )
    # SHA-256 of exactly what the representative signed: the document to sign. (A PAdES
    # signature covers those bytes plus its own revision; its PDF is the evidence.)
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    # The scan of the hand-signed copy, or the PDF that carries this PAdES signature.
    evidence_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # When the representative signed or declined, from the service's clock.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    # The signer's certificate as read for a PAdES signature: name, RFCs, CURP, serial, issuer.
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)

    representative: Mapped[Representative] = relationship(lazy="raise")
