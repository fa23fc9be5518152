"""Subscribing to webhooks: admins only, safe URLs only, the secret shown once."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from tests.conftest import Keys
from tests.factories import API, ok

PUBLIC = "https://8.8.8.8/hooks/convenios"  # a public literal address: nothing to resolve


def _create(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    payload = {"url": PUBLIC, "event_types": ["agreement.expiring"], **fields}
    return client.post(f"{API}/webhooks", json=payload, headers=headers)


def test_an_admin_subscribes_and_sees_the_secret_once(client: TestClient, keys: Keys) -> None:
    created = ok(
        _create(client, keys.admin, event_types=["agreement.expired", "obligation.overdue"]),
        201,
    )
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["event_types"] == ["agreement.expired", "obligation.overdue"]
    read = ok(client.get(f"{API}/webhooks/{created['id']}", headers=keys.admin))
    assert "secret" not in read and read["url"] == PUBLIC and read["deleted_at"] is None
    listed = ok(client.get(f"{API}/webhooks", headers=keys.admin))["items"]
    assert [hook["id"] for hook in listed] == [created["id"]] and "secret" not in listed[0]
    assert ok(client.get(f"{API}/webhooks/{created['id']}/deliveries", headers=keys.admin)) == {
        "items": [],
        "next_cursor": None,
    }


def test_only_admins_manage_webhooks(client: TestClient, keys: Keys) -> None:
    for headers in (keys.legal, keys.viewer):
        assert _create(client, headers).status_code == 403
        assert client.get(f"{API}/webhooks", headers=headers).status_code == 403
    assert _create(client, {}).status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://2130706433/hook",
        "ftp://8.8.8.8/hook",
        "file:///etc/passwd",
        "https://user:secret@8.8.8.8/hook",
        "not a url",
    ],
)
def test_urls_that_could_probe_the_internal_network_are_refused(
    client: TestClient, keys: Keys, url: str
) -> None:
    response = _create(client, keys.admin, url=url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body.url"
    assert ok(client.get(f"{API}/webhooks", headers=keys.admin))["items"] == []


def test_an_admin_setting_allows_private_receivers(
    client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVENIOS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()
    ok(_create(client, keys.admin, url="http://127.0.0.1:9/hook"), 201)


@pytest.mark.parametrize(
    "fields",
    [
        {"event_types": []},
        {"event_types": ["agreement.expiring", "agreement.expiring"]},
        {"event_types": ["agreement.deleted"]},
        {"secret": "mine"},
        {"url": "https://8.8.8.8/" + "a" * 2000},
    ],
)
def test_bad_subscriptions_are_refused(
    client: TestClient, keys: Keys, fields: dict[str, Any]
) -> None:
    assert _create(client, keys.admin, **fields).status_code == 422
    assert ok(client.get(f"{API}/webhooks", headers=keys.admin))["items"] == []


def test_unknown_webhooks_and_deliveries_are_404(client: TestClient, keys: Keys) -> None:
    created = ok(_create(client, keys.admin), 201)
    for path in (
        "/webhooks/999999",
        "/webhooks/999999/deliveries",
        f"/webhooks/{created['id']}/deliveries/999999",
    ):
        assert client.get(f"{API}{path}", headers=keys.admin).status_code == 404
    resend = f"{API}/webhooks/{created['id']}/deliveries/999999/resend"
    assert client.post(resend, headers=keys.admin).status_code == 404
    assert client.delete(f"{API}/webhooks/999999", headers=keys.admin).status_code == 404
