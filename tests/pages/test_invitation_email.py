"""Invitations by email: the link goes to the representative in Spanish and is not returned;
reminders bring a new link to those whose turn has come; a mail server that is down revokes the
invitation it could not deliver."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.invitations.reminders import send_reminders
from tests.clock import TestClock
from tests.conftest import Keys
from tests.factories import API, ok
from tests.pages.test_signing_pages import browser, invite, open_link
from tests.signatures.test_signing_api import ORDER, Signing, _prepare
from tests.webhooks.test_email import Inbox, _free_port, _text
from tests.webhooks.test_email import inbox as inbox

LINK = re.compile(r"https?://\S+/firmar/[A-Za-z0-9_-]{43}")


@pytest.fixture
def signing(client: TestClient, keys: Keys, db: Session) -> Signing:
    return _prepare(client, keys, db, orders=ORDER)


def test_the_link_is_emailed_in_spanish_and_not_returned(
    client: TestClient, keys: Keys, signing: Signing, inbox: Inbox
) -> None:
    missing = invite(client, keys, signing, "municipio")
    assert missing.status_code == 422  # the representative has no email on record
    body = ok(invite(client, keys, signing, "municipio", email="presidencia@municipio.gob.mx"), 201)
    assert body["delivery"] == "email" and body["url"] is None
    [message] = inbox.to("presidencia@municipio.gob.mx")
    assert message["Subject"] == f"Invitación para firmar el convenio {signing.agreement['folio']}"
    text = _text(message)
    assert text.startswith("C. Teresa Hernández García:")
    assert "Sirve una sola vez" in text and "hora del centro de México" in text
    link = LINK.search(text)
    assert link is not None
    assert open_link(browser(client), link.group(0)).status_code == 303


def test_reminders_bring_a_new_link_to_whose_turn_has_come(
    client: TestClient,
    keys: Keys,
    signing: Signing,
    inbox: Inbox,
    clock: TestClock,
    sessions: sessionmaker[Session],
) -> None:
    ok(invite(client, keys, signing, "municipio", email="presidencia@municipio.gob.mx"), 201)
    ok(invite(client, keys, signing, "estado", email="gobierno@estado.gob.mx"), 201)
    first = LINK.search(_text(inbox.to("presidencia@municipio.gob.mx")[0]))
    assert first is not None
    assert send_reminders(sessions, get_settings()) == 0  # too soon
    clock.advance(timedelta(days=get_settings().invitation_reminder_days, minutes=1))
    # The estado signs after the municipio: not its turn yet, so no reminder.
    assert send_reminders(sessions, get_settings()) == 1
    reminder = inbox.to("presidencia@municipio.gob.mx")[-1]
    assert reminder["Subject"].startswith("Recordatorio: firma pendiente del convenio")
    text = _text(reminder)
    assert "sustituye al que recibió anteriormente" in text
    second = LINK.search(text)
    assert second is not None and second.group(0) != first.group(0)
    assert len(inbox.to("gobierno@estado.gob.mx")) == 1
    # The old link no longer opens; the new one does.
    old = browser(client).get(first.group(0).removeprefix(get_settings().public_url))
    assert old.status_code == 404
    assert open_link(browser(client), second.group(0)).status_code == 303


def test_a_mail_server_that_is_down_revokes_the_invitation(
    client: TestClient, keys: Keys, signing: Signing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVENIOS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CONVENIOS_SMTP_PORT", str(_free_port()))  # nobody listens
    monkeypatch.setenv("CONVENIOS_SMTP_SECURITY", "none")
    monkeypatch.setenv("CONVENIOS_DELIVERY_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    down = invite(client, keys, signing, "municipio", email="presidencia@municipio.gob.mx")
    assert down.status_code == 503
    assert down.json()["type"] == "urn:convenios:problem:email-unavailable"
    listed = ok(
        client.get(
            f"{API}/signatures/{signing.requests['municipio']['id']}/invitations",
            headers=keys.legal,
        )
    )
    assert [i["state"] for i in listed] == ["revoked"]
    get_settings.cache_clear()
