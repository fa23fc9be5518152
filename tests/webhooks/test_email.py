"""Email reminders, in Spanish, received by a local SMTP server that the tests start."""

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.events.dispatch import DispatchReport, dispatch
from app.models import Delivery
from app.models.enums import DeliveryChannel, DeliveryStatus
from app.obligations.scheduled import sweep
from tests.clock import CLOCK, TestClock
from tests.conftest import Keys
from tests.factories import API, agreement_payload, move, ok, party, representative

# These reminders are about convenios that expire in December 2026: the tests run on its first.
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_the_first_of_december(clock: TestClock) -> None:
    clock.set(NOW)


@dataclass
class Inbox:
    """Accepts every message, except for recipients whose address starts with "rechaza"."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, _: Any
    ) -> str:
        if address.startswith("rechaza"):
            return "550 5.1.1 Buzón inexistente"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, rcpt in zip(self.messages, self.envelopes, strict=True) if address in rcpt]


def _text(message: EmailMessage) -> str:
    """The body as written (it travelled with CRLF line ends)."""
    return str(message.get_content()).replace("\r\n", "\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CONVENIOS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CONVENIOS_SMTP_PORT", str(port))
    monkeypatch.setenv("CONVENIOS_SMTP_SECURITY", "none")
    monkeypatch.setenv(
        "CONVENIOS_SMTP_FROM", "Convenios Tlalnepantla <convenios@tlalnepantla.gob.mx>"
    )
    get_settings.cache_clear()
    yield handler
    controller.stop()


def _active_agreement(client: TestClient, keys: Keys, **fields: Any) -> tuple[dict[str, Any], ...]:
    """Tlalnepantla (a presidenta with an email, a legal contact) and the Estado de México
    (a secretario whose address is also the party's contact, in other letter case)."""
    municipio_fields = {
        "contact_name": "Dirección Jurídica",
        "contact_email": "juridico@tlalnepantla.gob.mx",
        **fields.pop("municipio", {}),
    }
    municipio = party(
        client,
        keys.legal,
        kind="municipio",
        name="Municipio de Tlalnepantla de Baz",
        inegi_code="15104",
        **municipio_fields,
    )
    presidenta = representative(
        client, keys.legal, municipio["id"], email="presidencia@tlalnepantla.gob.mx"
    )
    estado_fields = {"contact_email": "SECRETARIO@edomex.gob.mx", **fields.pop("estado", {})}
    estado = party(
        client,
        keys.legal,
        kind="estado",
        name="Gobierno del Estado de México",
        inegi_code="15",
        **estado_fields,
    )
    secretario = representative(
        client,
        keys.legal,
        estado["id"],
        full_name="José Núñez Ibáñez",
        position="Secretario General de Gobierno",
        email="secretario@edomex.gob.mx",
    )
    payload = agreement_payload([(municipio, presidenta), (estado, secretario)], **fields)
    created = ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)
    return created, municipio, estado


def _dispatch(sessions: sessionmaker[Session], at: datetime) -> DispatchReport:
    """One pass of the dispatcher with the service's clock at ``at``."""
    CLOCK.set(at)
    return dispatch(sessions, get_settings())


def _activate(client: TestClient, keys: Keys, agreement_id: int) -> None:
    move(client, keys.legal, agreement_id, "in_review", "approved", "in_signature")
    move(client, keys.legal, agreement_id, "active", signed_on="2026-01-20")


def _sweep_and_deliver(db: Session, sessions: sessionmaker[Session], day: date) -> None:
    sweep(db, today=day, settings=get_settings())
    db.flush()
    _dispatch(sessions, NOW)


def test_reminders_reach_representatives_and_contacts_once_in_spanish(
    client: TestClient, keys: Keys, db: Session, inbox: Inbox, sessions: sessionmaker[Session]
) -> None:
    created, municipio, _ = _active_agreement(
        client,
        keys,
        expiry_date="2026-12-31",
        renewal={"mode": "automatic", "months": 12, "notice_days": 30},
    )
    ok(
        client.post(
            f"{API}/agreements/{created['id']}/obligations",
            json={
                "party_id": municipio["id"],
                "description": "Entregar el informe trimestral de avance",
                "due_date": "2026-12-05",
                "clause": 2,
            },
            headers=keys.legal,
        ),
        201,
    )
    _activate(client, keys, created["id"])
    _sweep_and_deliver(db, sessions, date(2026, 12, 1))

    expiring = [m for m in inbox.messages if "vence el 31 de diciembre" in m["Subject"]]
    assert sorted(
        rcpt for (rcpt,) in [inbox.envelopes[inbox.messages.index(m)] for m in expiring]
    ) == [
        "juridico@tlalnepantla.gob.mx",
        "presidencia@tlalnepantla.gob.mx",
        "secretario@edomex.gob.mx",
    ]
    [to_presidenta] = [m for m in inbox.to("presidencia@tlalnepantla.gob.mx") if m in expiring]
    # Long subjects are folded: the header's leading space is not part of it.
    assert to_presidenta["Subject"].strip() == (
        f"Recordatorio: el convenio {created['folio']} vence el 31 de diciembre de 2026"
    )
    assert to_presidenta["From"] == "Convenios Tlalnepantla <convenios@tlalnepantla.gob.mx>"
    body = _text(to_presidenta)
    assert body.startswith("C. María Pérez Hernández:\n")
    assert (
        "celebrado entre Municipio de Tlalnepantla de Baz y Gobierno del Estado de México" in body
    )
    assert "(faltan 30 días)" in body
    assert "se renueva automáticamente por 12 meses" in body
    assert "a más tardar el 1 de diciembre de 2026" in body
    [to_secretario] = [m for m in inbox.to("secretario@edomex.gob.mx") if m in expiring]
    assert _text(to_secretario).startswith("C. José Núñez Ibáñez:\n")
    # A party's contact may be an office: addressed by its name alone.
    [to_contact] = [m for m in inbox.to("juridico@tlalnepantla.gob.mx") if m in expiring]
    assert _text(to_contact).startswith("Dirección Jurídica:\n")

    # The obligation's reminder goes to the responsible party only.
    due = [m for m in inbox.messages if "obligación" in m["Subject"]]
    assert sorted(inbox.envelopes[inbox.messages.index(m)][0] for m in due) == [
        "juridico@tlalnepantla.gob.mx",
        "presidencia@tlalnepantla.gob.mx",
    ]
    text = _text(due[0])
    assert "Entregar el informe trimestral de avance" in text
    assert "cláusula SEGUNDA" in text
    assert "Fecha límite: 5 de diciembre de 2026 (faltan 4 días)." in text
    assert len(inbox.messages) == 5

    # Swept and delivered again the same day, and the next: nothing is sent twice.
    _sweep_and_deliver(db, sessions, date(2026, 12, 1))
    _sweep_and_deliver(db, sessions, date(2026, 12, 2))
    assert len(inbox.messages) == 5


def test_a_refused_recipient_fails_at_once_and_the_others_still_get_theirs(
    client: TestClient, keys: Keys, db: Session, inbox: Inbox, sessions: sessionmaker[Session]
) -> None:
    # The refused address comes second: the messages after it are still sent in that pass.
    created, _, _ = _active_agreement(
        client,
        keys,
        expiry_date="2026-12-08",
        municipio={"contact_email": "rechaza@tlalnepantla.gob.mx"},
    )
    _activate(client, keys, created["id"])
    _sweep_and_deliver(db, sessions, date(2026, 12, 1))
    assert sorted(rcpt for (rcpt,) in inbox.envelopes) == [
        "presidencia@tlalnepantla.gob.mx",
        "secretario@edomex.gob.mx",
    ]
    deliveries = db.scalars(
        select(Delivery).where(Delivery.channel == DeliveryChannel.EMAIL).order_by(Delivery.id)
    ).all()
    by_address = {d.email: d for d in deliveries}
    assert list(by_address) == [
        "presidencia@tlalnepantla.gob.mx",
        "rechaza@tlalnepantla.gob.mx",
        "secretario@edomex.gob.mx",
    ]
    refused = by_address["rechaza@tlalnepantla.gob.mx"]
    assert refused.status is DeliveryStatus.FAILED and refused.attempts == 1
    assert refused.last_status_code == 550 and "Buzón inexistente" in (refused.last_error or "")
    assert {d.status for e, d in by_address.items() if e != refused.email} == {
        DeliveryStatus.DELIVERED
    }
    body = _text(inbox.to("secretario@edomex.gob.mx")[0])
    assert "(faltan 7 días)" in body and "no prevé su renovación" in body

    # Admins find the refused address, and send the reminder again once it is corrected.
    listed = ok(
        client.get(f"{API}/email-deliveries", params={"status": "failed"}, headers=keys.admin)
    )["items"]
    assert [(d["email"], d["event_type"], d["last_status_code"]) for d in listed] == [
        ("rechaza@tlalnepantla.gob.mx", "agreement.expiring", 550)
    ]
    assert client.get(f"{API}/email-deliveries", headers=keys.legal).status_code == 403
    url = f"{API}/email-deliveries/{listed[0]['id']}"
    assert client.post(f"{url}/resend", headers=keys.admin).status_code == 202
    assert client.post(f"{url}/resend", headers=keys.admin).status_code == 409  # queued
    _dispatch(sessions, NOW + timedelta(hours=1))
    detail = ok(client.get(url, headers=keys.admin))
    assert detail["status"] == "failed"
    assert [a["status_code"] for a in detail["attempt_log"]] == [550, 550]


def test_a_mail_server_that_is_down_is_tried_again_later(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONVENIOS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CONVENIOS_SMTP_PORT", str(_free_port()))  # nobody listens
    monkeypatch.setenv("CONVENIOS_SMTP_SECURITY", "none")
    get_settings.cache_clear()
    created, _, _ = _active_agreement(client, keys, expiry_date="2026-12-08")
    _activate(client, keys, created["id"])
    sweep(db, today=date(2026, 12, 1), settings=get_settings())
    db.flush()
    report = _dispatch(sessions, NOW)
    # One refused connection: the other messages wait for the next pass, not a timeout each.
    assert (report.queued, report.retrying, report.delivered) == (3, 1, 0)
    pending = db.scalars(select(Delivery).where(Delivery.channel == DeliveryChannel.EMAIL)).all()
    assert {d.status for d in pending} == {DeliveryStatus.PENDING}
    [tried] = [d for d in pending if d.attempts == 1]
    assert tried.next_attempt_at == NOW + timedelta(seconds=60)
    assert tried.last_status_code is None and "refused" in (tried.last_error or "").lower()


def test_without_smtp_settings_no_email_is_queued(
    client: TestClient, keys: Keys, db: Session, sessions: sessionmaker[Session]
) -> None:
    created, _, _ = _active_agreement(client, keys, expiry_date="2026-12-08")
    _activate(client, keys, created["id"])
    sweep(db, today=date(2026, 12, 1), settings=get_settings())
    db.flush()
    assert _dispatch(sessions, NOW).queued == 0
