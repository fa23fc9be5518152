"""Signing with e.firma from the signing page, the private key never leaving the signer's device.

The page (`efirma.js`, with Forge shipped beside it) opens the `.key` with its password in the
browser and checks it against the `.cer`. The browser then sends the certificate alone
(`/firmar/efirma/preparar`): the service checks it — dates, trust, that it is the
representative's — and prepares a PAdES signature over the exact PDF the round has reached
(pyHanko's interrupted signing), handing back only the CMS signed attributes to sign. The browser
signs them and sends the signature value (`/firmar/efirma/completar`): the service completes the
PDF and accepts it as any PAdES signature made elsewhere — one new signature, over exactly that
PDF, valid, trusted, the representative's. No request carries the key or its password.
"""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import clock
from app.clock import Today
from app.config import get_settings
from app.db import SessionDep, WritesDep, computes, end_reading
from app.documents import service as documents
from app.documents.runners import crypto_runner, get_storage, inspect_runner
from app.documents.workers import JobError
from app.errors import ProblemError
from app.invitations import service as invitations
from app.invitations.service import LinkRefused
from app.models import DevicePreparation, Representative
from app.models.enums import SignatureMethod, SignatureStatus
from app.pages import signing as pages
from app.pages.html import page
from app.pages.views import summary
from app.signatures import service as signing
from app.signatures.pades import CompleteJob, PrepareJob, ToSign
from app.signatures.trust import configured_trust

router = APIRouter(include_in_schema=False)

# Subresource Integrity of the shipped Forge (app/pages/static/node-forge/README.md).
FORGE_INTEGRITY = "sha384-81tltm4kBNpa2Y52jpE9dc952YQuRFw8gFRLyMjlxql5VdPIbVfw522PjuhOLN0H"
_MAX_CERTIFICATE_BYTES = 64 * 1024

# What a refusal of the certificate or the signature means to the signer.
_PROBLEMS = {
    "credentials-unreadable": "El archivo .cer no es un certificado de e.firma que se pueda leer.",
    "certificate-expired": "Su certificado de e.firma está vencido. Renuévelo ante el SAT.",
    "certificate-not-yet-valid": "Su certificado de e.firma aún no está vigente.",
    "certificate-untrusted": "El certificado no fue emitido por una autoridad certificadora "
    "de confianza para este sistema.",
    "certificate-rfc-mismatch": "El certificado no es el suyo: su RFC no coincide con el "
    "registrado para usted.",
    "certificate-curp-mismatch": "El certificado no es el suyo: su CURP no coincide con la "
    "registrada para usted.",
    "representative-without-rfc": "No hay un RFC registrado para usted; pida al área jurídica "
    "que lo registre antes de firmar con e.firma.",
    "pades-unavailable": "La firma con e.firma no está disponible en este sistema por ahora.",
    "signature-invalid": "La firma no corresponde al certificado. Intente de nuevo.",
    "document-changed": "Otra firma se registró mientras firmaba: vuelva a firmar.",
    "not-incremental": "Otra firma se registró mientras firmaba: vuelva a firmar.",
    "timestamp-unavailable": "El servicio de sello de tiempo no respondió; intente más tarde.",
}


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"mensaje": message}, status_code=status)


def _refused(reason: str) -> JSONResponse:
    status, text = pages.refusal(reason)
    return _answer(status, text)


def _in_words(error: ProblemError) -> str:
    return _PROBLEMS.get(error.type) or pages.in_words(error)


@router.get(pages.PATH + "/efirma")
def efirma_page(request: Request, session: SessionDep) -> Response:
    try:
        signing_session, _, signature = pages.current(session, request)
    except LinkRefused as refusal:
        return pages.refused(refusal.reason)
    view = summary(session, signature, get_settings().timezone)
    if (
        signing_session.ended_at is not None
        or signature.status is not SignatureStatus.PENDING
        or view.waiting_for
        or SignatureMethod.PADES not in view.offered
    ):
        return RedirectResponse(pages.PATH, status_code=303)
    cookie = request.cookies.get(pages.COOKIE, "")
    return page(
        "efirma.html",
        view=view,
        form=invitations.form_token(cookie, signing_session),
        forge_integrity=FORGE_INTEGRITY,
    )


def _base64(text: str | None) -> bytes | None:
    try:
        return base64.b64decode(text or "", validate=True) or None
    except (binascii.Error, ValueError):
        return None


@router.post(pages.PATH + "/efirma/preparar")
@computes
def prepare(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    formulario: Annotated[str | None, Form()] = None,
    certificado: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        signing_session, _, signature, principal = pages.acting(session, request, formulario)
    except LinkRefused as refusal:
        return _refused(refusal.reason)
    certificate = certificado.file.read(_MAX_CERTIFICATE_BYTES + 1) if certificado else b""
    if not certificate or len(certificate) > _MAX_CERTIFICATE_BYTES:
        return _answer(422, "Elija su certificado de e.firma (.cer).")
    settings = get_settings()
    trust = configured_trust()
    try:
        reading = signing.begin(
            session=session,
            signature_id=signature.id,
            actor=principal,
            settings=settings,
            storage=get_storage(),
            today=today,
            lock=False,
        )
        signing.check_method(reading, SignatureMethod.PADES)
        base = signing.pades_base(reading, trust)
        representative = session.get(Representative, signature.representative_id)
        assert representative is not None
        job = PrepareJob(
            pdf=documents.content(get_storage(), base),
            certificate=certificate,
            trust=trust,
            at=clock.now(),
            field_name=f"Firma{signature.id}",
            reason=f"Firma del convenio {reading.agreement.folio}",
            tsa_url=settings.tsa_url,
            timeout=settings.signature_timeout_seconds,
        )
        end_reading(session)
        try:
            prepared: ToSign = crypto_runner()(job)
        except JobError as error:
            raise signing.pades_problem(error) from None
        assert prepared.signer is not None
        signing.certificate_matches(representative, prepared.signer)
    except ProblemError as error:
        return _answer(error.status, _in_words(error))
    with writes() as recording:
        try:
            held = invitations.browser_session(
                recording, request.cookies.get(pages.COOKIE), lock=True
            )
        except LinkRefused as refusal:
            return _refused(refusal.reason)
        if held.id != signing_session.id or held.ended_at is not None:
            return _refused("ended")
        recording.execute(
            delete(DevicePreparation).where(DevicePreparation.signing_session_id == held.id)
        )
        recording.add(
            DevicePreparation(
                signing_session_id=held.id,
                prepared_pdf=prepared.prepared_pdf,
                reserved_start=prepared.reserved_start,
                reserved_end=prepared.reserved_end,
                document_digest=prepared.document_digest,
                signed_attributes=prepared.signed_attributes,
                certificate=prepared.certificate,
                chain=[base64.b64encode(der).decode() for der in prepared.chain],
            )
        )
    return JSONResponse({"atributos": base64.b64encode(prepared.signed_attributes).decode()})


def _prepared(session: Session, signing_session_id: int) -> DevicePreparation | None:
    return session.scalars(
        select(DevicePreparation).where(DevicePreparation.signing_session_id == signing_session_id)
    ).one_or_none()


@router.post(pages.PATH + "/efirma/completar")
@computes
def complete(
    request: Request,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    formulario: Annotated[str | None, Form()] = None,
    firma: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        signing_session, _, signature, principal = pages.acting(session, request, formulario)
    except LinkRefused as refusal:
        return _refused(refusal.reason)
    value = _base64(firma)
    kept = _prepared(session, signing_session.id)
    if value is None or kept is None:
        return _answer(422, "Prepare la firma de nuevo: no hay una firma en curso.")
    settings = get_settings()
    job = CompleteJob(
        prepared=ToSign(
            prepared_pdf=kept.prepared_pdf,
            reserved_start=kept.reserved_start,
            reserved_end=kept.reserved_end,
            document_digest=kept.document_digest,
            signed_attributes=kept.signed_attributes,
            certificate=kept.certificate,
            chain=tuple(base64.b64decode(der) for der in kept.chain),
        ),
        signature_value=value,
        tsa_url=settings.tsa_url,
        timeout=settings.signature_timeout_seconds,
    )
    end_reading(session)
    try:
        try:
            signed_pdf: bytes = crypto_runner()(job)
        except JobError as error:
            raise signing.pades_problem(error) from None
        way = signing.PadesUpload(
            signed_pdf=signed_pdf,
            trust=configured_trust(),
            inspect=inspect_runner(),
            crypto=crypto_runner(),
        )
        pages.record_signature(
            request, session, writes, today, signature, principal, way, formulario
        )
    except LinkRefused as refusal:
        return _refused(refusal.reason)
    except ProblemError as error:
        return _answer(error.status, _in_words(error))
    return JSONResponse({"siguiente": pages.PATH})
