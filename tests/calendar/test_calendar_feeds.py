"""Calendar feeds through the API: a secret address per feed, the dates it carries (parsed back
with the icalendar package), one party's feed, and revocation."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from tests.clock import FEBRUARY_2026, TERM_2026_2027, TestClock
from tests.conftest import Keys
from tests.factories import API, agreement, move, ok


@pytest.fixture(autouse=True)
def _february_2026(clock: TestClock) -> None:
    """These tests are written around the calendar of early 2026."""
    clock.set(FEBRUARY_2026)


def _active(client: TestClient, keys: Keys, **fields: Any) -> dict[str, Any]:
    created = agreement(client, keys.legal, **{**TERM_2026_2027, **fields})
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    return move(client, keys.legal, created["id"], "active", signed_on="2026-01-20")


def _events(client: TestClient, url: str) -> dict[str, Any]:
    path = url.removeprefix("http://127.0.0.1:8000")
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_a_feed_carries_expiry_notice_and_due_dates_and_can_be_revoked(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = _active(client, keys, renewal={"mode": "by_agreement", "notice_days": 30})
    other = _active(client, keys)
    party = created["parties"][0]["party"]
    partner = created["parties"][1]["party"]
    for party_id, description in (
        (party["id"], "Entregar el padrón de beneficiarios; versión pública, firmada"),
        (partner["id"], "Transferir recursos"),
    ):
        ok(
            client.post(
                f"{API}/agreements/{created['id']}/obligations",
                json={
                    "party_id": party_id,
                    "description": description,
                    "due_date": "2026-05-29",
                    "clause": 1,
                },
                headers=keys.legal,
            ),
            201,
        )

    everything = ok(
        client.post(f"{API}/calendar-feeds", json={"name": "Jurídico"}, headers=keys.legal), 201
    )
    assert everything["url"].endswith(".ics") and "/calendar/" in everything["url"]
    events = _events(client, everything["url"])
    expiry = events[f"agreement-{created['id']}-expiry@convenios"]
    assert expiry.decoded("DTSTART") == date(2027, 12, 31)
    assert expiry.decoded("DTEND") == date(2028, 1, 1)
    assert str(expiry["SUMMARY"]) == f"Vence el convenio {created['folio']}"
    notice = events[f"agreement-{created['id']}-renewal-notice@convenios"]
    assert notice.decoded("DTSTART") == date(2027, 12, 1)
    assert "acordar por escrito la renovación" in str(notice["DESCRIPTION"])
    assert f"agreement-{other['id']}-expiry@convenios" in events
    due = [e for uid, e in events.items() if uid.startswith("obligation-")]
    assert len(due) == 2
    assert any(
        "padrón de beneficiarios; versión pública, firmada" in str(e["DESCRIPTION"]) for e in due
    )

    # One party's feed: its agreements' dates and its own obligations only.
    mine = ok(
        client.post(
            f"{API}/calendar-feeds",
            json={"name": "Tesorería", "party_id": partner["id"]},
            headers=keys.legal,
        ),
        201,
    )
    own = _events(client, mine["url"])
    assert f"agreement-{created['id']}-expiry@convenios" in own
    assert f"agreement-{other['id']}-expiry@convenios" not in own
    assert [str(e["SUMMARY"]) for uid, e in own.items() if uid.startswith("obligation-")] == [
        f"{created['folio']}: Transferir recursos"
    ]

    listed = ok(client.get(f"{API}/calendar-feeds", headers=keys.viewer))["items"]
    assert all("url" not in feed for feed in listed)
    revoke = client.delete(f"{API}/calendar-feeds/{mine['id']}", headers=keys.legal)
    assert revoke.status_code == 204
    gone = client.get(mine["url"].removeprefix("http://127.0.0.1:8000"))
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    assert (
        client.delete(f"{API}/calendar-feeds/{mine['id']}", headers=keys.legal).status_code == 409
    )
    guessed = client.get(f"{API}/calendar/{'A' * 43}.ics")
    assert guessed.status_code == 404
    assert (
        client.post(
            f"{API}/calendar-feeds", json={"name": "x", "party_id": 987654}, headers=keys.legal
        ).status_code
        == 422
    )
