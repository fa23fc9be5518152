"""Schemas about the caller."""

from pydantic import BaseModel

from app.models.enums import Role


class Me(BaseModel):
    name: str
    role: Role
    api_key_id: int | None
    representative_id: int | None
