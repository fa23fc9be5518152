"""Parties to agreements and the people who represent them."""

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, VersionedMixin
from app.models.enums import Article, Gender, PartyKind, db_enum


class Party(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PartyKind] = mapped_column(db_enum(PartyKind, "party_kind"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    # As the instrument names it ("Poder Ejecutivo del Estado Libre y Soberano de México").
    legal_name: Mapped[str | None] = mapped_column(String(400))
    # The article of that denomination, and its gender: given, never guessed from the name.
    # Without an article (a company's razón social) the gender still decides "representada".
    article: Mapped[Article | None] = mapped_column(db_enum(Article, "party_article"))
    gender: Mapped[Gender | None] = mapped_column(db_enum(Gender, "party_gender"))
    # The law or instrument that creates or governs it: a ley orgánica, a decreto de creación,
    # the escritura constitutiva of a company. Its declarations cite it.
    legal_framework: Mapped[str | None] = mapped_column(Text)
    # A public institution with constitutional autonomy (CPEUM art. 3, fr. VII, for universities).
    autonomous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A municipio's ayuntamiento: its constitutional term, which decides the cabildo majority a
    # convenio needs (CPEUM art. 115, fr. II, b).
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    rfc: Mapped[str | None] = mapped_column(String(13), index=True)
    # INEGI: two digits for an estado, five (estado + municipio) for a municipio.
    inegi_code: Mapped[str | None] = mapped_column(String(5), index=True)
    state_code: Mapped[str | None] = mapped_column(String(2), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # Lower-cased, accent-free name and legal name, for `q` searches that ignore accents.
    search_text: Mapped[str] = mapped_column(Text, default="")

    representatives: Mapped[list["Representative"]] = relationship(
        back_populates="party", lazy="raise", order_by="Representative.id"
    )


class Representative(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "representatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    # Name and honorific apart ("Lic.", "Mtra.", "Dr.", "C."): the document writes
    # "LA LIC. MARIANA TÉLLEZ ARRIAGA" from them and the gender.
    honorific: Mapped[str | None] = mapped_column(String(40))
    full_name: Mapped[str] = mapped_column(String(200))
    gender: Mapped[Gender | None] = mapped_column(db_enum(Gender, "representative_gender"))
    position: Mapped[str] = mapped_column(String(300))
    # Fundamento: the legal basis of the appointment and of the power to sign.
    legal_basis: Mapped[str | None] = mapped_column(Text)
    # The document that proves the appointment: a nombramiento, a constancia de mayoría, a
    # poder notarial.
    appointment: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    rfc: Mapped[str | None] = mapped_column(String(13))
    curp: Mapped[str | None] = mapped_column(String(18))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    party: Mapped[Party] = relationship(back_populates="representatives", lazy="raise")
