"""INEGI's catalog of municipalities, imported with ``convenios catalog import``."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, VersionedMixin


class Municipality(VersionedMixin, Base):
    __tablename__ = "municipalities"

    # CVEGEO: the state's two digits followed by the municipality's three.
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    state_code: Mapped[str] = mapped_column(String(2), index=True)
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer)
