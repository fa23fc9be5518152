"""Agreement schemas: Create, Update (partial), Read, Summary and the transition request."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from app.agreements import lifecycle
from app.models import Agreement
from app.models.enums import (
    AgreementKind,
    AgreementStatus,
    Capacity,
    DeclarationsMode,
    FundSource,
    Initiative,
    PublicationMedium,
    RenewalMode,
    SessionKind,
    SigningMethod,
)
from app.parties.schemas import PartySummary
from app.schemas import (
    CONTROLS,
    BodyId,
    Boolean,
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
# Money is a string of digits with at most two decimals ("1500000.50"), never a JSON number:
# a number is a float to most clients, which may already have lost the cents, and a schema that
# says "number or string" leaves a generated client to guess. At most 15 digits.
MONEY = r"^\d{1,13}(\.\d{1,2})?$"
POSITIVE_MONEY = r"^(?!0+(\.0+)?$)\d{1,13}(\.\d{1,2})?$"


def _money_text(value: Any) -> Any:
    """A JSON amount as the schema says it: digits, a point and at most two decimals."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError('an amount is a string of digits, e.g. "1500000.50", not a number')
    if isinstance(value, str) and not re.fullmatch(MONEY, value):
        raise ValueError('an amount is written with digits and a point, e.g. "1500000.50"')
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(ge=0, max_digits=15, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": MONEY, "examples": ["1500000.50"]}),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. MXN.")]
# What a party contributes, or one payment of it: more than nothing.
PositiveAmount = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(gt=0, max_digits=15, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": POSITIVE_MONEY, "examples": ["500000.00"]}),
]
Title = Annotated[str, Field(min_length=1, max_length=500)]
Objective = Annotated[str, Field(min_length=1, max_length=20_000)]
FollowUpUnit = Annotated[
    str,
    Field(
        min_length=1,
        max_length=300,
        description="The unidad administrativa responsible for following the convenio up, as "
        "the transparency export names it (e.g. Dirección de Seguridad Pública).",
    ),
]


class Clause(CreateSchema):
    """A cláusula; the document numbers them PRIMERA, SEGUNDA, … in this order."""

    title: str = Field(min_length=1, max_length=300, description="e.g. OBJETO, VIGENCIA.")
    text: str = Field(min_length=1, max_length=50_000)


class Witness(CreateSchema):
    """A testigo who signs the document besides the parties' representatives."""

    full_name: str = Field(min_length=1, max_length=200)
    position: str = Field(default="", max_length=300, description="Cargo, if any.")
    party_id: BodyId | None = Field(
        default=None,
        description="The party under whose signatures the testigo signs; without one, after "
        "every party's.",
    )


class Renewal(CreateSchema):
    """How the agreement renews: not at all, by itself for N months, or by a written agreement."""

    mode: RenewalMode = RenewalMode.NONE
    months: Integer | None = Field(default=None, ge=1, le=120)
    notice_days: Integer | None = Field(
        default=None, ge=0, le=365, description="Days before expiry to give notice."
    )


class SignatoryInput(CreateSchema):
    """A representative who signs for the party, and in what capacity."""

    representative_id: BodyId
    capacity: Capacity = Field(
        default=Capacity.REPRESENTS,
        description="represents (the party acts through this person), assists (asistido por: a "
        "síndico, a secretario de finanzas) or attests (validates with their signature: the "
        "secretario del ayuntamiento). Every party that signs has someone who represents it.",
    )


class Ministration(CreateSchema):
    """One payment of a contribution's calendar (ministración)."""

    date: Date
    amount: PositiveAmount


class Contribution(CreateSchema):
    """What a party puts in: the money clauses and the transparency export come from these."""

    amount: PositiveAmount
    currency: Currency | None = Field(
        default=None, description="The agreement's currency (the default); no other is taken."
    )
    purpose: str = Field(
        min_length=1,
        max_length=2000,
        description="What for, as the clause says it: la adquisición de cámaras de "
        "videovigilancia.",
    )
    source: FundSource = Field(
        description="federal, estatal, municipal, propios (a public body's own revenue) or "
        "privados."
    )
    budget_item: str | None = Field(
        default=None, min_length=1, max_length=200, description="Partida presupuestal."
    )
    schedule: list[Ministration] = Field(
        default_factory=list,
        max_length=60,
        description="Calendar of ministraciones, in date order; their sum may not exceed the "
        "amount.",
    )


class AgreementPartyInput(CreateSchema):
    party_id: BodyId
    role: str = Field(
        min_length=1,
        max_length=120,
        description='How the agreement names the party, e.g. "EL MUNICIPIO".',
    )
    declarations: list[LongText] = Field(default_factory=list, max_length=30)
    declarations_mode: DeclarationsMode = Field(
        default=DeclarationsMode.FOLLOW,
        description="Where the party's declarations stand against those the template writes "
        "for it (its legal nature, its cabildo's authorisation, its signers' powers, its RFC "
        "and address): follow them, precede them, or replace them.",
    )
    signatories: list[SignatoryInput] = Field(
        default_factory=list,
        max_length=10,
        description="Who signs for this party, in signing order, each with a capacity.",
    )
    contributions: list[Contribution] = Field(default_factory=list, max_length=20)


def _unique_parties(parties: list[AgreementPartyInput]) -> list[AgreementPartyInput]:
    ids = [party.party_id for party in parties]
    if len(set(ids)) != len(ids):
        raise ValueError("each party appears once")
    roles = [party.role.casefold() for party in parties]
    if len(set(roles)) != len(roles):
        raise ValueError("each party needs its own role name")
    for party in parties:
        signers = [s.representative_id for s in party.signatories]
        if len(set(signers)) != len(signers):
            raise ValueError(f"party {party.party_id} lists a signatory twice")
    return parties


class Signing(CreateSchema):
    """How, where and when the convenio's closing line says it is signed."""

    method: SigningMethod = Field(
        default=SigningMethod.AUTOGRAFA,
        description="autografa: on paper, al margen y al calce, at one place and date (the "
        "signatures are the scans of the signed copy); electronica: each party with its "
        "firma electrónica (an electronic acceptance or an e.firma PAdES signature), on its "
        "own date; mixta: some parties by hand, others electronically, each on its own date.",
    )
    place: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="Where it is signed (default: the seat of its first municipio, else of its "
        "first estado).",
    )
    date: Date | None = Field(
        default=None,
        description="The day planned for signing on paper, which the document states; the "
        "signatures are then taken as of that day. Without it the closing line leaves the day "
        "for the signers to write.",
    )
    copies: Integer | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Originals signed on paper (default: one per party).",
    )


class PublicationPlan(CreateSchema):
    """Where the signed convenio is to be published, as its PUBLICACIÓN clause says."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"media": ["periodico_oficial", "gaceta_municipal"]},
                {"media": ["dof"], "effective_on_publication": True},
            ]
        }
    )

    media: list[PublicationMedium] | None = Field(
        default=None,
        max_length=3,
        description="dof, periodico_oficial, gaceta_municipal; [] for none; absent: those its "
        "parties require (the DOF when the federation takes part, Ley de Planeación art. 36).",
    )
    effective_on_publication: Boolean = Field(
        default=False,
        description="Whether it takes effect on its publication rather than on effective_date.",
    )


ClauseKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class StandardClauseChoice(CreateSchema):
    """What the drafter does with one of the template's standard clauses."""

    mode: Literal["include", "omit", "replace"] = Field(
        description="include (the default for every standard clause that applies), omit, or "
        "replace with the drafter's own title and text."
    )
    title: str | None = Field(default=None, min_length=1, max_length=300)
    text: str | None = Field(default=None, min_length=1, max_length=50_000)

    @model_validator(mode="after")
    def _replacement(self) -> "StandardClauseChoice":
        if self.mode == "replace" and (self.title is None or self.text is None):
            raise ValueError("a replaced clause needs its title and text")
        if self.mode != "replace" and (self.title is not None or self.text is not None):
            raise ValueError("only a replaced clause has a title and text of its own")
        return self


# Topics are slugs: equal only when written alike, as JSON Schema's `uniqueItems` compares them.
_UNIQUE: dict[str, Any] = {"uniqueItems": True}


def _unique_topics(topics: list[str]) -> list[str]:
    if len(set(topics)) != len(topics):
        raise ValueError("each topic appears once")
    return topics


StandardClauses = Annotated[
    dict[ClauseKey, StandardClauseChoice],
    Field(
        max_length=40,
        description="By the key the template version lists them with (GET /templates/{key}/"
        "versions/{n}): include, omit or replace each standard clause. A clause the drafter "
        "wrote on the same subject (VIGENCIA, RELACIÓN LABORAL, …) replaces the standard one "
        "by itself.",
    ),
]


class AgreementCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Convenio de coordinación en materia de catastro",
                    "kind": "coordinacion",
                    "initiative": 4,
                    "topics": ["catastro"],
                    "objective": "Establecer las bases de coordinación para la actualización del "
                    "padrón catastral del municipio.",
                    "parties": [
                        {
                            "party_id": 1,
                            "role": "EL MUNICIPIO",
                            "signatories": [{"representative_id": 1}],
                            "contributions": [
                                {
                                    "amount": "1500000.00",
                                    "purpose": "la actualización del padrón catastral",
                                    "source": "municipal",
                                }
                            ],
                        },
                        {
                            "party_id": 2,
                            "role": "EL ESTADO",
                            "signatories": [{"representative_id": 2}],
                        },
                    ],
                    "clauses": [
                        {"title": "OBJETO", "text": "El presente convenio tiene por objeto…"}
                    ],
                    "amount": "1500000.00",
                    "effective_date": "2027-01-15",
                    "expiry_date": "2027-12-31",
                    "signing": {"method": "electronica"},
                }
            ]
        }
    )

    title: Title
    kind: AgreementKind
    initiative: InitiativeNumber | None = Field(
        default=None, description="Initiative of the Declaración de Tlalnepantla (4 or 6)."
    )
    topics: list[Topic] = Field(default_factory=list, max_length=20, json_schema_extra=_UNIQUE)
    objective: Objective
    follow_up_unit: FollowUpUnit | None = None
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
    signing: Signing = Field(default_factory=Signing)
    publication: PublicationPlan = Field(default_factory=PublicationPlan)
    standard_clauses: StandardClauses = Field(default_factory=dict)

    _parties = field_validator("parties")(_unique_parties)
    _topics = field_validator("topics")(_unique_topics)


class AgreementUpdate(UpdateSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {"initiative", "amount", "currency", "expiry_date", "parent_id", "follow_up_unit"}
    )

    title: Title | None = None
    kind: AgreementKind | None = None
    initiative: InitiativeNumber | None = None
    topics: list[Topic] | None = Field(default=None, max_length=20, json_schema_extra=_UNIQUE)
    objective: Objective | None = None
    follow_up_unit: FollowUpUnit | None = None
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
    signing: Signing | None = None
    publication: PublicationPlan | None = None
    standard_clauses: StandardClauses | None = None

    _parties = field_validator("parties")(_unique_parties)
    _topics = field_validator("topics")(_unique_topics)


class TransitionRequest(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"to": "in_review"},
                {"to": "in_signature", "document_id": 12},
                {"to": "active", "signed_on": "2027-02-03"},
                {"to": "cancelled", "reason": "Las partes acordaron no celebrarlo."},
            ]
        }
    )

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


class LegislatureAuthorization(CreateSchema):
    """The state Legislature's authorisation, where the state's law requires one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "instrument": "el Decreto número 123 de la H. LXII Legislatura del Estado, "
                    "publicado en el Periódico Oficial el 3 de febrero de 2026",
                    "date": "2026-01-29",
                }
            ]
        }
    )

    instrument: str = Field(
        min_length=1,
        max_length=1000,
        description="As the declaration cites it: el Decreto número 123 de la H. LXII "
        "Legislatura del Estado, publicado en el Periódico Oficial el 3 de febrero de 2026.",
    )
    date: Date


class CabildoAuthorization(CreateSchema):
    """The sesión de cabildo that authorised a municipio to sign the convenio."""

    session: SessionKind
    session_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        description="As the acta names the session: Vigésima Octava, 12.",
    )
    date: Date
    acta_number: str = Field(min_length=1, max_length=60)
    agreement_number: str | None = Field(
        default=None, min_length=1, max_length=60, description="Número de acuerdo or punto."
    )
    members: Integer = Field(ge=1, le=100, description="Members (integrantes) of the cabildo.")
    votes_for: Integer = Field(ge=0, le=100)
    votes_against: Integer = Field(default=0, ge=0, le=100)
    abstentions: Integer = Field(default=0, ge=0, le=100)
    certified_acta_document_id: BodyId | None = Field(
        default=None,
        description="The certified acta, uploaded to the agreement as a cabildo_acta document; "
        "required before signing starts.",
    )
    legislature: LegislatureAuthorization | None = None


class CabildoAuthorizationRead(ReadSchema):
    session: SessionKind
    session_number: str | None
    date: date
    acta_number: str
    agreement_number: str | None
    members: int
    votes_for: int
    votes_against: int
    abstentions: int
    certified_acta_document_id: int | None
    legislature: LegislatureAuthorization | None


# No space, and no control character: the URL is kept as text (`storable_text`).
_URL = rf"^https?://[^\s/$.?#{CONTROLS}][^\s{CONTROLS}]*$"


class PublicationCreate(CreateSchema):
    """A publication of the signed convenio in an official medium."""

    medium: PublicationMedium
    medium_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="The medium's own name: Gaceta del Gobierno del Estado de México.",
    )
    published_on: Date
    number: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="Número, tomo, sección or edición, as the medium identifies the issue.",
    )
    url: str | None = Field(default=None, max_length=2000, pattern=_URL)


class PublicationRead(ReadSchema):
    id: int
    medium: PublicationMedium
    medium_name: str | None
    published_on: date
    number: str | None
    url: str | None
    created_at: datetime


class SignatoryRead(ReadSchema):
    representative_id: int
    full_name: str
    position: str
    capacity: Capacity


class MinistrationRead(ReadSchema):
    date: date
    amount: Decimal


class ContributionRead(ReadSchema):
    amount: Decimal
    currency: str
    purpose: str
    source: FundSource
    budget_item: str | None
    schedule: list[MinistrationRead]


class AgreementPartyRead(ReadSchema):
    party: PartySummary
    role: str
    declarations: list[str]
    declarations_mode: DeclarationsMode
    signatories: list[SignatoryRead]
    contributions: list[ContributionRead]
    authorization: CabildoAuthorizationRead | None


class SigningRead(ReadSchema):
    method: SigningMethod
    place: str | None
    date: date | None
    copies: int | None


class PublicationPlanRead(ReadSchema):
    media: list[PublicationMedium] | None
    effective_on_publication: bool


class StandardClauseChoiceRead(ReadSchema):
    mode: Literal["include", "omit", "replace"]
    title: str | None = None
    text: str | None = None


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
    party_id: int | None = None


class _AgreementBase(ReadSchema, Timestamps):
    id: int
    folio: str
    title: str
    kind: AgreementKind
    status: AgreementStatus
    initiative: Initiative | None
    topics: list[str]
    follow_up_unit: str | None
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
    signing: SigningRead
    publication: PublicationPlanRead
    standard_clauses: dict[str, StandardClauseChoiceRead]
    publications: list[PublicationRead] = Field(
        description="Where and when the signed convenio was published."
    )
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
                    declarations_mode=link.declarations_mode,
                    signatories=[
                        SignatoryRead(
                            representative_id=signatory.representative_id,
                            full_name=signatory.representative.full_name,
                            position=signatory.representative.position,
                            capacity=signatory.capacity,
                        )
                        for signatory in link.signatories
                    ],
                    contributions=[
                        ContributionRead.model_validate(contribution)
                        for contribution in link.contributions
                    ],
                    authorization=(
                        CabildoAuthorizationRead.model_validate(link.authorization)
                        if link.authorization is not None
                        else None
                    ),
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
            signing=SigningRead(
                method=agreement.signing_method,
                place=agreement.signing_place,
                date=agreement.signing_date,
                copies=agreement.copies,
            ),
            publication=PublicationPlanRead(
                media=agreement.publication_media,
                effective_on_publication=agreement.effective_on_publication,
            ),
            standard_clauses={
                key: StandardClauseChoiceRead.model_validate(choice)
                for key, choice in agreement.standard_clauses.items()
            },
            publications=[
                PublicationRead.model_validate(publication)
                for publication in agreement.publications
            ],
            allowed_transitions=list(lifecycle.allowed_from(agreement.status)),
        )
