"""Reading the deliveries of events, webhook or email, and sending one again."""

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.errors import Conflict, NotFound
from app.models import Delivery, DeliveryAttempt, Event
from app.models.enums import DeliveryChannel, DeliveryStatus, EventType

# The attempts shown with a delivery: retries are bounded, re-sends are rare.
MAX_ATTEMPTS_SHOWN = 100


class DeliveryAttemptRead(BaseModel):
    attempted_at: datetime
    duration_ms: int
    status_code: int | None = Field(
        description="The receiver's HTTP status, or the mail server's reply code; null if none."
    )
    error: str | None


class DeliveryRead(BaseModel):
    id: int
    event_id: int
    status: DeliveryStatus
    attempts: int = Field(description="Attempts since it was queued or last re-sent.")
    next_attempt_at: datetime | None = Field(description="When it is tried next, if pending.")
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryDetail(DeliveryRead):
    attempt_log: list[DeliveryAttemptRead] = Field(description="Every attempt, oldest first.")


class EmailDeliveryRead(DeliveryRead):
    event_type: EventType
    email: str
    recipient_name: str | None


class EmailDeliveryDetail(EmailDeliveryRead, DeliveryDetail):
    pass


Read = TypeVar("Read", bound=DeliveryRead)


def read(
    delivery: Delivery,
    model: type[Read],
    *,
    event_type: EventType | None = None,
    attempts: Sequence[DeliveryAttempt] | None = None,
) -> Read:
    """``delivery`` as ``model``: the email fields and the attempt log where the model has them."""
    fields = {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": (
            delivery.next_attempt_at if delivery.status is DeliveryStatus.PENDING else None
        ),
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
        "event_type": event_type,
        "email": delivery.email,
        "recipient_name": delivery.recipient_name,
        "attempt_log": [
            DeliveryAttemptRead(
                attempted_at=attempt.attempted_at,
                duration_ms=attempt.duration_ms,
                status_code=attempt.status_code,
                error=attempt.error,
            )
            for attempt in attempts or ()
        ],
    }
    return model(**{name: value for name, value in fields.items() if name in model.model_fields})


def listed(
    session: Session,
    *where: ColumnElement[bool],
    status: DeliveryStatus | None,
    after: int | None,
    limit: int,
) -> Sequence[tuple[Delivery, EventType]]:
    """Deliveries, newest first, with the type of their event."""
    query = (
        select(Delivery, Event.type)
        .join(Event, Event.id == Delivery.event_id)
        .where(*where)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Delivery.status == status)
    if after is not None:
        query = query.where(Delivery.id < after)
    return [(delivery, type) for delivery, type in session.execute(query)]


def attempts(session: Session, delivery_id: int) -> Sequence[DeliveryAttempt]:
    """The delivery's latest attempts, oldest first."""
    latest = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id.desc())
        .limit(MAX_ATTEMPTS_SHOWN)
    ).all()
    return list(reversed(latest))


def get_email_delivery(session: Session, delivery_id: int, *, for_update: bool = False) -> Delivery:
    delivery = session.get(Delivery, delivery_id, with_for_update=for_update)
    if delivery is None or delivery.channel is not DeliveryChannel.EMAIL:
        raise NotFound(f"Email delivery {delivery_id} does not exist.")
    return delivery


def event_type(session: Session, delivery: Delivery) -> EventType:
    event = session.get(Event, delivery.event_id)
    assert event is not None
    return event.type


def resend(
    *,
    session: Session,
    delivery: Delivery,
    actor: Principal,
    now: datetime,
    entity: tuple[str, int],
) -> Delivery:
    """Queue a delivered or failed delivery again, with a fresh set of attempts."""
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.CANCELLED):
        raise Conflict(
            f"Delivery {delivery.id} is {delivery.status.value}; only delivered or failed "
            "deliveries can be re-sent."
        )
    before = delivery.status.value
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"{delivery.channel.value}.delivery_resent",
        entity=entity,
        changes={"delivery_id": [None, delivery.id], "status": [before, delivery.status.value]},
    )
    return delivery
