"""Obligations through the API: dates within the agreement's, terms in días hábiles,
recurrences expanded into occurrences, fulfilment with evidence, waivers, and who may do what."""

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Document, Obligation
from tests.clock import FEBRUARY_2026, TERM_2026_2027, TestClock
from tests.conftest import Keys
from tests.factories import API, agreement, move, ok


@pytest.fixture(autouse=True)
def _february_2026(clock: TestClock) -> None:
    """These tests are written around the calendar of early 2026."""
    clock.set(FEBRUARY_2026)


def _pdf() -> bytes:
    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=612, height=792)
    writer.write(out)
    return out.getvalue()


def _create(client: TestClient, keys: Keys, created: dict[str, Any], **body: Any) -> Any:
    payload = {
        "party_id": created["parties"][0]["party"]["id"],
        "description": "Entregar el informe trimestral de avance",
        **body,
    }
    return client.post(
        f"{API}/agreements/{created['id']}/obligations", json=payload, headers=keys.legal
    )


def _counts(db: Session) -> tuple[int, int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Obligation)) or 0,
        db.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        db.scalar(select(func.count()).select_from(Document)) or 0,
    )


def test_an_obligation_by_date_by_business_days_or_recurring(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = agreement(client, keys.legal, **TERM_2026_2027)
    one = ok(_create(client, keys, created, due_date="2026-03-31", clause=1), 201)["items"]
    assert [(o["due_date"], o["status"], o["clause"], o["series"]) for o in one] == [
        ("2026-03-31", "pending", 1, None)
    ]
    assert one[0]["party"]["name"] == created["parties"][0]["party"]["name"]

    # 1 día hábil after Friday 30 January 2026: Monday 2 February is a rest day (LFT art. 74).
    term = ok(
        _create(client, keys, created, due_in_business_days={"days": 1, "after": "2026-01-30"}),
        201,
    )["items"][0]
    assert term["due_date"] == "2026-02-03"
    assert term["due_in_business_days"] == {"days": 1, "after": "2026-01-30"}  # as sent

    quarterly = ok(
        _create(
            client,
            keys,
            created,
            due_date="2026-03-31",
            recurrence={"frequency": "quarterly"},
        ),
        201,
    )["items"]
    # Until the expiry date (2027-12-31), keeping the day of the month.
    assert [o["due_date"] for o in quarterly] == [
        "2026-03-31",
        "2026-06-30",
        "2026-09-30",
        "2026-12-31",
        "2027-03-31",
        "2027-06-30",
        "2027-09-30",
        "2027-12-31",
    ]
    assert {o["series"] for o in quarterly} == {quarterly[0]["id"]}
    assert [o["occurrence"] for o in quarterly] == list(range(1, 9))

    listed = ok(
        client.get(
            f"{API}/obligations",
            params={
                "agreement_id": created["id"],
                "due_from": "2026-06-01",
                "due_to": "2026-12-31",
            },
            headers=keys.viewer,
        )
    )["items"]
    assert [o["due_date"] for o in listed] == ["2026-06-30", "2026-09-30", "2026-12-31"]
    first = ok(
        client.get(
            f"{API}/agreements/{created['id']}/obligations",
            params={"limit": 3},
            headers=keys.viewer,
        )
    )
    rest = ok(
        client.get(
            f"{API}/agreements/{created['id']}/obligations",
            params={"limit": 100, "cursor": first["next_cursor"]},
            headers=keys.viewer,
        )
    )
    dates = [o["due_date"] for o in first["items"] + rest["items"]]
    assert len(dates) == 10 and dates == sorted(dates)
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.agreement_id == created["id"]))
    assert list(events).count("obligation.created") == 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_date": "2026-01-14"}, "body.due_date"),  # before it takes effect
        ({"due_date": "2028-01-01"}, "body.due_date"),  # after it expires
        (
            {"due_in_business_days": {"days": 365, "after": "2027-06-01"}},
            "body.due_in_business_days",
        ),
        ({"due_date": "2026-03-31", "clause": 3}, "body.clause"),
        ({"due_date": "2026-03-31", "party_id": 987654}, "body.party_id"),
        (
            {
                "due_date": "2026-03-31",
                "recurrence": {"frequency": "monthly", "until": "2028-06-30"},
            },
            "body.recurrence.until",
        ),
        ({}, "body"),
        (
            {"due_date": "2026-03-31", "due_in_business_days": {"days": 1, "after": "2026-03-01"}},
            "body",
        ),
        (
            {
                "due_in_business_days": {"days": 1, "after": "2026-03-01"},
                "recurrence": {"frequency": "monthly"},
            },
            "body",
        ),
    ],
)
def test_bad_obligations_are_refused_and_change_nothing(
    client: TestClient, keys: Keys, db: Session, body: dict[str, Any], field: str
) -> None:
    created = agreement(client, keys.legal, **TERM_2026_2027)
    before = _counts(db)
    response = _create(client, keys, created, **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert _counts(db) == before


def test_a_recurrence_that_would_expand_to_thousands_is_refused(
    client: TestClient, keys: Keys, db: Session
) -> None:
    endless = agreement(client, keys.legal, expiry_date=None)
    before = _counts(db)
    no_end = _create(
        client, keys, endless, due_date="2026-02-01", recurrence={"frequency": "monthly"}
    )
    assert no_end.status_code == 422
    huge = _create(
        client,
        keys,
        endless,
        due_date="2026-02-01",
        recurrence={"frequency": "monthly", "until": "2999-12-31"},
    )
    assert huge.status_code == 422 and "at most 120" in huge.json()["detail"]
    assert _counts(db) == before


def test_fulfilling_with_evidence_and_waiving(client: TestClient, keys: Keys, db: Session) -> None:
    created = agreement(client, keys.legal, **TERM_2026_2027)
    first, second = ok(
        _create(
            client,
            keys,
            created,
            due_date="2026-03-31",
            recurrence={"frequency": "monthly", "until": "2026-04-30"},
        ),
        201,
    )["items"]
    before = _counts(db)
    not_pdf = client.post(
        f"{API}/obligations/{first['id']}/fulfill",
        files=[("evidence", ("informe.pdf", b"PK\x03\x04 a zip", "application/pdf"))],
        data={"note": "Entregado"},
        headers=keys.legal,
    )
    assert not_pdf.status_code == 415 and _counts(db) == before

    done = ok(
        client.post(
            f"{API}/obligations/{first['id']}/fulfill",
            files=[("evidence", ("informe.pdf", _pdf(), "application/pdf"))],
            data={"note": "Entregado por oficio 123/2026"},
            headers=keys.legal,
        )
    )
    assert done["status"] == "fulfilled" and done["note"] == "Entregado por oficio 123/2026"
    assert done["decided_at"] and len(done["evidence"]) == 1
    evidence = ok(client.get(f"{API}/documents/{done['evidence'][0]['id']}", headers=keys.viewer))
    assert evidence["kind"] == "evidence" and evidence["agreement_id"] == created["id"]
    again = client.post(
        f"{API}/obligations/{first['id']}/fulfill", files={"note": (None, "x")}, headers=keys.legal
    )
    assert again.status_code == 409

    waived = ok(
        client.post(
            f"{API}/obligations/{second['id']}/waive",
            json={"reason": "Las partes acordaron suspender el informe."},
            headers=keys.legal,
        )
    )
    assert waived["status"] == "waived" and waived["note"].startswith("Las partes")
    assert (
        client.post(
            f"{API}/obligations/{second['id']}/waive", json={"reason": "x"}, headers=keys.legal
        ).status_code
        == 409
    )
    statuses = ok(
        client.get(
            f"{API}/obligations",
            params={"agreement_id": created["id"], "status": "fulfilled"},
            headers=keys.viewer,
        )
    )["items"]
    assert [o["id"] for o in statuses] == [first["id"]]
    actions = list(
        db.scalars(select(AuditEvent.action).where(AuditEvent.agreement_id == created["id"]))
    )
    assert "obligation.fulfilled" in actions and "obligation.waived" in actions


def test_a_signatory_fulfils_only_what_its_own_party_owes(
    client: TestClient, keys: Keys, db: Session
) -> None:
    mine = agreement(client, keys.legal, **TERM_2026_2027)
    theirs = agreement(client, keys.legal, **TERM_2026_2027)
    me = keys.signatory(db, mine["parties"][0]["signatories"][0]["representative_id"])
    own = ok(_create(client, keys, mine, due_date="2026-03-31"), 201)["items"][0]
    partner = ok(
        _create(
            client, keys, mine, due_date="2026-03-31", party_id=mine["parties"][1]["party"]["id"]
        ),
        201,
    )["items"][0]
    other = ok(_create(client, keys, theirs, due_date="2026-03-31"), 201)["items"][0]

    assert client.get(f"{API}/obligations/{other['id']}", headers=me).status_code == 404
    refused = client.post(
        f"{API}/obligations/{other['id']}/fulfill", files={"note": (None, "x")}, headers=me
    )
    assert refused.status_code == 404
    forbidden = client.post(
        f"{API}/obligations/{partner['id']}/fulfill", files={"note": (None, "x")}, headers=me
    )
    assert forbidden.status_code == 403
    assert (
        client.post(
            f"{API}/obligations/{own['id']}/waive", json={"reason": "x"}, headers=me
        ).status_code
        == 403
    )
    done = ok(
        client.post(
            f"{API}/obligations/{own['id']}/fulfill", files={"note": (None, "Cumplido")}, headers=me
        )
    )
    assert done["status"] == "fulfilled"
    seen = ok(client.get(f"{API}/obligations", headers=me))["items"]
    assert {o["agreement_id"] for o in seen} == {mine["id"]}


def test_an_ended_agreement_takes_no_new_obligations(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = agreement(client, keys.legal, **TERM_2026_2027)
    move(client, keys.legal, created["id"], "cancelled", reason="No se firmará")
    response = _create(client, keys, created, due_date="2026-03-31")
    assert response.status_code == 409
