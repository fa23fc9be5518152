"""Obligations: what a party owes under an agreement, by when, and the proof it was done."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.models.base import Base, UTCDateTime
from app.models.document import Document
from app.models.enums import ObligationStatus, db_enum

# The evidence documents of a fulfilled obligation (kept among the agreement's documents).
obligation_evidence = Table(
    "obligation_evidence",
    Base.metadata,
    Column("obligation_id", ForeignKey("obligations.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
)


class Obligation(Base):
    """One dated obligation. A recurring one is stored as its occurrences, one row each, that
    share a ``series`` (the id of the first) and are fulfilled or waived one by one."""

    __tablename__ = "obligations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    # The party responsible for it.
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    # The cláusula it comes from, numbered from 1 (PRIMERA), if any.
    clause: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    # How the deadline was stated when it was not a date: {"business_days": n, "after": date}.
    deadline: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    series: Mapped[int | None] = mapped_column(Integer, index=True)
    occurrence: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[ObligationStatus] = mapped_column(
        db_enum(ObligationStatus, "obligation_status"), index=True
    )
    # When it was fulfilled or waived, by whom, and the note or reason given.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)

    evidence: Mapped[list[Document]] = relationship(
        secondary=obligation_evidence, lazy="raise", order_by=Document.id
    )
