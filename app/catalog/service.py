"""Checking INEGI codes and importing INEGI's municipality catalog."""

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.catalog import repository
from app.catalog.states import STATES
from app.errors import Unprocessable
from app.models import Municipality

REQUIRED_COLUMNS = ("CVEGEO", "CVE_ENT", "CVE_MUN", "NOM_MUN")
_FIVE_DIGITS = re.compile(r"^\d{5}$")


class CatalogError(ValueError):
    """A catalog file that cannot be imported; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int


def check_state(code: str, field: str = "body.inegi_code") -> str:
    if code not in STATES:
        raise Unprocessable.field(field, f"{code!r} is not the INEGI code of one of the 32 states")
    return code


def check_municipality(session: Session, code: str, field: str = "body.inegi_code") -> Municipality:
    """The catalog entry of ``code``; a 422 when it is malformed or not in the catalog."""
    if not _FIVE_DIGITS.match(code):
        raise Unprocessable.field(
            field, "a municipio's INEGI code has five digits (estado + municipio)"
        )
    check_state(code[:2], field)
    found = repository.municipality(session, code)
    if found is None:
        hint = (
            ""
            if repository.count(session)
            else " (the catalog is empty: run `convenios catalog import`)"
        )
        raise Unprocessable.field(field, f"{code} is not in INEGI's municipality catalog{hint}")
    return found


def _parse(text: str) -> list[Municipality]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise CatalogError(f"missing columns: {', '.join(missing)}")
    rows: dict[str, Municipality] = {}
    for line, row in enumerate(reader, start=2):
        code, state, number = (row.get(c, "").strip() for c in ("CVEGEO", "CVE_ENT", "CVE_MUN"))
        name = (row.get("NOM_MUN") or "").strip()
        if not _FIVE_DIGITS.match(code) or code != state + number:
            raise CatalogError(f"line {line}: CVEGEO {code!r} is not CVE_ENT + CVE_MUN")
        if state not in STATES:
            raise CatalogError(f"line {line}: CVE_ENT {state!r} is not one of the 32 states")
        if not name or len(name) > 200:
            raise CatalogError(f"line {line}: NOM_MUN must have 1 to 200 characters")
        if code in rows:
            raise CatalogError(f"line {line}: CVEGEO {code} appears twice")
        population_text = (row.get("POB_TOTAL") or "").strip()
        if population_text and not population_text.isdigit():
            raise CatalogError(f"line {line}: POB_TOTAL {population_text!r} is not a number")
        rows[code] = Municipality(
            code=code,
            state_code=state,
            name=name,
            population=int(population_text) if population_text else None,
        )
    if not rows:
        raise CatalogError("the file has no municipalities")
    return list(rows.values())


def import_catalog(*, session: Session, text: str, actor: Principal) -> ImportResult:
    """Add or update every municipality of a CSV in INEGI's AGEEML columns; all or nothing."""
    incoming = _parse(text)
    existing = repository.all_by_code(session)
    added = updated = 0
    for entry in incoming:
        current = existing.get(entry.code)
        if current is None:
            session.add(entry)
            added += 1
        elif (current.state_code, current.name, current.population) != (
            entry.state_code,
            entry.name,
            entry.population,
        ):
            current.state_code, current.name = entry.state_code, entry.name
            current.population = entry.population
            updated += 1
    session.flush()
    result = ImportResult(added=added, updated=updated, unchanged=len(incoming) - added - updated)
    audit.record(
        session,
        actor=actor,
        action="catalog.imported",
        entity=("catalog", "municipalities"),
        changes={"added": [None, added], "updated": [None, updated]},
    )
    return result
