"""Base classes and field types shared by every domain's schemas."""

import re
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

_RFC = re.compile(r"^([A-ZÑ&]{3,4})(\d{2})(\d{2})(\d{2})([A-Z\d]{2}[A\d])$")
_CURP = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX]"
    r"(AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS|TL|VZ|YN|ZS|NE)"
    r"[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d$"
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def _valid_yymmdd(yy: str, mm: str, dd: str) -> bool:
    for century in (1900, 2000):
        try:
            date(century + int(yy), int(mm), int(dd))
        except ValueError:
            continue
        return True
    return False


def _rfc(value: str) -> str:
    value = value.strip().upper()
    match = _RFC.match(value)
    if not match or not _valid_yymmdd(match.group(2), match.group(3), match.group(4)):
        raise ValueError(
            "not an RFC: 3 letters (persona moral) or 4 (persona física), "
            "a date as YYMMDD and a 3-character homoclave, e.g. MTB850101AB1"
        )
    return value


def _rfc_persona_fisica(value: str) -> str:
    value = _rfc(value)
    if len(value) != 13:
        raise ValueError("a person's RFC has 13 characters (4 letters, YYMMDD, homoclave)")
    return value


def _curp(value: str) -> str:
    value = value.strip().upper()
    if not _CURP.match(value) or not _valid_yymmdd(value[4:6], value[6:8], value[8:10]):
        raise ValueError("not a CURP (18 characters, e.g. HEGT761003MDFRNN09)")
    return value


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


RFC = Annotated[
    str,
    Field(
        min_length=12,
        max_length=13,
        # A person's RFC is personal data and this document is public: the SAT's generic one.
        json_schema_extra={"examples": ["MTB850101AB1", "XAXX010101000"]},
    ),
    AfterValidator(_rfc),
]
PersonRFC = Annotated[
    str,
    Field(
        min_length=13,
        max_length=13,
        json_schema_extra={"examples": ["XAXX010101000"]},
    ),
    AfterValidator(_rfc_persona_fisica),
]
CURP = Annotated[
    str,
    Field(
        # No example: every CURP is a person's, and this document is public.
        min_length=18,
        max_length=18,
    ),
    AfterValidator(_curp),
]
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        json_schema_extra={"examples": ["juridico@tlalnepantla.example"]},
    ),
    AfterValidator(_email),
]
StateCode = Annotated[str, Field(pattern=r"^\d{2}$", description="INEGI code of a state.")]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]

# Ids (and audit sequence numbers) are INTEGER columns, 32-bit on PostgreSQL. A number outside
# 1..MAX_ID names no row, and sent to the database it would fail the query instead of finding
# nothing: it is refused as invalid input (422) wherever a client can send one.
MAX_ID = 2**31 - 1
# An id in a path or query parameter, which is text on the wire.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def json_integer(value: Any) -> Any:
    """A JSON integer: not a string of digits, a fraction or a boolean. A number written with
    a zero fraction (``3.0``) is the integer it equals: JSON Schema's `integer` (the document's
    word) counts it as one, and JSON parsers may write it so."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be an integer")
    return value


def _full_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _FULL_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_type", "Input should be a date written YYYY-MM-DD")


# The dates a client may send. Whatever the service works out from one — a term in días
# hábiles, a recurrence, a renewal, a notice period, the next day in a calendar feed — then stays
# far from the ends of the calendar (years 1 and 9999), where date arithmetic overflows.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def within_calendar(value: date) -> date:
    """``value`` if it lies between `EARLIEST_DATE` and `LATEST_DATE`."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError(
            "date_range",
            "Input should be a date from {earliest} to {latest}",
            {"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )
    return value


# FastAPI validates a JSON body in pydantic's lax Python mode, where "12", 12.0 and true pass for
# an integer, 0 and "yes" for a boolean, and 0 or "2026-01-15T00:00:00" for a date. The values
# of a body must have the JSON type the OpenAPI document gives them, so bodies use these types.
Integer = Annotated[int, BeforeValidator(json_integer)]
Boolean = Annotated[bool, Strict()]
# The calendar a date must fall in (`within_calendar`), as a pattern beside `format: date`.
_DATE_SHAPE = r"^(19\d{2}|2\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
Date = Annotated[
    date,
    BeforeValidator(_full_date),
    AfterValidator(within_calendar),
    Field(json_schema_extra={"pattern": _DATE_SHAPE}),
]
BodyId = Annotated[int, BeforeValidator(json_integer), Field(ge=1, le=MAX_ID)]


# Control characters have no place in a convenio's text (nor in the XML of its PDF's metadata),
# except the tab and the line breaks; NUL, besides, no PostgreSQL text column can hold.
# The control characters no text may hold (all but tab and line breaks), as code point ranges:
# checked here, and published in the OpenAPI document as a pattern (`TEXT_PATTERN`).
_CONTROL_RANGES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F))
_CONTROL = re.compile("[" + "".join(f"\\x{a:02x}-\\x{b:02x}" for a, b in _CONTROL_RANGES) + "]")
# JSON Schema's regular expressions are ECMA-262's: \u escapes.
CONTROLS = "".join(f"\\u{a:04X}-\\u{b:04X}" for a, b in _CONTROL_RANGES)  # for a [class]
TEXT_PATTERN = f"^[^{CONTROLS}]*$"
# Text that may not be empty: at least one character besides spaces, since the service strips
# what it is sent first (a title of blanks alone is an empty title).
WORDED_TEXT_PATTERN = f"^[^{CONTROLS}]*[^\\s{CONTROLS}][^{CONTROLS}]*$"


def storable_text(value: str) -> str:
    """``value`` if it is text every database stores and every document prints: no control
    character but tab and line breaks, no lone surrogate."""
    control = _CONTROL.search(value)
    if control:
        code = f"U+{ord(control.group()):04X}"
        name = "NUL" if code == "U+0000" else "a control character"
        raise ValueError(
            f"text may not contain {name} ({code}, at character {control.start()}); only tab "
            "and line breaks are allowed"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (it has a lone surrogate)") from None
    return value


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        storable_text(value)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)


# Text a client sends in a query parameter, held to the same rule as the text of a body.
QueryText = Annotated[str, AfterValidator(storable_text)]


class CreateSchema(BaseModel):
    """Input: unknown fields are refused, never silently dropped, and all text is storable."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # Nested models are schemas of their own and check their fields themselves.
        _check_text(value)
        return value


def _strip_null_from_schema(schema: dict[str, Any], model: type[Any]) -> None:
    nullable: frozenset[str] = getattr(model, "NULLABLE", frozenset())
    for name, prop in schema.get("properties", {}).items():
        prop.pop("default", None)
        if name in nullable or "anyOf" not in prop:
            continue
        variants = [v for v in prop.pop("anyOf") if v.get("type") != "null"]
        if len(variants) == 1:
            prop.update(variants[0])
        else:
            prop["anyOf"] = variants


class UpdateSchema(CreateSchema):
    """A partial update: absent fields stay as they are; null only clears fields in NULLABLE."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_strip_null_from_schema
    )

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("may not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return self.model_dump(exclude_unset=True)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Timestamps(BaseModel):
    version: int = Field(description="Bumped by every change; the ETag is built from it.")
    created_at: datetime
    updated_at: datetime
