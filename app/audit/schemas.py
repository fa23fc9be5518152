"""Audit trail schemas."""

from datetime import datetime
from typing import Any

from pydantic import Field

from app.schemas import ReadSchema


class AuditEventRead(ReadSchema):
    seq: int = Field(description="Position in the chain, from 1 with no gaps.")
    occurred_at: datetime
    actor: dict[str, Any] = Field(description="Who: the API key (id, name, role) or the operator.")
    action: str = Field(description="What, e.g. agreement.created, agreement.status_changed.")
    entity_type: str
    entity_id: str
    agreement_id: int | None
    changes: dict[str, Any] = Field(description="Changed fields as {field: [before, after]}.")
    context: dict[str, Any] | None = Field(
        description="Where the request came from (IP, user agent); shown to admins only."
    )
    prev_hash: str
    hash: str = Field(description="SHA-256(prev_hash ‖ canonical event).")


class AuditVerification(ReadSchema):
    ok: bool
    events_checked: int
    first_broken_seq: int | None = Field(
        description="The first event that was edited, deleted or moved; null when intact."
    )
    reason: str | None
