"""The hash chain: h_i = SHA-256(h_{i-1} ‖ canonical event_i). Pure functions."""

import hashlib
from datetime import UTC, datetime
from typing import Any

from app.kit import canonical_json

GENESIS_HASH = "0" * 64


def canonical_event(
    *,
    seq: int,
    occurred_at: datetime,
    actor: dict[str, Any],
    action: str,
    entity_type: str,
    entity_id: str,
    agreement_id: int | None,
    changes: dict[str, Any],
    context: dict[str, Any],
) -> bytes:
    return canonical_json(
        {
            "seq": seq,
            "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "agreement_id": agreement_id,
            "changes": changes,
            "context": context,
        }
    ).encode()


def link(prev_hash: str, event: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + event).hexdigest()
