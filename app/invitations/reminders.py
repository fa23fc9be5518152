"""Reminders to representatives who were invited by email and have not signed: every
`invitation_reminder_days`, once their turn has come, a new link by email (the old one stops).

Run after each sweep. The new link is recorded, then emailed with no transaction open; if the
email cannot be sent, the invitation gets its previous link back, so a reminder that never
arrived never leaves the representative with a dead link.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.audit import service as audit
from app.auth.principal import operator
from app.config import Settings
from app.events import mail as smtp
from app.invitations import mail, service
from app.models import Agreement, DevicePreparation, Invitation, Signature, SigningSession
from app.models.enums import AgreementStatus, SignatureStatus
from app.signatures import repository as signatures
from app.signatures.service import turn_problem

logger = logging.getLogger("convenios")


@dataclass(frozen=True)
class _Previous:
    token_sha256: str
    expires_at: datetime
    opened_at: datetime | None
    sent_at: datetime


def _due(sessions: sessionmaker[Session], settings: Settings) -> list[int]:
    now = clock.now()
    sent_before = now - timedelta(days=settings.invitation_reminder_days)
    # A link opened within a session's length may be in use: no new link under its feet.
    opened_before = now - timedelta(minutes=settings.signing_session_minutes)
    with sessions() as session:
        return list(
            session.scalars(
                select(Invitation.id)
                .join(Signature, Signature.id == Invitation.signature_id)
                .join(Agreement, Agreement.id == Signature.agreement_id)
                .where(
                    Invitation.revoked_at.is_(None),
                    Invitation.email.is_not(None),
                    Invitation.sent_at <= sent_before,
                    (Invitation.opened_at.is_(None)) | (Invitation.opened_at <= opened_before),
                    Signature.status == SignatureStatus.PENDING,
                    Agreement.status == AgreementStatus.IN_SIGNATURE,
                )
                .order_by(Invitation.id)
            )
        )


def send_reminders(writes: sessionmaker[Session], settings: Settings) -> int:
    """Remind every representative due a reminder; how many were sent."""
    if settings.smtp_host is None or settings.invitation_reminder_days == 0:
        return 0
    sent = 0
    actor = operator("sweep")
    for invitation_id in _due(writes, settings):
        with writes() as session, session.begin():
            invitation = session.get(Invitation, invitation_id, with_for_update=True)
            signature = signatures.get(session, invitation.signature_id) if invitation else None
            if invitation is None or signature is None:
                continue
            agreement = session.get(Agreement, signature.agreement_id, with_for_update=True)
            assert agreement is not None
            round_ = list(signatures.for_agreement(session, agreement.id))
            if (
                invitation.revoked_at is not None
                or signature.status is not SignatureStatus.PENDING
                or agreement.status is not AgreementStatus.IN_SIGNATURE
                or turn_problem(signature, round_) is not None
            ):
                continue
            previous = _Previous(
                invitation.token_sha256,
                invitation.expires_at,
                invitation.opened_at,
                invitation.sent_at,
            )
            issued = service.renew(
                session,
                invitation,
                signature=signature,
                agreement=agreement,
                valid_hours=service.link_hours(invitation),
                actor=actor,
                reminder=True,
            )
            message = mail.compose(session, issued, settings, reminder=True)
        outcome = smtp.send(message, settings)
        if outcome.ok:
            sent += 1
            continue
        logger.warning("invitation %d: reminder not sent: %s", invitation_id, outcome.error)
        with writes() as session, session.begin():
            invitation = session.get(Invitation, invitation_id, with_for_update=True)
            if invitation is not None and invitation.token_sha256 == service.digest(issued.token):
                invitation.token_sha256 = previous.token_sha256
                invitation.expires_at = previous.expires_at
                invitation.opened_at = previous.opened_at
                invitation.sent_at = previous.sent_at
                invitation.sends -= 1
                invitation.reminders -= 1
                audit.record(
                    session,
                    actor=actor,
                    action="invitation.reminder_failed",
                    entity=("invitation", invitation.id),
                    agreement_id=agreement.id,
                    changes={"expires_at": [None, previous.expires_at.isoformat()]},
                )
    return sent


def forget_stale_preparations(writes: sessionmaker[Session]) -> int:
    """Drop the e.firma signatures prepared in sessions that ran out without completing them
    (an ended session drops its own): each holds a copy of a PDF, useful to no one now."""
    stale = select(SigningSession.id).where(SigningSession.expires_at <= clock.now())
    with writes() as session, session.begin():
        gone = session.execute(
            delete(DevicePreparation).where(DevicePreparation.signing_session_id.in_(stale))
        )
        return int(getattr(gone, "rowcount", 0) or 0)
