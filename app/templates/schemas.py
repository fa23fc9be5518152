"""Template schemas."""

from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.documents.clauses import CONDITIONS
from app.schemas import CreateSchema, ReadSchema

# A template key as it appears in paths and bodies: colaboracion, convenio_marco_2026, …
TEMPLATE_KEY = r"^[a-z][a-z0-9_]{1,39}$"
# A field of the context a template requires: agreement.objective, document.verification_code…
REQUIRED_FIELD = r"^(agreement|document)(\.[a-z_]+)+$"


class TemplateRead(ReadSchema):
    id: int
    key: str
    name: str
    description: str
    latest_version: int | None = Field(description="Number of the newest version.")


class StandardClauseRead(ReadSchema):
    key: str
    title: str
    subjects: list[str] = Field(
        description="A drafter's clause whose title names one of these subjects (lower case, "
        "without accents) takes this clause's place."
    )
    when: str = Field(description="When it applies: " + ", ".join(sorted(CONDITIONS)) + ".")


class TemplateVersionSummary(ReadSchema):
    id: int
    number: int
    sha256: str
    origin: str = Field(description="shipped (from the repository) or uploaded (by an admin).")
    required_fields: list[str]
    standard_clauses: list[StandardClauseRead] = Field(
        description="The clauses the template adds after the drafter's, by key: an agreement "
        "includes, omits or replaces each one (`standard_clauses`)."
    )
    created_at: datetime


class TemplateVersionRead(TemplateVersionSummary):
    html: str
    css: str


class StandardClauseInput(CreateSchema):
    """A standard clause the template writes (its text lives in the template, by key)."""

    key: Annotated[str, Field(pattern=TEMPLATE_KEY)]
    title: str = Field(min_length=1, max_length=300)
    subjects: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    when: str = Field(
        default="always",
        description="When it applies: " + ", ".join(sorted(CONDITIONS)) + ".",
        # The document lists them; the source's check (`check_source`) refuses any other.
        json_schema_extra={"enum": [name for name in sorted(CONDITIONS)]},
    )


class TemplateVersionCreate(CreateSchema):
    """A new version; creating the first version of a new key creates the template."""

    # Bounded so that any body these limits allow fits the 1 MiB JSON limit, even with every
    # character escaped (12 bytes for one outside the BMP); shipped ones are under 30,000.
    html: str = Field(min_length=1, max_length=50_000, description="Jinja2 HTML.")
    css: str = Field(default="", max_length=20_000)
    required_fields: list[
        Annotated[
            str,
            Field(
                min_length=3,
                max_length=100,
                pattern=REQUIRED_FIELD,
                description="e.g. agreement.objective",
            ),
        ]
    ] = Field(default_factory=list, max_length=40)
    standard_clauses: list[StandardClauseInput] = Field(default_factory=list, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
