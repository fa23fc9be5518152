"""What the public may see of a convenio: the parts its transparency unit classifies, and the
versiones públicas made without them (Ley General de Transparencia y Acceso a la Información
Pública, DOF 20/03/2025: art. 3 fr. XXI, versión pública; art. 115, confidential information;
art. 120, versiones públicas; art. 40 fr. II, the Comité de Transparencia confirms)."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.models.base import Base, UTCDateTime
from app.models.enums import ClassifiedPart, db_enum


class Classification(Base):
    """One part of a convenio withheld from the public, with its legal basis."""

    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    part: Mapped[ClassifiedPart] = mapped_column(db_enum(ClassifiedPart, "classified_part"))
    # The 1-based number of the cláusula, antecedente or declaración (of ``party_id``).
    position: Mapped[int | None] = mapped_column(Integer)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    # The annex withheld.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # What was removed, said generically, as the versión pública shows it (art. 120).
    description: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class PublicVersion(Base):
    """A versión pública of a convenio and its leyenda de clasificación; public once
    ``published_at`` is set (the newest published one is the convenio's public address)."""

    __tablename__ = "public_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    # The leyenda: the área that holds the convenio, who classifies (the área's titular), and
    # the Comité de Transparencia's session and acuerdo that confirmed the classification.
    area: Mapped[str] = mapped_column(String(300))
    classified_by: Mapped[str] = mapped_column(String(200))
    classified_by_position: Mapped[str] = mapped_column(String(300))
    classified_on: Mapped[date] = mapped_column(Date)
    committee_session: Mapped[str] = mapped_column(String(300))
    committee_date: Mapped[date] = mapped_column(Date)
    committee_resolution: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
