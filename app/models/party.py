"""Parties to agreements and the people who represent them."""

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, VersionedMixin
from app.models.enums import PartyKind, db_enum


class Party(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PartyKind] = mapped_column(db_enum(PartyKind, "party_kind"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    legal_name: Mapped[str | None] = mapped_column(String(400))
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
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(300))
    # Fundamento: the legal basis of the appointment and of the power to sign.
    legal_basis: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    rfc: Mapped[str | None] = mapped_column(String(13))
    curp: Mapped[str | None] = mapped_column(String(18))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    party: Mapped[Party] = relationship(back_populates="representatives", lazy="raise")
