"""A convenio's content without what the public may not read, decided before the page is laid
out: a classified part, or a person's personal data, never reaches the template — in its place
the template prints a mark, so nothing remains under it to be recovered (LGTAIP art. 121).

Each removal is numbered; its mark is text the template prints like any other (``MARK``,
two private-use characters around the number), which the versión pública's layout turns into
"[Eliminado n]" with an anchor its leyenda de clasificación points at for the page.
"""

import copy
import re
from dataclasses import dataclass
from typing import Any

from app.models.enums import ClassifiedPart

MARK = "\ue000{}\ue001"
MARK_PATTERN = re.compile("\ue000(\\d+)\ue001")

# A person's data are confidential (LGTAIP, DOF 20/03/2025, art. 115; datos personales:
# LGPDPPSO, DOF 20/03/2025, art. 3 fr. IX).
PERSONAL_DATA_BASIS = (
    "Artículo 115 de la Ley General de Transparencia y Acceso a la Información Pública y "
    "artículo 3, fracción IX, de la Ley General de Protección de Datos Personales en Posesión "
    "de Sujetos Obligados: datos personales de una persona física identificada o identificable."
)
# A persona física's RFC has 13 characters (four letters); a persona moral's, 12 (three).
PERSON_RFC_LENGTH = 13


@dataclass(frozen=True)
class Withheld:
    """One part a transparency unit classified (`app.models.Classification`), as redaction
    needs it: which text, said how, on what basis."""

    part: ClassifiedPart
    position: int | None
    party_index: int | None  # for a declaration: the party's place among the agreement's
    description: str
    legal_basis: str


@dataclass(frozen=True)
class Removal:
    """What the leyenda lists: the mark's number (None for an annex withheld whole), what was
    removed, generically, and why."""

    number: int | None
    description: str
    legal_basis: str

    def as_context(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "description": self.description,
            "legal_basis": self.legal_basis,
        }


def redact(
    content: dict[str, Any], withheld: list[Withheld]
) -> tuple[dict[str, Any], list[Removal]]:
    """``content`` (an agreement as templates see it) without the ``withheld`` parts and the
    personal data of any persona física party, and the list of what was removed, in order."""
    content = copy.deepcopy(content)
    removals: list[Removal] = []

    def mark(description: str, basis: str) -> str:
        removals.append(Removal(len(removals) + 1, description, basis))
        return MARK.format(len(removals))

    for party in content["parties"]:
        rfc = party.get("rfc")
        if rfc and len(rfc) == PERSON_RFC_LENGTH:
            name = party["denomination"]
            party["rfc"] = mark(f"RFC de persona física ({name})", PERSONAL_DATA_BASIS)
            if party.get("address"):
                party["address"] = mark(
                    f"Domicilio de persona física ({name})", PERSONAL_DATA_BASIS
                )
    for part in withheld:
        if part.part is ClassifiedPart.ANNEX:
            removals.append(Removal(None, part.description, part.legal_basis))
            continue
        assert part.position is not None  # checked when the part was classified
        index = part.position - 1
        if part.part is ClassifiedPart.CLAUSE:
            clause = content["clauses"][index]
            clause["text"] = mark(part.description, part.legal_basis)
        elif part.part is ClassifiedPart.ANTECEDENT:
            content["antecedents"][index] = mark(part.description, part.legal_basis)
        else:
            assert part.party_index is not None
            declarations = content["parties"][part.party_index]["declarations"]
            declarations[index] = mark(part.description, part.legal_basis)
    return content, removals
