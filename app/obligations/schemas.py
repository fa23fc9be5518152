"""Obligation schemas: what to create (a date, a term in días hábiles, a recurrence), and what
is read back."""

from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models.enums import ObligationStatus
from app.obligations.recurrence import Frequency
from app.schemas import BodyId, CreateSchema, Date, Integer
from app.signatures.schemas import DocumentRef


class BusinessDays(CreateSchema):
    """A term stated in días hábiles: ``days`` business days after ``after``."""

    days: Integer = Field(ge=1, le=365)
    after: Date = Field(description="The day the term starts from (not counted).")


class BusinessDaysRead(BaseModel):
    days: int
    after: date


class Recurrence(CreateSchema):
    frequency: Frequency
    until: Date | None = Field(
        default=None, description="The last possible due date; by default the expiry date."
    )


class ObligationCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "party_id": 1,
                    "description": "Entregar el informe trimestral de avance del padrón catastral.",
                    "clause": 5,
                    "due_date": "2027-04-15",
                    "recurrence": {"frequency": "quarterly"},
                },
                {
                    "party_id": 2,
                    "description": "Transferir la primera ministración.",
                    "due_in_business_days": {"days": 10, "after": "2027-02-03"},
                },
            ]
        }
    )

    party_id: BodyId = Field(description="The responsible party: one of the agreement's.")
    description: str = Field(min_length=1, max_length=5000)
    clause: Integer | None = Field(
        default=None, ge=1, le=500, description="The cláusula it comes from (1 = PRIMERA)."
    )
    due_date: Date | None = Field(
        default=None, description="The due date; with `recurrence`, the first one."
    )
    due_in_business_days: BusinessDays | None = Field(
        default=None,
        description="Instead of `due_date`: a term in días hábiles (weekends, the federal rest "
        "days of the Ley Federal del Trabajo and the configured non-working days excluded).",
    )
    recurrence: Recurrence | None = Field(
        default=None, description="Repeat monthly, quarterly or yearly from the due date."
    )

    @model_validator(mode="after")
    def _one_deadline(self) -> Self:
        if (self.due_date is None) == (self.due_in_business_days is None):
            raise ValueError("give either due_date or due_in_business_days")
        if self.recurrence is not None and self.due_date is None:
            raise ValueError("a recurrence starts from a due_date")
        return self


class ObligationWaive(CreateSchema):
    reason: str = Field(min_length=1, max_length=2000)


class PartyRef(BaseModel):
    id: int
    name: str


class ObligationRead(BaseModel):
    id: int
    agreement_id: int
    party: PartyRef
    clause: int | None
    description: str
    due_date: date
    due_in_business_days: BusinessDaysRead | None = Field(
        description="How the term was stated, when in días hábiles (as it was sent)."
    )
    series: int | None = Field(description="The first occurrence's id, for a recurring one.")
    occurrence: int | None
    frequency: Frequency | None
    status: ObligationStatus
    decided_at: datetime | None = Field(description="When it was fulfilled or waived.")
    note: str | None = Field(description="The fulfilment note, or the reason it was waived.")
    evidence: list[DocumentRef]
    created_at: datetime


class ObligationBatch(BaseModel):
    """What one request created: one obligation, or every occurrence of a recurring one."""

    items: list[ObligationRead]
