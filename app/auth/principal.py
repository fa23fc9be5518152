"""Who is acting: an API key's holder, or the operator at the command line."""

from dataclasses import dataclass, field
from typing import Any

from app.models.enums import Role


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str
    api_key_id: int | None = None
    representative_id: int | None = None
    # A representative acting through an invitation's link (the signing page), not a key.
    invitation_id: int | None = None
    # Where the request came from, kept with every audit event it causes.
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def is_signatory(self) -> bool:
        return self.role is Role.SIGNATORY

    def as_actor(self) -> dict[str, Any]:
        """The actor as the audit trail records it."""
        kind = "api_key" if self.api_key_id is not None else "cli"
        actor: dict[str, Any] = {
            "type": "invitation" if self.invitation_id is not None else kind,
            "api_key_id": self.api_key_id,
            "name": self.name,
            "role": self.role.value,
            "representative_id": self.representative_id,
        }
        if self.invitation_id is not None:
            actor["invitation_id"] = self.invitation_id
        return actor


def operator(command: str) -> Principal:
    """The person at the server's command line (they can read the database anyway)."""
    return Principal(role=Role.ADMIN, name="operator", context={"command": command})
