"""The email that carries an invitation's link (first sent, sent again, or as a reminder), in
Spanish. It is composed and sent at once and never stored: the link's token is kept nowhere but
in the message and, as its SHA-256, in the invitation."""

from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.documents.formatting import long_date
from app.events.mail import SIGN_OFF, party_names
from app.invitations.service import Issued, link
from app.models import Agreement, Party, Representative, Signature


def _local_time(timezone: str) -> str:
    return "hora del centro de México" if timezone == "America/Mexico_City" else f"hora {timezone}"


def compose(
    session: Session, issued: Issued, settings: Settings, *, reminder: bool = False
) -> EmailMessage:
    invitation = issued.invitation
    assert invitation.email is not None
    signature = session.get(Signature, invitation.signature_id)
    assert signature is not None
    agreement = session.get(Agreement, signature.agreement_id)
    representative = session.get(Representative, signature.representative_id)
    assert agreement is not None and representative is not None
    party = session.get(Party, representative.party_id)
    expires = invitation.expires_at.astimezone(ZoneInfo(settings.timezone))
    until = f"{long_date(expires.date())} a las {expires:%H:%M} horas"
    on_behalf = f"{representative.position} de {party.name}" if party else representative.position
    if reminder:
        subject = f"Recordatorio: firma pendiente del convenio {agreement.folio}"
        opening = (
            f"Le recordamos que está pendiente su firma del convenio {agreement.folio}, "
            f"«{agreement.title}», que celebran {party_names(session, agreement)}, en su "
            f"carácter de {on_behalf}."
        )
    else:
        subject = f"Invitación para firmar el convenio {agreement.folio}"
        opening = (
            f"Se le invita a revisar y, en su caso, firmar el convenio {agreement.folio}, "
            f"«{agreement.title}», que celebran {party_names(session, agreement)}, en su "
            f"carácter de {on_behalf}."
        )
    replaces = (
        "\n\nEste enlace sustituye al que recibió anteriormente, que ya no funciona."
        if invitation.sends > 1
        else ""
    )
    body = (
        f"{opening}\n\n"
        f"Para revisar el convenio y firmarlo, o declinar su firma, abra este enlace:\n\n"
        f"{link(settings, issued.token)}\n\n"
        f"El enlace es personal: no lo comparta ni lo reenvíe. Sirve una sola vez y vence el "
        f"{until} ({_local_time(settings.timezone)}). Si vence o no puede abrirlo, solicite uno "
        f"nuevo al área que le envió esta invitación.{replaces}"
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = formataddr((representative.full_name, invitation.email))
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain="convenios")
    message["X-Convenios-Invitation"] = str(invitation.id)
    message.set_content(
        f"C. {representative.full_name}:\n\n{body}\n\n{SIGN_OFF}\n", cte="quoted-printable"
    )
    return message
