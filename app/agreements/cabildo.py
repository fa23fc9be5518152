"""The cabildo's authorisation of a convenio, as the lifecycle checks it: pure rules.

A municipio signs a convenio once its ayuntamiento, in a sesión de cabildo, authorises it. A
convenio that binds the municipio beyond the ayuntamiento's term — it expires after the term
ends, has no expiry, or renews by itself — needs the votes of a qualified share of all its
members: at least two thirds (CPEUM art. 115, fr. II, b), more where the state's law says so,
and in some states the Legislature's authorisation too (the setting `CONVENIOS_CABILDO_RULES`).
Any other convenio needs the majority of the members present, with a quorum of more than half
of them: the common rule of the states' municipal laws, which the service applies unless a
state's rule says otherwise.
"""

import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from app.config import CabildoRule
from app.models.enums import RenewalMode


def binds_beyond_term(
    *, term_end: date, expiry_date: date | None, renewal_mode: RenewalMode
) -> bool:
    """Whether the convenio commits the municipio past the ayuntamiento's last day."""
    return expiry_date is None or expiry_date > term_end or renewal_mode is RenewalMode.AUTOMATIC


@dataclass(frozen=True)
class Requirement:
    """The votes for a convenio needs in the cabildo, and whether the Legislature must
    authorise it as well."""

    votes: int
    # How the declaration and the 409 name it.
    majority: str
    beyond_term: bool
    legislature: bool


def requirement(
    authorization: dict[str, Any],
    *,
    term_end: date,
    expiry_date: date | None,
    renewal_mode: RenewalMode,
    rule: CabildoRule,
) -> Requirement:
    members = authorization["members"]
    present = present_members(authorization)
    if binds_beyond_term(term_end=term_end, expiry_date=expiry_date, renewal_mode=renewal_mode):
        share = rule.share
        name = "dos terceras partes" if share == Fraction(2, 3) else f"{share} partes"
        return Requirement(
            votes=math.ceil(share * members),
            majority=f"las {name} de sus integrantes",
            beyond_term=True,
            legislature=rule.legislature,
        )
    return Requirement(
        votes=present // 2 + 1,
        majority="la mayoría de los integrantes presentes",
        beyond_term=False,
        legislature=False,
    )


def present_members(authorization: dict[str, Any]) -> int:
    return int(
        authorization["votes_for"] + authorization["votes_against"] + authorization["abstentions"]
    )


def vote_problems(authorization: dict[str, Any], needed: Requirement) -> list[str]:
    """What makes the recorded vote insufficient for this convenio (empty when it suffices)."""
    members, present = authorization["members"], present_members(authorization)
    if present > members:
        return [f"{present} votes were cast in a cabildo of {members} members"]
    if present < members // 2 + 1:
        return [
            f"{present} of {members} members voted: a session needs more than half of them (quorum)"
        ]
    if authorization["votes_for"] < needed.votes:
        why = (
            " because the convenio binds the municipio beyond the ayuntamiento's term"
            if needed.beyond_term
            else ""
        )
        return [
            f"{authorization['votes_for']} votes for; it needs {needed.votes} "
            f"({needed.majority}){why}"
        ]
    return []
