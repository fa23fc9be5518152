"""HTTP routes for webhooks (admins only): subscribe a URL to event types (its secret shown
once), list and delete subscriptions, and list, read and re-send their deliveries."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from app import clock
from app.auth.dependencies import Admin
from app.config import API_PREFIX, get_settings
from app.db import SessionDep, WritesDep, computes, end_reading
from app.errors import problem_responses
from app.events import deliveries, dispatch
from app.events.deliveries import DeliveryDetail, DeliveryRead, read
from app.events.payloads import EVENT_DATA
from app.idempotency import IdempotencyDep, respond, respond_created
from app.models import WebhookSubscription
from app.models.enums import SUBSCRIBABLE_EVENT_TYPES, DeliveryStatus, EventType
from app.pagination import Page, PageDep, build_page, int_after
from app.schemas import CreateSchema, Id
from app.webhooks import service

router = APIRouter(tags=["webhooks"], responses=problem_responses(401, 403, 422))
# What the service sends: the `webhooks` section of the OpenAPI document.
outgoing = APIRouter(tags=["webhooks"])


class WebhookCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://transparencia.tlalnepantla.gob.mx/convenios/eventos",
                    "event_types": ["agreement.status_changed", "signature.signed"],
                    "description": "Portal de transparencia",
                }
            ]
        }
    )

    url: str = Field(
        min_length=1,
        max_length=2000,
        description="Where deliveries are POSTed: http or https, on a public address.",
        json_schema_extra={"format": "uri", "pattern": r"^https?://[^\s@#/?]+(/[^\s#]*)?$"},
    )
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=len(SUBSCRIBABLE_EVENT_TYPES),
        description="The events to receive.",
        # `webhook.test` is sent on request, never subscribed to.
        json_schema_extra={
            "items": {"type": "string", "enum": [t.value for t in SUBSCRIBABLE_EVENT_TYPES]},
            "uniqueItems": True,
        },
    )
    description: str | None = Field(default=None, max_length=200)

    @field_validator("event_types")
    @classmethod
    def _once_each(cls, value: list[EventType]) -> list[EventType]:
        if len(set(value)) != len(value):
            raise ValueError("each event type once")
        if EventType.WEBHOOK_TEST in value:
            raise ValueError("webhook.test is sent on request (POST /webhooks/{id}/test)")
        return value


class WebhookRead(BaseModel):
    id: int
    url: str
    event_types: list[EventType]
    description: str | None
    created_at: datetime
    deleted_at: datetime | None


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="Key of the HMAC-SHA256 signature of every delivery: shown once, never again."
    )


def _read(subscription: WebhookSubscription) -> WebhookRead:
    return WebhookRead(
        id=subscription.id,
        url=subscription.url,
        event_types=[EventType(value) for value in subscription.event_types],
        description=subscription.description,
        created_at=subscription.created_at,
        deleted_at=subscription.deleted_at,
    )


@router.post("/webhooks", status_code=201, responses=problem_responses(413, 415))
@computes  # the URL's host is looked up before, not during, the transaction that records it
def create_webhook(
    actor: Admin,
    payload: WebhookCreate,
    session: SessionDep,
    writes: WritesDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> WebhookCreated:
    """Subscribe a URL to event types

    Each event of those types is POSTed to the URL as JSON, signed:
    `Convenios-Signature: v1=<hex>` is the HMAC-SHA256, keyed with the secret shown only in
    this answer, of `Convenios-Timestamp`, a full stop and the body. Refuse timestamps more
    than five minutes old. `Convenios-Delivery` stays the same on every attempt of one
    delivery. Failed deliveries are retried with growing delays."""
    idempotency.replay_if_answered()
    service.check_target(payload.url, get_settings())
    end_reading(session)
    with writes() as recording:
        idempotency.claim(recording)
        created = service.create_subscription(
            session=recording,
            url=payload.url,
            event_types=payload.event_types,
            description=payload.description,
            actor=actor,
        )
        body = WebhookCreated(**_read(created.subscription).model_dump(), secret=created.secret)
        location = f"{API_PREFIX}/webhooks/{created.subscription.id}"
        respond_created(response, idempotency, body, location=location)
    return body


@router.get("/webhooks")
def list_webhooks(_: Admin, session: SessionDep, page: PageDep) -> Page[WebhookRead]:
    """The webhooks, oldest first, deleted ones included (never their secrets)."""
    found = service.subscriptions(session, after=int_after(page), limit=page.limit + 1)
    return build_page([_read(subscription) for subscription in found], page.limit)


@router.get("/webhooks/{webhook_id}", responses=problem_responses(404))
def get_webhook(_: Admin, webhook_id: Id, session: SessionDep) -> WebhookRead:
    """One webhook."""
    return _read(service.get_subscription(session, webhook_id))


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=problem_responses(404, 409))
def delete_webhook(actor: Admin, webhook_id: Id, session: SessionDep) -> Response:
    """Stop a webhook: nothing more is sent to it and its waiting deliveries are cancelled."""
    service.delete_subscription(session=session, subscription_id=webhook_id, actor=actor)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", responses=problem_responses(404))
def list_webhook_deliveries(
    _: Admin,
    webhook_id: Id,
    session: SessionDep,
    page: PageDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[DeliveryRead]:
    """The webhook's deliveries, newest first."""
    found = service.deliveries(
        session, webhook_id, status=status, after=int_after(page), limit=page.limit + 1
    )
    return build_page([read(delivery, DeliveryRead) for delivery in found], page.limit)


@router.get("/webhooks/{webhook_id}/deliveries/{delivery_id}", responses=problem_responses(404))
def get_webhook_delivery(
    _: Admin, webhook_id: Id, delivery_id: Id, session: SessionDep
) -> DeliveryDetail:
    """One delivery, with the log of its attempts."""
    delivery = service.get_delivery(session, webhook_id, delivery_id)
    return read(delivery, DeliveryDetail, attempts=deliveries.attempts(session, delivery.id))


@router.post(
    "/webhooks/{webhook_id}/test",
    status_code=201,
    responses=problem_responses(404, 409),
)
@computes  # the test is sent with no transaction open
def test_webhook(
    actor: Admin, webhook_id: Id, session: SessionDep, writes: WritesDep, response: Response
) -> DeliveryDetail:
    """Send the webhook a test event now, and answer with the attempt

    A `webhook.test` event, signed and sent like every delivery, to this webhook alone: check
    that the receiver answers 2xx and verifies `Convenios-Signature` before real events flow.
    The answer is the delivery with its attempt (status code, time, error); a failed one is
    retried later like any other. Each call sends a new test: there is nothing to repeat
    safely, so no `Idempotency-Key`."""
    end_reading(session)
    with writes() as recording:
        delivery_id = service.queue_test(
            session=recording, subscription_id=webhook_id, actor=actor, now=clock.now()
        ).id
    dispatch.deliver_now(writes.sessions, delivery_id, get_settings())
    with writes() as reading:
        delivery = service.get_delivery(reading, webhook_id, delivery_id)
        body = read(delivery, DeliveryDetail, attempts=deliveries.attempts(reading, delivery_id))
    response.headers["Location"] = f"{API_PREFIX}/webhooks/{webhook_id}/deliveries/{delivery_id}"
    return body


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/resend",
    status_code=202,
    responses=problem_responses(404, 409),
)
def resend_webhook_delivery(
    actor: Admin,
    webhook_id: Id,
    delivery_id: Id,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> DeliveryRead:
    """Send a delivered or failed delivery again, with a fresh set of attempts; it leaves
    with the next pass of the dispatcher (every `CONVENIOS_DELIVERY_INTERVAL_SECONDS`)."""
    idempotency.claim()
    delivery = service.resend(
        session=session,
        subscription_id=webhook_id,
        delivery_id=delivery_id,
        actor=actor,
        now=clock.now(),
    )
    body = read(delivery, DeliveryRead)
    respond(response, idempotency, body, status_code=202)
    return body


# The `webhooks` section of the OpenAPI document: one entry per event type, with what its
# `data` says (`app.events.payloads`, checked whenever an event is written).


def _delivery_model(event_type: EventType, data: type[BaseModel]) -> type[BaseModel]:
    """The body POSTed for ``event_type``: the event's envelope around its data."""
    name = "".join(part.title() for part in event_type.value.replace(".", "_").split("_"))
    model: type[BaseModel] = create_model(
        f"{name}Delivery",
        id=(int, Field(description="The event's id (also in `Convenios-Event-Id`).")),
        type=(Literal[event_type.value], Field(description="The event's type.")),  # type: ignore[arg-type]
        created_at=(datetime, Field(description="When it happened.")),
        agreement_id=(int | None, Field(description="The agreement it is about, if any.")),
        data=(data, Field(description="What the event says.")),
    )
    return model


def _delivery_endpoint(event_type: EventType, body_model: type[BaseModel]) -> Any:
    def deliver(
        body: body_model,  # type: ignore[valid-type]
        convenios_signature: Annotated[
            str,
            Header(
                description="`v1=` and the hex HMAC-SHA256, keyed with the subscription's "
                "secret, of `Convenios-Timestamp`, `.` and the raw body."
            ),
        ],
        convenios_timestamp: Annotated[
            int, Header(description="Unix seconds when sent: refuse ones over five minutes old.")
        ],
        convenios_delivery: Annotated[
            int, Header(description="The same on every attempt: ignore repeats.")
        ],
        convenios_event: Annotated[EventType, Header(description=f"`{event_type.value}`.")],
        convenios_event_id: Annotated[int, Header()],
    ) -> None:
        pass  # documentation only: receivers implement it

    return deliver


for _type, _data in EVENT_DATA.items():
    outgoing.add_api_route(
        _type.value,
        _delivery_endpoint(_type, _delivery_model(_type, _data)),
        methods=["POST"],
        operation_id=_type.value.replace(".", "_"),
        summary=(_data.__doc__ or _type.value).rstrip("."),
        description="POSTed to every webhook subscribed to the event's type, signed (see "
        "`POST /webhooks`). Answer with any 2xx status once it is processed; anything else, a "
        "redirect or no answer within the delivery timeout is tried again later.",
    )
