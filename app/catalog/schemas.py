"""Catalog schemas."""

from app.schemas import ReadSchema


class StateRead(ReadSchema):
    code: str
    name: str


class MunicipalityRead(ReadSchema):
    code: str
    state_code: str
    name: str
    population: int | None
