"""What the OpenAPI document says beyond FastAPI's defaults, so that a client generated from it
works as written (tried with openapi-python-client):

- a file in a multipart form is `format: binary` (FastAPI writes only OpenAPI 3.1's
  `contentMediaType`, which generators read as text and send as such: a 422 from the server);
- a PDF download is binary, and offered also as `application/octet-stream` — the same bytes,
  which the service sends with that type to a client that asks for it (`Accept`) — because
  generators take only that type for a file;
- a limit is `minimum`/`maximum` (`exclusiveMinimum`/`exclusiveMaximum`): Pydantic writes a
  constrained type inside `anyOf` (an optional id) with its own names `ge`/`le`/`gt`/`lt`,
  which JSON Schema does not know, so validators and generators ignored the limit;
- `servers` names where the service is reached (`CONVENIOS_PUBLIC_URL`).
"""

from typing import Any

_BINARY = {"type": "string", "format": "binary"}
_PDF = "application/pdf"
_GENERIC = "application/octet-stream"


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


def _downloads_are_binary(paths: dict[str, Any]) -> None:
    for item in paths.values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if _PDF in content:
                    content[_PDF] = {"schema": dict(_BINARY)}
                    content[_GENERIC] = {"schema": dict(_BINARY)}


def for_integrators(schema: dict[str, Any], *, public_url: str) -> dict[str, Any]:
    """``schema`` (FastAPI's document) completed as the module docstring says."""
    _schemas_in_json_schema_terms(schema.get("components", {}))
    _schemas_in_json_schema_terms(schema.get("paths", {}))
    _downloads_are_binary(schema.get("paths", {}))
    schema["servers"] = [{"url": public_url, "description": "This service"}]
    return schema
