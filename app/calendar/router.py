"""HTTP routes for calendar feeds: create one (its address shown once), list, revoke; and the
feed itself, which calendar programs fetch with no key — the secret address is the key."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from app import clock
from app.auth.dependencies import Reader, Writer
from app.calendar import ics, service
from app.config import API_PREFIX, get_settings
from app.db import SessionDep
from app.errors import problem_responses
from app.idempotency import IdempotencyDep, respond_created
from app.models import CalendarFeed
from app.pagination import Page, PageDep, build_page, int_after
from app.schemas import BodyId, CreateSchema, Id

router = APIRouter(tags=["calendar"], responses=problem_responses(401, 403, 422))
public_router = APIRouter(tags=["calendar"], responses=problem_responses(422))


class CalendarFeedCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Agenda de la Dirección Jurídica"}]}
    )

    name: str = Field(min_length=1, max_length=200, description="e.g. Jurídico municipal.")
    party_id: BodyId | None = Field(default=None, description="Only this party's dates.")


class CalendarFeedRead(BaseModel):
    id: int
    name: str
    party_id: int | None
    created_at: datetime
    revoked_at: datetime | None


class CalendarFeedCreated(CalendarFeedRead):
    url: str = Field(description="The feed's secret address: shown once, never again.")


def _read(feed: CalendarFeed) -> CalendarFeedRead:
    return CalendarFeedRead(
        id=feed.id,
        name=feed.name,
        party_id=feed.party_id,
        created_at=feed.created_at,
        revoked_at=feed.revoked_at,
    )


@router.post("/calendar-feeds", status_code=201, responses=problem_responses(413, 415))
def create_calendar_feed(
    actor: Writer,
    payload: CalendarFeedCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> CalendarFeedCreated:
    """A calendar feed (RFC 5545) of expiry dates, renewal notice deadlines and due dates, for
    every agreement or one party. Its address is secret and shown only in this answer."""
    idempotency.claim()
    created = service.create_feed(
        session=session, name=payload.name, party_id=payload.party_id, actor=actor
    )
    url = f"{get_settings().public_url}{API_PREFIX}/calendar/{created.secret}.ics"
    body = CalendarFeedCreated(**_read(created.feed).model_dump(), url=url)
    respond_created(
        response, idempotency, body, location=f"{API_PREFIX}/calendar-feeds/{created.feed.id}"
    )
    return body


@router.get("/calendar-feeds")
def list_calendar_feeds(_: Reader, session: SessionDep, page: PageDep) -> Page[CalendarFeedRead]:
    """The calendar feeds, oldest first (never their addresses)."""
    found = service.feeds(session, after=int_after(page), limit=page.limit + 1)
    return build_page([_read(feed) for feed in found], page.limit)


@router.delete("/calendar-feeds/{feed_id}", status_code=204, responses=problem_responses(404, 409))
def revoke_calendar_feed(actor: Writer, feed_id: Id, session: SessionDep) -> Response:
    """Revoke a feed: its address answers 404 from now on."""
    service.revoke_feed(session=session, feed_id=feed_id, actor=actor)
    return Response(status_code=204)


Secret = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{43}$", description="The feed's secret.")]


@public_router.get(
    "/calendar/{secret}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The feed."},
        **problem_responses(404),
    },
)
def calendar_feed(secret: Secret, session: SessionDep) -> Response:
    """A calendar feed, for calendar programs: no key, the secret address is the credential."""
    feed = service.by_secret(session, secret)
    entries = service.entries(session, feed, get_settings().public_url)
    body = ics.render(entries, name=f"Convenios — {feed.name}", stamp=clock.now())
    return Response(body, media_type="text/calendar; charset=utf-8")
