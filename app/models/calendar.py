"""Calendar feeds: secret addresses that calendar programs subscribe to."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.models.base import Base, UTCDateTime


class CalendarFeed(Base):
    """A calendar program cannot send an `Authorization` header, so the address itself is the
    credential: only the SHA-256 of its secret is kept, and revoking the feed ends it."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # One party's dates only; None for every agreement.
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
