"""Convenio templates and their immutable versions."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.models.base import Base, UTCDateTime


class Template(Base):
    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    versions: Mapped[list["TemplateVersion"]] = relationship(
        back_populates="template", lazy="raise", order_by="TemplateVersion.number"
    )


class TemplateVersion(Base):
    """One version of a template: written once, never changed, so a document can always say
    exactly which source produced it."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    html: Mapped[str] = mapped_column(Text)
    css: Mapped[str] = mapped_column(Text)
    required_fields: Mapped[list[str]] = mapped_column(JSON)
    # The standard clauses it writes, by key: [{"key", "title", "subjects", "when"}]
    # (`app.documents.clauses`); a drafter includes, omits or replaces each one.
    standard_clauses: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    # SHA-256 of the canonical {html, css, required_fields, standard_clauses}: the same source
    # is never stored twice.
    sha256: Mapped[str] = mapped_column(String(64))
    # "shipped" (from templates/ in the repository) or "uploaded" (by an admin).
    origin: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)

    template: Mapped[Template] = relationship(back_populates="versions", lazy="raise")
