"""Template versions through the API: shipped ones listed, new ones uploaded by admins only."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.principal import operator
from app.documents.clauses import standard_clauses
from app.documents.rendering import TEMPLATES_ROOT
from app.templates import service as templates
from app.templates.service import shipped
from tests.conftest import Keys
from tests.factories import API, ok


def test_the_shipped_templates_are_listed_with_their_versions(
    client: TestClient, keys: Keys
) -> None:
    listed = ok(client.get(f"{API}/templates", headers=keys.legal))
    by_key = {t["key"]: t for t in listed["items"]}
    assert {"colaboracion", "coordinacion", "modificatorio"} <= by_key.keys()
    assert by_key["coordinacion"]["latest_version"] >= 1
    versions = ok(client.get(f"{API}/templates/coordinacion/versions", headers=keys.viewer))
    assert versions["items"][0]["origin"] == "shipped"
    first = ok(client.get(f"{API}/templates/coordinacion/versions/1", headers=keys.viewer))
    assert "Ley de Planeación" in first["html"] and "@page" in first["css"]
    assert client.get(f"{API}/templates/nada/versions", headers=keys.viewer).status_code == 404
    assert (
        client.get(f"{API}/templates/coordinacion/versions/99", headers=keys.viewer).status_code
        == 404
    )


def test_uploading_makes_a_new_version_and_keeps_the_old_one(
    client: TestClient, keys: Keys
) -> None:
    url = f"{API}/templates/convenio_especifico/versions"
    first = client.post(
        url,
        json={
            "name": "Convenio específico",
            "html": "<p>{{ agreement.folio }}</p>",
            "required_fields": ["agreement.folio"],
        },
        headers=keys.admin,
    )
    assert ok(first, 201)["number"] == 1
    assert first.headers["location"] == f"{url}/1"
    second = ok(
        client.post(url, json={"html": "<h1>{{ agreement.title }}</h1>"}, headers=keys.admin), 201
    )
    assert second["number"] == 2
    unchanged = client.post(
        url, json={"html": "<h1>{{ agreement.title }}</h1>"}, headers=keys.admin
    )
    assert unchanged.status_code == 409
    old = ok(client.get(f"{url}/1", headers=keys.viewer))
    assert old["html"] == "<p>{{ agreement.folio }}</p>" and old["origin"] == "uploaded"
    events = ok(client.get(f"{API}/audit", params={"entity_type": "template"}, headers=keys.admin))
    assert events["items"][0]["action"] == "template.version_added"


def test_broken_templates_are_refused_before_they_are_stored(
    client: TestClient, keys: Keys
) -> None:
    url = f"{API}/templates/roto/versions"
    for payload, field, status in [
        ({"name": "Roto", "html": "{% if %}"}, "body.html", 422),
        (
            {"name": "Roto", "html": "<p></p>", "required_fields": ["folio"]},
            "body.required_fields.0",
            422,
        ),
        # Taken for a template that exists; this one does not, and its first version names it.
        ({"html": "<p></p>"}, "body.name", 409),
    ]:
        response = client.post(url, json=payload, headers=keys.admin)
        assert response.status_code == status, response.text
        assert response.json()["errors"][0]["field"] == field
    assert client.get(url, headers=keys.admin).status_code == 404
    legal = client.post(url, json={"name": "X", "html": "<p></p>"}, headers=keys.legal)
    assert legal.status_code == 403


def test_syncing_the_shipped_templates_twice_adds_nothing(db: Session) -> None:
    assert templates.sync_shipped(db, operator("tests")) == []


def test_a_version_lists_its_standard_clauses_and_an_upload_declares_its_own(
    client: TestClient, keys: Keys
) -> None:
    shipped = ok(client.get(f"{API}/templates/coordinacion/versions/1", headers=keys.viewer))
    listed = {clause["key"]: clause for clause in shipped["standard_clauses"]}
    assert listed["jurisdiccion"]["when"] == "always"
    assert listed["recursos_federales"]["when"] == "federal_funds"
    assert "vigencia" in listed["vigencia"]["subjects"]
    url = f"{API}/templates/con_clausulas/versions"
    body = {
        "name": "Con cláusulas",
        "html": "{% for c in agreement.clause_plan %}{{ c.title }}{% endfor %}",
        "standard_clauses": [{"key": "vigencia", "title": "VIGENCIA", "subjects": ["Plazo"]}],
    }
    created = ok(client.post(url, json=body, headers=keys.admin), 201)
    assert created["standard_clauses"] == [
        {
            "key": "vigencia",
            "title": "VIGENCIA",
            "subjects": ["plazo", "vigencia"],
            "when": "always",
        }
    ]
    for bad in (
        [{"key": "vigencia", "title": "VIGENCIA", "when": "los martes"}],
        [{"key": "Vigencia", "title": "VIGENCIA"}],
        [{"key": "vigencia", "title": "A"}, {"key": "vigencia", "title": "B"}],
    ):
        response = client.post(url, json={**body, "standard_clauses": bad}, headers=keys.admin)
        assert response.status_code == 422, (bad, response.text)


def test_every_shipped_template_declares_its_required_fields_and_clauses() -> None:
    found = shipped()
    assert sorted(found) == ["colaboracion", "coordinacion", "modificatorio"]  # comun/ is not one
    for key, (manifest, source) in found.items():
        assert manifest["name"] and manifest["description"], key
        assert all(
            field.startswith(("agreement.", "document.")) for field in source.required_fields
        ), key
        # Every standard clause is one the template writes, under a known condition.
        for clause in standard_clauses(source.standard_clauses):
            assert f'"{clause.key}"' in source.html, (key, clause.key)
    assert (TEMPLATES_ROOT / "assets" / "fonts" / "OFL.txt").is_file()
