"""The legal facts a convenio is written from, as the API takes them: each party's
contributions, each signatory's capacity, the party and person data the text needs; and every
input of those kinds that makes no sense refused with a 422 that changes nothing."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import Agreement, Party, Representative
from tests.clock import days_from_today
from tests.conftest import Keys
from tests.factories import (
    API,
    agreement_payload,
    authorize_municipios,
    estado,
    move,
    municipio,
    municipio_and_estado,
    ok,
    party,
    representative,
)


def _create(client: TestClient, keys: Keys, payload: dict[str, Any]) -> dict[str, Any]:
    return ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)


def _contribution(**fields: Any) -> dict[str, Any]:
    return {"amount": "1000.00", "purpose": "las obras", "source": "municipal", **fields}


def _with_contributions(
    signers: list[tuple[dict[str, Any], dict[str, Any]]],
    first: list[dict[str, Any]],
    second: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    payload = agreement_payload(signers, **{"amount": "2000.00", **fields})
    payload["parties"][0]["contributions"] = first
    payload["parties"][1]["contributions"] = second or []
    return payload


BAD_CONTRIBUTIONS = [
    # Another currency than the agreement's.
    ([_contribution(currency="USD")], None, {}, "body.parties.0.contributions.0.currency"),
    # Parts that exceed the total.
    (
        [_contribution(amount="1500.00")],
        [_contribution(amount="600.00", source="estatal")],
        {},
        "body.amount",
    ),
    # Ministraciones that exceed the contribution, or fall outside the agreement's dates.
    (
        [_contribution(schedule=[{"date": days_from_today(1), "amount": "1000.01"}])],
        None,
        {},
        "body.parties.0.contributions.0.schedule",
    ),
    (
        [_contribution(schedule=[{"date": days_from_today(-400), "amount": "10.00"}])],
        None,
        {},
        "body.parties.0.contributions.0.schedule.0.date",
    ),
    # A public body with private money, contributions without an amount to make up.
    ([_contribution(source="privados")], None, {}, "body.parties.0.contributions.0.source"),
    ([_contribution()], None, {"amount": None}, "body.amount"),
    # Nothing, or less than nothing.
    ([_contribution(amount="0")], None, {}, "body.parties.0.contributions.0.amount"),
    ([_contribution(amount="-5")], None, {}, "body.parties.0.contributions.0.amount"),
    ([_contribution(source="donativos")], None, {}, "body.parties.0.contributions.0.source"),
    ([_contribution(purpose="")], None, {}, "body.parties.0.contributions.0.purpose"),
    (
        [_contribution(schedule=[{"date": "9999-12-31", "amount": "1.00"}])],
        None,
        {},
        "body.parties.0.contributions.0.schedule.0.date",
    ),
]


@pytest.mark.parametrize(("first", "second", "fields", "field"), BAD_CONTRIBUTIONS)
def test_a_contribution_that_makes_no_sense_is_refused(
    client: TestClient,
    keys: Keys,
    db: Session,
    first: list[dict[str, Any]],
    second: list[dict[str, Any]] | None,
    fields: dict[str, Any],
    field: str,
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    before = db.scalar(select(func.count()).select_from(Agreement))
    response = client.post(
        f"{API}/agreements",
        json=_with_contributions(signers, first, second, **fields),
        headers=keys.legal,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text
    assert db.scalar(select(func.count()).select_from(Agreement)) == before


def test_a_private_party_contributes_private_money(client: TestClient, keys: Keys) -> None:
    company = party(client, keys.legal, kind="privado", name="Constructora del Valle")
    mun = municipio(client, keys.legal)
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (company, representative(client, keys.legal, company["id"])),
    ]
    payload = _with_contributions(signers, [], [_contribution(source="federal")])
    response = client.post(f"{API}/agreements", json=payload, headers=keys.legal)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.parties.1.contributions.0.source"


def test_contributions_are_kept_in_the_agreements_currency_and_make_up_its_amount(
    client: TestClient, keys: Keys
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    schedule = [
        {"date": days_from_today(60), "amount": "400.00"},
        {"date": days_from_today(10), "amount": "600.00"},
    ]
    payload = _with_contributions(
        signers,
        [_contribution(schedule=schedule, budget_item="4421")],
        [_contribution(amount="500.00", source="estatal")],
    )
    created = ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)
    first = created["parties"][0]["contributions"][0]
    assert first["currency"] == "MXN" and first["budget_item"] == "4421"
    assert [m["date"] for m in first["schedule"]] == sorted(m["date"] for m in schedule)
    # 1,500 of 2,000: the amount is not made up yet, and review says so.
    refused = client.post(
        f"{API}/agreements/{created['id']}/transitions",
        json={"to": "in_review"},
        headers=keys.legal,
    )
    assert refused.status_code == 409
    assert "contributions add up to $1,500.00, not the agreement's $2,000.00" in refused.text
    patched = ok(
        client.patch(
            f"{API}/agreements/{created['id']}",
            json={"amount": "1500.00", "currency": "MXN"},
            headers=keys.legal,
        )
    )
    assert patched["parties"][1]["contributions"][0]["currency"] == "MXN"
    move(client, keys.legal, created["id"], "in_review")


CAPACITIES = [
    # Nobody represents the party: who assists or validates signs beside a representative.
    ([{"capacity": "assists"}], 0, "body.parties.0.signatories"),
    ([{"capacity": "attests"}], 0, "body.parties.0.signatories"),
    ([{"capacity": "represents"}, {"capacity": "firma"}], 0, "body.parties.0.signatories.1"),
]


@pytest.mark.parametrize(("signatories", "index", "field"), CAPACITIES)
def test_a_capacity_that_makes_no_sense_for_its_party_is_refused(
    client: TestClient,
    keys: Keys,
    signatories: list[dict[str, Any]],
    index: int,
    field: str,
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    payload = agreement_payload(signers)
    mun = signers[0][0]
    people = [
        representative(client, keys.legal, mun["id"], full_name=f"Persona {i}")
        for i in range(len(signatories))
    ]
    payload["parties"][index]["signatories"] = [
        {"representative_id": person["id"], **given}
        for person, given in zip(people, signatories, strict=True)
    ]
    response = client.post(f"{API}/agreements", json=payload, headers=keys.legal)
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text


def test_only_a_public_bodys_officer_validates_a_convenio(client: TestClient, keys: Keys) -> None:
    company = party(client, keys.legal, kind="privado", name="Constructora del Valle")
    mun = municipio(client, keys.legal)
    legal_rep = representative(client, keys.legal, company["id"], full_name="Apoderado")
    notary = representative(client, keys.legal, company["id"], full_name="Notario")
    signers = [(mun, representative(client, keys.legal, mun["id"])), (company, legal_rep)]
    payload = agreement_payload(signers, amount=None)
    payload["parties"][1]["signatories"].append(
        {"representative_id": notary["id"], "capacity": "attests"}
    )
    response = client.post(f"{API}/agreements", json=payload, headers=keys.legal)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.parties.1.signatories.1.capacity"


def test_an_articles_gender_follows_it_on_a_patch(client: TestClient, keys: Keys) -> None:
    created = party(client, keys.legal, kind="social", name="Fundación Comunitaria")
    assert (created["article"], created["gender"]) == ("la", "feminine")
    url = f"{API}/parties/{created['id']}"
    patched = ok(client.patch(url, json={"article": "el"}, headers=keys.legal))
    assert patched["gender"] == "masculine"
    bare = ok(client.patch(url, json={"article": None, "gender": "feminine"}, headers=keys.legal))
    assert (bare["article"], bare["gender"]) == (None, "feminine")
    contradiction = client.patch(
        url, json={"article": "los", "gender": "feminine"}, headers=keys.legal
    )
    assert contradiction.status_code == 422
    assert contradiction.json()["errors"][0]["field"] == "body.gender"


def test_what_the_text_would_have_to_guess_is_named_before_rendering(
    client: TestClient, keys: Keys, db: Session
) -> None:
    """A party or person recorded before articles and genders were kept renders only once they
    are on record: nothing is guessed from a name."""
    signers = municipio_and_estado(client, keys.legal)
    created = ok(
        client.post(f"{API}/agreements", json=agreement_payload(signers), headers=keys.legal), 201
    )
    db.execute(
        update(Party).where(Party.id == signers[1][0]["id"]).values(article=None, gender=None)
    )
    db.execute(
        update(Representative).where(Representative.id == signers[0][1]["id"]).values(gender=None)
    )
    db.flush()
    response = client.post(
        f"{API}/agreements/{created['id']}/documents", json={}, headers=keys.legal
    )
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert "how the instrument names Gobierno del Estado de México" in detail
    assert "the gender of María Pérez Hernández" in detail
    preview = client.get(f"{API}/agreements/{created['id']}/preview", headers=keys.legal)
    assert preview.status_code == 409


def test_a_representative_says_who_they_are_in_the_document(client: TestClient, keys: Keys) -> None:
    mun = municipio(client, keys.legal)
    person = representative(
        client,
        keys.legal,
        mun["id"],
        honorific="Mtra.",
        gender="feminine",
        appointment="el nombramiento de fecha 1 de enero de 2025",
    )
    assert (person["honorific"], person["gender"]) == ("Mtra.", "feminine")
    assert person["appointment"] == "el nombramiento de fecha 1 de enero de 2025"
    for bad in ({"gender": "femenino"}, {"honorific": "<b>Lic.</b>"}, {"honorific": ""}):
        response = client.patch(
            f"{API}/representatives/{person['id']}", json=bad, headers=keys.legal
        )
        assert response.status_code == 422, (bad, response.text)
    missing = client.post(
        f"{API}/parties/{mun['id']}/representatives",
        json={"full_name": "Sin Género", "position": "Regidora"},
        headers=keys.legal,
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.gender"


def test_an_authorisation_is_an_audited_edit_of_the_text_and_can_be_withdrawn(
    client: TestClient, keys: Keys
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    created = ok(
        client.post(f"{API}/agreements", json=agreement_payload(signers), headers=keys.legal), 201
    )
    mun = signers[0][0]
    approved = move(client, keys.legal, created["id"], "in_review", "approved")
    url = f"{API}/agreements/{created['id']}/parties/{mun['id']}/authorization"
    vote = {"session": "solemne", "date": days_from_today(0), "acta_number": "7"}
    vote |= {"members": 9, "votes_for": 6, "votes_against": 2, "abstentions": 1}
    stale = client.put(url, json=vote, headers={**keys.legal, "If-Match": '"v1"'})
    assert stale.status_code == 412
    recorded = ok(client.put(url, json=vote, headers=keys.legal))
    # Part of the convenio's text: recording it withdraws the approval, like any edit.
    assert recorded["status"] == "in_review" and recorded["version"] == approved["version"] + 1
    events = ok(
        client.get(f"{API}/audit", params={"agreement_id": created["id"]}, headers=keys.legal)
    )
    change = events["items"][0]["changes"][f"parties.{mun['id']}.authorization"]
    assert change[0] is None and change[1]["acta_number"] == "7"
    withdrawn = ok(client.delete(url, headers=keys.legal))
    assert withdrawn["parties"][0]["authorization"] is None
    # Nothing left to remove, nor ever anything for the estado, whose cabildo there is not.
    estado_url = url.replace(f"/parties/{mun['id']}/", f"/parties/{signers[1][0]['id']}/")
    for nothing in (url, estado_url):
        assert client.delete(nothing, headers=keys.legal).status_code == 404
    move(client, keys.legal, created["id"], "approved")
    frozen_url = f"{API}/agreements/{created['id']}/transitions"
    refused = client.post(frozen_url, json={"to": "in_signature"}, headers=keys.legal)
    assert refused.status_code == 409 and "has not authorised it" in refused.text


# --- The cabildo's authorisation, the signing, the publication --------------------------------


@pytest.mark.parametrize(
    ("vote", "problem"),
    [
        ({"members": 5, "votes_for": 5, "votes_against": 1}, "6 votes were cast in a cabildo of 5"),
        ({"members": 11, "votes_for": 4, "votes_against": 1}, "quorum"),
        ({"members": 11, "votes_for": 3, "votes_against": 4, "abstentions": 1}, "it needs 5"),
        ({"members": 11, "votes_for": 11, "date": "2999-01-01"}, "has not taken place"),
        ({"members": 11, "votes_for": 11, "date": "2000-01-01"}, "was not its own"),
        ({"members": 0, "votes_for": 0}, "greater than or equal to 1"),
        ({"members": 11, "votes_for": -1}, "greater than or equal to 0"),
        ({"members": 11, "votes_for": 11, "session": "secreta"}, "session"),
        ({"members": 11, "votes_for": 11, "certified_acta_document_id": 999999}, "cabildo_acta"),
    ],
)
def test_a_vote_that_could_not_authorise_it_is_refused(
    client: TestClient, keys: Keys, vote: dict[str, Any], problem: str
) -> None:
    mun = municipio(client, keys.legal)
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (e := estado(client, keys.legal), representative(client, keys.legal, e["id"])),
    ]
    created = _create(client, keys, agreement_payload(signers, amount=None))
    body = {"session": "ordinaria", "date": days_from_today(-1), "acta_number": "3", **vote}
    response = client.put(
        f"{API}/agreements/{created['id']}/parties/{mun['id']}/authorization",
        json=body,
        headers=keys.legal,
    )
    assert response.status_code == 422, response.text
    assert problem in response.text
    after = ok(client.get(f"{API}/agreements/{created['id']}", headers=keys.legal))
    assert after["version"] == created["version"]


def test_only_a_municipio_of_the_agreement_has_a_cabildo(client: TestClient, keys: Keys) -> None:
    signers = municipio_and_estado(client, keys.legal)
    created = _create(client, keys, agreement_payload(signers, amount=None))
    body = {"session": "ordinaria", "date": days_from_today(-1), "acta_number": "3"}
    body |= {"members": 11, "votes_for": 11}
    url = f"{API}/agreements/{created['id']}/parties"
    assert (
        client.put(
            f"{url}/{signers[1][0]['id']}/authorization", json=body, headers=keys.legal
        ).status_code
        == 422
    )
    assert (
        client.put(f"{url}/999999/authorization", json=body, headers=keys.legal).status_code == 404
    )


def test_a_states_rule_can_ask_for_its_legislatures_authorisation(
    client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVENIOS_CABILDO_RULES", '{"15": {"legislature": true}}')
    get_settings.cache_clear()
    mun = municipio(client, keys.legal, term_end=days_from_today(100))
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (e := estado(client, keys.legal), representative(client, keys.legal, e["id"])),
    ]
    created = _create(client, keys, agreement_payload(signers, amount=None))  # ends in 730 days
    authorize_municipios(client, keys.legal, created["id"])
    move(client, keys.legal, created["id"], "in_review", "approved")
    refused = client.post(
        f"{API}/agreements/{created['id']}/transitions",
        json={"to": "in_signature"},
        headers=keys.legal,
    )
    assert refused.status_code == 409 and "Legislature must authorise it too" in refused.text


@pytest.mark.parametrize(
    ("signing", "field"),
    [
        ({"method": "electronica", "date": "2030-01-01"}, "body.signing.date"),
        ({"method": "mixta", "copies": 3}, "body.signing.copies"),
        ({"method": "autografa", "copies": 0}, "body.signing.copies"),
        ({"method": "autografa", "date": "3000-01-01"}, "body.signing.date"),
        ({"method": "por fax"}, "body.signing.method"),
    ],
)
def test_a_signing_that_makes_no_sense_is_refused(
    client: TestClient, keys: Keys, signing: dict[str, Any], field: str
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    response = client.post(
        f"{API}/agreements", json=agreement_payload(signers, signing=signing), headers=keys.legal
    )
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith(field) for e in response.json()["errors"])


def test_a_publication_is_of_a_signed_convenio_after_its_signing(
    client: TestClient, keys: Keys
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    created = _create(client, keys, agreement_payload(signers, amount=None))
    url = f"{API}/agreements/{created['id']}/publications"
    body = {"medium": "periodico_oficial", "published_on": days_from_today(-1)}
    assert client.post(url, json=body, headers=keys.legal).status_code == 409  # a draft
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    move(client, keys.legal, created["id"], "active", signed_on=days_from_today(-3))
    before = client.post(
        url, json={**body, "published_on": days_from_today(-4)}, headers=keys.legal
    )
    assert before.status_code == 422 and "cannot have been published before" in before.text
    future = client.post(url, json={**body, "published_on": days_from_today(1)}, headers=keys.legal)
    assert future.status_code == 422
    bad_url = client.post(url, json={**body, "url": "javascript:alert(1)"}, headers=keys.legal)
    assert bad_url.status_code == 422
    published = ok(client.post(url, json=body, headers=keys.legal), 201)
    assert published["medium"] == "periodico_oficial"
    found = ok(client.get(f"{API}/agreements/{created['id']}", headers=keys.legal))
    assert [p["published_on"] for p in found["publications"]] == [days_from_today(-1)]


def test_a_testigo_stands_under_a_party_of_the_agreement(client: TestClient, keys: Keys) -> None:
    signers = municipio_and_estado(client, keys.legal)
    stranger = party(client, keys.legal, name="Secretaría de Cultura")
    witness = {"full_name": "Ana Ruiz", "position": "Contralora", "party_id": stranger["id"]}
    response = client.post(
        f"{API}/agreements",
        json=agreement_payload(signers, witnesses=[witness]),
        headers=keys.legal,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.witnesses.0.party_id"
    placed = {**witness, "party_id": signers[0][0]["id"]}
    created = _create(client, keys, agreement_payload(signers, witnesses=[placed]))
    assert created["witnesses"][0]["party_id"] == signers[0][0]["id"]
    # Taking that party out of the agreement leaves its testigo on record nowhere: a conflict.
    only_estado = [{"party_id": signers[1][0]["id"], "role": "EL ESTADO"}]
    other = party(client, keys.legal, kind="social", name="Fundación Ciudadana")
    only_estado.append({"party_id": other["id"], "role": "LA FUNDACIÓN"})
    refused = client.patch(
        f"{API}/agreements/{created['id']}", json={"parties": only_estado}, headers=keys.legal
    )
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "body.witnesses.0.party_id"
    # Sent together, the same rule is the request's own: 422.
    both = {"parties": only_estado, "witnesses": [witness]}
    response = client.patch(f"{API}/agreements/{created['id']}", json=both, headers=keys.legal)
    assert response.status_code == 422
