"""Batches: one convenio, from one template, for many municipios — an agreement and its PDF
for each, made item by item by whichever worker claims the item."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.models.base import Base, UTCDateTime
from app.models.enums import BatchItemStatus, BatchStatus, PdfVariant, db_enum


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[BatchStatus] = mapped_column(db_enum(BatchStatus, "batch_status"), index=True)
    total: Mapped[int] = mapped_column(Integer)
    # The template version every item is rendered with, resolved when the batch was created:
    # a version added meanwhile changes none of its documents.
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"))
    variant: Mapped[PdfVariant] = mapped_column(db_enum(PdfVariant, "pdf_variant"))
    # The request as validated: the agreement content common to every item, the fixed
    # parties and the municipio's place among them.
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BatchItem(Base):
    """One municipio of a batch. Its agreement's id is recorded in the transaction that
    creates the agreement, so a retry after a worker died reuses it instead of making another."""

    __tablename__ = "batch_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "municipality_code"),
        UniqueConstraint("batch_id", "position"),
        # What a worker looks for: the pending items, in order.
        Index("ix_batch_items_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    position: Mapped[int] = mapped_column(Integer)
    municipality_code: Mapped[str] = mapped_column(String(5))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    status: Mapped[BatchItemStatus] = mapped_column(
        db_enum(BatchItemStatus, "batch_item_status"), default=BatchItemStatus.PENDING
    )
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Until when the worker that claimed it has it to itself; a worker that dies lets it lapse.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
