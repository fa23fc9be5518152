"""Agreements through the API: creation, validation, search, edits and the lifecycle."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import today
from app.models import Agreement, AuditEvent
from tests.clock import TestClock, days_from_today
from tests.conftest import Keys
from tests.factories import (
    API,
    agreement,
    agreement_payload,
    move,
    municipio_and_estado,
    ok,
    representative,
    signing_party,
)

SIGNED = ("in_review", "approved", "in_signature", "active")


def _counts(db: Session) -> tuple[int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Agreement)) or 0,
        db.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


def test_creating_assigns_a_folio_and_starts_as_draft(client: TestClient, keys: Keys) -> None:
    response = client.post(
        f"{API}/agreements",
        json=agreement_payload(
            [
                signing_party(client, keys.legal, "municipio"),
                signing_party(client, keys.legal, "estado"),
            ]
        ),
        headers=keys.legal,
    )
    created = ok(response, 201)
    assert created["folio"] == f"CONV-{today().year}-{created['folio'][-4:]}"
    assert created["status"] == "draft"
    assert created["amount"] == "1500000.50" and created["currency"] == "MXN"
    assert created["allowed_transitions"] == ["in_review", "cancelled"]
    assert [p["role"] for p in created["parties"]] == ["EL MUNICIPIO", "EL ESTADO"]
    assert created["parties"][0]["signatories"][0]["position"] == "Presidenta Municipal"
    assert response.headers["location"] == f"{API}/agreements/{created['id']}"
    assert response.headers["etag"] == '"v1"'
    read = client.get(response.headers["location"], headers=keys.viewer)
    assert ok(read) == created


def _three_parties(client: TestClient, keys: Keys) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        signing_party(client, keys.legal, "municipio"),
        signing_party(client, keys.legal, "estado"),
        signing_party(client, keys.legal, "federacion"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expiry_date": "2000-01-15"}, "body.expiry_date"),  # before it takes effect
        ({"expiry_date": "2025-01-01"}, "body.expiry_date"),
        ({"title": ""}, "body.title"),
        ({"title": "x" * 1_000}, "body.title"),
        ({"kind": "convenio"}, "body.kind"),
        ({"initiative": 5}, "body.initiative"),
        ({"amount": "-1"}, "body.amount"),
        ({"amount": "1.001"}, "body.amount"),
        ({"amount": None, "currency": "USD"}, "body.currency"),
        ({"currency": "pesos"}, "body.currency"),
        ({"topics": ["Seguridad Pública"]}, "body.topics.0"),
        ({"effective_date": "mañana"}, "body.effective_date"),
        ({"folio": "CONV-2000-0001"}, "body.folio"),
        ({"status": "active"}, "body.status"),
        ({"renewal": {"mode": "automatic"}}, "body.renewal.months"),
        ({"renewal": {"mode": "none", "months": 12}}, "body.renewal.mode"),
        ({"kind": "modificatorio"}, "body.parent_id"),
        ({"parent_id": 1}, "body.parent_id"),
    ],
)
def test_bad_agreements_are_refused_naming_the_field_and_write_nothing(
    client: TestClient, keys: Keys, db: Session, change: dict[str, Any], field: str
) -> None:
    payload = agreement_payload(_three_parties(client, keys), **change)
    before = _counts(db)
    response = client.post(f"{API}/agreements", json=payload, headers=keys.legal)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert _counts(db) == before


def test_references_to_unknown_or_foreign_ids_are_refused(
    client: TestClient, keys: Keys, db: Session
) -> None:
    signers = _three_parties(client, keys)
    stranger = representative(client, keys.legal, signers[2][0]["id"])
    cases = [
        (lambda p: p["parties"][0].update(party_id=999_999), "body.parties.0.party_id"),
        (
            lambda p: p["parties"][1].update(signatories=[{"representative_id": 999_999}]),
            "body.parties.1.signatories.0.representative_id",
        ),
        (
            lambda p: p["parties"][0].update(signatories=[{"representative_id": stranger["id"]}]),
            "body.parties.0.signatories.0.representative_id",
        ),
        (lambda p: p["parties"][1].update(party_id=p["parties"][0]["party_id"]), "body.parties"),
        (lambda p: p.update(parties=p["parties"][:1]), "body.parties"),
        (lambda p: p["parties"][0].update(extra="x"), "body.parties.0.extra"),
    ]
    before = _counts(db)
    for mutate, field in cases:
        payload = agreement_payload(signers)
        mutate(payload)
        response = client.post(f"{API}/agreements", json=payload, headers=keys.legal)
        assert response.status_code == 422, (field, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert _counts(db) == before


def test_oversized_and_malformed_bodies_are_refused(
    client: TestClient, keys: Keys, db: Session
) -> None:
    before = _counts(db)
    huge = agreement_payload(_three_parties(client, keys), objective="a" * 1_100_000)
    assert client.post(f"{API}/agreements", json=huge, headers=keys.legal).status_code == 413
    long_field = agreement_payload(_three_parties(client, keys), objective="a" * 500_000)
    response = client.post(f"{API}/agreements", json=long_field, headers=keys.legal)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.objective"
    broken = client.post(
        f"{API}/agreements",
        content=b'{"title": "sin cerrar',
        headers={**keys.legal, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "body"
    wrong_types = client.post(f"{API}/agreements", json=["no", "un", "objeto"], headers=keys.legal)
    assert wrong_types.status_code == 422
    form = client.post(f"{API}/agreements", data={"title": "x"}, headers=keys.legal)
    assert form.status_code == 415
    unreadable = client.post(
        f"{API}/agreements",
        content=b"{}",
        headers={**keys.legal, "Content-Type": "application/json", "Content-Length": "dos"},
    )
    assert unreadable.status_code == 400
    assert unreadable.json()["type"] == "urn:convenios:problem:bad-request"
    assert _counts(db)[0] == before[0]


def test_filters_and_text_search(client: TestClient, keys: Keys) -> None:
    city, mayor = signing_party(
        client,
        keys.legal,
        "municipio",
        name="Municipio de San Pedro Garza García",
        inegi_code="19019",
    )
    state, governor = signing_party(
        client, keys.legal, "estado", name="Gobierno de Nuevo León", inegi_code="19"
    )
    uni, rector = signing_party(
        client, keys.legal, "academico_publico", name="Universidad Autónoma de Nuevo León"
    )
    security = ok(
        client.post(
            f"{API}/agreements",
            json=agreement_payload(
                [(city, mayor), (state, governor)],
                kind="coordinacion",
                title="Coordinación en seguridad pública",
                topics=["seguridad_publica"],
                initiative=4,
                expiry_date=days_from_today(30),
            ),
            headers=keys.legal,
        ),
        201,
    )
    science = ok(
        client.post(
            f"{API}/agreements",
            json=agreement_payload(
                [(city, mayor), (uni, rector)],
                kind="colaboracion",
                title="Colaboración académica",
                topics=["innovacion", "gobernanza"],
                initiative=6,
                expiry_date=days_from_today(600),
            ),
            headers=keys.legal,
        ),
        201,
    )

    def ids(**params: Any) -> list[int]:
        params = {"party_id": city["id"], **params}
        return [
            a["id"]
            for a in ok(client.get(f"{API}/agreements", params=params, headers=keys.viewer))[
                "items"
            ]
        ]

    assert ids() == [science["id"], security["id"]]
    assert ids(kind="coordinacion") == [security["id"]]
    assert ids(topic="gobernanza") == [science["id"]]
    assert ids(initiative=4) == [security["id"]]
    assert ids(status="draft") == [science["id"], security["id"]]
    assert ids(status="active") == []
    assert ids(expiring_within_days=45) == [security["id"]]
    assert ids(party_id=uni["id"]) == [science["id"]]
    assert ids(q="academica") == [science["id"]]
    assert ids(q="nuevo leon") == [science["id"], security["id"]]
    assert ids(q="autonoma de nuevo") == [science["id"]]
    assert ids(q=security["folio"].lower()) == [security["id"]]
    # A folio by its beginning, as people type one they are reading.
    assert security["id"] in ids(q=security["folio"][:-1])
    assert ids(q=security["folio"][-4:]) == []  # its number alone is no folio's beginning
    assert ids(q="100%_") == []
    assert ok(
        client.get(
            f"{API}/agreements", params={"limit": 1, "party_id": city["id"]}, headers=keys.viewer
        )
    )["next_cursor"]


def test_q_reads_the_objective_and_follows_a_party_renamed(client: TestClient, keys: Keys) -> None:
    """The objective's words and each party's present name: a search text rewritten when the
    agreement's content or a party's name changes (app.agreements.search)."""
    city, mayor = signing_party(
        client, keys.legal, "municipio", name="Municipio de García", inegi_code="19018"
    )
    state, governor = signing_party(
        client, keys.legal, "estado", name="Gobierno de Nuevo León", inegi_code="19"
    )
    created = ok(
        client.post(
            f"{API}/agreements",
            json=agreement_payload(
                [(city, mayor), (state, governor)],
                objective="Modernizar el padrón catastral del municipio.",
            ),
            headers=keys.legal,
        ),
        201,
    )

    def found(q: str) -> bool:
        listed = ok(client.get(f"{API}/agreements", params={"q": q}, headers=keys.viewer))
        return created["id"] in [a["id"] for a in listed["items"]]

    assert found("padron catastral") and found("PADRÓN") and found("garcia")
    assert not found("agua potable")
    renamed = client.patch(
        f"{API}/parties/{city['id']}",
        json={"name": "Municipio de García, N.L."},
        headers=keys.legal,
    )
    assert renamed.status_code == 200, renamed.text
    assert found("garcia, n.l.")
    ok(
        client.patch(
            f"{API}/agreements/{created['id']}",
            json={"objective": "Operar el sistema de agua potable."},
            headers=keys.legal,
        )
    )
    assert found("agua potable") and not found("padron catastral")


def test_the_whole_lifecycle(client: TestClient, keys: Keys, clock: TestClock) -> None:
    created = agreement(client, keys.legal, parties=3)
    url = f"{API}/agreements/{created['id']}"
    illegal = client.post(f"{url}/transitions", json={"to": "active"}, headers=keys.legal)
    assert illegal.status_code == 409
    assert illegal.json()["allowed"] == ["in_review", "cancelled"]
    assert "in_review, cancelled" in illegal.json()["detail"]

    active = move(client, keys.legal, created["id"], *SIGNED[:3])
    assert active["status"] == "in_signature"
    frozen = client.patch(url, json={"title": "Otro"}, headers=keys.legal)
    assert frozen.status_code == 409 and frozen.json()["type"].endswith("agreement-frozen")

    no_reason = client.post(f"{url}/transitions", json={"to": "cancelled"}, headers=keys.legal)
    assert no_reason.status_code == 409 and "needs a reason" in no_reason.json()["detail"]
    future = client.post(
        f"{url}/transitions", json={"to": "active", "signed_on": "2999-01-01"}, headers=keys.legal
    )
    assert future.status_code == 409
    yesterday = days_from_today(-1)
    signed = move(client, keys.legal, created["id"], "active", signed_on=yesterday)
    assert signed["status"] == "active" and signed["signed_on"] == yesterday
    assert signed["allowed_transitions"] == ["expired", "terminated"]

    early = client.post(f"{url}/transitions", json={"to": "expired"}, headers=keys.legal)
    assert early.status_code == 409
    clock.advance(timedelta(days=731))  # the day after it expires
    expired = move(client, keys.legal, created["id"], "expired")
    assert expired["status"] == "expired" and expired["allowed_transitions"] == []
    final = client.post(
        f"{url}/transitions", json={"to": "terminated", "reason": "x"}, headers=keys.legal
    )
    assert final.status_code == 409 and final.json()["allowed"] == []


def test_review_requires_complete_content(client: TestClient, keys: Keys) -> None:
    signers = [
        signing_party(client, keys.legal, "municipio"),
        signing_party(client, keys.legal, "estado"),
    ]
    payload = agreement_payload(signers, clauses=[])
    payload["parties"][1]["signatories"] = []
    created = ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)
    refused = client.post(
        f"{API}/agreements/{created['id']}/transitions",
        json={"to": "in_review"},
        headers=keys.legal,
    )
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "nobody to sign" in detail and "cláusula" in detail
    assert refused.json()["allowed"] == ["cancelled"]  # never the move just refused


def test_an_edit_withdraws_the_approval(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    approved = move(client, keys.legal, created["id"], "in_review", "approved")
    edited = ok(
        client.patch(
            f"{API}/agreements/{created['id']}",
            json={"clauses": [{"title": "OBJETO", "text": "Nuevo texto"}]},
            headers={**keys.legal, "If-Match": f'"v{approved["version"]}"'},
        )
    )
    assert edited["status"] == "in_review"
    assert edited["version"] == approved["version"] + 1


def test_patch_replaces_parties_and_bumps_the_version(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    extra = signing_party(client, keys.legal, "academico_publico")
    parties = [
        {
            "party_id": p["party"]["id"],
            "role": p["role"],
            "signatories": [
                {"representative_id": s["representative_id"], "capacity": s["capacity"]}
                for s in p["signatories"]
            ],
        }
        for p in created["parties"]
    ] + [
        {
            "party_id": extra[0]["id"],
            "role": "LA UNIVERSIDAD",
            "signatories": [{"representative_id": extra[1]["id"]}],
        }
    ]
    response = client.patch(
        f"{API}/agreements/{created['id']}", json={"parties": parties}, headers=keys.legal
    )
    updated = ok(response)
    assert [p["party"]["id"] for p in updated["parties"]][-1] == extra[0]["id"]
    assert updated["version"] == 2 and response.headers["etag"] == '"v2"'
    stale = client.patch(
        f"{API}/agreements/{created['id']}",
        json={"title": "Otro"},
        headers={**keys.legal, "If-Match": '"v1"'},
    )
    assert stale.status_code == 412
    assert (
        ok(client.get(f"{API}/agreements/{created['id']}", headers=keys.legal))["title"]
        == created["title"]
    )
    unchanged = ok(client.patch(f"{API}/agreements/{created['id']}", json={}, headers=keys.legal))
    assert unchanged["version"] == 2


def test_a_modificatorio_amends_an_agreement_in_force(client: TestClient, keys: Keys) -> None:
    original = agreement(client, keys.legal)
    signers = [
        signing_party(client, keys.legal, "municipio"),
        signing_party(client, keys.legal, "estado"),
    ]
    draft_parent = client.post(
        f"{API}/agreements",
        json=agreement_payload(signers, kind="modificatorio", parent_id=original["id"]),
        headers=keys.legal,
    )
    assert draft_parent.status_code == 422
    assert "only an agreement in force" in draft_parent.json()["errors"][0]["message"]
    move(client, keys.legal, original["id"], *SIGNED)
    # A modificatorio is agreed by its principal's parties, each with its name there.
    strangers = client.post(
        f"{API}/agreements",
        json=agreement_payload(signers, kind="modificatorio", parent_id=original["id"]),
        headers=keys.legal,
    )
    assert strangers.status_code == 422
    assert "is not a party to" in strangers.json()["errors"][0]["message"]
    principal = [
        (p["party"], {"id": s["representative_id"]})
        for p in original["parties"]
        for s in p["signatories"]
    ]
    renamed = agreement_payload(principal, kind="modificatorio", parent_id=original["id"])
    renamed["parties"][0]["role"] = "EL AYUNTAMIENTO"
    refused = client.post(f"{API}/agreements", json=renamed, headers=keys.legal)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.parties.0.role"
    amendment = ok(
        client.post(
            f"{API}/agreements",
            json=agreement_payload(
                principal,
                kind="modificatorio",
                parent_id=original["id"],
                title="Primer convenio modificatorio",
            ),
            headers=keys.legal,
        ),
        201,
    )
    assert amendment["parent_id"] == original["id"] and amendment["kind"] == "modificatorio"


def test_a_modificatorio_goes_no_further_once_its_principal_ends(
    client: TestClient, keys: Keys
) -> None:
    original = agreement(client, keys.legal)
    move(client, keys.legal, original["id"], *SIGNED)
    principal = [
        (p["party"], {"id": s["representative_id"]})
        for p in original["parties"]
        for s in p["signatories"]
    ]
    amendment = ok(
        client.post(
            f"{API}/agreements",
            json=agreement_payload(principal, kind="modificatorio", parent_id=original["id"]),
            headers=keys.legal,
        ),
        201,
    )
    move(client, keys.legal, original["id"], "terminated", reason="Terminación anticipada")
    refused = client.post(
        f"{API}/agreements/{amendment['id']}/transitions",
        json={"to": "in_review"},
        headers=keys.legal,
    )
    assert refused.status_code == 409, refused.text
    assert "only an agreement in force can be amended" in refused.text
    assert "in_review" not in refused.json()["allowed"]
    after = ok(client.get(f"{API}/agreements/{amendment['id']}", headers=keys.legal))
    assert after["status"] == "draft" and after["version"] == amendment["version"]


def test_a_transition_retried_with_its_key_gets_the_first_answer(
    client: TestClient, keys: Keys
) -> None:
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}/transitions"
    headers = {**keys.legal, "Idempotency-Key": "revision-1"}
    first = client.post(url, json={"to": "in_review"}, headers=headers)
    again = client.post(url, json={"to": "in_review"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    # Without the key, the same move is refused: it was made already.
    assert client.post(url, json={"to": "in_review"}, headers=keys.legal).status_code == 409
    other = client.post(url, json={"to": "approved"}, headers=headers)
    assert other.status_code == 422  # the key names another request


@pytest.mark.parametrize("amount", [1500000.5, 1500000, "1.5e6", " 15", "-1", "1.234"])
def test_money_is_a_string_of_digits(client: TestClient, keys: Keys, amount: object) -> None:
    """A JSON number may have lost the cents on the client already; the schema says a string."""
    signers = municipio_and_estado(client, keys.legal)
    payload = agreement_payload(signers, amount=None)
    payload["amount"] = amount
    refused = client.post(f"{API}/agreements", json=payload, headers=keys.legal)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.amount"


def test_viewers_write_nothing(client: TestClient, keys: Keys, db: Session) -> None:
    before = _counts(db)
    response = client.post(
        f"{API}/parties", json={"kind": "social", "name": "X"}, headers=keys.viewer
    )
    assert response.status_code == 403
    assert _counts(db) == before


def test_expiring_window_uses_todays_date(client: TestClient, keys: Keys, clock: TestClock) -> None:
    created = agreement(client, keys.legal)  # expires in 730 days
    params = {"expiring_within_days": 30, "party_id": created["parties"][0]["party"]["id"]}
    clock.advance(timedelta(days=700))
    found = ok(client.get(f"{API}/agreements", params=params, headers=keys.viewer))
    assert [a["id"] for a in found["items"]] == [created["id"]]
    clock.advance(timedelta(days=-60))
    found = ok(client.get(f"{API}/agreements", params=params, headers=keys.viewer))
    assert found["items"] == []


def test_patching_the_amount_keeps_its_currency_right(client: TestClient, keys: Keys) -> None:
    funded = agreement(client, keys.legal)
    # An amount that the parties' contributions on record make up cannot go away without them:
    # a conflict with what is on record, which names the parties to send along.
    unfunded = client.patch(
        f"{API}/agreements/{funded['id']}", json={"amount": None}, headers=keys.legal
    )
    assert unfunded.status_code == 409 and unfunded.json()["errors"][0]["field"] == "body.amount"
    assert "against the parties on record" in unfunded.json()["detail"]
    created = agreement(client, keys.legal, amount=None)
    url = f"{API}/agreements/{created['id']}"
    pesos = ok(client.patch(url, json={"amount": "10.50"}, headers=keys.legal))
    assert pesos["amount"] == "10.50" and pesos["currency"] == "MXN"
    dollars = ok(client.patch(url, json={"currency": "USD"}, headers=keys.legal))
    assert dollars["currency"] == "USD" and dollars["amount"] == "10.50"
    cleared = ok(client.patch(url, json={"amount": None}, headers=keys.legal))
    assert cleared["amount"] is None and cleared["currency"] is None
    orphan = client.patch(url, json={"amount": None, "currency": "EUR"}, headers=keys.legal)
    assert orphan.status_code == 422 and orphan.json()["errors"][0]["field"] == "body.currency"


def test_dates_at_odds_with_those_on_record_are_a_conflict(client: TestClient, keys: Keys) -> None:
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}"
    after_expiry = days_from_today(1000)
    # Sent alone, an effective date after the expiry on record: send the expiry too.
    conflict = client.patch(url, json={"effective_date": after_expiry}, headers=keys.legal)
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["errors"][0]["field"] == "body.expiry_date"
    assert "against the expiry_date on record" in conflict.json()["detail"]
    both = {"effective_date": after_expiry, "expiry_date": days_from_today(900)}
    assert client.patch(url, json=both, headers=keys.legal).status_code == 422
    moved = {"effective_date": after_expiry, "expiry_date": days_from_today(1100)}
    assert ok(client.patch(url, json=moved, headers=keys.legal))["effective_date"] == after_expiry
