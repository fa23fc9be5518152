"""What each event says (its `data`), one model per event type: checked when the event is
written (`app.events.service.emit`), so the webhooks section of the OpenAPI document — built
from these — never promises a field an event lacks."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.models.enums import (
    AgreementStatus,
    EventType,
    RenewalMode,
    SignatureMethod,
)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AgreementStatusChanged(_Data):
    """An agreement moved along its lifecycle."""

    folio: str
    from_: AgreementStatus = Field(alias="from", description="The state it left.")
    to: AgreementStatus
    reason: str | None = Field(description="Why, when the move asks for one.")


class AgreementExpiring(_Data):
    """An agreement in force expires soon (a reminder)."""

    folio: str
    title: str
    expiry_date: date
    days_left: int = Field(description="One of the reminder leads (90, 30, 7 by default).")
    renewal_mode: RenewalMode


class AgreementExpired(_Data):
    """An agreement reached its expiry date."""

    folio: str
    expiry_date: date


class AgreementRenewed(_Data):
    """An agreement renewed itself for another period."""

    folio: str
    previous_expiry_date: date
    expiry_date: date


class _Obligation(_Data):
    obligation_id: int
    party_id: int = Field(description="The party that owes it.")
    description: str
    due_date: date


class ObligationDueSoon(_Obligation):
    """An obligation falls due soon (a reminder)."""

    days_left: int


class ObligationOverdue(_Obligation):
    """An obligation passed its due date unfulfilled."""


class ObligationFulfilled(_Obligation):
    """An obligation was fulfilled."""

    note: str | None


class SignatureSigned(_Data):
    """A representative signed."""

    signature_id: int
    folio: str
    representative: str = Field(description="Who signed, by name.")
    method: SignatureMethod
    signed_sha256: str = Field(description="The SHA-256 of what was signed.")


class DocumentGenerated(_Data):
    """A document was generated."""

    document_id: int
    folio: str
    sha256: str
    verification_code: str


class WebhookTest(_Data):
    """A test an admin sent to this webhook alone."""

    webhook_id: int
    message: str


EVENT_DATA: dict[EventType, type[_Data]] = {
    EventType.AGREEMENT_STATUS_CHANGED: AgreementStatusChanged,
    EventType.AGREEMENT_EXPIRING: AgreementExpiring,
    EventType.AGREEMENT_EXPIRED: AgreementExpired,
    EventType.AGREEMENT_RENEWED: AgreementRenewed,
    EventType.OBLIGATION_DUE_SOON: ObligationDueSoon,
    EventType.OBLIGATION_OVERDUE: ObligationOverdue,
    EventType.OBLIGATION_FULFILLED: ObligationFulfilled,
    EventType.SIGNATURE_SIGNED: SignatureSigned,
    EventType.DOCUMENT_GENERATED: DocumentGenerated,
    EventType.WEBHOOK_TEST: WebhookTest,
}
