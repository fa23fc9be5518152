"""The rules for template versions: shipped ones synchronised from templates/, uploaded ones
checked before they are stored."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.documents.clauses import InvalidStandardClauses, StandardClause, standard_clauses
from app.documents.rendering import TEMPLATES_ROOT, environment
from app.errors import Conflict, InvalidParam, NotFound, Unprocessable
from app.kit import canonical_json
from app.models import Template, TemplateVersion
from app.models.enums import AgreementKind
from app.templates import repository
from app.templates.schemas import REQUIRED_FIELD

# Parts shared by the shipped templates (see `shipped`); not a template itself.
COMMON_DIRECTORY = "comun"
_FIELD = re.compile(REQUIRED_FIELD)


# The shipped template each kind of agreement is drafted with unless the client names another.
_TEMPLATE_FOR_KIND = {
    AgreementKind.COORDINACION: "coordinacion",
    AgreementKind.MODIFICATORIO: "modificatorio",
}
_DEFAULT_TEMPLATE = "colaboracion"


def key_for(kind: AgreementKind) -> str:
    """The template an agreement of ``kind`` is generated with by default."""
    return _TEMPLATE_FOR_KIND.get(kind, _DEFAULT_TEMPLATE)


@dataclass(frozen=True)
class Source:
    html: str
    css: str
    required_fields: list[str]
    standard_clauses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        canonical = canonical_json(
            {
                "html": self.html,
                "css": self.css,
                "required_fields": self.required_fields,
                "standard_clauses": self.standard_clauses,
            }
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def check_source(source: Source) -> None:
    """Refuse a template that does not compile or names fields the context cannot have."""
    try:
        environment().parse(source.html)
    except TemplateSyntaxError as error:
        raise Unprocessable.field(
            "body.html", f"template syntax error on line {error.lineno}: {error.message}"
        ) from None
    for i, path in enumerate(source.required_fields):
        if not _FIELD.fullmatch(path):
            raise Unprocessable.field(
                f"body.required_fields.{i}",
                "a dotted path under agreement. or document., e.g. agreement.expiry_date",
            )
    try:
        standard_clauses(source.standard_clauses)
    except InvalidStandardClauses as error:
        raise Unprocessable.field("body.standard_clauses", str(error)) from None


def clauses_of(version: TemplateVersion) -> list[StandardClause]:
    """The standard clauses a stored version writes (checked when it was stored)."""
    return standard_clauses(version.standard_clauses)


def standard_keys(session: Session, kind: AgreementKind) -> set[str] | None:
    """The keys of the standard clauses an agreement of ``kind`` gets by default (None while
    its template has no version)."""
    template = repository.by_key(session, key_for(kind))
    latest = repository.latest_version(session, template) if template else None
    return None if latest is None else {clause.key for clause in clauses_of(latest)}


def get_template(session: Session, key: str) -> Template:
    template = repository.by_key(session, key)
    if template is None:
        raise NotFound(f"Template {key!r} does not exist.")
    return template


def get_version(session: Session, template: Template, number: int) -> TemplateVersion:
    found = repository.version(session, template, number)
    if found is None:
        raise NotFound(f"Template {template.key!r} has no version {number}.")
    return found


def latest_version(session: Session, template: Template) -> TemplateVersion | None:
    return repository.latest_version(session, template)


def add_version(
    session: Session,
    *,
    key: str,
    source: Source,
    origin: str,
    actor: Principal,
    name: str | None = None,
    description: str | None = None,
) -> TemplateVersion | None:
    """A new version of ``key`` (creating the template), or None when the source is unchanged."""
    check_source(source)
    template = repository.by_key(session, key)
    if template is None:
        if not name:
            # The key names no template yet: this version creates one. The same body is taken
            # for a template that exists, so the refusal is the state's (409), not the body's.
            message = f"there is no template {key!r} yet: its first version creates it and names it"
            raise Conflict(
                f"body.name: {message}", errors=[InvalidParam(field="body.name", message=message)]
            )
        template = Template(key=key, name=name, description=description or "")
        session.add(template)
        session.flush()
    elif name is not None or description is not None:
        template.name = name or template.name
        template.description = description if description is not None else template.description
    latest = repository.latest_version(session, template)
    if latest is not None and latest.sha256 == source.sha256:
        return None
    version = TemplateVersion(
        template_id=template.id,
        number=(latest.number if latest else 0) + 1,
        html=source.html,
        css=source.css,
        required_fields=list(source.required_fields),
        # Stored as checked: subjects normalised, conditions named.
        standard_clauses=[c.as_json() for c in standard_clauses(source.standard_clauses)],
        sha256=source.sha256,
        origin=origin,
        created_by=actor.as_actor(),
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="template.version_added",
        entity=("template", key),
        changes={
            "version": [latest.number if latest else None, version.number],
            "sha256": [None, version.sha256],
        },
    )
    return version


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def shipped(root: Path = TEMPLATES_ROOT) -> dict[str, tuple[dict[str, str], Source]]:
    """The templates in the repository: key → (manifest, source).

    What the shipped templates share is written once, in ``comun/``: its HTML (vocabulary and
    macros) and its stylesheet come before each template's own. Each stored version holds the
    whole source, so it renders the same whatever ``comun/`` becomes later."""
    common = root / COMMON_DIRECTORY
    found = {}
    for manifest_path in sorted(root.glob("*/template.json")):
        folder = manifest_path.parent
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        found[folder.name] = (
            manifest,
            Source(
                html=_read(common / "convenio.html") + _read(folder / "template.html"),
                css=_read(common / "convenio.css") + _read(folder / "template.css"),
                required_fields=list(manifest.get("required_fields", [])),
                standard_clauses=list(manifest.get("standard_clauses", [])),
            ),
        )
    return found


def sync_shipped(session: Session, actor: Principal) -> list[tuple[str, int]]:
    """Add a version for every shipped template whose source changed (run by `migrate`);
    returns the (key, version number) of each one added."""
    added = []
    for key, (manifest, source) in shipped().items():
        version = add_version(
            session,
            key=key,
            source=source,
            origin="shipped",
            actor=actor,
            name=manifest["name"],
            description=manifest.get("description", ""),
        )
        if version is not None:
            added.append((key, version.number))
    return added
