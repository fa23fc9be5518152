"""The cláusulas of a convenio: the drafter's own, then the template's standard ones.

A template version lists its standard clauses by key (`StandardClause`), each with the
subjects it treats and the condition under which it applies. For one agreement the list of
cláusulas (`plan`) is the drafter's clauses in their order, then every standard clause that
applies, unless the drafter omitted it, replaced it with their own text, or already wrote a
clause on the same subject: a convenio never says VIGENCIA twice, and the template never adds a
jurisdiction clause beside the drafter's. The plan numbers them (PRIMERA, SEGUNDA, …), so a
modificatorio can cite the clause of its principal that allows modifications.

Pure functions over the template context (`app.documents.context`): no database, no template.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.kit import searchable

_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# "DE LA VIGENCIA", "DEL OBJETO": the article before a clause's subject says nothing.
_LEADING = re.compile(r"^(de la|de los|de las|del|de|la|el|los|las)\s+")
_SEPARATORS = re.compile(r"\s*(?:,|;|\by\b|\be\b)\s*")
_PUNCTUATION = re.compile(r"[^\w\s,;]")

Facts = dict[str, Any]


def _any_party(agreement: Facts, test: Callable[[Facts], bool]) -> bool:
    return any(test(party) for party in agreement["parties"])


def _contributions(agreement: Facts) -> Iterable[Facts]:
    for party in agreement["parties"]:
        yield from party["contributions"]


# The conditions a standard clause may apply under, by name (a template's manifest names them).
CONDITIONS: dict[str, Callable[[Facts], bool]] = {
    "always": lambda a: True,
    "contributions": lambda a: any(True for _ in _contributions(a)),
    "federal_funds": lambda a: any(c["source"] == "federal" for c in _contributions(a)),
    "renewal_automatic": lambda a: (
        a["expiry_date"] is not None and a["renewal"]["mode"] == "automatic"
    ),
    "renewal_by_agreement": lambda a: (
        a["expiry_date"] is not None and a["renewal"]["mode"] == "by_agreement"
    ),
    "publication": lambda a: bool(a["publication"]["media"]),
    "federal_party": lambda a: a["scope"] == "federal",
    "private_party": lambda a: _any_party(a, lambda p: not p["public"]),
    "public_parties_only": lambda a: not _any_party(a, lambda p: not p["public"]),
}


class InvalidStandardClauses(ValueError):
    """A template's list of standard clauses that cannot be used."""


@dataclass(frozen=True)
class StandardClause:
    """One standard clause of a template version."""

    key: str
    title: str
    # Normalised subjects (`subject_of`) a drafter's clause title may name it by.
    subjects: tuple[str, ...]
    when: str = "always"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "subjects": list(self.subjects),
            "when": self.when,
        }


def standard_clauses(raw: list[dict[str, Any]]) -> list[StandardClause]:
    """The standard clauses a template version declares, checked."""
    found: list[StandardClause] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidStandardClauses(f"standard_clauses.{i}: an object")
        key, title = item.get("key"), item.get("title")
        subjects, when = item.get("subjects", []), item.get("when", "always")
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidStandardClauses(f"standard_clauses.{i}.key: lower-case letters, _")
        if not isinstance(title, str) or not title.strip() or len(title) > 300:
            raise InvalidStandardClauses(f"standard_clauses.{i}.title: 1 to 300 characters")
        if not isinstance(subjects, list) or not all(
            isinstance(s, str) and s.strip() for s in subjects
        ):
            raise InvalidStandardClauses(f"standard_clauses.{i}.subjects: a list of text")
        if when not in CONDITIONS:
            raise InvalidStandardClauses(
                f"standard_clauses.{i}.when: one of {', '.join(sorted(CONDITIONS))}"
            )
        if any(clause.key == key for clause in found):
            raise InvalidStandardClauses(f"standard_clauses.{i}.key: {key} appears twice")
        names = {subject_of(title), *(subject_of(s) for s in subjects)}
        found.append(StandardClause(key, title.strip(), tuple(sorted(names)), when))
    return found


def subject_of(title: str) -> str:
    """A clause title as a subject: lower case, no accents or punctuation, no leading article."""
    text = _PUNCTUATION.sub(" ", searchable(title))
    text = " ".join(text.split())
    return _LEADING.sub("", text)


def subjects_of(title: str) -> set[str]:
    """Every subject a title names: "VIGENCIA Y TERMINACIÓN" names vigencia and terminacion."""
    parts = _SEPARATORS.split(" ".join(_PUNCTUATION.sub(" ", searchable(title)).split()))
    return {subject_of(part) for part in parts if part.strip()} | {subject_of(title)}


@dataclass(frozen=True)
class Planned:
    """One cláusula of the convenio, numbered."""

    number: int
    title: str
    # The text, or None for a standard clause the template writes.
    text: str | None
    # The standard clause's key, for the template's own and for replaced ones.
    key: str | None
    origin: str  # "drafted", "standard" or "replaced"

    def as_context(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "text": self.text,
            "key": self.key,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Omitted:
    key: str
    reason: str  # "omitted", "drafted" (the drafter wrote its subject) or "not_applicable"


def plan(
    agreement: Facts,
    standard: list[StandardClause],
    choices: dict[str, dict[str, Any]],
) -> tuple[list[Planned], list[Omitted]]:
    """The convenio's cláusulas in order, and the standard ones left out with the reason.

    ``agreement`` is the template context's ``agreement``; ``choices`` the drafter's
    include / omit / replace by key."""
    drafted = [(clause["title"], clause["text"]) for clause in agreement["clauses"]]
    covered = set().union(*(subjects_of(title) for title, _ in drafted)) if drafted else set()
    planned = [
        Planned(number, title, text, None, "drafted")
        for number, (title, text) in enumerate(drafted, start=1)
    ]
    omitted: list[Omitted] = []
    for clause in standard:
        choice = choices.get(clause.key, {"mode": "include"})
        if choice["mode"] == "omit":
            omitted.append(Omitted(clause.key, "omitted"))
        elif choice["mode"] == "replace":
            planned.append(
                Planned(len(planned) + 1, choice["title"], choice["text"], clause.key, "replaced")
            )
        elif covered & set(clause.subjects):
            omitted.append(Omitted(clause.key, "drafted"))
        elif not CONDITIONS[clause.when](agreement):
            omitted.append(Omitted(clause.key, "not_applicable"))
        else:
            planned.append(Planned(len(planned) + 1, clause.title, None, clause.key, "standard"))
    return planned, omitted


def number_of(planned: list[Planned], key: str, subjects: Iterable[str]) -> int | None:
    """The number of the clause with ``key``, or of the drafter's clause on one of
    ``subjects`` (for the clause of a principal that allows modifications)."""
    wanted = {subject_of(s) for s in subjects}
    for clause in planned:
        if clause.key == key or (clause.origin == "drafted" and subjects_of(clause.title) & wanted):
            return clause.number
    return None
