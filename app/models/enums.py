"""Domain vocabularies shared by the tables, the schemas and the services."""

from enum import IntEnum, StrEnum

from sqlalchemy import Enum


class PartyKind(StrEnum):
    MUNICIPIO = "municipio"
    ESTADO = "estado"
    FEDERACION = "federacion"
    ORGANISMO_AUTONOMO = "organismo_autonomo"
    PRIVADO = "privado"
    SOCIAL = "social"
    ACADEMICO = "academico"
    INTERNACIONAL = "internacional"


class AgreementKind(StrEnum):
    COLABORACION = "colaboracion"
    COORDINACION = "coordinacion"
    CONCERTACION = "concertacion"
    SUBSIDIARIEDAD = "subsidiariedad"
    ESPECIFICO = "especifico"
    MODIFICATORIO = "modificatorio"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    IN_SIGNATURE = "in_signature"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


class RenewalMode(StrEnum):
    NONE = "none"
    AUTOMATIC = "automatic"
    BY_AGREEMENT = "by_agreement"


class Initiative(IntEnum):
    """Initiatives of the Declaración de Tlalnepantla (2018) that agreements serve."""

    # Convenios with the other levels of government: collaboration, coordination, subsidiarity.
    GOVERNMENT_COOPERATION = 4
    # Alliances, convenios and commitments with other organisations.
    ALLIANCES = 6


class Role(StrEnum):
    ADMIN = "admin"
    LEGAL = "legal"
    SIGNATORY = "signatory"
    VIEWER = "viewer"


def db_enum(enum: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, alike on SQLite and PostgreSQL."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
