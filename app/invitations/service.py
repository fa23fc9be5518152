"""Invitations to sign: their links, and the sessions those links open.

A link carries a random token of 256 bits. Only its SHA-256 is kept, so the link exists in clear
twice: in the answer or the email that delivers it, and in the signer's hands. It works once —
opening it trades the token for a session bound to that one signature request — and until it
expires, is revoked, or is replaced by a newer link (a resend, a reminder).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import service as audit
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict
from app.models import (
    Agreement,
    DevicePreparation,
    Invitation,
    Representative,
    Signature,
    SigningSession,
)
from app.models.enums import AgreementStatus, Role, SignatureStatus

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
LINK_SHAPE = r"^[A-Za-z0-9_-]{43}$"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is kept of a token, a cookie or a form token: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(sent: str | None, expected: str) -> bool:
    """Whether ``sent`` is ``expected``, in constant time, whatever characters it holds."""
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def link(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/firmar/{token}"


class InvitationState(StrEnum):
    """Where an invitation stands, as staff read it."""

    # The link works: sent (or handed back) and not opened yet.
    SENT = "sent"
    # The link was opened: its session may be signing now.
    OPENED = "opened"
    # The request it was for is decided (signed or declined), or no longer in signature.
    CLOSED = "closed"
    EXPIRED = "expired"
    REVOKED = "revoked"


def state(invitation: Invitation, signature: Signature, agreement: Agreement) -> InvitationState:
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if (
        signature.status is not SignatureStatus.PENDING
        or agreement.status is not AgreementStatus.IN_SIGNATURE
    ):
        return InvitationState.CLOSED
    if invitation.opened_at is not None:
        return InvitationState.OPENED
    if invitation.expires_at <= clock.now():
        return InvitationState.EXPIRED
    return InvitationState.SENT


@dataclass(frozen=True)
class Issued:
    """An invitation with the one copy of its link's token the service ever holds."""

    invitation: Invitation
    token: str


def _require_open(signature: Signature, agreement: Agreement) -> None:
    if agreement.status is not AgreementStatus.IN_SIGNATURE:
        raise Conflict(
            f"Agreement {agreement.folio} is {agreement.status.value}: invitations to sign are "
            "sent while it is in_signature, once the document to sign is fixed."
        )
    if signature.status is not SignatureStatus.PENDING:
        raise Conflict(
            f"This signature request is {signature.status.value}: there is nothing to invite to."
        )


def _end_sessions(session: Session, invitation: Invitation) -> None:
    for opened in session.scalars(
        select(SigningSession).where(
            SigningSession.invitation_id == invitation.id, SigningSession.ended_at.is_(None)
        )
    ):
        end(session, opened)


def _live(session: Session, signature_id: int) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation).where(
                Invitation.signature_id == signature_id, Invitation.revoked_at.is_(None)
            )
        )
    )


def create(
    session: Session,
    *,
    signature: Signature,
    agreement: Agreement,
    email: str | None,
    valid_hours: int,
    actor: Principal,
) -> Issued:
    """A new invitation for ``signature``; any earlier one stops working (one link at a time)."""
    _require_open(signature, agreement)
    for earlier in _live(session, signature.id):
        revoke(session, earlier, agreement_id=agreement.id, actor=actor, replaced=True)
    token = new_secret()
    now = clock.now()
    invitation = Invitation(
        signature_id=signature.id,
        token_sha256=digest(token),
        email=email,
        expires_at=now + timedelta(hours=valid_hours),
        sends=1,
        sent_at=now,
        reminders=0,
        created_at=now,
        created_by=actor.as_actor(),
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="invitation.created",
        entity=("invitation", invitation.id),
        agreement_id=agreement.id,
        changes={
            "signature_id": [None, signature.id],
            "email": [None, email],
            "expires_at": [None, invitation.expires_at.isoformat()],
        },
    )
    return Issued(invitation, token)


def link_hours(invitation: Invitation) -> int:
    """How long the invitation's links last: as long as its current one was made to."""
    return max(1, round((invitation.expires_at - invitation.sent_at) / timedelta(hours=1)))


def renew(
    session: Session,
    invitation: Invitation,
    *,
    signature: Signature,
    agreement: Agreement,
    valid_hours: int,
    actor: Principal,
    reminder: bool = False,
) -> Issued:
    """A new link for the same invitation (a resend, or a reminder): the old link and any
    session it opened stop working, and the new one runs for ``valid_hours`` from now."""
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was revoked or replaced: create a new one.")
    _require_open(signature, agreement)
    _end_sessions(session, invitation)
    token = new_secret()
    now = clock.now()
    before = invitation.expires_at.isoformat()
    invitation.token_sha256 = digest(token)
    invitation.expires_at = now + timedelta(hours=valid_hours)
    invitation.opened_at = None
    invitation.sends += 1
    invitation.sent_at = now
    if reminder:
        invitation.reminders += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="invitation.reminded" if reminder else "invitation.resent",
        entity=("invitation", invitation.id),
        agreement_id=agreement.id,
        changes={"expires_at": [before, invitation.expires_at.isoformat()]},
    )
    return Issued(invitation, token)


def revoke(
    session: Session,
    invitation: Invitation,
    *,
    agreement_id: int,
    actor: Principal,
    replaced: bool = False,
) -> Invitation:
    """The link stops working now, and so does any session it opened."""
    if invitation.revoked_at is not None:
        return invitation
    invitation.revoked_at = clock.now()
    _end_sessions(session, invitation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="invitation.replaced" if replaced else "invitation.revoked",
        entity=("invitation", invitation.id),
        agreement_id=agreement_id,
        changes={"revoked_at": [None, invitation.revoked_at.isoformat()]},
    )
    return invitation


# Opening a link ------------------------------------------------------------------------------


class LinkRefused(Exception):
    """Why a link does not open, in words for the person holding it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    """A session just opened, with its cookie in clear (sent once, kept by the browser)."""

    signing_session: SigningSession
    cookie: str


def find(session: Session, token: str, *, lock: bool = False) -> Invitation | None:
    query = select(Invitation).where(Invitation.token_sha256 == digest(token))
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


# Why a link does not open, by where its invitation stands.
_REFUSED = {
    InvitationState.REVOKED: "revoked",
    InvitationState.CLOSED: "closed",
    InvitationState.OPENED: "used",
    InvitationState.EXPIRED: "expired",
}


def check_link(session: Session, invitation: Invitation | None) -> Invitation:
    """The invitation if its link can still be opened; LinkRefused saying why otherwise."""
    if invitation is None:
        raise LinkRefused("unknown")
    signature = session.get(Signature, invitation.signature_id)
    agreement = session.get(Agreement, signature.agreement_id) if signature else None
    assert signature is not None and agreement is not None  # never deleted while invited
    where = state(invitation, signature, agreement)
    if where is not InvitationState.SENT:
        raise LinkRefused(_REFUSED[where])
    return invitation


def open_link(
    session: Session,
    invitation: Invitation,
    *,
    ip: str | None,
    user_agent: str | None,
    settings: Settings,
) -> Opened:
    """Spend the link's token on a session (the caller checked the link in this transaction,
    with the invitation's row locked)."""
    now = clock.now()
    cookie = new_secret()
    invitation.opened_at = now
    opened = SigningSession(
        invitation_id=invitation.id,
        cookie_sha256=digest(cookie),
        form_nonce=new_secret(),
        expires_at=now + timedelta(minutes=settings.signing_session_minutes),
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
        created_at=now,
    )
    session.add(opened)
    session.flush()
    signature = session.get(Signature, invitation.signature_id)
    assert signature is not None
    audit.record(
        session,
        actor=signer(session, invitation, ip=ip, user_agent=user_agent),
        action="invitation.opened",
        entity=("invitation", invitation.id),
        agreement_id=signature.agreement_id,
        changes={"opened_at": [None, now.isoformat()]},
    )
    return Opened(opened, cookie)


def signer(
    session: Session, invitation: Invitation, *, ip: str | None, user_agent: str | None
) -> Principal:
    """The representative acting through ``invitation``'s link, as the services know callers:
    a signatory who sees only the agreements it signs."""
    signature = session.get(Signature, invitation.signature_id)
    assert signature is not None
    representative = session.get(Representative, signature.representative_id)
    assert representative is not None
    return Principal(
        role=Role.SIGNATORY,
        name=representative.full_name,
        representative_id=signature.representative_id,
        invitation_id=invitation.id,
        context={"ip": ip, "user_agent": user_agent},
    )


def browser_session(session: Session, cookie: str | None, *, lock: bool = False) -> SigningSession:
    """The session a browser's cookie belongs to, open or ended, until its time runs out (an
    ended one still shows its outcome); LinkRefused otherwise."""
    if not cookie:
        raise LinkRefused("no-session")
    query = select(SigningSession).where(SigningSession.cookie_sha256 == digest(cookie))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(query).one_or_none()
    if found is None:
        raise LinkRefused("no-session")
    if found.expires_at <= clock.now():
        raise LinkRefused("session-expired")
    return found


def form_token(cookie: str, signing_session: SigningSession) -> str:
    """The token the session's forms carry now."""
    return hmac.new(cookie.encode(), signing_session.form_nonce.encode(), "sha256").hexdigest()


def form_sent(session: Session, cookie: str, sent: str | None) -> SigningSession:
    """Spend the form token ``sent``: the session, locked, with a new nonce so the same form
    is refused if sent again; LinkRefused when the session has ended or the token is not its
    current one (another site's form, or a replay)."""
    signing_session = browser_session(session, cookie, lock=True)
    if signing_session.ended_at is not None:
        raise LinkRefused("ended")
    if not same(sent, form_token(cookie, signing_session)):
        raise LinkRefused("form")
    signing_session.form_nonce = new_secret()
    return signing_session


def end(session: Session, signing_session: SigningSession) -> None:
    """The session ends: it can no longer act, and a signature it prepared is dropped."""
    signing_session.ended_at = clock.now()
    session.execute(
        delete(DevicePreparation).where(DevicePreparation.signing_session_id == signing_session.id)
    )
