"""Webhook subscriptions — created with a secret shown once, deleted at will — and their
deliveries: listed, read with every attempt, and re-sent."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.audit import service as audit
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict, NotFound, Unprocessable
from app.events import deliveries as events_deliveries
from app.events.payloads import WebhookTest
from app.models import Delivery, Event, WebhookSubscription
from app.models.enums import DeliveryChannel, DeliveryStatus, EventType
from app.webhooks import http


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str


def check_target(url: str, settings: Settings) -> None:
    """422 unless ``url`` may receive webhooks: its host resolved (a network lookup, so no
    transaction waits for it) and every address it resolves to allowed."""
    try:
        http.check_url(url, allow_private=settings.webhook_allow_private_addresses)
    except http.UnsafeTarget as refused:
        raise Unprocessable.field("body.url", str(refused)) from None


def create_subscription(
    *,
    session: Session,
    url: str,
    event_types: list[EventType],
    description: str | None,
    actor: Principal,
) -> NewSubscription:
    """A subscription of ``url`` (checked by `check_target` first) to ``event_types``; its
    secret is in the answer, once."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        url=url,
        event_types=[event_type.value for event_type in event_types],
        description=description,
        secret=secret,
        created_by=actor.as_actor(),
    )
    session.add(subscription)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="webhook.created",
        entity=("webhook", subscription.id),
        changes={"url": [None, url], "event_types": [None, subscription.event_types]},
    )
    return NewSubscription(subscription, secret)


def get_subscription(
    session: Session, subscription_id: int, *, for_update: bool = False
) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id, with_for_update=for_update)
    if subscription is None:
        raise NotFound(f"Webhook {subscription_id} does not exist.")
    return subscription


def subscriptions(
    session: Session, *, after: int | None, limit: int
) -> Sequence[WebhookSubscription]:
    query = select(WebhookSubscription).order_by(WebhookSubscription.id).limit(limit)
    if after is not None:
        query = query.where(WebhookSubscription.id > after)
    return session.scalars(query).all()


def delete_subscription(*, session: Session, subscription_id: int, actor: Principal) -> None:
    """Stop the webhook: nothing more is queued for it and what was waiting is cancelled.
    It stays listed, with its deliveries, for the record."""
    subscription = get_subscription(session, subscription_id, for_update=True)
    if subscription.deleted_at is not None:
        raise Conflict(f"Webhook {subscription_id} was already deleted.")
    subscription.deleted_at = clock.now()
    waiting = session.scalars(
        select(Delivery).where(
            Delivery.subscription_id == subscription.id,
            Delivery.status == DeliveryStatus.PENDING,
        )
    ).all()
    for delivery in waiting:
        delivery.status = DeliveryStatus.CANCELLED
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="webhook.deleted",
        entity=("webhook", subscription.id),
        changes={
            "deleted_at": [None, subscription.deleted_at.isoformat()],
            "cancelled_deliveries": [None, len(waiting)],
        },
    )


def deliveries(
    session: Session,
    subscription_id: int,
    *,
    status: DeliveryStatus | None,
    after: int | None,
    limit: int,
) -> Sequence[Delivery]:
    """The webhook's deliveries, newest first."""
    get_subscription(session, subscription_id)
    found = events_deliveries.listed(
        session,
        Delivery.subscription_id == subscription_id,
        status=status,
        after=after,
        limit=limit,
    )
    return [delivery for delivery, _ in found]


def get_delivery(
    session: Session, subscription_id: int, delivery_id: int, *, for_update: bool = False
) -> Delivery:
    get_subscription(session, subscription_id)
    delivery = session.get(Delivery, delivery_id, with_for_update=for_update)
    if delivery is None or delivery.subscription_id != subscription_id:
        raise NotFound(f"Webhook {subscription_id} has no delivery {delivery_id}.")
    return delivery


TEST_MESSAGE = (
    "Evento de prueba de convenios: si su receptor verificó la firma de esta entrega, está listo "
    "para recibir los eventos a los que se suscribió."
)


def queue_test(
    *, session: Session, subscription_id: int, actor: Principal, now: datetime
) -> Delivery:
    """A `webhook.test` event for this webhook alone, and its delivery, due now. The event is
    born dispatched: no other webhook and no mailbox ever gets it."""
    subscription = get_subscription(session, subscription_id, for_update=True)
    if subscription.deleted_at is not None:
        raise Conflict(f"Webhook {subscription_id} was deleted; it receives nothing more.")
    event = Event(
        type=EventType.WEBHOOK_TEST,
        agreement_id=None,
        payload=WebhookTest(webhook_id=subscription.id, message=TEST_MESSAGE).model_dump(),
        dispatched_at=now,
    )
    session.add(event)
    session.flush()
    delivery = Delivery(
        event_id=event.id,
        channel=DeliveryChannel.WEBHOOK,
        target=f"webhook:{subscription.id}",
        subscription_id=subscription.id,
        next_attempt_at=now,
    )
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="webhook.tested",
        entity=("webhook", subscription.id),
        changes={"delivery_id": [None, delivery.id]},
    )
    return delivery


def resend(
    *, session: Session, subscription_id: int, delivery_id: int, actor: Principal, now: datetime
) -> Delivery:
    """Queue a delivered or failed delivery again, unless its webhook was deleted."""
    subscription = get_subscription(session, subscription_id)
    delivery = get_delivery(session, subscription_id, delivery_id, for_update=True)
    if subscription.deleted_at is not None:
        raise Conflict(f"Webhook {subscription_id} was deleted; its deliveries cannot be re-sent.")
    return events_deliveries.resend(
        session=session,
        delivery=delivery,
        actor=actor,
        now=now,
        entity=("webhook", subscription_id),
    )
