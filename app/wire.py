"""Jobs and their results as JSON, for the broker: never pickles, so a message can name only the
types a caller allows, and build nothing else.

A frozen dataclass is written with its type's name and its fields; bytes in base64, datetimes
in ISO 8601 (aware), tuples as lists — read back as tuples, the only sequences jobs and results
hold. Anything else (a dict, a set, an object) is refused when written: a type that grows a
field the wire cannot carry fails in the tests, not on a worker.
"""

import base64
import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

_TYPE, _BYTES, _DATETIME = "$type", "$bytes", "$datetime"


class WireError(ValueError):
    """A message that is not what the wire writes, or names a type not allowed."""


def encode(value: Any) -> Any:
    """``value`` as JSON-compatible data."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise WireError("a naive datetime cannot travel: its zone would be guessed")
        return {_DATETIME: value.isoformat()}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {_TYPE: type(value).__name__, "fields": fields}
    raise WireError(f"{type(value).__name__} cannot travel as JSON")


def decode(data: Any, types: Mapping[str, type]) -> Any:
    """What `encode` wrote, building dataclasses of ``types`` (by name) only."""
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return tuple(decode(item, types) for item in data)
    if isinstance(data, dict):
        if data.keys() == {_BYTES}:
            return base64.b64decode(data[_BYTES], validate=True)
        if data.keys() == {_DATETIME}:
            return datetime.fromisoformat(data[_DATETIME])
        if data.keys() == {_TYPE, "fields"} and isinstance(data["fields"], dict):
            cls = types.get(data[_TYPE])
            if cls is None:
                raise WireError(f"type {data[_TYPE]!r} is not one this message may carry")
            fields = {name: decode(value, types) for name, value in data["fields"].items()}
            try:
                return cls(**fields)
            except TypeError as error:
                raise WireError(f"{data[_TYPE]}: {error}") from None
    raise WireError("not a message the wire writes")
