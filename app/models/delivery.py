"""Webhook subscriptions, and the deliveries of events to them and to email recipients."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.models.base import Base, UTCDateTime
from app.models.enums import DeliveryChannel, DeliveryStatus, db_enum


class WebhookSubscription(Base):
    """An address that receives the events of the types it names, each delivery signed with
    the subscription's secret."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(200))
    # Kept as is, unlike API keys: every delivery is signed with it (HMAC), so the service
    # must be able to read it. It is shown once, when the subscription is created.
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One event on its way to one webhook or one email recipient. Claimed before each attempt
    (``next_attempt_at`` moves past the attempt's deadline), so two dispatchers never send it
    at once, and one that dies mid-attempt leaves it to be tried again."""

    __tablename__ = "deliveries"
    # One delivery per event and destination, however many dispatchers fan events out.
    __table_args__ = (UniqueConstraint("event_id", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    channel: Mapped[DeliveryChannel] = mapped_column(db_enum(DeliveryChannel, "delivery_channel"))
    # "webhook:<subscription id>" or "email:<address>".
    target: Mapped[str] = mapped_column(String(300))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    # A representative (addressed as "C. …") rather than a party's contact, maybe an office.
    recipient_is_person: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[DeliveryStatus] = mapped_column(
        db_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING, index=True
    )
    # Attempts since it was queued or last re-sent; every attempt stays in delivery_attempts.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class DeliveryAttempt(Base):
    """The log of one attempt: when, how long, and what the receiver answered."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    # The HTTP status, or the SMTP reply code; None when nothing answered.
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
