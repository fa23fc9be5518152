"""Agreement schemas: Create, Update (partial), Read, Summary and the transition request."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, field_validator

from app.agreements import lifecycle
from app.models import Agreement
from app.models.enums import AgreementKind, AgreementStatus, Initiative, RenewalMode
from app.parties.schemas import PartySummary
from app.schemas import (
    BodyId,
    CreateSchema,
    Date,
    Integer,
    LongText,
    ReadSchema,
    Timestamps,
    UpdateSchema,
    json_integer,
)

Topic = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]+(_[a-z0-9]+)*$",
        max_length=60,
        description="A priority theme as a slug, e.g. gobernanza, seguridad_publica.",
    ),
]
InitiativeNumber = Annotated[Initiative, BeforeValidator(json_integer)]
# At most 15 significant digits (under ten trillion): a JSON number that size reaches us as a
# float whose shortest form is exactly the digits the client wrote, so nothing is rounded.
Amount = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. MXN.")]
Title = Annotated[str, Field(min_length=1, max_length=500)]
Objective = Annotated[str, Field(min_length=1, max_length=20_000)]


class Clause(CreateSchema):
    """A cláusula; the document numbers them PRIMERA, SEGUNDA, … in this order."""

    title: str = Field(min_length=1, max_length=300, description="e.g. OBJETO, VIGENCIA.")
    text: str = Field(min_length=1, max_length=50_000)


class Witness(CreateSchema):
    """A testigo who signs the document besides the parties' representatives."""

    full_name: str = Field(min_length=1, max_length=200)
    position: str = Field(default="", max_length=300, description="Cargo, if any.")


class Renewal(CreateSchema):
    """How the agreement renews: not at all, by itself for N months, or by a written agreement."""

    mode: RenewalMode = RenewalMode.NONE
    months: Integer | None = Field(default=None, ge=1, le=120)
    notice_days: Integer | None = Field(
        default=None, ge=0, le=365, description="Days before expiry to give notice."
    )


class AgreementPartyInput(CreateSchema):
    party_id: BodyId
    role: str = Field(
        min_length=1,
        max_length=120,
        description='How the agreement names the party, e.g. "EL MUNICIPIO".',
    )
    declarations: list[LongText] = Field(default_factory=list, max_length=30)
    signatory_ids: list[BodyId] = Field(
        default_factory=list,
        max_length=10,
        description="Representatives of this party who sign, in signing order.",
    )


def _unique_parties(parties: list[AgreementPartyInput]) -> list[AgreementPartyInput]:
    ids = [party.party_id for party in parties]
    if len(set(ids)) != len(ids):
        raise ValueError("each party appears once")
    roles = [party.role.casefold() for party in parties]
    if len(set(roles)) != len(roles):
        raise ValueError("each party needs its own role name")
    for party in parties:
        if len(set(party.signatory_ids)) != len(party.signatory_ids):
            raise ValueError(f"party {party.party_id} lists a signatory twice")
    return parties


def _unique_topics(topics: list[str]) -> list[str]:
    if len(set(topics)) != len(topics):
        raise ValueError("each topic appears once")
    return topics


class AgreementCreate(CreateSchema):
    title: Title
    kind: AgreementKind
    initiative: InitiativeNumber | None = Field(
        default=None, description="Initiative of the Declaración de Tlalnepantla (4 or 6)."
    )
    topics: list[Topic] = Field(default_factory=list, max_length=20)
    objective: Objective
    parties: list[AgreementPartyInput] = Field(min_length=2, max_length=20)
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
    parent_id: BodyId | None = Field(
        default=None, description="The agreement a modificatorio amends (required for one)."
    )

    _parties = field_validator("parties")(_unique_parties)
    _topics = field_validator("topics")(_unique_topics)


class AgreementUpdate(UpdateSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {"initiative", "amount", "currency", "expiry_date", "parent_id"}
    )

    title: Title | None = None
    kind: AgreementKind | None = None
    initiative: InitiativeNumber | None = None
    topics: list[Topic] | None = Field(default=None, max_length=20)
    objective: Objective | None = None
    parties: list[AgreementPartyInput] | None = Field(default=None, min_length=2, max_length=20)
    antecedents: list[LongText] | None = Field(default=None, max_length=50)
    clauses: list[Clause] | None = Field(default=None, max_length=100)
    witnesses: list[Witness] | None = Field(default=None, max_length=10)
    amount: Amount | None = None
    currency: Currency | None = None
    effective_date: Date | None = None
    expiry_date: Date | None = None
    renewal: Renewal | None = None
    parent_id: BodyId | None = None

    _parties = field_validator("parties")(_unique_parties)
    _topics = field_validator("topics")(_unique_topics)


class TransitionRequest(CreateSchema):
    to: AgreementStatus
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Why; required to send back, cancel or terminate.",
    )
    signed_on: Date | None = Field(
        default=None,
        description="With `to: active`: the day the last party signed (default today).",
    )
    document_id: BodyId | None = Field(
        default=None,
        description="With `to: in_signature`: the document to sign, a convenio generated from "
        "the agreement's present content (default: the newest such).",
    )


class SignatoryRead(ReadSchema):
    representative_id: int
    full_name: str
    position: str


class AgreementPartyRead(ReadSchema):
    party: PartySummary
    role: str
    declarations: list[str]
    signatories: list[SignatoryRead]


class RenewalRead(ReadSchema):
    mode: RenewalMode
    months: int | None
    notice_days: int | None


class ClauseRead(ReadSchema):
    title: str
    text: str


class WitnessRead(ReadSchema):
    full_name: str
    position: str


class _AgreementBase(ReadSchema, Timestamps):
    id: int
    folio: str
    title: str
    kind: AgreementKind
    status: AgreementStatus
    initiative: Initiative | None
    topics: list[str]
    amount: Decimal | None
    currency: str | None
    effective_date: date
    expiry_date: date | None
    signed_on: date | None
    parent_id: int | None
    signing_document_id: int | None = Field(
        description="The document every party signs, fixed when signing starts."
    )
    signed_document_id: int | None = Field(
        description="Once every party has signed: the signed PDF (with its PAdES signatures, "
        "or the scans of the hand-signed copy; the document signed, when every signature was "
        "an electronic acceptance)."
    )

    @staticmethod
    def _common(agreement: Agreement) -> dict[str, Any]:
        return {
            "topics": [topic.topic for topic in agreement.topics],
            **{
                name: getattr(agreement, name)
                for name in _AgreementBase.model_fields
                if name != "topics"
            },
        }


class AgreementSummary(_AgreementBase):
    """An agreement as lists show it."""

    parties: list[PartySummary]

    @classmethod
    def from_model(cls, agreement: Agreement) -> "AgreementSummary":
        return cls(
            **cls._common(agreement),
            parties=[PartySummary.model_validate(link.party) for link in agreement.parties],
        )


class AgreementRead(_AgreementBase):
    objective: str
    parties: list[AgreementPartyRead]
    antecedents: list[str]
    clauses: list[ClauseRead]
    witnesses: list[WitnessRead]
    renewal: RenewalRead
    allowed_transitions: list[AgreementStatus] = Field(
        description="The states this agreement can move to from its current one."
    )

    @classmethod
    def from_model(cls, agreement: Agreement) -> "AgreementRead":
        return cls(
            **cls._common(agreement),
            objective=agreement.objective,
            parties=[
                AgreementPartyRead(
                    party=PartySummary.model_validate(link.party),
                    role=link.role,
                    declarations=link.declarations,
                    signatories=[
                        SignatoryRead(
                            representative_id=signatory.representative_id,
                            full_name=signatory.representative.full_name,
                            position=signatory.representative.position,
                        )
                        for signatory in link.signatories
                    ],
                )
                for link in agreement.parties
            ],
            antecedents=agreement.antecedents,
            clauses=[ClauseRead.model_validate(clause) for clause in agreement.clauses],
            witnesses=[WitnessRead.model_validate(witness) for witness in agreement.witnesses],
            renewal=RenewalRead(
                mode=agreement.renewal_mode,
                months=agreement.renewal_months,
                notice_days=agreement.renewal_notice_days,
            ),
            allowed_transitions=list(lifecycle.allowed_from(agreement.status)),
        )
