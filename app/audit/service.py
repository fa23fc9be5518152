"""Recording events in the caller's transaction, and verifying the chain."""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.audit import chain, repository
from app.auth.principal import Principal
from app.kit import canonical_json
from app.models import AuditEvent


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    entity: tuple[str, int | str],
    changes: dict[str, list[Any]],
    agreement_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the same transaction as the change it records: what
    changed as ``{field: [before, after]}`` (the shape the API publishes)."""
    # Stored exactly as hashed: JSON-native values only (dates and amounts become strings).
    changes = json.loads(canonical_json(changes))
    actor_data = actor.as_actor()
    context = json.loads(canonical_json(actor.context))
    seq, prev_hash = repository.advance_head(session)
    event = AuditEvent(
        seq=seq,
        occurred_at=clock.now(),
        actor=actor_data,
        action=action,
        entity_type=entity[0],
        entity_id=str(entity[1]),
        agreement_id=agreement_id,
        changes=changes,
        context=context,
        prev_hash=prev_hash,
    )
    event.hash = chain.link(prev_hash, _canonical(event))
    session.add(event)
    repository.set_head_hash(session, event.hash)
    session.flush()
    return event


def _canonical(event: AuditEvent) -> bytes:
    return chain.canonical_event(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        agreement_id=event.agreement_id,
        changes=event.changes,
        context=event.context,
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


def verify(session: Session) -> Verification:
    """Walk the chain from the start; name the first event that was edited, removed or moved."""
    expected_seq, prev_hash, checked = 1, chain.GENESIS_HASH, 0
    for event in repository.in_order(session):
        if event.seq != expected_seq:
            return Verification(
                False, checked, expected_seq, f"event {expected_seq} is missing from the chain"
            )
        if event.prev_hash != prev_hash:
            return Verification(
                False, checked, event.seq, "its link to the previous event does not match"
            )
        if chain.link(prev_hash, _canonical(event)) != event.hash:
            return Verification(False, checked, event.seq, "its content does not match its hash")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = repository.head(session)
    if head is None:
        return Verification(False, checked, expected_seq, "the chain's head record is missing")
    if head.last_seq != checked:
        return Verification(
            False, checked, checked + 1, f"events {checked + 1} to {head.last_seq} are missing"
        )
    if head.last_hash != prev_hash:
        return Verification(False, checked, checked, "the last event does not match the head")
    return Verification(True, checked)
