"""Parties and representatives through the API."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Party
from tests.conftest import Keys
from tests.factories import API, estado, municipio, ok, party, representative


def test_a_municipio_gets_its_state_from_the_catalog(client: TestClient, keys: Keys) -> None:
    created = municipio(client, keys.legal, rfc="mtb850101ab1")
    assert created["state_code"] == "15"
    assert created["rfc"] == "MTB850101AB1"
    response = client.get(f"{API}/parties/{created['id']}", headers=keys.viewer)
    assert ok(response)["name"] == "Municipio de Tlalnepantla de Baz"
    assert response.headers["etag"] == '"v1"'


def test_creation_is_audited_in_the_same_transaction(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = estado(client, keys.legal)
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "party", AuditEvent.entity_id == str(created["id"])
        )
    ).one()
    assert event.action == "party.created"
    assert event.changes["inegi_code"] == [None, "15"]
    assert event.actor["role"] == "legal"


def test_bad_inegi_codes_are_refused_and_nothing_is_written(
    client: TestClient, keys: Keys, db: Session
) -> None:
    before = db.scalar(select(func.count()).select_from(Party))
    cases = [
        ({"kind": "estado", "name": "X", "inegi_code": "33"}, "body.inegi_code"),
        ({"kind": "municipio", "name": "X", "inegi_code": "15999"}, "body.inegi_code"),
        (
            {"kind": "municipio", "name": "X", "inegi_code": "15104", "state_code": "09"},
            "body.state_code",
        ),
        ({"kind": "municipio", "name": "X"}, "body.inegi_code"),
        ({"kind": "privado", "name": "X", "inegi_code": "15"}, "body.inegi_code"),
        ({"kind": "privado", "name": "X", "rfc": "XYZ"}, "body.rfc"),
        ({"kind": "privado", "name": "X", "rfc": "ABC991332AB1"}, "body.rfc"),
        # How the instrument names a party is given, never guessed.
        ({"kind": "social", "name": "Fundación X"}, "body.article"),
        ({"kind": "privado", "name": "X", "article": "la", "gender": "masculine"}, "body.gender"),
        ({"kind": "privado", "name": "X", "article": "lo"}, "body.article"),
        ({"kind": "privado", "name": "X", "gender": "neutro"}, "body.gender"),
        # An ayuntamiento's term belongs to a municipio, and has both ends in order.
        (
            {"kind": "estado", "name": "X", "article": "el", "inegi_code": "15"}
            | {"term_start": "2025-01-01", "term_end": "2027-12-31"},
            "body.term_start",
        ),
        (
            {"kind": "municipio", "name": "X", "article": "el", "inegi_code": "15104"}
            | {"term_start": "2027-12-31", "term_end": "2025-01-01"},
            "body.term_end",
        ),
        (
            {"kind": "municipio", "name": "X", "article": "el", "inegi_code": "15104"}
            | {"term_start": "2025-01-01"},
            "body.term_end",
        ),
        (
            {"kind": "municipio", "name": "X", "article": "el", "inegi_code": "15104"}
            | {"term_start": "2025-01-01", "term_end": "9999-12-31"},
            "body.term_end",
        ),
        # Autonomy by law is a public university's; an organismo descentralizado belongs to
        # an estado or municipio of the catalog.
        (
            {"kind": "privado", "name": "X", "gender": "feminine", "autonomous": True},
            "body.autonomous",
        ),
        (
            {"kind": "organismo_descentralizado", "name": "X", "article": "el"}
            | {"inegi_code": "15999"},
            "body.inegi_code",
        ),
        (
            {"kind": "organismo_autonomo", "name": "X", "article": "el", "inegi_code": "15"},
            "body.inegi_code",
        ),
    ]
    for payload, field in cases:
        response = client.post(f"{API}/parties", json=payload, headers=keys.legal)
        assert response.status_code == 422, (payload, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [error["field"] for error in response.json()["errors"]], response.text
    assert db.scalar(select(func.count()).select_from(Party)) == before


def test_a_patch_at_odds_only_with_what_is_on_record_is_a_conflict(
    client: TestClient, keys: Keys
) -> None:
    """The same body would be taken by the party in another state: 409, naming the values on
    record to send along. A body at odds with itself stays a 422."""
    url = f"{API}/parties/{municipio(client, keys.legal)['id']}"
    to_estado = {"kind": "estado", "inegi_code": "15"}
    conflict = client.patch(url, json=to_estado, headers=keys.legal)
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["type"] == "urn:convenios:problem:conflict"
    assert "term_start and term_end null" in conflict.json()["detail"]
    assert "against the term_start and term_end on record" in conflict.json()["detail"]
    late = client.patch(url, json={"term_start": "2999-01-01"}, headers=keys.legal)
    assert late.status_code == 409 and late.json()["errors"][0]["field"] == "body.term_end"
    backwards = {"term_start": "2027-01-01", "term_end": "2026-01-01"}
    assert client.patch(url, json=backwards, headers=keys.legal).status_code == 422
    cleared = {**to_estado, "term_start": None, "term_end": None}
    assert ok(client.patch(url, json=cleared, headers=keys.legal))["kind"] == "estado"


def test_patch_with_stale_if_match_changes_nothing(client: TestClient, keys: Keys) -> None:
    created = party(client, keys.legal)
    url = f"{API}/parties/{created['id']}"
    first = client.patch(url, json={"name": "SEGOB"}, headers={**keys.legal, "If-Match": '"v1"'})
    assert ok(first)["version"] == 2 and first.headers["etag"] == '"v2"'
    stale = client.patch(url, json={"name": "Otra"}, headers={**keys.legal, "If-Match": '"v1"'})
    assert stale.status_code == 412
    assert ok(client.get(url, headers=keys.legal))["name"] == "SEGOB"


def test_patch_refuses_null_for_required_fields_and_unknown_fields(
    client: TestClient, keys: Keys
) -> None:
    created = party(client, keys.legal)
    url = f"{API}/parties/{created['id']}"
    for payload, field in [
        ({"name": None}, "body.name"),
        ({"version": 7}, "body.version"),
        ({"id": 99}, "body.id"),
    ]:
        response = client.patch(url, json=payload, headers=keys.legal)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    cleared = client.patch(url, json={"legal_name": "Algo"}, headers=keys.legal)
    assert ok(cleared)["legal_name"] == "Algo"
    cleared = client.patch(url, json={"legal_name": None}, headers=keys.legal)
    assert ok(cleared)["legal_name"] is None


def test_search_ignores_accents_and_case(client: TestClient, keys: Keys) -> None:
    wanted = party(
        client, keys.legal, kind="academico_publico", name="Universidad Autónoma de Querétaro"
    )
    party(client, keys.legal, kind="academico_publico", name="Universidad de Guadalajara")
    found = ok(client.get(f"{API}/parties", params={"q": "QUERETARO"}, headers=keys.viewer))
    assert [p["id"] for p in found["items"]] == [wanted["id"]]


def test_lists_are_paged_with_cursors(client: TestClient, keys: Keys) -> None:
    created = [
        party(client, keys.legal, kind="social", name=f"Asociación {i}")["id"] for i in range(5)
    ]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"kind": "social", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(f"{API}/parties", params=params, headers=keys.viewer))
        assert len(page["items"]) <= 2
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    too_big = client.get(f"{API}/parties", params={"limit": 1000}, headers=keys.viewer)
    assert too_big.status_code == 422
    forged = client.get(f"{API}/parties", params={"cursor": "not-a-cursor"}, headers=keys.viewer)
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "query.cursor"


def test_representatives_belong_to_their_party(client: TestClient, keys: Keys) -> None:
    created = municipio(client, keys.legal)
    person = representative(
        client,
        keys.legal,
        created["id"],
        rfc="HEGT761003S23",
        curp="HEGT761003MDFRNN09",
        legal_basis="Artículo 128 de la Ley Orgánica Municipal del Estado de México",
    )
    listed = ok(client.get(f"{API}/parties/{created['id']}/representatives", headers=keys.viewer))
    assert [r["id"] for r in listed["items"]] == [person["id"]]
    bad = client.post(
        f"{API}/parties/{created['id']}/representatives",
        json={"full_name": "X", "gender": "feminine", "position": "Y", "curp": "NOTACURP"},
        headers=keys.legal,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.curp"
    missing = client.post(
        f"{API}/parties/999999/representatives",
        json={"full_name": "X", "gender": "feminine", "position": "Y"},
        headers=keys.legal,
    )
    assert missing.status_code == 404
