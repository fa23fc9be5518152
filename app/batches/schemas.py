"""Batch schemas: the request for one convenio with many municipios, and its progress."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.agreements.schemas import (
    _UNIQUE,
    AgreementCreate,
    AgreementPartyInput,
    Amount,
    Clause,
    Contribution,
    Currency,
    FollowUpUnit,
    InitiativeNumber,
    Objective,
    PublicationPlan,
    Renewal,
    Signing,
    StandardClauses,
    Title,
    Topic,
    Witness,
    _unique_topics,
)
from app.documents.schemas import TemplateKey, TemplateRef
from app.models.enums import (
    AgreementKind,
    BatchItemStatus,
    BatchStatus,
    DeclarationsMode,
    PdfVariant,
)
from app.schemas import MAX_ID, CreateSchema, Date, Integer, LongText, StateCode

PLACEHOLDER = "{municipio}"
# Every municipio of the country: the most one batch may name.
MAX_MUNICIPIOS = 2478
MunicipioCode = Annotated[
    str, Field(pattern=r"^\d{5}$", description="INEGI code of a municipio (estado + municipio).")
]
_PLACEHOLDER_NOTE = (
    f" `{PLACEHOLDER}` is replaced in each agreement by its municipio's name as INEGI's "
    "catalog writes it (e.g. Santa María del Tule)."
)


class MunicipioSlot(CreateSchema):
    """Which municipios the batch is for — every one of a state in the imported catalog, or
    those listed — and how each agreement names its municipio among the parties."""

    state: StateCode | None = Field(
        default=None,
        description="Every municipio of this state in INEGI's catalog (as imported with "
        "`convenios catalog import`), in code order. Either this or `codes`.",
    )
    codes: list[MunicipioCode] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MUNICIPIOS,
        description="These municipios, in this order, each once. Either this or `state`.",
    )
    role: str = Field(
        default="EL MUNICIPIO",
        min_length=1,
        max_length=120,
        description="How each agreement names its municipio.",
    )
    declarations: list[LongText] = Field(default_factory=list, max_length=30)
    declarations_mode: DeclarationsMode = DeclarationsMode.FOLLOW
    contributions: list[Contribution] = Field(
        default_factory=list,
        max_length=20,
        description="What each municipio puts in (the same for every one).",
    )
    position: Integer = Field(
        default=0,
        ge=0,
        le=19,
        description="The municipio's place among the parties: 0 first, len(parties) last.",
    )

    @model_validator(mode="after")
    def _one_way(self) -> "MunicipioSlot":
        if (self.state is None) == (self.codes is None):
            raise ValueError("name the municipios by `state` or by `codes`, one of the two")
        return self


class BatchCreate(CreateSchema):
    """One convenio for many municipios: the content common to every agreement, the parties
    common to all (the estado, with its signatories), and the municipio's slot."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Convenio de colaboración en materia de catastro con el "
                    "municipio de {municipio}",
                    "kind": "colaboracion",
                    "initiative": 4,
                    "topics": ["catastro"],
                    "objective": "Establecer las bases de colaboración para modernizar el "
                    "catastro de {municipio}.",
                    "parties": [
                        {
                            "party_id": 2,
                            "role": "EL ESTADO",
                            "signatories": [{"representative_id": 2}],
                        }
                    ],
                    "municipios": {
                        "state": "20",
                        "role": "EL MUNICIPIO",
                        "declarations": ["Que cuenta con un padrón catastral."],
                        "position": 0,
                    },
                    "clauses": [
                        {"title": "OBJETO", "text": "El presente convenio tiene por objeto…"}
                    ],
                    "effective_date": "2027-01-15",
                    "expiry_date": "2027-12-31",
                    "signing": {"method": "electronica"},
                }
            ]
        }
    )

    title: Title = Field(description="The agreements' title." + _PLACEHOLDER_NOTE)
    kind: AgreementKind
    initiative: InitiativeNumber | None = Field(
        default=None, description="Initiative of the Declaración de Tlalnepantla (4 or 6)."
    )
    topics: list[Topic] = Field(default_factory=list, max_length=20, json_schema_extra=_UNIQUE)
    objective: Objective = Field(description="The agreements' objective." + _PLACEHOLDER_NOTE)
    follow_up_unit: FollowUpUnit | None = None
    parties: list[AgreementPartyInput] = Field(
        min_length=1,
        max_length=19,
        description="The parties every agreement has besides its municipio (the estado, an "
        "agency), each with its role, declarations, signatories and contributions.",
    )
    municipios: MunicipioSlot
    antecedents: list[LongText] = Field(default_factory=list, max_length=50)
    clauses: list[Clause] = Field(default_factory=list, max_length=100)
    witnesses: list[Witness] = Field(default_factory=list, max_length=10)
    amount: Amount | None = None
    currency: Currency | None = Field(default=None, description="Defaults to MXN with an amount.")
    effective_date: Date
    expiry_date: Date | None = Field(
        default=None, description="Last day in force; after effective_date."
    )
    renewal: Renewal = Field(default_factory=Renewal)
    signing: Signing = Field(default_factory=Signing)
    publication: PublicationPlan = Field(default_factory=PublicationPlan)
    standard_clauses: StandardClauses = Field(default_factory=dict)
    template: TemplateKey | None = Field(
        default=None,
        description="Template key; by default the one for the kind (coordinacion, "
        "modificatorio, else colaboracion). Its version is fixed when the batch is created.",
    )
    template_version: Integer | None = Field(
        default=None, ge=1, le=MAX_ID, description="Version number; by default the newest."
    )
    variant: PdfVariant = Field(
        default=PdfVariant.STANDARD, description="pdf/a-3b for archival copies."
    )

    _topics = field_validator("topics")(_unique_topics)

    @model_validator(mode="after")
    def _slot_fits(self) -> "BatchCreate":
        if self.municipios.position > len(self.parties):
            raise ValueError(
                f"municipios.position is at most {len(self.parties)}, the number of parties"
            )
        roles = {party.role.casefold() for party in self.parties}
        if self.municipios.role.casefold() in roles:
            raise ValueError("the municipio's role is a party's already: each needs its own")
        return self

    def agreement_for(self, municipio: str, party_id: int) -> AgreementCreate:
        """The agreement of one municipio (named ``municipio``, party ``party_id``)."""
        data: dict[str, Any] = self.model_dump(
            mode="json", exclude={"municipios", "template", "template_version", "variant"}
        )
        slot = self.municipios
        link = {
            "party_id": party_id,
            "role": slot.role,
            "declarations": slot.declarations,
            "declarations_mode": slot.declarations_mode.value,
            "contributions": [c.model_dump(mode="json") for c in slot.contributions],
        }
        data["parties"].insert(slot.position, link)
        data["title"] = self.title.replace(PLACEHOLDER, municipio)
        data["objective"] = self.objective.replace(PLACEHOLDER, municipio)
        return AgreementCreate.model_validate(data)


class BatchFailure(BaseModel):
    municipality_code: str
    municipio: str | None = Field(description="Its name in INEGI's catalog.")
    error: str = Field(description="Why its agreement or its PDF could not be made.")


class _BatchBase(BaseModel):
    id: int
    status: BatchStatus = Field(description="running while any item is pending; then finished.")
    total: int = Field(description="Municipios in the batch.")
    done: int = Field(description="Agreements created and rendered.")
    failed: int
    pending: int
    template: TemplateRef
    variant: PdfVariant
    created_at: datetime
    finished_at: datetime | None


class BatchSummary(_BatchBase):
    """A batch as lists show it."""


class BatchRead(_BatchBase):
    failures: list[BatchFailure] = Field(
        description="The first 100 items that failed, in order (all of them: "
        "GET /batches/{id}/items?status=failed)."
    )
    items_url: str
    documents_url: str = Field(
        description="The ZIP of the PDFs of the items done, once the batch is finished."
    )


class BatchItemRead(BaseModel):
    position: int
    municipality_code: str
    municipio: str | None = Field(description="Its name in INEGI's catalog.")
    status: BatchItemStatus
    agreement_id: int | None
    folio: str | None
    document_id: int | None
    error: str | None
    attempts: int = Field(description="How many times a worker took it up.")
