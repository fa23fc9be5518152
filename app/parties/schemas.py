"""Party and representative schemas: Create, Update (partial) and Read."""

from typing import ClassVar

from pydantic import Field

from app.models.enums import PartyKind
from app.schemas import (
    CURP,
    RFC,
    Boolean,
    CreateSchema,
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
    description="INEGI code: 2 digits for an estado, 5 (estado + municipio) for a municipio.",
)
PartyName = Field(
    min_length=1, max_length=300, description="Common name, e.g. Municipio de Tlalnepantla de Baz."
)
LegalName = Field(default=None, min_length=1, max_length=400)
Address = Field(default=None, min_length=1, max_length=1000)
# A person's name, as long as the column that keeps it (and as a representative's full_name).
ContactName = Field(default=None, min_length=1, max_length=200)
Phone = Field(default=None, min_length=1, max_length=40, pattern=r"^[0-9+()\-. ext]+$")


class PartyCreate(CreateSchema):
    kind: PartyKind
    name: str = PartyName
    legal_name: str | None = LegalName
    rfc: RFC | None = None
    inegi_code: str | None = InegiCode
    state_code: StateCode | None = Field(
        default=None,
        description="State where the party is; derived from the INEGI code when it has one.",
    )
    address: str | None = Address
    contact_name: str | None = ContactName
    contact_email: Email | None = None
    contact_phone: str | None = Phone


class PartyUpdate(UpdateSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {
            "legal_name",
            "rfc",
            "inegi_code",
            "state_code",
            "address",
            "contact_name",
            "contact_email",
            "contact_phone",
        }
    )

    kind: PartyKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=300)
    legal_name: str | None = LegalName
    rfc: RFC | None = None
    inegi_code: str | None = InegiCode
    state_code: StateCode | None = None
    address: str | None = Address
    contact_name: str | None = ContactName
    contact_email: Email | None = None
    contact_phone: str | None = Phone


class PartyRead(ReadSchema, Timestamps):
    id: int
    kind: PartyKind
    name: str
    legal_name: str | None
    rfc: str | None
    inegi_code: str | None
    state_code: str | None
    address: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None


class PartySummary(ReadSchema):
    id: int
    kind: PartyKind
    name: str


FullName = Field(min_length=1, max_length=200)
Position = Field(min_length=1, max_length=300, description="Cargo, e.g. Presidente Municipal.")
LegalBasis = Field(
    default=None,
    min_length=1,
    max_length=5000,
    description="Fundamento: the legal basis of the appointment and of the power to sign.",
)


class RepresentativeCreate(CreateSchema):
    full_name: str = FullName
    position: str = Position
    legal_basis: str | None = LegalBasis
    email: Email | None = None
    rfc: PersonRFC | None = None
    curp: CURP | None = None
    active: Boolean = True


class RepresentativeUpdate(UpdateSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"legal_basis", "email", "rfc", "curp"})

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    position: str | None = Field(default=None, min_length=1, max_length=300)
    legal_basis: str | None = LegalBasis
    email: Email | None = None
    rfc: PersonRFC | None = None
    curp: CURP | None = None
    active: Boolean | None = None


class RepresentativeRead(ReadSchema, Timestamps):
    id: int
    party_id: int
    full_name: str
    position: str
    legal_basis: str | None
    email: str | None
    rfc: str | None
    curp: str | None
    active: bool
