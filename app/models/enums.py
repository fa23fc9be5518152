"""Domain vocabularies shared by the tables, the schemas and the services."""

from enum import IntEnum, StrEnum

from sqlalchemy import Enum


class PartyKind(StrEnum):
    MUNICIPIO = "municipio"
    ESTADO = "estado"
    # A dependency or entity of the Administración Pública Federal.
    FEDERACION = "federacion"
    # A body with constitutional autonomy (INE, CNDH, a state's electoral institute …).
    ORGANISMO_AUTONOMO = "organismo_autonomo"
    # An organismo público descentralizado — federal, estatal or municipal by where it belongs
    # (its INEGI code): a Sistema DIF, an organismo operador de agua, a state university that
    # is not autonomous.
    ORGANISMO_DESCENTRALIZADO = "organismo_descentralizado"
    # A public institution of higher education (autonomous when its law says so: CPEUM
    # art. 3, fr. VII), and a private one.
    ACADEMICO_PUBLICO = "academico_publico"
    ACADEMICO_PRIVADO = "academico_privado"
    PRIVADO = "privado"
    SOCIAL = "social"
    INTERNACIONAL = "internacional"


# The kinds that are entes públicos: bound by public-sector law (LGPDPPSO rather than the law for
# particulares, budget availability, no renuncia al fuero), and "sector público" in the
# transparency catalog.
PUBLIC_PARTY_KINDS = frozenset(
    {
        PartyKind.MUNICIPIO,
        PartyKind.ESTADO,
        PartyKind.FEDERACION,
        PartyKind.ORGANISMO_AUTONOMO,
        PartyKind.ORGANISMO_DESCENTRALIZADO,
        PartyKind.ACADEMICO_PUBLICO,
    }
)


class Article(StrEnum):
    """The article the instrument names a party with: EL MUNICIPIO, LA SECRETARÍA, LOS …"""

    EL = "el"
    LA = "la"
    LOS = "los"
    LAS = "las"


class Gender(StrEnum):
    """Grammatical gender: of a party's denomination, or of a person (LA LIC., EL ING.)."""

    FEMININE = "feminine"
    MASCULINE = "masculine"


class Capacity(StrEnum):
    """What a signatory does for its party on one agreement."""

    # Comparece en representación: the party acts through this person.
    REPRESENTS = "represents"
    # Asiste a quien representa (asistido por): e.g. a síndico, a secretario de finanzas.
    ASSISTS = "assists"
    # Valida o da fe / refrenda: e.g. the secretario del ayuntamiento.
    ATTESTS = "attests"


class FundSource(StrEnum):
    """Where the money a party contributes comes from (the transparency export's column 10)."""

    FEDERAL = "federal"
    ESTATAL = "estatal"
    MUNICIPAL = "municipal"
    # A public body's own revenue (ingresos propios): an OPD, an autonomous university.
    PROPIOS = "propios"
    PRIVADOS = "privados"


# Public money: the sources a "recursos públicos" column counts.
PUBLIC_FUND_SOURCES = frozenset(
    {FundSource.FEDERAL, FundSource.ESTATAL, FundSource.MUNICIPAL, FundSource.PROPIOS}
)


class SigningMethod(StrEnum):
    """How the convenio is to be signed, which its closing line states."""

    # On paper, at one place and date, al margen y al calce.
    AUTOGRAFA = "autografa"
    # With e.firma (or another firma electrónica avanzada), each party on its own date.
    ELECTRONICA = "electronica"
    # Some parties by hand (the scan of their signed copy), others electronically, each on its
    # own date.
    MIXTA = "mixta"


class DeclarationsMode(StrEnum):
    """Where a party's own declarations stand against those the template writes for it."""

    # After the template's (its legal nature, its authorisation, its signers' powers).
    FOLLOW = "follow"
    # Before them.
    PRECEDE = "precede"
    # Instead of them: the party's declarations alone.
    REPLACE = "replace"


class SessionKind(StrEnum):
    """Kinds of sesión de cabildo."""

    ORDINARIA = "ordinaria"
    EXTRAORDINARIA = "extraordinaria"
    SOLEMNE = "solemne"
    # Cabildo abierto, where the state's law provides for it (Veracruz, Durango, …).
    ABIERTA = "abierta"


class PublicationMedium(StrEnum):
    DOF = "dof"
    PERIODICO_OFICIAL = "periodico_oficial"
    GACETA_MUNICIPAL = "gaceta_municipal"


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


# A convenio every party signed: in force, or once in force. What is published, reported to the
# transparency platform and given a versión pública.
SIGNED_STATUSES = frozenset(
    {AgreementStatus.ACTIVE, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED}
)


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


class DocumentKind(StrEnum):
    """What a document is to its agreement."""

    # Generated by the service from the agreement and a template.
    CONVENIO = "convenio"
    # Uploaded: an annex (anexo técnico, budget), a scan of the hand-signed convenio, evidence.
    ANNEX = "annex"
    SIGNED_COPY = "signed_copy"
    EVIDENCE = "evidence"
    # The certified acta of the sesión de cabildo that authorised the convenio.
    CABILDO_ACTA = "cabildo_acta"
    # The convenio with its classified parts removed, for the public (LGTAIP art. 3 fr. XXI):
    # generated from the data, or a redacted scan of a convenio signed on paper.
    VERSION_PUBLICA = "version_publica"
    # Issued by the service when the last party signs: who signed, how, when and from where,
    # in the order followed (`app.signatures.constancia`). A document apart from the signed
    # convenio, whose PAdES signatures must keep covering their whole file.
    CONSTANCIA = "constancia"


class ClassifiedPart(StrEnum):
    """What of a convenio a transparency unit may classify: text its drafter wrote, or an annex.
    The folio, the parties, the objective, the dates and the public resources are public by law
    and never among them."""

    CLAUSE = "clause"
    ANTECEDENT = "antecedent"
    # One of a party's own declarations.
    DECLARATION = "declaration"
    ANNEX = "annex"


class DocumentStatus(StrEnum):
    """Whether a document's file exists: ``pending`` while a worker renders it (with a broker),
    ``failed`` when it could not be rendered, ``ready`` once its file is stored."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class DocumentOrigin(StrEnum):
    GENERATED = "generated"
    UPLOADED = "uploaded"
    # The document to sign with PAdES signatures added (by the service or by the signer).
    SIGNED = "signed"


class PdfVariant(StrEnum):
    """How a generated PDF is written: plain, or PDF/A-3b for archival copies."""

    STANDARD = "standard"
    PDF_A_3B = "pdf/a-3b"


class SignatureStatus(StrEnum):
    PENDING = "pending"
    SIGNED = "signed"
    DECLINED = "declined"


class SignatureMethod(StrEnum):
    """How a representative signed."""

    # An explicit acceptance of the exact document by the authenticated signatory.
    ELECTRONIC = "electronic"
    # A scan of the hand-signed (firma autógrafa) printed convenio, kept as evidence.
    AUTOGRAFA = "autografa"
    # A cryptographic PDF signature with an X.509 certificate such as the SAT e.firma.
    PADES = "pades"


class ObligationStatus(StrEnum):
    PENDING = "pending"
    FULFILLED = "fulfilled"
    # Past its due date and not fulfilled (set by the sweep).
    OVERDUE = "overdue"
    # Excused, with a reason.
    WAIVED = "waived"


# Still owed: can be fulfilled or waived, and shows in calendars.
OPEN_OBLIGATIONS = frozenset({ObligationStatus.PENDING, ObligationStatus.OVERDUE})


class EventType(StrEnum):
    """What happened, as integrators subscribe to it (webhooks, reminders)."""

    AGREEMENT_STATUS_CHANGED = "agreement.status_changed"
    AGREEMENT_EXPIRING = "agreement.expiring"
    AGREEMENT_EXPIRED = "agreement.expired"
    AGREEMENT_RENEWED = "agreement.renewed"
    OBLIGATION_DUE_SOON = "obligation.due_soon"
    OBLIGATION_OVERDUE = "obligation.overdue"
    OBLIGATION_FULFILLED = "obligation.fulfilled"
    SIGNATURE_SIGNED = "signature.signed"
    DOCUMENT_GENERATED = "document.generated"
    # Sent on request to one webhook (`POST /webhooks/{id}/test`) so its owner can check the
    # receiver and its signature check; never fanned out, never subscribed to.
    WEBHOOK_TEST = "webhook.test"


# What a webhook may subscribe to: everything that happens, not the test an admin asks for.
SUBSCRIBABLE_EVENT_TYPES = tuple(t for t in EventType if t is not EventType.WEBHOOK_TEST)


class DeliveryChannel(StrEnum):
    """How an event reaches someone outside the service."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Every attempt failed; an admin may re-send it.
    FAILED = "failed"
    # Its webhook was deleted before it could be delivered.
    CANCELLED = "cancelled"


class Role(StrEnum):
    ADMIN = "admin"
    LEGAL = "legal"
    SIGNATORY = "signatory"
    VIEWER = "viewer"


class BatchStatus(StrEnum):
    """A batch is running while any of its items is pending."""

    RUNNING = "running"
    FINISHED = "finished"


class BatchItemStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


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
