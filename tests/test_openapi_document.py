"""The OpenAPI document as a client generator reads it: files are binary strings (sent as
files, not text), PDF downloads are binary and offered as `application/octet-stream` too — and
the service really answers that type to a client that asks for it —, limits have their JSON
Schema names, repeated creations have their schema, and `servers` says where the service is."""

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import app as app_package
from app.config import get_settings
from app.events.service import emit
from app.models import Event
from app.models.enums import EventType
from app.problems import PROBLEM_TYPES
from tests.conftest import Keys
from tests.factories import API, agreement, ok


def _nodes(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_nodes(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_nodes(value))
    return found


def test_files_downloads_and_limits_read_as_a_generator_expects(app: FastAPI) -> None:
    document = app.openapi()
    nodes = _nodes(document)
    # Uploads: any bytes, or a PDF.
    media_types = ("application/octet-stream", "application/pdf")
    files = [n for n in nodes if n.get("contentMediaType") in media_types]
    assert len(files) >= 8 and all(n.get("format") == "binary" for n in files)
    assert not [
        n for n in nodes if n.get("type") in ("integer", "number") and {"ge", "le"} & n.keys()
    ]
    download = document["paths"][f"{API}/documents/{{document_id}}/pdf"]["get"]["responses"]
    for status in ("200", "206"):
        content = download[status]["content"]
        assert content["application/pdf"]["schema"] == {"type": "string", "format": "binary"}
        assert content["application/octet-stream"]["schema"]["format"] == "binary"
    generate = document["paths"][f"{API}/agreements/{{agreement_id}}/documents"]["post"]
    repeated = generate["responses"]["200"]["content"]["application/json"]["schema"]
    assert repeated == {"$ref": "#/components/schemas/DocumentRead"}
    assert document["servers"] == [
        {"url": get_settings().public_url, "description": "This service"}
    ]


def test_a_download_comes_as_generic_bytes_to_a_client_that_asks_for_them(
    client: TestClient, keys: Keys
) -> None:
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}/documents"
    document = ok(client.post(url, json={}, headers=keys.legal), 201)
    as_pdf = client.get(document["download_url"], headers=keys.legal)
    generic = client.get(
        document["download_url"], headers={**keys.legal, "Accept": "application/octet-stream"}
    )
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert generic.headers["content-type"] == "application/octet-stream"
    assert generic.content == as_pdf.content and generic.headers["etag"] == as_pdf.headers["etag"]


def test_the_documentation_pages_load_nothing_from_outside(client: TestClient) -> None:
    """/docs and /redoc work on a network without internet: every script, style and icon they
    name is served by the service itself."""
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html.text), page
        assets = re.findall(r"""["'](/docs/assets/[\w.-]+)["']""", html.text)
        assert assets, page
        for asset in assets:
            served = client.get(asset)
            assert served.status_code == 200 and len(served.content) > 1000, asset
    missing = client.get("/docs/assets/..%2F..%2Fconfig.py")
    assert missing.status_code == 404
    assert client.get("/docs/assets/core.py").status_code == 404


def test_a_405_names_every_method_the_path_serves(app: FastAPI, client: TestClient) -> None:
    """Starlette names those of the first route that matches; a path's methods are spread over
    several routes. Every path of the document, asked with a method it does not serve — and a
    body no route of it would take: the method is what is wrong, not the body's type."""
    for path, item in app.openapi()["paths"].items():
        served = sorted(method.upper() for method in item)
        url = re.sub(r"\{[^}]+\}", "1", path)
        unserved = next(m for m in ("PUT", "DELETE", "PATCH", "POST") if m not in served)
        response = client.request(
            unserved, url, content=b"x", headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 405, (unserved, url, response.status_code)
        assert response.headers["allow"] == ", ".join(served), (unserved, url)


def test_every_action_a_client_may_retry_takes_an_idempotency_key(app: FastAPI) -> None:
    """Besides creations: transitions, signatures (but PAdES, whose form holds a password),
    declines, fulfilments, waivers and resends."""
    paths = app.openapi()["paths"]
    actions = [
        f"{API}/agreements/{{agreement_id}}/transitions",
        f"{API}/signatures/{{signature_id}}/sign",
        f"{API}/signatures/{{signature_id}}/sign/autografa",
        f"{API}/signatures/{{signature_id}}/decline",
        f"{API}/obligations/{{obligation_id}}/fulfill",
        f"{API}/obligations/{{obligation_id}}/waive",
        f"{API}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/resend",
        f"{API}/email-deliveries/{{email_delivery_id}}/resend",
    ]
    for path in actions:
        names = {p["name"] for p in paths[path]["post"].get("parameters", [])}
        assert "idempotency-key" in names, path
    pades = paths[f"{API}/signatures/{{signature_id}}/sign/pades"]["post"]
    assert "idempotency-key" not in {p["name"] for p in pades.get("parameters", [])}


def test_each_event_type_has_its_payload_in_the_webhooks_section(app: FastAPI) -> None:
    document = app.openapi()
    assert set(document["webhooks"]) == {t.value for t in EventType}
    schemas = document["components"]["schemas"]
    body = document["webhooks"]["agreement.status_changed"]["post"]["requestBody"]
    envelope = schemas[body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    data = schemas[envelope["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
    assert set(data["properties"]) == {"folio", "from", "to", "reason"}
    assert data["additionalProperties"] is False


def test_an_event_is_written_only_as_its_type_says(db: Session) -> None:
    """What the webhooks section promises is what is sent: a payload its model does not
    describe never reaches the outbox."""
    with pytest.raises(ValidationError):
        emit(db, EventType.AGREEMENT_EXPIRED, agreement_id=None, payload={"folio": "X"})
    with pytest.raises(ValidationError):
        emit(
            db,
            EventType.AGREEMENT_EXPIRED,
            agreement_id=None,
            payload={"folio": "X", "expiry_date": "2026-12-31", "secret": "y"},
        )
    assert db.scalar(select(func.count()).select_from(Event)) == 0


# How the code names the kind of a problem: `problem(409, "slug", …)`, a class's
# `status, type = 409, "slug"` or `type = "slug"`, a table row `(422, "slug", "advice")`, the
# middleware's `_send_problem(send, scope, 413, "slug", …)`, `slug="…"`, `{404: "slug"}`.
_SLUG_SITES = (
    r'problem\(\s*\d{3},\s*"([a-z0-9-]+)"',
    r'status, type = \d{3}, "([a-z0-9-]+)"',
    r'^\s+type = "([a-z0-9-]+)"',
    r'\(\d{3}, "([a-z0-9-]+)", "',
    r'_send_problem\(\s*send,\s*scope,\s*\d{3},\s*"([a-z0-9-]+)"',
    r'slug="([a-z0-9-]+)"',
    r'\d{3}: "([a-z0-9-]+)",',
    r'\.get\(exc\.status_code, "([a-z0-9-]+)"\)',
)


def test_every_problem_type_the_code_answers_with_is_listed_in_the_document(
    client: TestClient,
) -> None:
    found: set[str] = set()
    for source in Path(app_package.__file__).parent.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for pattern in _SLUG_SITES:
            found.update(re.findall(pattern, text, flags=re.MULTILINE))
    assert found - PROBLEM_TYPES.keys() == set(), "answered but not listed"
    assert PROBLEM_TYPES.keys() - found == set(), "listed but answered nowhere"
    described = client.get("/openapi.json").json()["components"]["schemas"]["Problem"]
    listing = described["properties"]["type"]["description"]
    assert all(f"`urn:convenios:problem:{slug}`" in listing for slug in PROBLEM_TYPES)


def test_the_examples_of_request_bodies_are_requests_the_service_takes(app: FastAPI) -> None:
    """Every example a request body's model publishes validates against that model."""
    from app.schemas import CreateSchema

    def models(cls: type) -> list[type]:
        return [cls, *(m for sub in cls.__subclasses__() for m in models(sub))]

    shown = 0
    for model in models(CreateSchema):
        extra = model.model_config.get("json_schema_extra")
        for example in extra.get("examples", []) if isinstance(extra, dict) else []:
            model.model_validate(example)  # type: ignore[attr-defined]
            shown += 1
    assert shown >= 15
    document = app.openapi()["components"]["schemas"]
    assert document["AgreementCreate"]["examples"][0]["kind"] == "coordinacion"


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def _bodies(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every body the document describes — sent, answered, delivered by a webhook — but files,
    which are bytes no JSON example shows."""
    found = []
    for section in ("paths", "webhooks"):
        for path, item in document.get(section, {}).items():
            for method, operation in item.items():
                label = f"{method.upper()} {path}"
                contents = [("request", operation.get("requestBody", {}).get("content", {}))]
                contents += [
                    (status, response.get("content", {}))
                    for status, response in operation.get("responses", {}).items()
                ]
                for where, content in contents:
                    for media, body in content.items():
                        if body.get("schema", {}).get("format") != "binary":
                            found.append((f"{label} {where} {media}", body))
    return found


def test_every_schema_and_every_body_has_an_example_its_schema_takes(app: FastAPI) -> None:
    """Examples recorded from the tests (`make openapi-examples`) or written on a model: one on
    each component and on each body, each valid against its schema."""
    document = app.openapi()
    for name, component in document["components"]["schemas"].items():
        assert component.get("examples"), f"{name} has no example: make openapi-examples"
        validator = _validator(document, {"$ref": f"#/components/schemas/{name}"})
        for example in component["examples"]:
            validator.validate(example)
    bodies = _bodies(document)
    assert len(bodies) > 500
    for label, body in bodies:
        assert "example" in body, f"{label} has no example: make openapi-examples"
        _validator(document, body["schema"]).validate(body["example"])


def test_no_example_carries_personal_data(app: FastAPI) -> None:
    """The document is read without a key: no person's RFC, CURP, email or telephone in it."""
    text = json.dumps(app.openapi(), ensure_ascii=False)
    # A person's RFC, but the SAT's generic one for the público en general.
    assert set(re.findall(r"\b[A-ZÑ&]{4}\d{6}[A-Z0-9]{3}\b", text)) <= {"XAXX010101000"}
    assert not re.findall(r"\b[A-Z]{4}\d{6}[HM][A-Z]{5}[0-9A-Z]\d\b", text)  # a CURP
    assert not re.findall(r"\+?\b52[\s\d]{10,14}\b", text)  # a Mexican telephone
    emails = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    # Addresses only under the TLD reserved for examples (RFC 2606).
    assert all(email.endswith(".example") for email in emails), emails
