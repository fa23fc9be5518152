"""Rules every input obeys, checked across the whole API rather than route by route: dates stay
within the calendar the service can count in, and forms get the checks JSON bodies get."""

from datetime import date
from typing import Annotated, Any, get_args

import pytest
from fastapi import FastAPI, params
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.forms import check_form
from app.models import AuditEvent, Document, Obligation
from tests.conftest import Keys
from tests.documents.test_inspection import spanish_pdf
from tests.factories import API, agreement, ok

ENDS_OF_THE_CALENDAR = ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-30", "9999-12-31"]


def _mentions_date(annotation: Any) -> bool:
    return annotation is date or any(_mentions_date(arg) for arg in get_args(annotation))


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models(arg)]


def _date_fields(model: type[BaseModel], prefix: str, seen: set[type]) -> list[tuple[str, Any]]:
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, info in model.model_fields.items():
        if _mentions_date(info.annotation):
            found.append((f"{prefix}.{name}", _adapter(info)))
        for nested in _models(info.annotation):
            found += _date_fields(nested, f"{prefix}.{name}", seen)
    return found


def _adapter(info: FieldInfo) -> TypeAdapter[Any]:
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[info.annotation, *info.metadata])  # type: ignore[valid-type]


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's operations, through the routers it includes."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
    return found


def _every_date_input(app: FastAPI) -> list[tuple[str, str, Any]]:
    """(operation, where, validator) for every date a client can send: parameters and body
    fields, however deeply nested."""
    inputs = []
    for route in _api_routes(app.routes):
        params = route.dependant.query_params + route.dependant.path_params
        for param in params:
            if _mentions_date(param.field_info.annotation):
                inputs.append((route.name, f"query.{param.alias}", _adapter(param.field_info)))
        for param in route.dependant.body_params:
            for model in _models(param.field_info.annotation):
                for where, adapter in _date_fields(model, "body", set()):
                    inputs.append((route.name, where, adapter))
    return inputs


def test_every_date_a_client_sends_stays_within_the_calendar(app: FastAPI) -> None:
    inputs = _every_date_input(app)
    assert len(inputs) >= 10  # effective, expiry, signed_on, due dates, terms, periods…
    for operation, where, adapter in inputs:
        assert adapter.validate_python("2026-06-15") in (date(2026, 6, 15), None)
        for end in ENDS_OF_THE_CALENDAR:
            with pytest.raises(ValidationError):
                adapter.validate_python(end)
                pytest.fail(f"{operation} {where} accepted {end}")


@pytest.mark.parametrize(
    "deadline",
    [
        {"due_in_business_days": {"days": 5, "after": "9999-12-30"}},
        {"due_in_business_days": {"days": 365, "after": "2999-12-31"}},
        {"due_date": "9999-12-31"},
        {"due_date": "2999-12-31", "recurrence": {"frequency": "monthly", "until": "9999-12-31"}},
    ],
)
def test_a_deadline_at_the_end_of_the_calendar_is_refused(
    client: TestClient, keys: Keys, db: Session, deadline: dict[str, Any]
) -> None:
    created = agreement(client, keys.legal, expiry_date=None)
    body = {"party_id": created["parties"][0]["party"]["id"], "description": "Informe"}
    response = client.post(
        f"{API}/agreements/{created['id']}/obligations",
        json={**body, **deadline},
        headers=keys.legal,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert db.scalar(select(func.count()).select_from(Obligation)) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"due_to": "9999-12-31"},
        {"due_from": "0001-01-01"},
    ],
)
def test_a_date_parameter_at_the_end_of_the_calendar_is_refused(
    client: TestClient, keys: Keys, params: dict[str, str]
) -> None:
    response = client.get(f"{API}/obligations", params=params, headers=keys.viewer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("query.")


def _obligation(client: TestClient, keys: Keys) -> dict[str, Any]:
    created = agreement(client, keys.legal)
    body = {
        "party_id": created["parties"][0]["party"]["id"],
        "description": "Informe",
        "due_date": created["effective_date"],
    }
    url = f"{API}/agreements/{created['id']}/obligations"
    return ok(client.post(url, json=body, headers=keys.legal), 201)["items"][0]


@pytest.mark.parametrize(
    ("fields", "offending"),
    [
        ({"note": "entregado\x00"}, "body.note"),
        ({"note": "entregado\x1b[31m"}, "body.note"),
        ({"note": ""}, "body.note"),
        ({"note": "   "}, "body.note"),
        ({"nota": "entregado"}, "body.nota"),
    ],
)
def test_a_form_field_is_held_to_the_rules_of_a_json_one(
    client: TestClient,
    keys: Keys,
    db: Session,
    fields: dict[str, str],
    offending: str,
) -> None:
    obligation = _obligation(client, keys)
    before = (
        db.scalar(select(func.count()).select_from(Document)),
        db.scalar(select(func.count()).select_from(AuditEvent)),
    )
    files: dict[str, Any] = {name: (None, value) for name, value in fields.items()}
    files["evidence"] = ("evidencia.pdf", spanish_pdf(), "application/pdf")
    response = client.post(
        f"{API}/obligations/{obligation['id']}/fulfill", files=files, headers=keys.legal
    )
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [offending]
    read = ok(client.get(f"{API}/obligations/{obligation['id']}", headers=keys.viewer))
    assert read["status"] == "pending"
    db.expire_all()
    after = (
        db.scalar(select(func.count()).select_from(Document)),
        db.scalar(select(func.count()).select_from(AuditEvent)),
    )
    assert after == before


@pytest.mark.parametrize("title", ["Anexo\x00", "Anexo\x07técnico", "Anexo\x85"])
def test_control_characters_in_an_upload_form_are_refused(
    client: TestClient, keys: Keys, title: str
) -> None:
    created = agreement(client, keys.legal)
    response = client.post(
        f"{API}/agreements/{created['id']}/documents/upload",
        files={
            "kind": (None, "annex"),
            "title": (None, title),
            "file": ("anexo.pdf", spanish_pdf(), "application/pdf"),
        },
        headers=keys.legal,
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.title"
    listed = ok(client.get(f"{API}/agreements/{created['id']}/documents", headers=keys.viewer))
    assert listed["items"] == []


def test_tabs_and_line_breaks_are_text(client: TestClient, keys: Keys) -> None:
    obligation = _obligation(client, keys)
    note = "Entregado:\n\t- informe\r\n\t- fotografías"
    done = ok(
        client.post(
            f"{API}/obligations/{obligation['id']}/fulfill",
            files={"note": (None, note)},
            headers=keys.legal,
        )
    )
    assert done["note"] == note


def test_every_route_that_takes_a_form_checks_it_once_it_knows_the_caller(app: FastAPI) -> None:
    # The API's operations; the pages for people check their own fields and answer with a page
    # (tests/pages/test_signing_pages.py sends them every kind of bad text).
    forms = [
        route
        for route in _api_routes(app.routes)
        if route.include_in_schema
        and route.body_field is not None
        and isinstance(route.body_field.field_info, params.Form)
    ]
    assert len(forms) >= 5  # uploads, fulfilments, autógrafa and PAdES signatures, verify
    for route in forms:
        calls = [dependency.call for dependency in route.dependant.dependencies]
        assert calls[-1] is check_form, f"{route.name} does not end with CheckedForm"


def test_a_form_without_fields_may_be_no_body_at_all(client: TestClient, keys: Keys) -> None:
    """What a client generated from the document sends when every field is left out."""
    obligation = _obligation(client, keys)
    done = client.post(f"{API}/obligations/{obligation['id']}/fulfill", headers=keys.legal)
    assert ok(done)["status"] == "fulfilled"
    # A form whose route needs a field names it.
    created = agreement(client, keys.legal)
    upload = client.post(f"{API}/agreements/{created['id']}/documents/upload", headers=keys.legal)
    assert upload.status_code == 422 and "body.file" in upload.text


def test_the_document_says_what_a_form_takes(app: FastAPI) -> None:
    """No field but its own, none null, PDFs said to be PDFs, and a body where one is needed."""
    document = app.openapi()
    schemas = document["components"]["schemas"]
    forms = [
        operation["requestBody"]
        for item in document["paths"].values()
        for operation in item.values()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    ]
    assert len(forms) >= 5
    for form in forms:
        ref = form["content"]["multipart/form-data"]["schema"]["$ref"]
        component = schemas[ref.rsplit("/", 1)[1]]
        assert component["additionalProperties"] is False
        assert not [f for f in component["properties"].values() if "anyOf" in f], ref
    # Every field of a PAdES signature is optional, but not all of them at once.
    pades = document["paths"][f"{API}/signatures/{{signature_id}}/sign/pades"]["post"]
    assert pades["requestBody"]["required"] is True
    verified = schemas["Body_verify_file"]["properties"]["file"]
    assert verified["contentMediaType"] == "application/pdf" and verified["format"] == "binary"


def test_a_bad_form_without_a_key_is_a_401_not_a_422(client: TestClient, keys: Keys) -> None:
    obligation = _obligation(client, keys)
    response = client.post(
        f"{API}/obligations/{obligation['id']}/fulfill", files={"note": (None, "mal\x00")}
    )
    assert response.status_code == 401
