"""Delivering events: the outbox read and sent on.

Each new event fans out into one delivery per webhook subscribed to its type and, for reminders
when SMTP is set up, one per email recipient. Then every delivery that is due is claimed, sent
outside any transaction, and its outcome recorded: delivered; or tried again after a delay that
grows four times after each failure; or failed once the attempts are spent. A claim moves the
delivery's next attempt past the attempt's deadline, so two dispatchers never send it at once,
and one that dies mid-attempt leaves it to be tried again when the claim lapses.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import anyio
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.config import Settings
from app.db import session_factory
from app.events import mail
from app.models import Delivery, DeliveryAttempt, Event, WebhookSubscription
from app.models.enums import DeliveryChannel, DeliveryStatus
from app.webhooks import http
from app.webhooks.signing import signed_request

logger = logging.getLogger("convenios")

# Events fanned out, and deliveries attempted, per pass: a pass ends, the next one goes on.
BATCH = 200
# Time beyond an attempt's own deadline before its claim lapses.
_CLAIM_MARGIN = timedelta(seconds=60)
_MAX_DELAY = timedelta(days=1)


@dataclass
class DispatchReport:
    queued: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int, settings: Settings) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 4, 16, 64 … times the retry delay,
    up to a day."""
    delay = timedelta(seconds=settings.delivery_retry_seconds * 4 ** (attempts - 1))
    return min(delay, _MAX_DELAY)


def fan_out(session: Session, settings: Settings, now: datetime) -> int:
    """Queue the deliveries of events not yet dispatched; how many were queued."""
    events = session.scalars(
        select(Event)
        .where(Event.dispatched_at.is_(None))
        .order_by(Event.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0
    subscriptions = session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))
    ).all()
    queued: list[Delivery] = []
    for event in events:
        for subscription in subscriptions:
            # A subscription receives what happens from its creation on, not the past.
            if event.type.value in subscription.event_types and (
                subscription.created_at <= event.created_at
            ):
                queued.append(
                    Delivery(
                        event_id=event.id,
                        channel=DeliveryChannel.WEBHOOK,
                        target=f"webhook:{subscription.id}",
                        subscription_id=subscription.id,
                        next_attempt_at=now,
                    )
                )
        if settings.smtp_host is not None:
            queued.extend(
                Delivery(
                    event_id=event.id,
                    channel=DeliveryChannel.EMAIL,
                    target=f"email:{recipient.email.casefold()}"[:300],
                    email=recipient.email,
                    recipient_name=recipient.name[:200] if recipient.name else None,
                    recipient_is_person=recipient.person,
                    next_attempt_at=now,
                )
                for recipient in mail.recipients(session, event)
            )
        event.dispatched_at = now
    session.add_all(queued)
    session.flush()
    return len(queued)


def dispatch(sessions: sessionmaker[Session], settings: Settings) -> DispatchReport:
    """One pass: fan out new events, then attempt every delivery that is due."""
    report = DispatchReport()
    with sessions() as session, session.begin():
        report.queued = fan_out(session, settings, clock.now())
    # A receiver that just failed is not tried again in this pass: one that hangs costs one
    # timeout per pass, not one per delivery waiting for it.
    failing: set[str] = set()
    for _ in range(BATCH):
        claimed = claim(sessions, settings, clock.now(), failing)
        if claimed is None:
            break
        delivery_id, receiver = claimed
        outcome = _attempt(sessions, delivery_id, settings)
        status = _record(sessions, delivery_id, outcome, settings, clock.now())
        if status is DeliveryStatus.DELIVERED:
            report.delivered += 1
            continue
        report.errors.append(f"delivery {delivery_id}: {outcome.error}")
        if status is DeliveryStatus.FAILED:
            report.failed += 1
        else:
            report.retrying += 1
        # A mail server that answered refused one recipient, not everyone: keep sending.
        if receiver != "email" or outcome.status_code is None:
            failing.add(receiver)
    return report


def claim(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    failing: set[str],
    delivery_id: int | None = None,
) -> tuple[int, str] | None:
    """The next due delivery (or ``delivery_id``, if it is due), claimed, and who receives it:
    one webhook, or the mail server (every email goes through it)."""
    with sessions() as session, session.begin():
        query = (
            select(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if delivery_id is not None:
            query = query.where(Delivery.id == delivery_id)
        if "email" in failing:
            query = query.where(Delivery.channel != DeliveryChannel.EMAIL)
        webhooks = [target for target in failing if target != "email"]
        if webhooks:
            query = query.where(Delivery.target.not_in(webhooks))
        delivery = session.scalars(query).first()
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = (
            now + timedelta(seconds=settings.delivery_timeout_seconds) + _CLAIM_MARGIN
        )
        receiver = delivery.target if delivery.channel is DeliveryChannel.WEBHOOK else "email"
        return delivery.id, receiver


def _attempt(sessions: sessionmaker[Session], delivery_id: int, settings: Settings) -> http.Outcome:
    """Build the message in a short read, then send it with no transaction open."""
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        event = session.get(Event, delivery.event_id)
        assert event is not None
        if delivery.channel is DeliveryChannel.EMAIL:
            assert delivery.email is not None
            recipient = mail.Recipient(
                delivery.email, delivery.recipient_name, delivery.recipient_is_person
            )
            message = mail.compose(session, event, recipient, settings)
        else:
            subscription = session.get(WebhookSubscription, delivery.subscription_id)
            assert subscription is not None
            url = subscription.url
            body, headers = signed_request(
                event, delivery.id, subscription.secret, int(clock.now().timestamp())
            )
    if delivery.channel is DeliveryChannel.EMAIL:
        return mail.send(message, settings)
    return http.post(
        url,
        body,
        headers,
        timeout=settings.delivery_timeout_seconds,
        allow_private=settings.webhook_allow_private_addresses,
    )


def _record(
    sessions: sessionmaker[Session],
    delivery_id: int,
    outcome: http.Outcome,
    settings: Settings,
    now: datetime,
) -> DeliveryStatus:
    with sessions() as session, session.begin():
        delivery = session.get(Delivery, delivery_id, with_for_update=True, populate_existing=True)
        assert delivery is not None
        session.add(
            DeliveryAttempt(
                delivery_id=delivery.id,
                attempted_at=now,
                duration_ms=outcome.duration_ms,
                status_code=outcome.status_code,
                error=outcome.error and outcome.error[:500],
            )
        )
        delivery.last_attempt_at = now
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error and outcome.error[:500]
        if delivery.status is not DeliveryStatus.PENDING:
            return delivery.status  # cancelled while it was being sent
        # A mail server's 5xx reply is final (no such mailbox); anything else may pass later.
        final = delivery.channel is DeliveryChannel.EMAIL and (outcome.status_code or 0) >= 500
        if outcome.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
        elif final or delivery.attempts >= settings.delivery_max_attempts:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts, settings)
        return delivery.status


def deliver_now(
    sessions: sessionmaker[Session], delivery_id: int, settings: Settings
) -> DeliveryStatus | None:
    """Attempt one delivery at once (a webhook's test), claimed like any other so that a
    dispatcher beside it never sends it too; None when one already holds it. A failed attempt
    is retried later like any other."""
    if claim(sessions, settings, clock.now(), set(), delivery_id) is None:
        return None
    outcome = _attempt(sessions, delivery_id, settings)
    return _record(sessions, delivery_id, outcome, settings, clock.now())


def dispatch_now(engine: Engine, settings: Settings) -> DispatchReport:
    return dispatch(session_factory(engine, write=True), settings)


async def dispatch_periodically(engine: Engine, settings: Settings) -> None:
    """Inside `convenios serve`: deliver what is due every `delivery_interval_seconds`. A failed
    pass is logged and tried again next time; it never stops the server."""
    while True:
        try:
            report = await anyio.to_thread.run_sync(dispatch_now, engine, settings)
            if report.queued or report.delivered or report.retrying or report.failed:
                logger.info(
                    "deliveries: %d queued, %d delivered, %d to retry, %d failed",
                    report.queued,
                    report.delivered,
                    report.retrying,
                    report.failed,
                )
        except Exception:
            logger.exception("delivering events failed; trying again")
        await anyio.sleep(settings.delivery_interval_seconds)
