"""Events: the outbox of what happened, written in the same transaction as the change."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.models.base import Base, UTCDateTime
from app.models.enums import EventType, db_enum


class Event(Base):
    """One thing that happened, for reminders and webhooks to deliver. Written with the change
    it reports, so a crash loses none and invents none; what it says never changes."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[EventType] = mapped_column(db_enum(EventType, "event_type"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Names an event that must happen once (a reminder for one date and lead time): a second
    # sweep, or two at once, cannot write it twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    # When the dispatcher queued its deliveries (webhooks, email); None until then.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
