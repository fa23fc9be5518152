"""What the OpenAPI document says beyond FastAPI's defaults, so that a client generated from it
works as written (tried with openapi-python-client):

- a file in a multipart form is `format: binary` (FastAPI writes only OpenAPI 3.1's
  `contentMediaType`, which generators read as text and send as such: a 422 from the server);
  one the service takes only as a PDF keeps `contentMediaType: application/pdf` beside it;
- a multipart form says what a form can send: a field left out is absent, never null (which
  a form cannot carry, and which hid a file's `format` from generators inside `anyOf`), and
  no field but its own (the service refuses an unknown one);
- a PDF download is binary, and offered also as `application/octet-stream` — the same bytes,
  which the service sends with that type to a client that asks for it (`Accept`) — because
  generators take only that type for a file;
- a limit is `minimum`/`maximum` (`exclusiveMinimum`/`exclusiveMaximum`): Pydantic writes a
  constrained type inside `anyOf` (an optional id) with its own names `ge`/`le`/`gt`/`lt`,
  which JSON Schema does not know, so validators and generators ignored the limit;
- a webhook's receiver answers with a status alone;
- the headers a client acts on are declared: `Location` of what a 201 created, the `ETag` of a
  versioned resource (the one `If-Match` takes) and of a PDF (the one `If-None-Match` takes),
  and the `Retry-After` of a 503;
- an integer enumeration names its members (`x-enum-varnames`), so a generated client says
  `Initiative.GOVERNMENT_COOPERATION` rather than `VALUE_4`;
- text a client sends says what the service refuses in it: no control character but tab and
  line breaks, and — where it may not be empty — not blanks alone, which the service strips
  to nothing (a `pattern` on every string of a request without a shape of its own);
- `servers` names where the service is reached (`CONVENIOS_PUBLIC_URL`);
- every schema and every body has an example of what the service really takes and answers
  (`app.openapi_examples`).
"""

from enum import IntEnum
from typing import Any

from app import openapi_examples
from app.models import enums
from app.schemas import TEXT_PATTERN, WORDED_TEXT_PATTERN

_BINARY = {"type": "string", "format": "binary"}
_PDF = "application/pdf"
_GENERIC = "application/octet-stream"
_FORM = "multipart/form-data"
_NULL = {"type": "null"}
_COMPONENTS = "#/components/schemas/"


_LIMITS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _schemas_in_json_schema_terms(node: Any) -> None:
    """Files as binary strings, limits by their JSON Schema names, everywhere below ``node``."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("contentMediaType") == _GENERIC:
            node["format"] = "binary"
        if node.get("type") in ("integer", "number"):
            for pydantic_name, name in _LIMITS.items():
                if pydantic_name in node:
                    node[name] = node.pop(pydantic_name)
        for value in node.values():
            _schemas_in_json_schema_terms(value)
    elif isinstance(node, list):
        for value in node:
            _schemas_in_json_schema_terms(value)


def _forms_as_sent(paths: dict[str, Any], components: dict[str, Any]) -> None:
    for item in paths.values():
        for operation in item.values():
            form = operation.get("requestBody", {}).get("content", {}).get(_FORM)
            if form is None:
                continue
            component = components[form["schema"]["$ref"].removeprefix(_COMPONENTS)]
            component["additionalProperties"] = False
            fields = component.get("properties", {})
            for name, field in fields.items():
                kept = [branch for branch in field.get("anyOf", []) if branch != _NULL]
                if len(kept) == 1:
                    rest = {k: v for k, v in field.items() if k not in ("anyOf", "default")}
                    fields[name] = {**kept[0], **rest}


def _downloads_are_binary(paths: dict[str, Any]) -> None:
    for item in paths.values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if _PDF in content:
                    content[_PDF] = {"schema": dict(_BINARY)}
                    content[_GENERIC] = {"schema": dict(_BINARY)}
                for media, body in content.items():
                    if "schema" not in body:  # a report as CSV text or as a spreadsheet file
                        body["schema"] = {"type": "string"}
                        if not media.startswith("text/"):
                            body["schema"]["format"] = "binary"


def _receivers_answer_with_a_status(webhooks: dict[str, Any]) -> None:
    """What a webhook's receiver answers is a status, not a body the service reads (FastAPI
    would describe a JSON answer and a 422 of its own)."""
    for item in webhooks.values():
        for operation in item.values():
            operation["responses"] = {
                "2XX": {"description": "Received. Anything else is delivered again later."}
            }


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


LOCATION = _header("Where the resource created (or accepted, to be made) is read.")
ETAG = _header("The version read: send it back as `If-Match` to change this very version.")
PDF_ETAG = _header("The file's SHA-256, quoted: `If-None-Match` with it gets 304.")
RETRY_AFTER = _header("Seconds to wait before trying again.")


def _versioned(schemas: dict[str, Any]) -> set[str]:
    """The references of the schemas of resources edited under `If-Match` (with a `version`)."""
    return {
        f"#/components/schemas/{name}"
        for name, component in schemas.items()
        if "version" in component.get("properties", {})
    }


def _declare_headers(paths: dict[str, Any], versioned: set[str]) -> None:
    for item in paths.values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                headers: dict[str, Any] = {}
                content = response.get("content", {})
                reference = content.get("application/json", {}).get("schema", {}).get("$ref")
                if status in ("201", "202"):
                    headers["Location"] = LOCATION
                if status in ("200", "201") and reference in versioned:
                    headers["ETag"] = ETAG
                if _PDF in content or status == "304":  # only downloads answer 304
                    headers["ETag"] = PDF_ETAG
                if status == "503":
                    headers["Retry-After"] = RETRY_AFTER
                if headers:
                    response["headers"] = headers


def _name_integer_enums(schemas: dict[str, Any]) -> None:
    for name in dir(enums):
        found = getattr(enums, name)
        if isinstance(found, type) and issubclass(found, IntEnum) and found.__name__ in schemas:
            schemas[found.__name__]["x-enum-varnames"] = [member.name for member in found]


# A string with any of these already says its shape.
_SHAPED = ("pattern", "format", "enum", "const", "contentMediaType", "contentEncoding")


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def _reachable(nodes: list[Any], components: dict[str, Any]) -> set[str]:
    """The components ``nodes`` name, and those these name in turn."""
    names: set[str] = set()
    _refs(nodes, names)
    pending = set(names)
    while pending:
        reached: set[str] = set()
        _refs([components.get(name) for name in pending], reached)
        pending = reached - names
        names |= reached
    return names


def _sent(schema: dict[str, Any], components: dict[str, Any]) -> list[Any]:
    """The schemas of what clients send — parameters and request bodies, and every component
    they reach — as nodes to walk."""
    nodes: list[Any] = []
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                # Headers are the protocol's (`If-Match`, `Idempotency-Key`), not text.
                nodes += [
                    p.get("schema")
                    for p in operation.get("parameters", [])
                    if p.get("in") in ("query", "path")
                ]
                nodes.append(operation.get("requestBody"))
    names = _reachable(nodes, components)
    return nodes + [components[name] for name in sorted(names) if name in components]


def _drop_unused(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """FastAPI's own 422 schemas stay among the components after every 422 became a Problem."""
    used = _reachable([schema.get("paths"), schema.get("webhooks")], components)
    for name in set(components) - used:
        del components[name]


def _text_shaped(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and not any(key in node for key in _SHAPED):
            worded = node.get("minLength", 0) >= 1
            node["pattern"] = WORDED_TEXT_PATTERN if worded else TEXT_PATTERN
        for value in node.values():
            _text_shaped(value)
    elif isinstance(node, list):
        for item in node:
            _text_shaped(item)


def for_integrators(schema: dict[str, Any], *, public_url: str) -> dict[str, Any]:
    """``schema`` (FastAPI's document) completed as the module docstring says."""
    components = schema.get("components", {}).get("schemas", {})
    _forms_as_sent(schema.get("paths", {}), components)
    _schemas_in_json_schema_terms(schema.get("components", {}))
    _schemas_in_json_schema_terms(schema.get("paths", {}))
    _downloads_are_binary(schema.get("paths", {}))
    _receivers_answer_with_a_status(schema.get("webhooks", {}))
    _declare_headers(schema.get("paths", {}), _versioned(components))
    _name_integer_enums(components)
    _text_shaped(_sent(schema, components))
    _drop_unused(schema, components)
    schema["servers"] = [{"url": public_url, "description": "This service"}]
    openapi_examples.add(schema)
    return schema
