"""ORM tables, one module per aggregate; importing this package registers them all."""

from app.models.agreement import (
    Agreement,
    AgreementParty,
    AgreementSignatory,
    AgreementTopic,
    FolioCounter,
    Publication,
)
from app.models.apikey import ApiKey
from app.models.audit import AuditEvent, AuditHead
from app.models.base import Base
from app.models.batch import Batch, BatchItem
from app.models.calendar import CalendarFeed
from app.models.catalog import Municipality
from app.models.delivery import Delivery, DeliveryAttempt, WebhookSubscription
from app.models.document import BlobLease, Document, JobResult, ScheduledRun
from app.models.event import Event
from app.models.idempotency import IdempotencyRecord
from app.models.invitation import DevicePreparation, Invitation, SigningSession
from app.models.obligation import Obligation
from app.models.party import Party, Representative
from app.models.signature import Signature
from app.models.template import Template, TemplateVersion
from app.models.transparency import Classification, PublicVersion

__all__ = [
    "Agreement",
    "AgreementParty",
    "AgreementSignatory",
    "AgreementTopic",
    "ApiKey",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Batch",
    "BatchItem",
    "BlobLease",
    "CalendarFeed",
    "Classification",
    "Delivery",
    "DeliveryAttempt",
    "DevicePreparation",
    "Document",
    "Event",
    "FolioCounter",
    "IdempotencyRecord",
    "Invitation",
    "JobResult",
    "Municipality",
    "Obligation",
    "Party",
    "PublicVersion",
    "Publication",
    "Representative",
    "ScheduledRun",
    "Signature",
    "SigningSession",
    "Template",
    "TemplateVersion",
    "WebhookSubscription",
]
