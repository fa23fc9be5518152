"""The examples of the OpenAPI document: what the service was really sent and really answered.

`app/openapi_examples.json` is written by `make openapi-examples`, which runs the API's tests
and keeps, for each schema, the richest value that validates against it (personal data out:
the document is read without a key), and for each status a problem the service answered with
it; text answers (a calendar, a report) are kept per operation. A model's own hand-written
examples (the request bodies integrators start from) come first. An enumeration's example is its
first member. A file is bytes, which no JSON example shows.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

STORED = Path(__file__).with_name("openapi_examples.json")
_SCHEMAS = "#/components/schemas/"


@cache
def stored() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(STORED.read_text(encoding="utf-8"))
    return loaded


def _of(schema: Any, components: dict[str, Any]) -> Any:
    """The example of a value of ``schema``, from those of its components; None if none."""
    if not isinstance(schema, dict):
        return None
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith(_SCHEMAS):
        examples = components.get(reference.removeprefix(_SCHEMAS), {}).get("examples")
        return examples[0] if examples else None
    if schema.get("type") == "array":
        item = _of(schema.get("items"), components)
        return None if item is None else [item]
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        example = _of(branch, components)
        if example is not None:
            return example
    return None


def _show(body: dict[str, Any], example: Any) -> None:
    if example is not None and "example" not in body and "examples" not in body:
        body["example"] = example


def add(document: dict[str, Any]) -> None:
    """Examples on every schema of ``document`` and on every body that has one to show."""
    examples = stored()
    components: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for name, component in components.items():
        if "examples" in component:
            continue
        if name in examples.get("schemas", {}):
            component["examples"] = [examples["schemas"][name]]
        elif component.get("enum"):
            component["examples"] = [component["enum"][0]]
    operations = [
        (f"{method.upper()} {path}", operation)
        for section in ("paths", "webhooks")
        for path, item in document.get(section, {}).items()
        for method, operation in item.items()
    ]
    for label, operation in operations:
        for body in operation.get("requestBody", {}).get("content", {}).values():
            _show(body, _of(body.get("schema"), components))
        for status, response in operation.get("responses", {}).items():
            for media, body in response.get("content", {}).items():
                if media == "application/problem+json":
                    _show(body, examples.get("problems", {}).get(status))
                else:
                    text = examples.get("bodies", {}).get(f"{label} {status} {media}")
                    _show(body, _of(body.get("schema"), components) or text)
