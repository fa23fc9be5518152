"""HTTP routes for invitations to sign: staff invite a representative, send the link again,
revoke it, and follow where each invitation stands.

No route here takes an `Idempotency-Key`: a remembered answer would keep the link's token at
rest, which only its SHA-256 may be. A retried invitation replaces the first one instead.
"""

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.agreements import service as agreements
from app.auth.dependencies import Reader, Writer
from app.auth.principal import Principal
from app.config import API_PREFIX, Settings, get_settings
from app.db import SessionDep, WritesDep, computes, end_reading
from app.errors import NotFound, Unprocessable, problem, problem_responses
from app.events import mail as smtp
from app.invitations import mail, service
from app.invitations.schemas import InvitationCreate, InvitationRead
from app.models import Agreement, Invitation, Representative, Signature
from app.schemas import Id
from app.signatures import repository as signatures
from app.signatures.dependencies import SignatureDep

router = APIRouter(tags=["invitations"], responses=problem_responses(401, 403, 422))

_EMAIL_RETRY_SECONDS = 60


def _read(session: Session, invitation: Invitation, url: str | None = None) -> InvitationRead:
    signature = session.get(Signature, invitation.signature_id)
    assert signature is not None
    agreement = session.get(Agreement, signature.agreement_id)
    representative = session.get(Representative, signature.representative_id)
    assert agreement is not None and representative is not None
    return InvitationRead(
        id=invitation.id,
        signature_id=signature.id,
        agreement_id=agreement.id,
        representative_id=representative.id,
        full_name=representative.full_name,
        delivery="email" if invitation.email else "link",
        email=invitation.email,
        state=service.state(invitation, signature, agreement),
        expires_at=invitation.expires_at,
        opened_at=invitation.opened_at,
        revoked_at=invitation.revoked_at,
        sends=invitation.sends,
        reminders=invitation.reminders,
        sent_at=invitation.sent_at,
        created_at=invitation.created_at,
        url=url,
    )


def _get(session: Session, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(f"Invitation {invitation_id} does not exist.")
    return invitation


def _locked(session: Session, signature_id: int, actor: Principal) -> tuple[Signature, Agreement]:
    signature = signatures.get(session, signature_id)
    assert signature is not None
    agreement = agreements.get_agreement(session, signature.agreement_id, actor, for_update=True)
    signature = signatures.get(session, signature_id, for_update=True) or signature
    return signature, agreement


def _deliver(
    writes: WritesDep,
    issued: service.Issued,
    settings: Settings,
    actor: Principal,
    *,
    reminder: bool = False,
) -> str | None:
    """Email the link (after the transaction that made it) or hand it back. When the email
    cannot be sent the invitation is revoked — its link went nowhere — and the caller told."""
    if issued.invitation.email is None:
        return service.link(settings, issued.token)
    with writes() as reading:
        message = mail.compose(reading, issued, settings, reminder=reminder)
    outcome = smtp.send(message, settings)
    if not outcome.ok:
        with writes() as recording:
            invitation = recording.get(Invitation, issued.invitation.id)
            signature = recording.get(Signature, issued.invitation.signature_id)
            assert invitation is not None and signature is not None
            service.revoke(recording, invitation, agreement_id=signature.agreement_id, actor=actor)
        raise problem(
            503,
            "email-unavailable",
            f"The invitation could not be emailed ({outcome.error or outcome.status_code}); it "
            "was revoked. Try again later, or invite without email to get the link.",
        )
    return None


@router.post(
    "/signatures/{signature_id}/invitations",
    status_code=201,
    responses=problem_responses(404, 409, 503),
)
@computes  # it may wait on the mail server: not inside a write transaction
def invite(
    signature: SignatureDep,  # before the role: 404 for signatures the caller cannot see
    actor: Writer,
    payload: InvitationCreate,
    session: SessionDep,
    writes: WritesDep,
    response: Response,
) -> InvitationRead:
    """Invite the representative of a pending signature request to sign from a browser.

    The link opens the signing page once, with no account and no API key; it expires, and any
    earlier invitation of the request stops working. With an SMTP server configured it is
    emailed in Spanish (to `email`, else the representative's) and not returned; without one
    it is returned once in `url` for you to pass on."""
    settings = get_settings()
    representative = session.get(Representative, signature.representative_id)
    assert representative is not None
    if settings.smtp_host is None and payload.email is not None:
        raise Unprocessable.field(
            "body.email",
            "no SMTP server is configured (CONVENIOS_SMTP_HOST): leave the email out and pass "
            "on the link that comes back",
        )
    email = None
    if settings.smtp_host is not None:
        email = payload.email or representative.email
        if email is None:
            raise Unprocessable.field(
                "body.email", f"{representative.full_name} has no email on record: give one"
            )
    end_reading(session)
    with writes() as recording:
        locked, agreement = _locked(recording, signature.id, actor)
        issued = service.create(
            recording,
            signature=locked,
            agreement=agreement,
            email=email,
            valid_hours=payload.valid_hours or settings.invitation_valid_hours,
            actor=actor,
        )
    url = _deliver(writes, issued, settings, actor)
    with writes() as reading:
        invitation = reading.get(Invitation, issued.invitation.id)
        assert invitation is not None
        body = _read(reading, invitation, url)
    response.headers["Location"] = f"{API_PREFIX}/invitations/{body.id}"
    return body


@router.get("/signatures/{signature_id}/invitations", responses=problem_responses(404))
def list_invitations(
    signature: SignatureDep, actor: Reader, session: SessionDep
) -> list[InvitationRead]:
    """The request's invitations, newest first (at most one is live)."""
    found = session.scalars(
        select(Invitation)
        .where(Invitation.signature_id == signature.id)
        .order_by(Invitation.id.desc())
    )
    return [_read(session, invitation) for invitation in found]


@router.get("/invitations/{invitation_id}", responses=problem_responses(404))
def get_invitation(invitation_id: Id, actor: Reader, session: SessionDep) -> InvitationRead:
    """One invitation: to whom, how it was delivered, and where it stands."""
    return _read(session, _get(session, invitation_id))


@router.post("/invitations/{invitation_id}/resend", responses=problem_responses(404, 409, 503))
@computes
def resend_invitation(
    invitation_id: Id, actor: Writer, session: SessionDep, writes: WritesDep
) -> InvitationRead:
    """Send the invitation again with a new link, valid as long as the first from now.

    The previous link, and any session it opened, stop working. Without SMTP the new link is
    returned in `url`."""
    settings = get_settings()
    _get(session, invitation_id)
    end_reading(session)
    with writes() as recording:
        invitation = recording.get(Invitation, invitation_id, with_for_update=True)
        assert invitation is not None
        signature, agreement = _locked(recording, invitation.signature_id, actor)
        issued = service.renew(
            recording,
            invitation,
            signature=signature,
            agreement=agreement,
            valid_hours=service.link_hours(invitation),
            actor=actor,
        )
    url = _deliver(writes, issued, settings, actor)
    with writes() as reading:
        found = reading.get(Invitation, invitation_id)
        assert found is not None
        return _read(reading, found, url)


@router.post("/invitations/{invitation_id}/revoke", responses=problem_responses(404))
def revoke_invitation(invitation_id: Id, actor: Writer, session: SessionDep) -> InvitationRead:
    """Stop the invitation's link, and any session it opened, now (a revoked invitation stays
    revoked; invite again to send a new one)."""
    invitation = _get(session, invitation_id)
    signature = session.get(Signature, invitation.signature_id)
    assert signature is not None
    service.revoke(session, invitation, agreement_id=signature.agreement_id, actor=actor)
    return _read(session, invitation)
