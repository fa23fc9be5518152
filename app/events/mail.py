"""Email reminders: who receives them, what they say (in Spanish), and sending them by SMTP.

The reminders are the sweep's `agreement.expiring`, `obligation.due_soon` and
`obligation.overdue` events. An agreement's reminder goes to every party of it; an obligation's
to the party responsible. Within a party it goes to the representatives who sign for it and to
the party's contact, each address once.
"""

import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.documents.formatting import long_date, ordinal
from app.models import (
    Agreement,
    AgreementParty,
    AgreementSignatory,
    Event,
    Obligation,
    Party,
    Representative,
)
from app.models.enums import EventType, RenewalMode
from app.webhooks.http import Outcome

REMINDERS = frozenset(
    {EventType.AGREEMENT_EXPIRING, EventType.OBLIGATION_DUE_SOON, EventType.OBLIGATION_OVERDUE}
)
SIGN_OFF = (
    "Este es un mensaje automático del sistema de convenios; por favor no responda a este correo."
)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    # A representative is a person ("C. María Pérez:"); a party's contact may be an office.
    person: bool = False

    @property
    def greeting(self) -> str:
        if not self.name:
            return "A quien corresponda:"
        return f"C. {self.name}:" if self.person else f"{self.name}:"


def recipients(session: Session, event: Event) -> list[Recipient]:
    """Who an event's reminder goes to: each address once, in a stable order."""
    if event.agreement_id is None or event.type not in REMINDERS:
        return []
    parties = select(AgreementParty.id, AgreementParty.party_id).where(
        AgreementParty.agreement_id == event.agreement_id
    )
    if event.type is not EventType.AGREEMENT_EXPIRING:
        parties = parties.where(AgreementParty.party_id == event.payload["party_id"])
    found: dict[str, Recipient] = {}

    def add(email: str | None, name: str | None, person: bool) -> None:
        if email and email.strip().casefold() not in found:
            found[email.strip().casefold()] = Recipient(email.strip(), name, person)

    for agreement_party_id, party_id in session.execute(parties.order_by(AgreementParty.position)):
        signers = session.scalars(
            select(Representative)
            .join(AgreementSignatory, AgreementSignatory.representative_id == Representative.id)
            .where(AgreementSignatory.agreement_party_id == agreement_party_id)
            .order_by(AgreementSignatory.position)
        )
        for representative in signers:
            add(representative.email, representative.full_name, person=True)
        party = session.get(Party, party_id)
        if party is not None:
            add(party.contact_email, party.contact_name, person=False)
    return list(found.values())


def compose(
    session: Session, event: Event, recipient: Recipient, settings: Settings
) -> EmailMessage:
    """The reminder ``event`` becomes for ``recipient``."""
    agreement = session.get(Agreement, event.agreement_id)
    assert agreement is not None, "reminders are about agreements"
    if event.type is EventType.AGREEMENT_EXPIRING:
        subject, body = _expiring(session, agreement, event.payload)
    else:
        subject, body = _obligation(session, agreement, event.type, event.payload)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = formataddr((recipient.name or "", recipient.email))
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain="convenios")
    # Lets mail programs and people tell which event a message reminds of.
    message["X-Convenios-Event"] = f"{event.type.value} {event.id}"
    # Quoted-printable: accents pass through any relay, 8BITMIME or not.
    message.set_content(f"{recipient.greeting}\n\n{body}\n\n{SIGN_OFF}\n", cte="quoted-printable")
    return message


def party_names(session: Session, agreement: Agreement) -> str:
    names = list(
        session.scalars(
            select(Party.name)
            .join(AgreementParty, AgreementParty.party_id == Party.id)
            .where(AgreementParty.agreement_id == agreement.id)
            .order_by(AgreementParty.position)
        )
    )
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]


def _days_left(days: int) -> str:
    if days <= 0:
        return "vence hoy"
    return "falta 1 día" if days == 1 else f"faltan {days} días"


def _expiring(session: Session, agreement: Agreement, payload: dict[str, Any]) -> tuple[str, str]:
    expiry = date.fromisoformat(payload["expiry_date"])
    subject = f"Recordatorio: el convenio {agreement.folio} vence el {long_date(expiry)}"
    body = (
        f"Le recordamos que el convenio {agreement.folio}, «{agreement.title}», celebrado "
        f"entre {party_names(session, agreement)}, vence el {long_date(expiry)} "
        f"({_days_left(payload['days_left'])}).\n\n{_renewal(agreement, expiry)}"
    )
    return subject, body


def _renewal(agreement: Agreement, expiry: date) -> str:
    notice = agreement.renewal_notice_days
    deadline = long_date(expiry - timedelta(days=notice)) if notice else None
    if agreement.renewal_mode is RenewalMode.AUTOMATIC:
        months = agreement.renewal_months or 0
        period = "1 mes" if months == 1 else f"{months} meses"
        text = f"El convenio se renueva automáticamente por {period}"
        if deadline:
            return (
                f"{text}; si alguna parte no desea renovarlo, debe avisarlo por escrito a más "
                f"tardar el {deadline}."
            )
        return f"{text}."
    if agreement.renewal_mode is RenewalMode.BY_AGREEMENT:
        text = "Su renovación requiere el acuerdo por escrito de las partes"
        return f"{text}, a más tardar el {deadline}." if deadline else f"{text}."
    return (
        "El convenio no prevé su renovación: si las partes desean continuar la colaboración, "
        "deberán celebrar un nuevo convenio."
    )


def _obligation(
    session: Session, agreement: Agreement, type: EventType, payload: dict[str, Any]
) -> tuple[str, str]:
    obligation = session.get(Obligation, payload["obligation_id"])
    party = session.get(Party, payload["party_id"])
    due = date.fromisoformat(payload["due_date"])
    clause = f", cláusula {ordinal(obligation.clause)}" if obligation and obligation.clause else ""
    where = f"del convenio {agreement.folio}, «{agreement.title}»{clause}"
    who = party.name if party else "la parte responsable"
    if type is EventType.OBLIGATION_OVERDUE:
        subject = f"Aviso: obligación vencida del convenio {agreement.folio}"
        body = (
            f"La siguiente obligación {where}, a cargo de {who}, venció el {long_date(due)} "
            f"sin que se haya registrado su cumplimiento:\n\n    {payload['description']}\n\n"
            "Si ya se cumplió, registre su cumplimiento con la evidencia correspondiente."
        )
        return subject, body
    subject = (
        f"Recordatorio: obligación del convenio {agreement.folio} con fecha límite el "
        f"{long_date(due)}"
    )
    body = (
        f"Le recordamos que {who} tiene pendiente la siguiente obligación {where}:\n\n"
        f"    {payload['description']}\n\n"
        f"Fecha límite: {long_date(due)} ({_days_left(payload['days_left'])})."
    )
    return subject, body


def send(message: EmailMessage, settings: Settings) -> Outcome:
    """Hand ``message`` to the SMTP server. Never raises for the server's or the network's
    faults: a 4xx reply or a dropped connection is worth another try, a 5xx reply is not."""
    assert settings.smtp_host is not None
    started = time.monotonic()
    timeout = settings.delivery_timeout_seconds

    def outcome(code: int | None, error: str | None) -> Outcome:
        return Outcome(code, error, int((time.monotonic() - started) * 1000))

    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as refused:
        code, reason = next(iter(refused.recipients.values()))
        return outcome(code, f"SMTP {code}: {reason.decode(errors='replace')}"[:500])
    except smtplib.SMTPResponseException as error:
        return outcome(error.smtp_code, f"SMTP {error.smtp_code}: {_text(error.smtp_error)}")
    except (OSError, smtplib.SMTPException) as error:
        return outcome(None, f"{type(error).__name__}: {error}"[:500] or "SMTP failed")
    return outcome(250, None)


def _text(reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    return text[:480]
