"""Invitation schemas: what staff send to invite a representative to sign, and read back."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.invitations.service import InvitationState
from app.schemas import CreateSchema, Email, Integer


class InvitationCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{}, {"email": "presidencia@tlalnepantla.example", "valid_hours": 48}]
        }
    )

    email: Email | None = Field(
        default=None,
        description="Where to email the link when an SMTP server is configured (default: the "
        "representative's email). Without SMTP, leave it out: the link comes back in the "
        "answer for you to pass on.",
        examples=["presidencia@tlalnepantla.example"],
    )
    valid_hours: Integer | None = Field(
        default=None,
        ge=1,
        le=720,
        description="How long the link works (default: CONVENIOS_INVITATION_VALID_HOURS, 72). "
        "A resend or a reminder gives a new link valid as long again.",
    )


class InvitationRead(BaseModel):
    id: int
    signature_id: int
    agreement_id: int
    representative_id: int
    full_name: str = Field(description="The representative invited to sign.")
    delivery: Literal["email", "link"] = Field(
        description="`email`: the link was emailed to `email`; `link`: it was handed back in "
        "the answer that made it (`url`)."
    )
    email: str | None
    state: InvitationState
    expires_at: datetime = Field(description="When the current link stops working.")
    opened_at: datetime | None = Field(description="When the current link was opened.")
    revoked_at: datetime | None = Field(description="When it was revoked or replaced.")
    sends: int = Field(description="Links it has had: the first, then one per resend/reminder.")
    reminders: int
    sent_at: datetime = Field(description="When the current link was made.")
    created_at: datetime
    url: str | None = Field(
        default=None,
        description="The link to the signing page: only in the answer that made it, and only "
        "when it was not emailed. It is kept nowhere (only its SHA-256): pass it to the "
        "representative, who opens it once; a lost link is replaced with a resend.",
    )
