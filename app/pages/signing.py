"""The signing page: what an invitation's link opens.

`GET /firmar/{token}` shows whose invitation it is and spends nothing (mail scanners open links
too); its button (`POST /firmar`) trades the token for a session cookie bound to that one
signature request and sends the browser to `/firmar`, whose address carries no token. There the
representative reads the convenio — a summary on one screen, then the document itself, page by
page — and signs electronically, uploads the scan of the hand-signed copy, or declines with a
reason. The session ends with that decision; `/firmar` then shows what was recorded and where
to verify it.

Every form carries a token derived from the session's cookie and a nonce that changes after each
form sent, so another site cannot send one and a form is never taken twice. A browser trying
links that do not work is stopped after `token_attempts` in a quarter of an hour.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.clock import Today
from app.config import get_settings
from app.db import SessionDep, Writes, WritesDep, computes
from app.documents import service as documents
from app.documents.router import safe_filename
from app.documents.runners import get_storage, inspect_runner
from app.documents.workers import JobError
from app.errors import ProblemError
from app.invitations import service as invitations
from app.invitations.service import LINK_SHAPE, LinkRefused
from app.models import Invitation, Signature, SigningSession
from app.models.enums import SignatureMethod, SignatureStatus
from app.pages import guard
from app.pages.html import page, problem_page
from app.pages.pictures import PageImageJob
from app.pages.views import Summary, document_of, local_time, summary
from app.pages.words import METHODS
from app.schemas import storable_text
from app.signatures import service as signing

router = APIRouter(include_in_schema=False)

COOKIE = "convenios_firma"
PATH = "/firmar"

# What each reason a link or a session does not work means to the person holding it.
_REFUSALS: dict[str, tuple[int, str, str]] = {
    "unknown": (
        404,
        "Enlace no válido",
        "Este enlace no corresponde a ninguna invitación para firmar. Revise que lo haya "
        "copiado completo, tal como aparece en el correo.",
    ),
    "used": (
        410,
        "Enlace ya utilizado",
        "Este enlace ya se utilizó para abrir la página de firma y sirve una sola vez.",
    ),
    "expired": (410, "Enlace vencido", "El plazo de este enlace para firmar terminó."),
    "revoked": (
        410,
        "Enlace cancelado",
        "Esta invitación fue cancelada o sustituida por una más reciente.",
    ),
    "closed": (
        410,
        "Firma ya no disponible",
        "La firma a la que se refiere este enlace ya se registró o se declinó, o el convenio "
        "ya no está en proceso de firma.",
    ),
    "no-session": (
        403,
        "Sesión no iniciada",
        "Para firmar, abra el enlace personal que recibió en su invitación.",
    ),
    "session-expired": (
        403,
        "Sesión terminada",
        "Su sesión de firma terminó por tiempo.",
    ),
    "ended": (
        409,
        "Sesión concluida",
        "Esta sesión de firma ya concluyó: su decisión quedó registrada.",
    ),
    "form": (
        403,
        "Formulario no válido",
        "El formulario ya se había enviado o no proviene de esta página. Vuelva a la página "
        "de firma e intente de nuevo.",
    ),
}
_ASK_AGAIN = (
    "Si necesita firmar, solicite un enlace nuevo al área jurídica que le envió la invitación."
)


def refusal(reason: str) -> tuple[int, str]:
    """A refusal's status and, in one line, its words: for the answers the e.firma script
    shows."""
    status, title, message = _REFUSALS[reason]
    return status, f"{title}. {message}"


def refused(reason: str) -> Response:
    status, title, message = _REFUSALS[reason]
    advice = None if reason in ("ended", "form") else _ASK_AGAIN
    return problem_page(status, title, message, advice=advice)


def _too_many(wait: int) -> Response:
    minutes = max(1, round(wait / 60))
    return problem_page(
        429,
        "Demasiados intentos",
        "Desde esta conexión se intentaron demasiados enlaces que no funcionan.",
        advice=f"Espere {minutes} minuto{'s' if minutes > 1 else ''} antes de intentar de nuevo.",
        **{"Retry-After": str(wait)},
    )


# Opening the link ----------------------------------------------------------------------------


def _someone_else(session: Session, request: Request, invitation: Invitation) -> Response | None:
    """The page for a link opened in a browser where another representative's session is
    open: the link is someone else's, or the browser is shared. Nothing is spent."""
    try:
        held = invitations.browser_session(session, request.cookies.get(COOKIE))
    except LinkRefused:
        return None
    if held.ended_at is not None or held.invitation_id == invitation.id:
        return None
    theirs = session.get(Invitation, held.invitation_id)
    signature = session.get(Signature, invitation.signature_id)
    if theirs is None or signature is None:
        return None
    holder = session.get(Signature, theirs.signature_id)
    if holder is None or holder.representative_id == signature.representative_id:
        return None
    return problem_page(
        409,
        "Hay otra sesión de firma abierta",
        "En este navegador está abierta la sesión de firma de otra persona, y este enlace no "
        "es el suyo.",
        advice="Concluya esa sesión o ciérrela desde la página de firma (botón «Cerrar la "
        "sesión sin decidir») y vuelva a abrir este enlace. Cada enlace es personal.",
    )


@dataclass(frozen=True)
class _Usable:
    """A link that opens now: its invitation, and what the signing page shows of it."""

    invitation: Invitation
    view: Summary


def _usable_link(
    session: Session, request: Request, token: str | None, *, lock: bool = False
) -> _Usable | Response:
    """The invitation a link opens, or the page that says why not: too many wrong links from
    this address, a link that does not work (counted), another person's session open in this
    browser, or a turn not come yet. Only a working link is ever spent, by its caller."""
    settings = get_settings()
    wait = guard.attempts.blocked_for(guard.address(request), settings.token_attempts)
    if wait:
        return _too_many(wait)
    try:
        if token is None or not re.fullmatch(LINK_SHAPE, token):
            raise LinkRefused("unknown")
        invitation = invitations.check_link(session, invitations.find(session, token, lock=lock))
    except LinkRefused as refusal:
        guard.attempts.failed(guard.address(request))
        return refused(refusal.reason)
    if (other := _someone_else(session, request, invitation)) is not None:
        return other
    signature = session.get(Signature, invitation.signature_id)
    assert signature is not None
    view = summary(session, signature, settings.timezone)
    if view.waiting_for:
        until = local_time(invitation.expires_at, settings.timezone)
        return page("turno.html", status=409, view=view, until=until)
    return _Usable(invitation, view)


@router.post(PATH)
def open_invitation(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Form()] = None,
    formulario: Annotated[str | None, Form()] = None,
) -> Response:
    if not guard.form_token_ok(request, formulario):
        return refused("form")
    usable = _usable_link(session, request, token, lock=True)
    if not isinstance(usable, _Usable):
        return usable
    settings = get_settings()
    opened = invitations.open_link(
        session,
        usable.invitation,
        ip=guard.address(request),
        user_agent=request.headers.get("user-agent"),
        settings=settings,
    )
    response = RedirectResponse(PATH, status_code=303)
    response.set_cookie(
        COOKIE,
        opened.cookie,
        max_age=settings.signing_session_minutes * 60,
        httponly=True,
        samesite="strict",
        path=PATH,
        secure=guard.secure_cookies(),
    )
    return response


# The page ------------------------------------------------------------------------------------


def current(session: Session, request: Request) -> tuple[SigningSession, Invitation, Signature]:
    """The browser's session, its invitation and its request; LinkRefused otherwise."""
    found = invitations.browser_session(session, request.cookies.get(COOKIE))
    invitation = session.get(Invitation, found.invitation_id)
    assert invitation is not None
    try:
        signature = signing.get_signature(
            session,
            invitation.signature_id,
            invitations.signer(session, invitation, ip=None, user_agent=None),
        )
    except ProblemError:  # the representative no longer signs this agreement
        raise LinkRefused("closed") from None
    return found, invitation, signature


def _signing_page(
    session: Session,
    request: Request,
    signing_session: SigningSession,
    signature: Signature,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    settings = get_settings()
    view = summary(session, signature, settings.timezone)
    cookie = request.cookies.get(COOKIE, "")
    decided = signature.status is not SignatureStatus.PENDING
    if decided or signing_session.ended_at is not None:
        return page(
            "firmado.html",
            view=view,
            methods=METHODS,
            verification=documents.verification_url(
                settings.public_url, view.document.verification_code or view.document.sha256 or ""
            ),
        )
    if view.waiting_for:
        return page("turno.html", status=409, view=view, until=None)
    return page(
        "firmar.html",
        status=status,
        view=view,
        error=error,
        form=invitations.form_token(cookie, signing_session),
        offered=view.offered,
        Method=SignatureMethod,
        max_upload_mb=settings.max_upload_bytes // (1024 * 1024),
    )


@router.get(PATH)
def signing_page(request: Request, session: SessionDep) -> Response:
    try:
        signing_session, _, signature = current(session, request)
    except LinkRefused as refusal:
        return refused(refusal.reason)
    return _signing_page(session, request, signing_session, signature)


@router.get(PATH + "/documento.pdf")
def signing_document(request: Request, session: SessionDep) -> Response:
    try:
        _, _, signature = current(session, request)
    except LinkRefused:
        return refused("no-session")
    document, folio = document_of(session, signature)
    return Response(
        documents.content(get_storage(), document),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{folio}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get(PATH + "/paginas/{number}.png")
def signing_page_image(number: int, request: Request, session: SessionDep) -> Response:
    try:
        _, _, signature = current(session, request)
    except LinkRefused:
        return refused("no-session")
    # Asked for once per page shown: the document alone, not the page's whole summary.
    document, _ = document_of(session, signature)
    if not 1 <= number <= (document.pages or 0):
        return problem_page(404, "Página inexistente", "El documento no tiene esa página.")
    content = documents.content(get_storage(), document)
    try:
        picture: bytes = inspect_runner()(PageImageJob(content, number))
    except (ProblemError, JobError):  # the pool busy, or the worker failed
        return problem_page(
            503, "Servicio ocupado", "Intente de nuevo en unos momentos.", **{"Retry-After": "5"}
        )
    return Response(
        picture, media_type="image/png", headers={"Cache-Control": "private, max-age=600"}
    )


# Deciding ------------------------------------------------------------------------------------

# What a refusal of the signature means to the signer.
_SIGNING_PROBLEMS = {
    "not-a-pdf": "El archivo no es un PDF. Suba la copia digitalizada del convenio firmado, en "
    "formato PDF.",
    "unsupported-media-type": "El archivo no es un PDF.",
    "pdf-corrupt": "El PDF está dañado y no puede leerse. Digitalícelo de nuevo.",
    "pdf-encrypted": "El PDF está protegido con contraseña o cifrado; súbalo sin protección.",
    "pdf-too-complex": "El PDF es demasiado grande o complejo para recibirlo.",
    "payload-too-large": "El archivo excede el tamaño máximo permitido.",
    "out-of-turn": "Aún no es su turno de firmar.",
    "validation-error": "El documento cambió desde que abrió esta página: revíselo de nuevo "
    "antes de firmar.",
    "signing-method": "Este convenio no se firma de esa forma.",
}
_BUSY = "El servicio está ocupado en este momento. Intente de nuevo en unos minutos."


def in_words(error: ProblemError) -> str:
    if error.status == 503:
        return _BUSY
    return _SIGNING_PROBLEMS.get(
        error.type,
        "No fue posible registrar su decisión. Intente de nuevo; si el problema continúa, "
        "comuníquese con el área que le envió la invitación.",
    )


def acting(
    session: Session, request: Request, sent: str | None
) -> tuple[SigningSession, Invitation, Signature, Principal]:
    """Who acts, if the form is this session's current one (checked again when recording)."""
    signing_session, invitation, signature = current(session, request)
    if signing_session.ended_at is not None:
        raise LinkRefused("ended")
    cookie = request.cookies.get(COOKIE, "")
    if not invitations.same(sent, invitations.form_token(cookie, signing_session)):
        raise LinkRefused("form")
    principal = invitations.signer(
        session,
        invitation,
        ip=guard.address(request),
        user_agent=request.headers.get("user-agent"),
    )
    return signing_session, invitation, signature, principal


def decide(request: Request, sent: str | None) -> "Close":
    return Close(request.cookies.get(COOKIE, ""), sent)


class Close:
    """Inside the transaction that records the decision: the form is spent and the session
    ends with it, or — the same form sent twice at once — the decision is not recorded."""

    def __init__(self, cookie: str, sent: str | None) -> None:
        self.cookie, self.sent = cookie, sent

    def __call__(self, recording: Session, signature: Signature) -> Signature:
        invitations.end(recording, invitations.form_sent(recording, self.cookie, self.sent))
        return signature


def _sign(
    request: Request,
    session: Session,
    writes: Writes,
    today: Today,
    sent: str | None,
    way: signing.Way,
    check: str | None = None,
) -> Response:
    try:
        signing_session, _, signature, principal = acting(session, request, sent)
    except LinkRefused as refusal:
        return refused(refusal.reason)
    if check is not None:
        return _signing_page(session, request, signing_session, signature, error=check, status=422)
    return _deciding(
        request,
        session,
        signing_session,
        signature,
        lambda: record_signature(request, session, writes, today, signature, principal, way, sent),
    )


def record_signature(
    request: Request,
    session: Session,
    writes: Writes,
    today: date,
    signature: Signature,
    principal: Principal,
    way: signing.Way,
    sent: str | None,
) -> None:
    """Give the signature ``way`` for the session's representative: the form ``sent`` is spent
    and the session ends in the transaction that records it."""
    signing.sign(
        session=session,
        writes=writes,
        signature_id=signature.id,
        actor=principal,
        way=way,
        settings=get_settings(),
        storage=get_storage(),
        inspect=inspect_runner(),
        today=today,
        respond=decide(request, sent),
    )


def _deciding(
    request: Request,
    session: Session,
    signing_session: SigningSession,
    signature: Signature,
    act: Callable[[], object],
) -> Response:
    """Record the decision (``act``), then show it; or say on the signing page what stopped it."""
    try:
        act()
    except LinkRefused as refusal:
        return refused(refusal.reason)
    except ProblemError as error:
        session.expire_all()
        return _signing_page(
            session,
            request,
            signing_session,
            signature,
            error=in_words(error),
            status=error.status,
        )
    return RedirectResponse(PATH, status_code=303)


def _plain(text: str) -> str:
    """A name as typed on any keyboard: no accents, one space, any case."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.casefold().split())


def _storable(text: str) -> bool:
    try:
        storable_text(text)
    except ValueError:
        return False
    return True


@router.post(PATH + "/electronica")
@computes
def sign_electronically(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    formulario: Annotated[str | None, Form()] = None,
    nombre: Annotated[str | None, Form()] = None,
    sha256: Annotated[str | None, Form()] = None,
    acepto: Annotated[str | None, Form()] = None,
) -> Response:
    check = None
    try:
        _, _, signature, principal = acting(session, request, formulario)
    except (LinkRefused, ProblemError):
        signature = None
    if signature is not None:
        if acepto != "si":
            check = "Para firmar, marque la casilla con la que acepta el documento."
        elif _plain(nombre or "") != _plain(principal.name):
            check = f"Escriba su nombre completo tal como aparece: {principal.name}."
    way = signing.Electronic(document_sha256=(sha256 or "")[:64])
    return _sign(request, session, writes, today, formulario, way, check)


@router.post(PATH + "/autografa")
@computes
def sign_autografa(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    formulario: Annotated[str | None, Form()] = None,
    archivo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    data = archivo.file.read() if archivo is not None else b""
    check = None if data else "Elija el archivo PDF de la copia firmada."
    way = signing.Autografa(
        scan=data,
        filename=safe_filename(archivo.filename) if archivo is not None else None,
        inspect=inspect_runner(),
    )
    return _sign(request, session, writes, today, formulario, way, check)


@router.post(PATH + "/declinar")
@computes
def decline(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    formulario: Annotated[str | None, Form()] = None,
    motivo: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        signing_session, _, signature, principal = acting(session, request, formulario)
    except LinkRefused as refusal:
        return refused(refusal.reason)
    reason = " ".join((motivo or "").split())
    if not reason or len(reason) > 2000 or not _storable(reason):
        return _signing_page(
            session,
            request,
            signing_session,
            signature,
            error="Escriba el motivo por el que declina firmar (hasta 2,000 caracteres).",
            status=422,
        )

    def record() -> None:
        with writes() as recording:
            decision = signing.begin(
                session=recording,
                signature_id=signature.id,
                actor=principal,
                settings=get_settings(),
                storage=get_storage(),
                today=today,
            )
            signing.decline(decision, reason=reason)
            decide(request, formulario)(recording, decision.signature)

    return _deciding(request, session, signing_session, signature, record)


@router.post(PATH + "/salir")
def leave(
    request: Request, session: SessionDep, formulario: Annotated[str | None, Form()] = None
) -> Response:
    """End the session without deciding (a shared computer, a wrong person): the link is spent,
    so signing needs a new one."""
    cookie = request.cookies.get(COOKIE, "")
    try:
        invitations.end(session, invitations.form_sent(session, cookie, formulario))
    except LinkRefused as refusal:
        return refused(refusal.reason)
    response = problem_page(
        200,
        "Sesión cerrada",
        "Cerró la sesión de firma sin firmar ni declinar.",
        advice=_ASK_AGAIN,
    )
    response.delete_cookie(COOKIE, path=PATH)
    return response


# Last: any other one-segment address under /firmar is a link's token.
@router.get(PATH + "/{token}")
def invitation_link(token: str, request: Request, session: SessionDep) -> Response:
    usable = _usable_link(session, request, token)
    if not isinstance(usable, _Usable):
        return usable
    form, new = guard.form_token(request)
    response = page(
        "invitacion.html",
        view=usable.view,
        token=token,
        form=form,
        until=local_time(usable.invitation.expires_at, get_settings().timezone),
    )
    if new:
        guard.keep_form_token(response, form)
    return response
