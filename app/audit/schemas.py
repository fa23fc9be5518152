"""Audit trail schemas."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.models.enums import Role
from app.schemas import ReadSchema


class AuditActor(BaseModel):
    """Who acted: an API key's holder, the operator at the command line (`cli`), or a
    representative through an invitation's link on the signing page (`invitation`)."""

    type: Literal["api_key", "cli", "invitation"]
    api_key_id: int | None
    name: str
    role: Role
    representative_id: int | None = Field(
        default=None, description="For a signatory's key: the representative it acts as."
    )
    invitation_id: int | None = Field(
        default=None, description="For `invitation`: the invitation whose link was used."
    )


class AuditContext(BaseModel):
    """Where the request came from: its address and user agent, or the command run."""

    ip: str | None = None
    user_agent: str | None = None
    command: str | None = Field(default=None, description="The `convenios` command run.")


class AuditEventRead(ReadSchema):
    seq: int = Field(description="Position in the chain, from 1 with no gaps.")
    occurred_at: datetime
    actor: AuditActor
    action: str = Field(description="What, e.g. agreement.created, agreement.status_changed.")
    entity_type: str
    entity_id: str
    agreement_id: int | None
    changes: dict[str, list[Any]] = Field(description="Changed fields as {field: [before, after]}.")
    context: AuditContext | None = Field(
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
