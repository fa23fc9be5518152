"""Party and representative schemas: Create, Update (partial) and Read."""

from datetime import date
from typing import ClassVar

from pydantic import ConfigDict, Field

from app.models.enums import Article, Gender, PartyKind
from app.schemas import (
    CURP,
    RFC,
    Boolean,
    CreateSchema,
    Date,
    Email,
    PersonRFC,
    ReadSchema,
    StateCode,
    Timestamps,
    UpdateSchema,
)

InegiCode = Field(
    default=None,
    pattern=r"^\d{2}(\d{3})?$",
    description="INEGI code: 2 digits for an estado, 5 (estado + municipio) for a municipio; an "
    "organismo descentralizado carries the code of the estado or municipio it belongs to.",
)
PartyName = Field(
    min_length=1, max_length=300, description="Common name, e.g. Municipio de Tlalnepantla de Baz."
)
LegalName = Field(
    default=None,
    min_length=1,
    max_length=400,
    description="As the instrument names it, without its article: Poder Ejecutivo del Estado "
    "Libre y Soberano de México, Instituto Tecnológico y de Estudios Superiores de Monterrey. "
    "The common name stands in for it when it is absent.",
)
PartyArticle = Field(
    default=None,
    description="The article the instrument names the party with (el, la, los, las): given, "
    "never guessed from the name. Omit it for a name used without one (a company's razón "
    "social), and give its gender instead.",
)
PartyGender = Field(
    default=None,
    description="The grammatical gender of the denomination (REPRESENTADA or REPRESENTADO); "
    "it follows from the article when there is one.",
)
LegalFramework = Field(
    default=None,
    min_length=1,
    max_length=5000,
    description="The law or instrument that creates or governs the party, as its declarations "
    "cite it: la Ley Orgánica Municipal del Estado de México; el Decreto de creación publicado "
    "en …; la escritura pública número … .",
)
_AUTONOMOUS = (
    "A public institution autonomous by law (for universities, CPEUM art. 3, fr. VII); "
    "organismos autónomos are autonomous by their kind."
)
TermStart = Field(
    default=None, description="A municipio's ayuntamiento: first day of its constitutional term."
)
TermEnd = Field(
    default=None, description="A municipio's ayuntamiento: last day of its constitutional term."
)
Address = Field(default=None, min_length=1, max_length=1000)
# A person's name, as long as the column that keeps it (and as a representative's full_name).
ContactName = Field(default=None, min_length=1, max_length=200)
Phone = Field(default=None, min_length=1, max_length=40, pattern=r"^[0-9+()\-. ext]+$")


class PartyCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "municipio",
                    "name": "Municipio de Tlalnepantla de Baz",
                    "article": "el",
                    "inegi_code": "15104",
                    "term_start": "2025-01-01",
                    "term_end": "2027-12-31",
                    "contact_name": "Dirección Jurídica",
                    "contact_email": "juridico@tlalnepantla.example",
                }
            ]
        }
    )

    kind: PartyKind
    name: str = PartyName
    legal_name: str | None = LegalName
    article: Article | None = PartyArticle
    gender: Gender | None = PartyGender
    legal_framework: str | None = LegalFramework
    autonomous: Boolean = Field(default=False, description=_AUTONOMOUS)
    rfc: RFC | None = None
    inegi_code: str | None = InegiCode
    state_code: StateCode | None = Field(
        default=None,
        description="State where the party is; derived from the INEGI code when it has one.",
    )
    term_start: Date | None = TermStart
    term_end: Date | None = TermEnd
    address: str | None = Address
    contact_name: str | None = ContactName
    contact_email: Email | None = None
    contact_phone: str | None = Phone


class PartyUpdate(UpdateSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {
            "legal_name",
            "article",
            "gender",
            "legal_framework",
            "rfc",
            "inegi_code",
            "state_code",
            "term_start",
            "term_end",
            "address",
            "contact_name",
            "contact_email",
            "contact_phone",
        }
    )

    kind: PartyKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=300)
    legal_name: str | None = LegalName
    article: Article | None = PartyArticle
    gender: Gender | None = PartyGender
    legal_framework: str | None = LegalFramework
    autonomous: Boolean | None = Field(default=None, description=_AUTONOMOUS)
    rfc: RFC | None = None
    inegi_code: str | None = InegiCode
    state_code: StateCode | None = None
    term_start: Date | None = TermStart
    term_end: Date | None = TermEnd
    address: str | None = Address
    contact_name: str | None = ContactName
    contact_email: Email | None = None
    contact_phone: str | None = Phone


class PartyRead(ReadSchema, Timestamps):
    id: int
    kind: PartyKind
    name: str
    legal_name: str | None
    article: Article | None
    gender: Gender | None
    legal_framework: str | None
    autonomous: bool
    rfc: str | None
    inegi_code: str | None
    state_code: str | None
    term_start: date | None
    term_end: date | None
    address: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None


class PartySummary(ReadSchema):
    id: int
    kind: PartyKind
    name: str


FullName = Field(
    min_length=1, max_length=200, description="Without the honorific: Mariana Téllez Arriaga."
)
Honorific = Field(
    default=None,
    min_length=1,
    max_length=40,
    pattern=r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ. ]+$",
    description="As the document abbreviates it: Lic., Mtra., Dr., Ing., C. .",
)
PersonGender = Field(
    description="The person's gender as the document writes it: «LA LIC.», «PRESIDENTA», "
    "«ASISTIDA» (feminine); «EL ING.», «ASISTIDO» (masculine)."
)
Position = Field(min_length=1, max_length=300, description="Cargo, e.g. Presidente Municipal.")
LegalBasis = Field(
    default=None,
    min_length=1,
    max_length=5000,
    description="Fundamento: the legal basis of the appointment and of the power to sign.",
)
Appointment = Field(
    default=None,
    min_length=1,
    max_length=5000,
    description="The document that proves the appointment: el nombramiento de fecha …; la "
    "constancia de mayoría y validez expedida por …; la escritura pública número … .",
)


class RepresentativeCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "honorific": "Lic.",
                    "full_name": "Mariana Téllez Arriaga",
                    "gender": "feminine",
                    "position": "Presidenta Municipal Constitucional",
                    "legal_basis": "artículo 48 de la Ley Orgánica Municipal del Estado de México",
                }
            ]
        }
    )

    honorific: str | None = Honorific
    full_name: str = FullName
    gender: Gender = PersonGender
    position: str = Position
    legal_basis: str | None = LegalBasis
    appointment: str | None = Appointment
    email: Email | None = None
    rfc: PersonRFC | None = None
    curp: CURP | None = None
    active: Boolean = True


class RepresentativeUpdate(UpdateSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {"honorific", "legal_basis", "appointment", "email", "rfc", "curp"}
    )

    honorific: str | None = Honorific
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    gender: Gender | None = Field(default=None, description=PersonGender.description)
    position: str | None = Field(default=None, min_length=1, max_length=300)
    legal_basis: str | None = LegalBasis
    appointment: str | None = Appointment
    email: Email | None = None
    rfc: PersonRFC | None = None
    curp: CURP | None = None
    active: Boolean | None = None


class RepresentativeRead(ReadSchema, Timestamps):
    id: int
    party_id: int
    honorific: str | None
    full_name: str
    gender: Gender | None
    position: str
    legal_basis: str | None
    appointment: str | None
    email: str | None
    rfc: str | None
    curp: str | None
    active: bool
