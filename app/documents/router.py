"""HTTP routes for documents: generate, upload, read, download, and the public verification."""

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import WithJsonSchema
from sqlalchemy.orm import Session

from app import tasks
from app.agreements import repository as agreements
from app.agreements.dependencies import AgreementDep
from app.auth.dependencies import AnyRole, Writer
from app.auth.principal import Principal
from app.config import API_PREFIX, Settings, get_settings
from app.db import SessionDep, Writes, WritesDep, computes, end_reading
from app.documents import delivery, queued, repository, service, verification
from app.documents.blobs import staging
from app.documents.inspection import HEADER_WINDOW
from app.documents.runners import get_storage, inspect_runner, render_runner
from app.documents.schemas import (
    DocumentGenerate,
    DocumentRead,
    TemplateRef,
    Verification,
)
from app.documents.service import GenerateRequest, Upload
from app.errors import problem, problem_responses
from app.forms import CheckedForm, PdfUpload
from app.idempotency import Idempotency, IdempotencyDep, respond_created
from app.kit import sha256_of
from app.models import Document, Template, TemplateVersion
from app.models.enums import DocumentKind, DocumentStatus
from app.pages import verification as pages
from app.pagination import Page, PageDep, build_page, int_after
from app.schemas import MAX_ID, Id, QueryText
from app.templates.schemas import TEMPLATE_KEY

router = APIRouter(tags=["documents"], responses=problem_responses(401, 403, 422))
public_router = APIRouter(prefix="/verify", tags=["verification"], responses=problem_responses(422))


def _read(session: Session, document: Document, settings: Settings) -> DocumentRead:
    template = None
    if document.template_version_id is not None:
        version = session.get(TemplateVersion, document.template_version_id)
        owner = session.get(Template, version.template_id) if version else None
        if version is not None and owner is not None:
            template = TemplateRef(key=owner.key, version=version.number)
    code = document.verification_code
    return DocumentRead(
        id=document.id,
        agreement_id=document.agreement_id,
        kind=document.kind,
        origin=document.origin,
        title=document.title,
        status=document.status,
        error=document.error,
        sha256=document.sha256,
        size=document.size,
        pages=document.pages,
        media_type=document.media_type,
        agreement_version=document.agreement_version,
        template=template,
        variant=document.variant,
        verification_code=code,
        verification_url=service.verification_url(
            settings.public_url, code or document.sha256 or ""
        ),
        original_filename=document.original_filename,
        download_url=f"{API_PREFIX}/documents/{document.id}/pdf",
        created_at=document.created_at,
    )


def _answer(
    response: Response, idempotency: Idempotency, body: DocumentRead, *, status_code: int
) -> DocumentRead:
    # 201 stored now; 200 when the same inputs gave this document before (nothing was rendered
    # or stored); 202 pending, for a worker to render.
    respond_created(
        response,
        idempotency,
        body,
        location=f"{API_PREFIX}/documents/{body.id}",
        status_code=status_code,
    )
    return body


def _queue(
    plan: service.Generation,
    *,
    actor: Principal,
    writes: Writes,
    idempotency: Idempotency,
    response: Response,
    settings: Settings,
) -> DocumentRead:
    """With a broker: the document written pending and its render queued, in one transaction —
    a broker that cannot take the task rolls the row back (503): nothing half-created. A task
    that runs before the commit finds no row and looks again a moment later."""
    with writes() as recording:
        idempotency.claim(recording)
        document, new = queued.queue(recording, plan, actor=actor, settings=settings)
        if new:
            tasks.publish_render(document.id)
        body = _read(recording, document, settings)
        ready = document.status is DocumentStatus.READY
        return _answer(response, idempotency, body, status_code=200 if ready else 202)


@router.post(
    "/agreements/{agreement_id}/documents",
    status_code=201,
    responses={
        200: {
            "model": DocumentRead,
            "description": "The document already generated from the same inputs.",
        },
        202: {
            "model": DocumentRead,
            "description": "With task workers: the document, pending while a worker renders "
            "it; `Location` is its address, to ask until its status is ready (or failed).",
        },
        **problem_responses(404, 409, 413, 415, 503),
    },
)
@computes
def generate_document(
    agreement: AgreementDep,  # before the role: a signatory gets 404 for others' agreements
    actor: Writer,
    session: SessionDep,
    writes: WritesDep,
    idempotency: IdempotencyDep,
    response: Response,
    payload: DocumentGenerate,
) -> DocumentRead:
    """Generate the convenio PDF of the agreement as it is now.

    `{}` takes the defaults: the template of the agreement's kind, its newest version, the
    standard PDF. The same agreement content with the same template version and variant gives
    the same bytes; asking again returns the existing document (200) instead of rendering (201).
    When every render worker is busy and enough requests wait already, the answer is 503 with
    `Retry-After`. Where the service runs task workers (`CONVENIOS_BROKER_URL`), the answer is
    202 with the document pending — its `Location` says when it is ready — and a task queue that
    cannot be reached gets 503 with `Retry-After`, nothing created.
    """
    idempotency.replay_if_answered()
    settings = get_settings()
    plan = service.plan_generation(
        session,
        agreement,
        GenerateRequest(
            template=payload.template,
            template_version=payload.template_version,
            variant=payload.variant,
        ),
        settings=settings,
    )
    end_reading(session)
    if settings.broker is not None and (
        plan.existing is None or plan.existing.status is not DocumentStatus.READY
    ):
        return _queue(
            plan,
            actor=actor,
            writes=writes,
            idempotency=idempotency,
            response=response,
            settings=settings,
        )
    if plan.existing is not None:
        service.check_ready(plan.existing)  # left pending or failed by workers no longer used
        with writes() as recording:
            idempotency.claim(recording)
            body = _read(recording, plan.existing, settings)
            return _answer(response, idempotency, body, status_code=200)
    rendered = service.render(plan, render=render_runner())
    with staging(writes.sessions, get_storage()) as stage:
        file = stage.put(rendered.pdf)
        with writes() as recording:
            idempotency.claim(recording)
            document, created = service.record_generated(
                recording, plan, rendered, file, stage=stage, actor=actor, settings=settings
            )
            body = _read(recording, document, settings)
            return _answer(response, idempotency, body, status_code=201 if created else 200)


# The preview shows user text: it may load nothing, run nothing and sit in no frame.
_PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


@router.get(
    "/agreements/{agreement_id}/preview",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **problem_responses(404, 409, 503),
    },
)
@computes  # it writes nothing: a read, however long the template takes
def preview_agreement(
    agreement: AgreementDep,
    _: AnyRole,
    session: SessionDep,
    template: Annotated[
        str | None, Query(pattern=TEMPLATE_KEY, description="Default: the one for its kind.")
    ] = None,
    template_version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    """The whole convenio as an HTML page, marked as a draft: the text its PDF will have.

    Fast (no layout), so legal staff read what will be signed before generating and reviewing
    it: every cláusula in order — theirs, then the template's standard ones that apply — and
    the verification code its standard PDF would carry."""
    job = service.plan_preview(
        session,
        agreement,
        GenerateRequest(template=template, template_version=template_version, named_in="query"),
        settings=get_settings(),
    )
    end_reading(session)
    html = service.preview(job, render=render_runner())
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": _PREVIEW_POLICY,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/agreements/{agreement_id}/documents", responses=problem_responses(404))
def list_documents(
    agreement: AgreementDep, _: AnyRole, session: SessionDep, page: PageDep
) -> Page[DocumentRead]:
    """The documents of an agreement, generated and uploaded, oldest first."""
    settings = get_settings()
    found = repository.page(session, agreement.id, after=int_after(page), limit=page.limit + 1)
    return build_page([_read(session, document, settings) for document in found], page.limit)


def safe_filename(raw: str | None) -> str | None:
    """The uploaded file's own name, kept only as information: no directories, no control
    characters, at most 255 characters."""
    if not raw:
        return None
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[:255] or None


UPLOADED_KINDS = (
    DocumentKind.ANNEX,
    DocumentKind.SIGNED_COPY,
    DocumentKind.EVIDENCE,
    DocumentKind.CABILDO_ACTA,
)


@router.post(
    "/agreements/{agreement_id}/documents/upload",
    status_code=201,
    responses={
        200: {
            "model": DocumentRead,
            "description": "The same file was already a document of this agreement.",
        },
        **problem_responses(404, 409, 413, 415, 503),
    },
)
@computes
def upload_document(
    agreement: AgreementDep,  # before the role: a signatory gets 404 for others' agreements
    actor: Writer,
    session: SessionDep,
    writes: WritesDep,
    idempotency: IdempotencyDep,
    response: Response,
    file: Annotated[PdfUpload, File(description="The PDF.")],
    kind: Annotated[
        DocumentKind,
        Form(
            description="annex, signed_copy, evidence, or cabildo_acta: the certified acta of "
            "the sesión de cabildo that authorised the convenio."
        ),
        # The kinds the service makes itself (a convenio, a constancia) or takes with their
        # own data (a versión pública) are not uploaded here.
        WithJsonSchema({"type": "string", "enum": [kind.value for kind in UPLOADED_KINDS]}),
    ],
    form: CheckedForm,
    title: Annotated[QueryText | None, Form(min_length=1, max_length=300)] = None,
) -> DocumentRead:
    """Upload an outside PDF (an annex, a scan of the signed convenio, evidence) as multipart.

    The content is parsed before it is kept — the file name proves nothing: a file that is not a
    PDF gets 415; a corrupt, encrypted or hostile one gets 422. The size limit is the setting
    `CONVENIOS_MAX_UPLOAD_BYTES` (25 MB by default; larger bodies get 413).
    """
    idempotency.replay_if_answered()
    settings = get_settings()
    incoming = Upload(
        data=file.file.read(),
        kind=kind,
        title=title,
        filename=safe_filename(file.filename),
    )
    service.check_upload(agreement, incoming)
    end_reading(session)
    facts = service.check_pdf(incoming.data, settings=settings, inspect=inspect_runner())
    with staging(writes.sessions, get_storage()) as stage:
        stored = stage.put(incoming.data)
        with writes() as recording:
            idempotency.claim(recording)
            document, created = service.record_upload(
                recording, agreement.id, incoming, facts, stored, stage=stage, actor=actor
            )
            body = _read(recording, document, settings)
            return _answer(response, idempotency, body, status_code=201 if created else 200)


@router.get("/documents/{document_id}", responses=problem_responses(404))
def get_document(principal: AnyRole, document_id: Id, session: SessionDep) -> DocumentRead:
    """One document's record: what it is, where it came from, its status, its SHA-256."""
    document = service.get_document(session, document_id, principal)
    return _read(session, document, get_settings())


@router.get(
    "/documents/{document_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The PDF."},
        206: {"content": {"application/pdf": {}}, "description": "The byte range asked for."},
        304: {"description": "Unchanged: the If-None-Match ETag is the document's SHA-256."},
        **problem_responses(404, 409, 416, 503),
    },
)
def download_document(
    principal: AnyRole, document_id: Id, session: SessionDep, request: Request
) -> Response:
    """Download the PDF: ETag is its SHA-256, If-None-Match gives 304, Range gives 206.

    A document still being rendered gets 409 with `Retry-After`; one that failed, 409 saying
    why."""
    document = service.get_document(session, document_id, principal)
    sha256 = service.check_ready(document)
    agreement = agreements.exists_by_id(session, document.agreement_id)  # the row, for its folio
    assert agreement is not None  # a document's agreement is never deleted
    return delivery.pdf_response(
        request,
        service.content(get_storage(), document),
        sha256=sha256,
        filename=service.filename(document, agreement.folio),
    )


Reference = Annotated[
    str,
    Path(
        pattern=r"^([0-9a-fA-F]{64}|[A-Za-z2-7]{4}-?[A-Za-z2-7]{4}-?[A-Za-z2-7]{4})$",
        description="The document's SHA-256, or the verification code printed under its QR code.",
    ),
]


@public_router.get(
    "/{reference}",
    response_model=Verification,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def verify_reference(
    reference: Reference, session: SessionDep, request: Request
) -> Verification | HTMLResponse:
    """Is this a document convenios knows? By SHA-256 or verification code; no key needed.

    Answers with public facts only: the document, its agreement's folio, title, state, parties
    and who signs for them. A browser (`Accept: text/html`, as when a phone opens the QR code)
    gets the same facts as a page in Spanish.
    """
    found = verification.by_reference(session, reference, verification.embedded_signatures)
    if "text/html" in request.headers.get("accept", ""):
        return pages.render(found, request)
    return found


@public_router.post("", responses=problem_responses(413, 415, 422, 503))
@computes  # it writes nothing: a read, however long the hashing and validation take
def verify_file(
    session: SessionDep,
    file: Annotated[PdfUpload, File(description="The PDF to check.")],
    form: CheckedForm,
) -> Verification:
    """Is this file a document convenios knows? Upload the PDF; it is hashed, not kept."""
    if b"%PDF-" not in file.file.read(HEADER_WINDOW):
        raise problem(415, "not-a-pdf", "Upload a PDF file: convenios issues only PDFs.")
    file.file.seek(0)
    return verification.by_sha256(session, sha256_of(file.file), verification.embedded_signatures)
