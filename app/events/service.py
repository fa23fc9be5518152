"""Writing events into the outbox, in the caller's transaction."""

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.events.payloads import EVENT_DATA
from app.kit import canonical_json
from app.models import Event
from app.models.enums import EventType


def emit(
    session: Session,
    type: EventType,
    *,
    agreement_id: int | None,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
) -> Event | None:
    """Record that ``type`` happened. With a ``dedupe_key`` the event is written at most once,
    however many sweeps try at once: None when it already was. The payload is what the event
    type's model (`app.events.payloads`) says, or the event is not written."""
    EVENT_DATA[type].model_validate(payload)
    event = Event(
        type=type,
        agreement_id=agreement_id,
        payload=json.loads(canonical_json(payload)),
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        session.add(event)
        session.flush()
        return event
    if session.scalar(select(Event.id).where(Event.dedupe_key == dedupe_key)) is not None:
        return None
    try:
        # A savepoint: losing the race to another sweep undoes this insert only.
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return None
    return event
