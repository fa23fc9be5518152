"""Agreements, the parties to each one and the representatives who sign for them."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, VersionedMixin
from app.models.enums import (
    AgreementKind,
    AgreementStatus,
    Capacity,
    DeclarationsMode,
    PublicationMedium,
    RenewalMode,
    SigningMethod,
    db_enum,
)
from app.models.party import Party, Representative


class Agreement(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("expiry_date IS NULL OR expiry_date > effective_date", name="dates_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folio: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[AgreementKind] = mapped_column(
        db_enum(AgreementKind, "agreement_kind"), index=True
    )
    status: Mapped[AgreementStatus] = mapped_column(
        db_enum(AgreementStatus, "agreement_status"), index=True
    )
    # Initiative of the Declaración de Tlalnepantla (4: other levels of government, 6: alliances).
    initiative: Mapped[int | None] = mapped_column(Integer, index=True)
    objective: Mapped[str] = mapped_column(Text)
    # The unidad administrativa that follows the convenio up (the transparency export's
    # column 7): an administrative fact, not part of the convenio's text.
    follow_up_unit: Mapped[str | None] = mapped_column(String(300))
    # Structured legal content: [str] and [{"title": str, "text": str}].
    antecedents: Mapped[list[str]] = mapped_column(JSON, default=list)
    clauses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Testigos who sign the document besides the parties: [{"full_name": str, "position": str}].
    witnesses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    effective_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date, index=True)
    renewal_mode: Mapped[RenewalMode] = mapped_column(db_enum(RenewalMode, "renewal_mode"))
    renewal_months: Mapped[int | None] = mapped_column(Integer)
    renewal_notice_days: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    # How, where and when the closing line says the convenio is signed, and in how many
    # originals. The date is the one planned for signing on paper (None: left for the signers to
    # write); never the day of rendering, and never a date the signatures may contradict.
    signing_method: Mapped[SigningMethod] = mapped_column(
        db_enum(SigningMethod, "signing_method"), server_default=SigningMethod.AUTOGRAFA.value
    )
    signing_place: Mapped[str | None] = mapped_column(String(300))
    signing_date: Mapped[date | None] = mapped_column(Date)
    copies: Mapped[int | None] = mapped_column(Integer)
    # Where the convenio is to be published (None: where its kind of parties requires), and
    # whether it takes effect on its publication rather than on its effective date.
    publication_media: Mapped[list[str] | None] = mapped_column(JSON)
    effective_on_publication: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The drafter's choice for each standard clause of the template, by key:
    # {"key": {"mode": "omit"}} or {"key": {"mode": "replace", "title": …, "text": …}}.
    standard_clauses: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    # Fecha de firma: the day the last party signed, set when the agreement becomes active.
    signed_on: Mapped[date | None] = mapped_column(Date)
    # The document every party signs, fixed on entering in_signature (use_alter: documents
    # refer to agreements too).
    signing_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", use_alter=True)
    )
    # Once every signature is given: the PDF that carries the PAdES signatures, the scans of
    # the hand-signed copy, or (electronic acceptances only) the document signed.
    signed_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", use_alter=True)
    )
    # Its title, objective and parties' names lower-cased and without accents, for `q` searches
    # that ignore case and accents (app.agreements.search).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The stems of the words of its title, objective and parties' names (app.words), distinct
    # and space-separated, for `q` searches by word form: "convenios" finds "convenio".
    # On PostgreSQL a trigger keeps them as a `tsvector` too, in `search_vector`, which only the
    # migrations and the search's SQL know of (migration a9c4e6f1b2d8).
    search_words: Mapped[str] = mapped_column(Text, default="", server_default="")

    parties: Mapped[list["AgreementParty"]] = relationship(
        back_populates="agreement",
        lazy="raise",
        order_by="AgreementParty.position",
        cascade="all, delete-orphan",
    )
    topics: Mapped[list["AgreementTopic"]] = relationship(
        lazy="raise", order_by="AgreementTopic.topic", cascade="all, delete-orphan"
    )
    publications: Mapped[list["Publication"]] = relationship(
        lazy="raise", order_by="Publication.published_on, Publication.id"
    )


class AgreementParty(Base):
    """A party to one agreement: its role there, its declarations and who signs for it."""

    __tablename__ = "agreement_parties"
    __table_args__ = (UniqueConstraint("agreement_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # How the agreement names the party from the proemio on ("EL MUNICIPIO", "LA SECRETARÍA").
    role: Mapped[str] = mapped_column(String(120))
    declarations: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Whether the party's own declarations follow the template's, precede them or replace them.
    declarations_mode: Mapped[DeclarationsMode] = mapped_column(
        db_enum(DeclarationsMode, "declarations_mode"),
        default=DeclarationsMode.FOLLOW,
        server_default=DeclarationsMode.FOLLOW.value,
    )
    # What the party puts in: [{"amount": "…", "currency", "purpose", "source", "budget_item",
    # "schedule": [{"date", "amount"}]}] (amounts as decimal strings).
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    # A municipio's cabildo authorisation: {"session", "session_number", "date", "acta_number",
    # "agreement_number", "members", "votes_for", "votes_against", "abstentions",
    # "certified_acta_document_id", "legislature": {…} | None}.
    authorization: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    agreement: Mapped[Agreement] = relationship(back_populates="parties", lazy="raise")
    party: Mapped[Party] = relationship(lazy="raise")
    signatories: Mapped[list["AgreementSignatory"]] = relationship(
        back_populates="agreement_party",
        lazy="raise",
        order_by="AgreementSignatory.position",
        cascade="all, delete-orphan",
    )


class AgreementSignatory(Base):
    """A representative who signs an agreement for one of its parties."""

    __tablename__ = "agreement_signatories"
    __table_args__ = (UniqueConstraint("agreement_party_id", "representative_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_party_id: Mapped[int] = mapped_column(ForeignKey("agreement_parties.id"), index=True)
    # Denormalised from the agreement party, so "agreements this representative signs" is one join.
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representatives.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[Capacity] = mapped_column(
        db_enum(Capacity, "signatory_capacity"), server_default=Capacity.REPRESENTS.value
    )

    agreement_party: Mapped[AgreementParty] = relationship(
        back_populates="signatories", lazy="raise"
    )
    representative: Mapped[Representative] = relationship(lazy="raise")


class Publication(TimestampMixin, Base):
    """Where and when a signed convenio was published (DOF, Periódico Oficial, Gaceta)."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    medium: Mapped[PublicationMedium] = mapped_column(
        db_enum(PublicationMedium, "publication_medium")
    )
    # The medium's own name when it has one ("Gaceta del Gobierno del Estado de México").
    medium_name: Mapped[str | None] = mapped_column(String(300))
    published_on: Mapped[date] = mapped_column(Date)
    # Número, tomo, sección or edición, as the medium identifies the issue.
    number: Mapped[str | None] = mapped_column(String(120))
    url: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[str] = mapped_column(String(200))


class AgreementTopic(Base):
    __tablename__ = "agreement_topics"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class FolioCounter(Base):
    """The last folio number handed out in a year; incremented under the row's write lock.

    Not versioned: it changes only by one atomic ``UPDATE … SET n = n + 1``, never read first."""

    __tablename__ = "folio_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
