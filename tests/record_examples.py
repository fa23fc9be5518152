"""Records what the tests send and get, as the examples of the OpenAPI document.

`make openapi-examples` runs the API's tests with this plugin. Every request body a test sends
and every JSON answer it gets is matched to its operation in the document and walked along its
schema, so that each component — top-level or nested (a party inside an agreement, a contribution
inside a party) — collects what it really looked like. For each, the richest candidate that
validates against the component (lists cut to two items, no person's RFC, CURP, email or
telephone: the document is read without a key) is written to `app/openapi_examples.json`, which
`app.openapi` publishes. Problem answers are kept per status. The test of the document checks
that every schema and every body has one and that each validates.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from app.db import make_engine
from app.main import create_app
from app.models import Event
from app.webhooks.signing import signed_request

OUTPUT = Path(__file__).resolve().parents[1] / "app" / "openapi_examples.json"
SCHEMAS = "#/components/schemas/"
LONGEST_TEXT = 2000
# What no document read without a key may carry, replaced when an example would (see above).
# Emails, anywhere in a value, become one under the TLD reserved for examples (RFC 2606); a
# person's RFC becomes the generic one of the SAT for the público en general.
_PERSONAL = {"curp": None, "contact_phone": None}
_GENERIC_RFC = "XAXX010101000"
_PERSON_RFC = re.compile(r"\b[A-ZÑ&]{4}\d{6}[A-Z0-9]{3}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


class Recorder:
    def __init__(self) -> None:
        self.document = create_app(make_engine("sqlite://")).openapi()
        self.components: dict[str, Any] = self.document["components"]["schemas"]
        self.operations = [
            (
                f"{method.upper()} {path}",
                re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"),
                op,
            )
            for path, item in self.document["paths"].items()
            for method, op in item.items()
        ]
        self.candidates: dict[str, list[Any]] = {}
        self.problems: dict[str, list[Any]] = {}
        self.texts: dict[str, list[str]] = {}
        self.validators: dict[str, Any] = {}

    # Recording --------------------------------------------------------------------------

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for label, pattern, op in self.operations:
            if label.startswith(f"{method} ") and pattern.match(path):
                return label, op
        return None

    def record(
        self, method: str, path: str, sent: tuple[str, Any], status: int, media: str, body: Any
    ) -> None:
        found = self.operation(method, path)
        if found is None:
            return
        label, op = found
        if media.startswith("text/"):
            self.texts.setdefault(f"{label} {status} {media}", []).append(body)
            return
        sent_as, sent_body = sent
        if sent_body is not None and 200 <= status < 300:  # what the service took
            request = op.get("requestBody", {}).get("content", {}).get(sent_as, {})
            self.walk(sent_body, request.get("schema"))
        if media == "application/problem+json":
            self.problems.setdefault(str(status), []).append(body)
            self.walk(body, {"$ref": SCHEMAS + "Problem"})
        elif media == "application/json":
            response = op.get("responses", {}).get(str(status), {})
            self.walk(body, response.get("content", {}).get(media, {}).get("schema"))

    def record_delivery(self, body: bytes) -> None:
        """A webhook's delivery, as its event type's entry of the `webhooks` section says it."""
        delivered = json.loads(body)
        operation = self.document.get("webhooks", {}).get(delivered.get("type"), {}).get("post")
        if operation is not None:
            content = operation["requestBody"]["content"]["application/json"]
            self.walk(delivered, content["schema"])

    def walk(self, value: Any, schema: dict[str, Any] | None) -> None:
        """Offer ``value`` to the component ``schema`` names and each of its parts to theirs."""
        if not isinstance(schema, dict):
            return
        reference = schema.get("$ref")
        if isinstance(reference, str) and reference.startswith(SCHEMAS):
            name = reference.removeprefix(SCHEMAS)
            self.candidates.setdefault(name, []).append(value)
            self.walk(value, self.components.get(name))
            return
        for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
            if value is not None and self.valid(value, branch):
                self.walk(value, branch)
                return
        if isinstance(value, dict):
            for key, item in value.items():
                self.walk(item, _property(schema, key))
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            for item in value:
                self.walk(item, schema["items"])

    # Choosing ---------------------------------------------------------------------------

    def valid(self, value: Any, schema: dict[str, Any]) -> bool:
        key = json.dumps(schema, sort_keys=True)
        if key not in self.validators:
            root = {**schema, "components": self.document["components"]}
            self.validators[key] = jsonschema_rs.validator_for(root)
        return bool(self.validators[key].is_valid(value))

    def choose(self, candidates: list[Any], schema: dict[str, Any]) -> Any:
        """The richest candidate the schema takes; of equally rich ones, the first in JSON order,
        so that the choice does not depend on which process ran which test first."""
        shown = {json.dumps(_shown(c), sort_keys=True, ensure_ascii=False) for c in candidates}
        ranked = sorted(shown, key=lambda text: (-_richness(json.loads(text)), text))
        for text in ranked:
            example = json.loads(text)
            if not _too_long(example) and self.valid(example, schema):
                return example
        return None

    def examples(self) -> dict[str, Any]:
        chosen: dict[str, Any] = {}
        for name in sorted(self.candidates):
            example = self.choose(self.candidates[name], {"$ref": SCHEMAS + name})
            if example is not None:
                chosen[name] = example
            else:  # a value its own schema refuses, or all too long: worth a look
                schema = {"$ref": SCHEMAS + name, "components": self.document["components"]}
                shown = _shown(self.candidates[name][0])
                errors = [
                    str(e)[:200] for e in jsonschema_rs.validator_for(schema).iter_errors(shown)
                ]
                print(f"\n{name}: no candidate taken, e.g. {errors[:2] or 'too long'}")
        problems = {
            status: example
            for status in sorted(self.problems)
            if (example := self.choose(self.problems[status], {"$ref": SCHEMAS + "Problem"}))
            is not None
        }
        # The shortest text that shows more than a line (a CSV's header and a row).
        texts = {
            label: min(shown, key=lambda text: (len(text), text))
            for label, bodies in sorted(self.texts.items())
            if (shown := [_shown(body) for body in bodies if len(body.strip().splitlines()) > 1])
        }
        return {"schemas": chosen, "problems": problems, "bodies": texts}


def _property(schema: dict[str, Any], key: str) -> Any:
    """The schema of an object's property ``key``: named, matched by a pattern, or any other."""
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    for pattern, matched in schema.get("patternProperties", {}).items():
        if re.search(pattern, key):
            return matched
    return schema.get("additionalProperties")


def _shown(value: Any, key: str = "") -> Any:
    """``value`` as an example shows it: lists cut to two items, personal data out."""
    if key in _PERSONAL:
        return _PERSONAL[key]
    if isinstance(value, dict):
        return {k: _shown(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value[:2]]
    if isinstance(value, str):
        return _EMAIL.sub("juridico@municipio.example", _PERSON_RFC.sub(_GENERIC_RFC, value))
    return value


def _too_long(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_too_long(v) for v in value.values())
    if isinstance(value, list):
        return any(_too_long(v) for v in value)
    return isinstance(value, str) and len(value) > LONGEST_TEXT


def _richness(value: Any) -> int:
    """How much an example shows: its values that are set."""
    if isinstance(value, dict):
        return sum(_richness(v) for v in value.values())
    if isinstance(value, list):
        return sum(_richness(v) for v in value)
    return 0 if value is None else 1


def _sent(request: dict[str, Any]) -> tuple[str, Any]:
    """The body of a test's request: JSON, or a form whose files are named by their file."""
    if request.get("json") is not None:
        return "application/json", request["json"]
    files = request.get("files")
    if isinstance(files, dict):
        form = {k: v for k, v in (request.get("data") or {}).items() if isinstance(v, str)}
        for name, file in files.items():
            if isinstance(file, tuple) and file[0] is None:  # a plain field sent as a part
                value = file[1]
                form[name] = value.decode() if isinstance(value, bytes) else str(value)
            else:
                form[name] = file[0] if isinstance(file, tuple) and file[0] else "convenio.pdf"
        return "multipart/form-data", form
    return "application/json", None


_recorder: Recorder | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _recorder
    _recorder = Recorder()
    original: Callable[..., Any] = TestClient.request

    def request(self: TestClient, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        response = original(self, method, url, *args, **kwargs)
        media = response.headers.get("content-type", "").split(";")[0]
        if _recorder is None or not response.content:
            return response
        if media.startswith("text/"):
            body: Any = response.text
        elif media in ("application/json", "application/problem+json"):
            body = response.json()
        else:
            return response
        path, status = response.request.url.path, response.status_code
        _recorder.record(method.upper(), path, _sent(kwargs), status, media, body)
        return response

    TestClient.request = request  # type: ignore[method-assign]

    @event.listens_for(Event, "after_insert")
    def emitted(mapper: Any, connection: Any, target: Event) -> None:
        """Every event the tests cause, as a webhook would deliver it (most reach no
        subscription)."""
        if _recorder is not None:
            _recorder.record_delivery(signed_request(target, 0, "", 0)[0])


def _part(worker: str) -> Path:
    return OUTPUT.with_suffix(f".{worker}.part")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A process of `pytest -n` leaves what it recorded beside the output; the one that ran
    them chooses among everything recorded."""
    if _recorder is None:
        return
    recorded = (_recorder.candidates, _recorder.problems, _recorder.texts)
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    if worker is not None:
        _part(worker).write_text(json.dumps(recorded), encoding="utf-8")
        return
    for part in sorted(OUTPUT.parent.glob(OUTPUT.name.replace(".json", ".*.part"))):
        for mine, theirs in zip(
            recorded, json.loads(part.read_text(encoding="utf-8")), strict=True
        ):
            for key, values in theirs.items():
                mine.setdefault(key, []).extend(values)
        part.unlink()
    examples = _recorder.examples()
    OUTPUT.write_text(
        json.dumps(examples, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"\n{len(examples['schemas'])} schemas and {len(examples['problems'])} problems")
