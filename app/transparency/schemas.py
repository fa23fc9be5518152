"""What a transparency unit sends and reads: classified parts and versiones públicas."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from app.models.enums import ClassifiedPart
from app.schemas import BodyId, CreateSchema, Date, Integer, ReadSchema

# What the law makes public and no classification may withhold (LGTAIP, DOF 20/03/2025,
# art. 122: a versión pública may not omit what is a transparency obligation; art. 65, fr.
# XXXI, and its format: the convenio's folio and name, the parties, its objective, its term and
# the public resources it delivers).
PUBLIC_BY_LAW = {
    "folio": "the convenio's folio is",
    "title": "the convenio's name is",
    "parties": "the convenio's parties are",
    "party": "the convenio's parties are",
    "objective": "the convenio's objective is",
    "amount": "the public resources a convenio delivers are",
    "contributions": "the public resources a convenio delivers are",
    "public_resources": "the public resources a convenio delivers are",
    "effective_date": "the convenio's term is",
    "expiry_date": "the convenio's term is",
    "term": "the convenio's term is",
    "signatories": "who signs for each party, and as what, is",
}


class ClassificationCreate(CreateSchema):
    """One part of the convenio withheld from the public, with its legal basis."""

    part: ClassifiedPart = Field(
        description="clause, antecedent or declaration (text the drafter wrote), or annex. "
        "The folio, the parties, the objective, the term and the public resources are public "
        "by law."
    )
    position: Integer | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Its place, 1 being the first, in the agreement's `clauses` or "
        "`antecedents`, or in the party's own `declarations`, as the drafter sent them.",
    )
    party_id: BodyId | None = Field(default=None, description="For a declaration: whose.")
    document_id: BodyId | None = Field(default=None, description="For an annex: which.")
    description: str = Field(
        min_length=1,
        max_length=300,
        description="What is removed, said generically, as the versión pública shows it (e.g. "
        "Datos bancarios de la cuenta receptora).",
    )
    legal_basis: str = Field(
        min_length=1,
        max_length=2000,
        description="The legal basis of the classification (e.g. Artículo 115 de la Ley General "
        "de Transparencia y Acceso a la Información Pública).",
    )

    @model_validator(mode="before")
    @classmethod
    def _public_by_law(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("part"), str):
            what = PUBLIC_BY_LAW.get(data["part"].strip().lower())
            if what is not None:
                raise ValueError(
                    f"{what} public by law and cannot be classified (Ley General de "
                    "Transparencia y Acceso a la Información Pública, art. 122)"
                )
        return data

    @model_validator(mode="after")
    def _reference(self) -> "ClassificationCreate":
        if self.part is ClassifiedPart.ANNEX:
            if self.document_id is None or self.position is not None or self.party_id is not None:
                raise ValueError("an annex is named by its document_id alone")
        elif self.position is None or self.document_id is not None:
            raise ValueError(f"a {self.part.value} is named by its position")
        elif (self.part is ClassifiedPart.DECLARATION) != (self.party_id is not None):
            raise ValueError("a declaration, and only a declaration, names its party_id")
        return self


class ClassificationRead(ReadSchema):
    id: int
    agreement_id: int
    part: ClassifiedPart
    position: int | None
    party_id: int | None
    document_id: int | None
    description: str
    legal_basis: str
    created_by: str
    created_at: datetime


class Classifier(CreateSchema):
    full_name: str = Field(min_length=1, max_length=200)
    position: str = Field(
        min_length=1, max_length=300, description="e.g. Titular de la Dirección Jurídica."
    )


class CommitteeSession(CreateSchema):
    """The Comité de Transparencia's session that confirmed the classification (LGTAIP, DOF
    20/03/2025, art. 40, fr. II)."""

    session: str = Field(
        min_length=1, max_length=300, description="e.g. Décima Sesión Extraordinaria."
    )
    date: Date
    resolution: str = Field(
        min_length=1, max_length=120, description="The acuerdo's number, e.g. CT/EXT/10/2026-03."
    )


class PublicVersionCreate(CreateSchema):
    """The leyenda de clasificación of the versión pública to generate."""

    area: str = Field(min_length=1, max_length=300, description="The área that holds the convenio.")
    classified_by: Classifier = Field(description="Who classifies: the área's titular.")
    classified_on: Date = Field(description="When the área classified the parts withheld.")
    committee: CommitteeSession

    @field_validator("committee")
    @classmethod
    def _after_classification(cls, committee: CommitteeSession, info: Any) -> CommitteeSession:
        classified_on = info.data.get("classified_on")
        if classified_on is not None and committee.date < classified_on:
            raise ValueError("the Comité confirms a classification on or after it is made")
        return committee


class PublicVersionRead(BaseModel):
    id: int
    agreement_id: int
    document_id: int
    verification_code: str | None
    area: str
    classified_by: str
    classified_by_position: str
    classified_on: date
    committee_session: str
    committee_date: date
    committee_resolution: str
    published_at: datetime | None
    public_url: str | None = Field(
        description="Where anyone reads it without a key, once published."
    )
    created_by: str
    created_at: datetime
