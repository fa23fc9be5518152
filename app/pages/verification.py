"""The public verification page, what the QR code of a printed convenio opens: whether the
service issued or registered the document, the public facts of its convenio, each signature's
validity in plain words, its constancia de firmas, and a form to check a file by upload. The
same facts as the JSON answer; nothing personal (no RFC, CURP, certificate serial or contact)."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse

from app.db import SessionDep, computes
from app.documents.inspection import HEADER_WINDOW
from app.documents.schemas import PublicSignatureReport, Verification
from app.documents.verification import by_sha256, embedded_signatures
from app.kit import sha256_of
from app.pages import guard
from app.pages.html import page, problem_page
from app.pages.words import DOCUMENT_KINDS, KINDS, METHODS, SIGNATURE_STATUS, STATUSES

router = APIRouter(include_in_schema=False)

PATH = "/verificar"


def _about(verification: Verification) -> str:
    """What the file is to its convenio, in one sentence or two."""
    document = verification.document
    assert document is not None
    if document.kind.value == "version_publica":
        return (
            "Este archivo es la versión pública del convenio: se omitieron las partes "
            "clasificadas y los datos personales que señala su leyenda de clasificación, en su "
            "última página."
        )
    if document.kind.value == "constancia":
        return (
            "Este archivo es la constancia de firmas del convenio: la emitió el sistema al "
            "recabarse la última firma y hace constar quiénes firmaron, por qué medio, en qué "
            "orden y cuándo. No sustituye al convenio firmado. Sus datos personales no se "
            "muestran en esta verificación."
        )
    if document.origin.value == "signed":
        return (
            "Este archivo es el convenio firmado por las partes: el documento que emitió el "
            "sistema con sus firmas electrónicas avanzadas, o las copias con firma autógrafa que "
            "entregaron."
        )
    if not document.issued_by_service:
        return (
            "Este archivo fue incorporado al expediente del convenio (anexo, copia firmada o "
            "evidencia); no fue generado por el sistema."
        )
    return "Este archivo es el convenio tal como lo generó el sistema para su firma."


def plain_words(report: PublicSignatureReport) -> str:
    """A signature's validity as a person reads it."""
    when = ""
    if report.signing_time is not None:
        source = {
            "timestamp": "según un sello de tiempo confiable",
            "signer": "según el reloj del equipo de quien firmó (sin sello de tiempo)",
        }.get(report.time_source, "")
        when = f" Firmó el {report.signing_time.date():%d/%m/%Y} {source}.".replace("  ", " ")
    if report.ok:
        return (
            "firma válida: el documento no ha cambiado desde que se firmó, y el certificado, "
            "vigente al firmar, lo emitió una autoridad certificadora de confianza." + when
        )
    faults = [
        text
        for fault, text in (
            (not report.intact, "el documento cambió después de firmarse"),
            (not report.covers_document, "la firma no cubre la versión final del archivo"),
            (not report.certificate_valid_at_signing, "el certificado no estaba vigente"),
            (not report.trusted, "el certificado no proviene de una autoridad de confianza"),
        )
        if fault
    ]
    return "firma no válida: " + "; ".join(faults or ["no pudo comprobarse"]) + "." + when


def render(
    verification: Verification | None, request: Request, *, uploaded: bool = False
) -> HTMLResponse:
    agreement = verification.agreement if verification else None
    document = verification.document if verification else None
    form, new = guard.form_token(request)
    response = page(
        "verificacion.html",
        v=verification,
        uploaded=uploaded,
        form=form,
        about=_about(verification) if verification and verification.known else "",
        kind=KINDS[agreement.kind.value] if agreement else "",
        agreement_status=STATUSES[agreement.status.value] if agreement else "",
        document_kind=DOCUMENT_KINDS[document.kind.value] if document else "",
        signature_status=SIGNATURE_STATUS,
        methods={method.value: text for method, text in METHODS.items()},
        plain_words=plain_words,
    )
    if new:
        guard.keep_form_token(response, form)
    return response


@router.get(PATH)
def verification_form(request: Request) -> Response:
    return render(None, request)


@router.post(PATH)
@computes  # it writes nothing: hashing and validating a file is a read
def verify_upload(
    request: Request,
    session: SessionDep,
    formulario: Annotated[str | None, Form()] = None,
    archivo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if not guard.form_token_ok(request, formulario):
        return problem_page(
            403,
            "Formulario no válido",
            "El formulario no proviene de esta página. Vuelva a la página de verificación.",
        )
    if archivo is None or b"%PDF-" not in archivo.file.read(HEADER_WINDOW):
        return problem_page(
            415,
            "Archivo no válido",
            "Suba un archivo PDF: el sistema de convenios emite y registra solamente PDF.",
        )
    archivo.file.seek(0)
    found = by_sha256(session, sha256_of(archivo.file), embedded_signatures)
    return render(found, request, uploaded=True)
