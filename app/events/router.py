"""HTTP routes for the email reminders sent (admins only): list them — the failed ones name
addresses to correct — read one with its attempts, and send one again."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app import clock
from app.auth.dependencies import Admin
from app.db import SessionDep
from app.errors import problem_responses
from app.events import deliveries
from app.events.deliveries import EmailDeliveryDetail, EmailDeliveryRead, read
from app.idempotency import IdempotencyDep, respond
from app.models import Delivery
from app.models.enums import DeliveryChannel, DeliveryStatus
from app.pagination import Page, PageDep, build_page, int_after
from app.schemas import Id

router = APIRouter(tags=["email reminders"], responses=problem_responses(401, 403, 422))


@router.get("/email-deliveries")
def list_email_deliveries(
    _: Admin,
    session: SessionDep,
    page: PageDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[EmailDeliveryRead]:
    """The email reminders, newest first: `status=failed` lists those no attempt could send."""
    found = deliveries.listed(
        session,
        Delivery.channel == DeliveryChannel.EMAIL,
        status=status,
        after=int_after(page),
        limit=page.limit + 1,
    )
    items = [read(delivery, EmailDeliveryRead, event_type=type) for delivery, type in found]
    return build_page(items, page.limit)


@router.get("/email-deliveries/{email_delivery_id}", responses=problem_responses(404))
def get_email_delivery(_: Admin, email_delivery_id: Id, session: SessionDep) -> EmailDeliveryDetail:
    """One email reminder, with the log of its attempts."""
    delivery = deliveries.get_email_delivery(session, email_delivery_id)
    return read(
        delivery,
        EmailDeliveryDetail,
        event_type=deliveries.event_type(session, delivery),
        attempts=deliveries.attempts(session, delivery.id),
    )


@router.post(
    "/email-deliveries/{email_delivery_id}/resend",
    status_code=202,
    responses=problem_responses(404, 409),
)
def resend_email_delivery(
    actor: Admin,
    email_delivery_id: Id,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> EmailDeliveryRead:
    """Send a delivered or failed reminder again (say, once the address is corrected at the
    mail server), with a fresh set of attempts; it leaves with the dispatcher's next pass."""
    idempotency.claim()
    delivery = deliveries.get_email_delivery(session, email_delivery_id, for_update=True)
    deliveries.resend(
        session=session,
        delivery=delivery,
        actor=actor,
        now=clock.now(),
        entity=("email_delivery", delivery.id),
    )
    body = read(delivery, EmailDeliveryRead, event_type=deliveries.event_type(session, delivery))
    respond(response, idempotency, body, status_code=202)
    return body
