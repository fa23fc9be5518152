"""The rules for documents: a convenio PDF is generated once per set of inputs, an upload is
kept only after its content has been parsed, and stored bytes are served only while they still
match their digest.

Rendering and parsing run in worker processes (`app.documents.workers`), outside any
transaction: a read works out what to do (`plan_generation`, `check_upload`), the work runs
with no transaction open, its file is put in storage under a lease (`app.documents.blobs`), and a
short write records the row, checking again what the read saw. The callers pass the pool's
``run`` in, so that tests and benchmarks can count or replace them.
"""

import base64
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.agreements import repository as agreements
from app.audit import service as audit
from app.auth.principal import Principal
from app.config import API_PREFIX, Settings
from app.documents import clauses, repository
from app.documents.blobs import Staged, Staging
from app.documents.context import (
    DocumentFacts,
    agreement_context,
    document_context,
    is_test_address,
    legal_gaps,
    signing_place,
)
from app.documents.inspection import (
    CorruptPdf,
    EncryptedPdf,
    InspectJob,
    NotAPdf,
    PdfFacts,
    PdfTooComplex,
)
from app.documents.rendering import (
    MissingField,
    PreviewJob,
    RenderedPdf,
    RenderJob,
    ResourceRefused,
    TemplateForbidden,
    TemplateInvalid,
    TooManyPages,
)
from app.documents.storage import BlobNotFound, Storage
from app.documents.workers import Job, JobError, JobOutOfMemory, JobTimeout
from app.errors import Conflict, InvalidParam, NotFound, ProblemError, Unprocessable, problem
from app.events.service import emit
from app.kit import canonical_json
from app.models import Agreement, Document, Template, TemplateVersion
from app.models.enums import (
    AgreementKind,
    AgreementStatus,
    DocumentKind,
    DocumentOrigin,
    DocumentStatus,
    EventType,
    PdfVariant,
)
from app.templates import service as templates
from app.transparency.layout import LAYOUT_SHA256, PublicVersionJob
from app.transparency.redaction import Removal, Withheld, redact

logger = logging.getLogger("convenios")

PDF = "application/pdf"
Runner = Callable[[Job], Any]

# How each failure of a render reaches the client: status, stable type and what to do. A field
# missing is the agreement's on record, not the request's: a conflict, until it is completed.
_RENDER_PROBLEMS: dict[type[JobError], tuple[int, str, str]] = {
    MissingField: (409, "template-field-missing", "Complete the agreement and try again."),
    TemplateInvalid: (422, "template-invalid", "The template cannot render this agreement."),
    TemplateForbidden: (422, "template-forbidden", "The template tried something unsafe."),
    ResourceRefused: (422, "template-resource-refused", "Templates may use only their assets."),
    TooManyPages: (422, "too-many-pages", "The document is longer than allowed."),
    JobTimeout: (422, "render-timeout", "The document took too long to render."),
    JobOutOfMemory: (422, "render-too-large", "The document needs too much memory to render."),
}
_UPLOAD_PROBLEMS: dict[type[JobError], tuple[int, str, str]] = {
    NotAPdf: (415, "not-a-pdf", "Upload a PDF file."),
    CorruptPdf: (422, "pdf-corrupt", "The file cannot be read as a PDF."),
    EncryptedPdf: (422, "pdf-encrypted", "Upload the PDF without a password or encryption."),
    PdfTooComplex: (422, "pdf-too-complex", "The PDF is too large or complex to accept."),
    JobTimeout: (422, "pdf-too-complex", "The PDF took too long to check."),
    JobOutOfMemory: (422, "pdf-too-complex", "The PDF needs too much memory to check."),
}


def _problem(error: JobError, table: dict[type[JobError], tuple[int, str, str]]) -> ProblemError:
    for cls in type(error).__mro__:
        if cls in table:
            status, slug, advice = table[cls]
            return problem(status, slug, f"{advice} ({error})")
    # A worker failed for a reason of its own: still an answer about this input, not a 500.
    logger.warning("worker failure: %s: %s", type(error).__name__, error)
    return problem(422, "processing-failed", f"The file could not be processed: {error}")


@dataclass(frozen=True)
class GenerateRequest:
    template: str | None = None
    template_version: int | None = None
    variant: PdfVariant = PdfVariant.STANDARD
    # Where the client names them: the body of a generation, the query of a preview.
    named_in: str = "body"


def resolve_template(
    session: Session, kind: AgreementKind, request: GenerateRequest
) -> tuple[Template, TemplateVersion]:
    """The template version ``request`` names for an agreement of ``kind`` (by default the
    template for its kind, in its newest version); 404 for one named that does not exist."""
    key = request.template or templates.key_for(kind)
    try:
        template = templates.get_template(session, key)
    except NotFound as missing:
        if request.template is not None:
            raise _names_nothing(request, "template", missing) from None
        raise Unprocessable.field(f"{request.named_in}.template", missing.detail) from None
    if request.template_version is not None:
        try:
            return template, templates.get_version(session, template, request.template_version)
        except NotFound as missing:
            raise _names_nothing(request, "template_version", missing) from None
    latest = templates.latest_version(session, template)
    if latest is None:
        raise Unprocessable.field(
            f"{request.named_in}.template", f"Template {key!r} has no versions yet."
        )
    return template, latest


def recorded_request(
    session: Session, template_version_id: int, variant: PdfVariant
) -> GenerateRequest:
    """The request naming a template version recorded by its id, as a pending document and a
    batch record theirs: what their renders are planned from."""
    version = session.get(TemplateVersion, template_version_id)
    assert version is not None  # template versions are never deleted
    template = session.get(Template, version.template_id)
    assert template is not None  # nor their templates
    return GenerateRequest(template=template.key, template_version=version.number, variant=variant)


def _names_nothing(request: GenerateRequest, name: str, missing: NotFound) -> NotFound:
    """A template (or version) the client names that does not exist is a 404, as a path that
    names nothing is; the problem says which input named it."""
    where = f"{request.named_in}.{name}"
    return NotFound(missing.detail, errors=[InvalidParam(field=where, message="does not exist")])


def _missing(context: dict[str, Any], required: list[str]) -> list[str]:
    """The required fields that are absent or empty in the context."""
    missing = []
    for path in required:
        value: Any = context
        for name in path.split("."):
            value = value.get(name) if isinstance(value, dict) else None
        if value is None or value == "" or value == []:
            missing.append(path)
    return missing


def _check_open(agreement: Agreement) -> None:
    if agreement.status is AgreementStatus.CANCELLED:
        raise Conflict(f"Agreement {agreement.folio} is cancelled: it gets no new documents.")


def verification_url(public_url: str, reference: str) -> str:
    """The public address that verifies a document, by its code or its SHA-256."""
    return f"{public_url}{API_PREFIX}/verify/{reference}"


def verification_code(source_sha256: str) -> str:
    """Twelve characters (60 bits) of the inputs' digest, printed under every page's QR code."""
    letters = base64.b32encode(bytes.fromhex(source_sha256)[:10]).decode()[:12]
    return f"{letters[:4]}-{letters[4:8]}-{letters[8:]}"


@dataclass(frozen=True)
class _Inputs:
    """Everything a generated document is made from, and the digest that names the set."""

    content: dict[str, Any]
    place: str | None
    on: date | None
    test_copy: bool
    source_sha256: str
    # For a versión pública: what was removed, for its leyenda.
    removals: tuple[Removal, ...] = ()


@dataclass(frozen=True)
class PublicInputs:
    """What makes a versión pública of a convenio besides the convenio's own inputs: the parts
    withheld, and the leyenda de clasificación's facts (área, who classifies and when, the
    Comité de Transparencia's session and acuerdo)."""

    withheld: tuple[Withheld, ...]
    leyenda: dict[str, Any]


def _version_of(session: Session, agreement: Agreement) -> TemplateVersion | None:
    """The template version an agreement's convenio was signed in (its signing document's),
    else the newest of the template for its kind."""
    document_id = agreement.signing_document_id
    document = repository.get(session, document_id) if document_id else None
    if document is not None and document.template_version_id is not None:
        return session.get(TemplateVersion, document.template_version_id)
    template = templates.get_template(session, templates.key_for(agreement.kind))
    return templates.latest_version(session, template)


# How a drafter titles the clause that allows modifications, when they wrote it themselves.
MODIFICATION_SUBJECTS = ("modificaciones", "modificacion", "modificaciones y adiciones")


def _parent(session: Session, agreement: Agreement, settings: Settings) -> dict[str, Any] | None:
    """What a modificatorio says of its principal: how it was published, its number of the
    clause that allows modifications, where it is published."""
    if agreement.parent_id is None:
        return None
    parent = agreements.get(session, agreement.parent_id)
    assert parent is not None  # agreements are never deleted
    content = agreement_context(session, parent, parent=None, rules=settings.cabildo_rules)
    version = _version_of(session, parent)
    planned = (
        clauses.plan(content, templates.clauses_of(version), parent.standard_clauses)[0]
        if version is not None
        else []
    )
    return {
        "folio": parent.folio,
        "title": parent.title,
        "kind": parent.kind.value,
        "signed_on": parent.signed_on,
        "effective_date": parent.effective_date,
        "expiry_date": parent.expiry_date,
        "amount": parent.amount,
        "currency": parent.currency,
        "publication": content["publication"],
        "publications": [
            {
                "medium": publication.medium.value,
                "medium_name": publication.medium_name,
                "date": publication.published_on,
                "number": publication.number,
            }
            for publication in parent.publications
        ],
        "modifications_clause": clauses.number_of(planned, "modificaciones", MODIFICATION_SUBJECTS),
    }


def _inputs(
    session: Session,
    agreement: Agreement,
    version: TemplateVersion,
    variant: PdfVariant,
    settings: Settings,
    public: PublicInputs | None = None,
) -> _Inputs:
    content = agreement_context(
        session,
        agreement,
        parent=_parent(session, agreement, settings),
        rules=settings.cabildo_rules,
    )
    removals: list[Removal] = []
    if public is not None:
        content, removals = redact(content, list(public.withheld))
    standard = templates.clauses_of(version)
    unknown = sorted(set(agreement.standard_clauses) - {clause.key for clause in standard})
    if unknown:
        raise Unprocessable.field(
            "body.template",
            f"the agreement chooses standard clauses this template version does not have: "
            f"{', '.join(unknown)}",
        )
    planned, _ = clauses.plan(content, standard, agreement.standard_clauses)
    content["clause_plan"] = [clause.as_context() for clause in planned]
    place = signing_place(session, agreement)
    # The closing line's date: the one the drafter planned for signing on paper, or none (the
    # signers write it; an electronic signature carries its own). Never "today" nor the day
    # it was signed, so the same inputs give the same bytes on any day, before and after.
    on = agreement.signing_date
    test_copy = is_test_address(settings.public_url)
    sources: dict[str, Any] = {
        "agreement": content,
        "place": place,
        "date": on,
        "template": version.sha256,
        "variant": variant.value,
        "public_url": settings.public_url,
    }
    if public is not None:  # absent otherwise: a convenio's digest stays what it always was
        sources["public_version"] = {
            "leyenda": public.leyenda,
            "removals": [removal.as_context() for removal in removals],
            "layout": LAYOUT_SHA256,
        }
    source_sha256 = hashlib.sha256(canonical_json(sources).encode()).hexdigest()
    return _Inputs(content, place, on, test_copy, source_sha256, tuple(removals))


def is_current(
    session: Session, agreement: Agreement, document: Document, settings: Settings
) -> bool:
    """Whether ``document`` is the convenio generated from the agreement as it is now (the same
    template version and variant would give exactly these bytes again)."""
    if (
        document.origin is not DocumentOrigin.GENERATED
        or document.template_version_id is None
        or document.status is not DocumentStatus.READY
    ):
        return False
    version = session.get(TemplateVersion, document.template_version_id)
    if version is None or document.variant is None:
        return False
    inputs = _inputs(session, agreement, version, document.variant, settings)
    return inputs.source_sha256 == document.source_sha256


def current_convenio(session: Session, agreement: Agreement, settings: Settings) -> Document | None:
    """The newest convenio generated from the agreement's present content, if there is one."""
    for document in repository.generated(session, agreement.id):
        if is_current(session, agreement, document, settings):
            return document
    return None


@dataclass(frozen=True)
class Generation:
    """A convenio to generate, worked out in a read (`plan_generation`): the one already
    generated from the same inputs, or what to render, outside any transaction (`render`),
    and record (`record_generated`)."""

    agreement_id: int
    template_name: str
    template_key: str
    version_id: int
    version_number: int
    variant: PdfVariant
    source_sha256: str
    verification_code: str
    existing: Document | None
    job: RenderJob | PublicVersionJob | None
    public: PublicInputs | None = None


def _context(inputs: _Inputs, code: str, settings: Settings, *, draft: bool) -> dict[str, Any]:
    facts = DocumentFacts(
        place=inputs.place,
        date=inputs.on,
        verification_url=verification_url(settings.public_url, code),
        verification_code=code,
        test_copy=inputs.test_copy,
        draft=draft,
    )
    return {"agreement": inputs.content, "document": document_context(facts)}


def _check_complete(context: dict[str, Any], version: TemplateVersion) -> None:
    """A 409 naming what the document would have to leave blank or guess: the agreement on
    record lacks it, whatever the request."""
    missing = _missing(context, version.required_fields) + legal_gaps(context["agreement"])
    if missing:
        raise problem(
            409,
            "template-field-missing",
            f"The template needs {', '.join(missing)}, which this agreement does not have.",
        )


def _plan(
    session: Session,
    agreement: Agreement,
    template: Template,
    version: TemplateVersion,
    variant: PdfVariant,
    inputs: _Inputs,
    public: PublicInputs | None = None,
) -> Generation:
    """The plan for a document from ``inputs``, and the one generated from them before, if any
    (without its job: that is the caller's to add)."""
    return Generation(
        agreement_id=agreement.id,
        template_name=template.name,
        template_key=template.key,
        version_id=version.id,
        version_number=version.number,
        variant=variant,
        source_sha256=inputs.source_sha256,
        verification_code=verification_code(inputs.source_sha256),
        existing=repository.by_source(session, agreement.id, inputs.source_sha256),
        job=None,
        public=public,
    )


def plan_generation(
    session: Session,
    agreement: Agreement,
    request: GenerateRequest,
    *,
    settings: Settings,
    rendering: bool = False,
) -> Generation:
    """What generating the agreement's convenio now takes; a 4xx when it cannot be done.
    ``rendering``: the job even when a document of the same inputs exists (a worker's, for the
    pending document it renders)."""
    _check_open(agreement)
    template, version = resolve_template(session, agreement.kind, request)
    inputs = _inputs(session, agreement, version, request.variant, settings)
    plan = _plan(session, agreement, template, version, request.variant, inputs)
    if plan.existing is not None and not rendering:
        return plan
    context = _context(inputs, plan.verification_code, settings, draft=False)
    _check_complete(context, version)
    job = RenderJob(
        version.html,
        version.css,
        context,
        max_pages=settings.render_max_pages,
        pdf_variant=None if request.variant is PdfVariant.STANDARD else request.variant.value,
    )
    return replace(plan, job=job)


def plan_preview(
    session: Session, agreement: Agreement, request: GenerateRequest, *, settings: Settings
) -> PreviewJob:
    """The preview of the convenio that generating it now would give (same template version,
    same text, same verification code as its standard PDF), marked as a draft."""
    _, version = resolve_template(session, agreement.kind, request)
    inputs = _inputs(session, agreement, version, PdfVariant.STANDARD, settings)
    context = _context(inputs, verification_code(inputs.source_sha256), settings, draft=True)
    _check_complete(context, version)
    return PreviewJob(version.html, version.css, context)


def plan_public_version(
    session: Session, agreement: Agreement, public: PublicInputs, *, settings: Settings
) -> Generation:
    """What generating a versión pública of the signed convenio takes: the template version it
    was signed in (`_version_of`), its content without what ``public`` withholds, and the
    leyenda — or the versión pública already generated from the same inputs."""
    version = _version_of(session, agreement)
    if version is None:
        raise Conflict(f"There is no template to write the convenio {agreement.folio} with.")
    template = session.get(Template, version.template_id)
    assert template is not None  # template versions belong to a template
    inputs = _inputs(session, agreement, version, PdfVariant.STANDARD, settings, public)
    plan = _plan(session, agreement, template, version, PdfVariant.STANDARD, inputs, public)
    if plan.existing is not None:
        return plan
    context = _context(inputs, plan.verification_code, settings, draft=False)
    leyenda = {
        **public.leyenda,
        "folio": agreement.folio,
        "title": agreement.title,
        "signed_on": agreement.signed_on,
        "removals": [removal.as_context() for removal in inputs.removals],
    }
    job = PublicVersionJob(
        version.html, version.css, context, leyenda, max_pages=settings.render_max_pages
    )
    return replace(plan, job=job)


def preview(job: PreviewJob, *, render: Runner) -> str:
    """The preview's HTML, filled in a worker like a render (a template is code to run)."""
    try:
        html: str = render(job)
    except JobError as error:
        raise _problem(error, _RENDER_PROBLEMS) from None
    return html


def render_problem(error: JobError) -> ProblemError:
    """What a render's failure means for the client (the problem a synchronous render gives)."""
    return _problem(error, _RENDER_PROBLEMS)


def render(plan: Generation, *, render: Runner) -> RenderedPdf:
    """The planned convenio, rendered in a worker (no transaction is open meanwhile)."""
    assert plan.job is not None
    try:
        rendered: RenderedPdf = render(plan.job)
    except JobError as error:
        raise render_problem(error) from None
    return rendered


class AgreementChanged(Conflict):
    type = "agreement-changed"


def record_generated(
    session: Session,
    plan: Generation,
    rendered: RenderedPdf,
    file: Staged,
    *,
    stage: Staging,
    actor: Principal,
    settings: Settings,
) -> tuple[Document, bool]:
    """Write the rendered convenio's row, its audit event and its event — unless the agreement
    changed while it rendered (409), or the same document exists by now (False): the same
    inputs, or the same bytes from another template version, are the same document."""
    agreement = agreements.get(session, plan.agreement_id, for_update=True)
    assert agreement is not None  # agreements are never deleted
    _check_open(agreement)
    version = session.get(TemplateVersion, plan.version_id)
    assert version is not None  # template versions are never deleted
    now = _inputs(session, agreement, version, plan.variant, settings, plan.public)
    if now.source_sha256 != plan.source_sha256:
        raise AgreementChanged(
            f"Agreement {agreement.folio} changed while its convenio was being rendered; "
            "ask for the convenio again."
        )
    existing = repository.by_source(session, agreement.id, plan.source_sha256)
    existing = existing or repository.by_content(session, agreement.id, file.sha256)
    if existing is not None:
        return existing, False
    document = record(
        session,
        stage,
        file,
        agreement,
        generated_document(plan, agreement.folio, pages=rendered.pages),
        actor=actor,
        action="document.generated",
        changes=made_from(plan),
    )
    announce_generated(session, agreement, document)
    return document, True


def generated_document(plan: Generation, folio: str, **fields: Any) -> Document:
    """The row of the document ``plan`` generates — what it is, and the inputs it is made from
    — with ``fields`` besides; rendered here, or pending for a worker (`app.documents.queued`)."""
    return Document(
        kind=DocumentKind.CONVENIO if plan.public is None else DocumentKind.VERSION_PUBLICA,
        origin=DocumentOrigin.GENERATED,
        title=(
            f"{plan.template_name} {folio}"
            if plan.public is None
            else f"Versión pública del {plan.template_name.lower()} {folio}"
        ),
        template_version_id=plan.version_id,
        variant=plan.variant,
        source_sha256=plan.source_sha256,
        verification_code=plan.verification_code,
        **fields,
    )


def made_from(plan: Generation) -> dict[str, Any]:
    """The audit trail's changes that say what a generated document is made from."""
    return {
        "template": [None, f"{plan.template_key} v{plan.version_number}"],
        "variant": [None, plan.variant.value],
    }


def record(
    session: Session,
    stage: Staging,
    file: Staged,
    agreement: Agreement,
    document: Document,
    *,
    actor: Principal,
    action: str,
    changes: dict[str, Any],
) -> Document:
    """Write ``document`` for the staged ``file`` (completed with what every document records)
    and its audit event, ending the file's lease in the same transaction."""
    stage.keep(session, file)
    document.agreement_id = agreement.id
    document.sha256, document.size, document.media_type = file.sha256, file.size, PDF
    document.agreement_version = agreement.version
    document.created_by = actor.as_actor()
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity=("document", document.id),
        agreement_id=agreement.id,
        changes={
            "sha256": [None, document.sha256],
            "pages": [None, document.pages],
            "agreement_version": [None, agreement.version],
            **changes,
        },
    )
    return document


@dataclass(frozen=True)
class Upload:
    data: bytes
    kind: DocumentKind
    title: str | None
    filename: str | None


_UPLOAD_TITLES = {
    DocumentKind.ANNEX: "Anexo",
    DocumentKind.SIGNED_COPY: "Copia firmada",
    DocumentKind.EVIDENCE: "Evidencia",
    DocumentKind.CABILDO_ACTA: "Acta certificada de cabildo",
    DocumentKind.VERSION_PUBLICA: "Versión pública",
}


def check_pdf(data: bytes, *, settings: Settings, inspect: Runner) -> PdfFacts:
    """The facts of an uploaded PDF, parsed in a worker; a 4xx that says why when it is not a
    readable, unencrypted PDF within the limits."""
    try:
        facts: PdfFacts = inspect(InspectJob(data, max_pages=settings.upload_max_pages))
    except JobError as error:
        raise _problem(error, _UPLOAD_PROBLEMS) from None
    return facts


def check_upload(agreement: Agreement, incoming: Upload, *, public_version: bool = False) -> None:
    """What an upload can be refused for before its content is read. A versión pública comes
    with its leyenda de clasificación (`public_version`), never as a bare document."""
    if incoming.kind is DocumentKind.CONVENIO:
        raise Unprocessable.field("body.kind", "convenio documents are generated, not uploaded")
    if incoming.kind is DocumentKind.CONSTANCIA:
        raise Unprocessable.field(
            "body.kind", "a constancia de firmas is issued by the service, not uploaded"
        )
    if (incoming.kind is DocumentKind.VERSION_PUBLICA) != public_version:
        raise Unprocessable.field(
            "body.kind",
            "a versión pública is uploaded with its leyenda de clasificación, at "
            "/agreements/{id}/public-versions/scan",
        )
    _check_open(agreement)


def record_upload(
    session: Session,
    agreement_id: int,
    incoming: Upload,
    facts: PdfFacts,
    file: Staged,
    *,
    stage: Staging,
    actor: Principal,
) -> tuple[Document, bool]:
    """Keep a parsed outside PDF as a document of the agreement; the same bytes uploaded again
    are the same document (False)."""
    agreement = agreements.get(session, agreement_id, for_update=True)
    assert agreement is not None  # agreements are never deleted
    _check_open(agreement)
    existing = repository.by_content(session, agreement.id, facts.sha256)
    if existing is not None:
        return existing, False
    document = record(
        session,
        stage,
        file,
        agreement,
        Document(
            kind=incoming.kind,
            origin=DocumentOrigin.UPLOADED,
            pages=facts.pages,
            title=incoming.title
            or f"{_UPLOAD_TITLES[incoming.kind]} del convenio {agreement.folio}",
            original_filename=incoming.filename,
        ),
        actor=actor,
        action="document.uploaded",
        changes={"kind": [None, incoming.kind.value]},
    )
    return document, True


def get_document(session: Session, document_id: int, actor: Principal) -> Document:
    """The document, if it exists and the actor may see its agreement; 404 otherwise."""
    document = repository.get(session, document_id)
    if document is None or not agreements.sees(session, actor, document.agreement_id):
        raise NotFound(f"Document {document_id} does not exist.")
    return document


class DocumentUnavailable(ProblemError):
    status, type = 503, "document-unavailable"


class DocumentPending(Conflict):
    type = "document-pending"


class DocumentFailed(Conflict):
    type = "document-failed"


def check_ready(document: Document) -> str:
    """The digest of a ready document's file; 409 for one still being rendered (with
    Retry-After) or that could not be rendered (with why)."""
    if document.status is DocumentStatus.PENDING:
        raise DocumentPending(
            f"Document {document.id} is being rendered; ask again in a few seconds "
            f"(GET {API_PREFIX}/documents/{document.id} says when it is ready).",
            headers={"Retry-After": "2"},
        )
    if document.status is DocumentStatus.FAILED or document.sha256 is None:
        raise DocumentFailed(
            f"Document {document.id} could not be rendered: {document.error}. Ask for the "
            "convenio again once the cause is fixed."
        )
    return document.sha256


def content(storage: Storage, document: Document) -> bytes:
    """The stored bytes, checked against the digest the row records (409 for a document that
    has no file: pending or failed)."""
    sha256 = check_ready(document)
    try:
        data = storage.read(sha256)
    except BlobNotFound:
        logger.error("document %s: blob %s is missing from storage", document.id, sha256)
        raise DocumentUnavailable(
            "The stored file of this document is missing; the operator has been alerted."
        ) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.error("document %s: blob %s is corrupted", document.id, sha256)
        raise DocumentUnavailable(
            "The stored file of this document is damaged; the operator has been alerted."
        )
    return data


_FILE_KINDS = {
    DocumentKind.CONVENIO: "convenio",
    DocumentKind.ANNEX: "anexo",
    DocumentKind.SIGNED_COPY: "copia-firmada",
    DocumentKind.EVIDENCE: "evidencia",
    DocumentKind.CABILDO_ACTA: "acta-cabildo",
    DocumentKind.VERSION_PUBLICA: "version-publica",
    DocumentKind.CONSTANCIA: "constancia-de-firmas",
}


def filename(document: Document, folio: str) -> str:
    """The download's file name, from the folio: ``CONV-2026-0007_convenio_v3.pdf``."""
    if document.kind is DocumentKind.CONSTANCIA:
        return f"{folio}_{_FILE_KINDS[document.kind]}.pdf"
    if document.origin is DocumentOrigin.GENERATED:
        archival = "_pdfa" if document.variant is PdfVariant.PDF_A_3B else ""
        return f"{folio}_convenio_v{document.agreement_version}{archival}.pdf"
    return f"{folio}_{_FILE_KINDS[document.kind]}_{document.id}.pdf"


def announce_generated(session: Session, agreement: Agreement, document: Document) -> None:
    """The `document.generated` event of a convenio whose file is stored (rendered here, or by
    a worker)."""
    emit(
        session,
        EventType.DOCUMENT_GENERATED,
        agreement_id=agreement.id,
        payload={
            "document_id": document.id,
            "folio": agreement.folio,
            "sha256": document.sha256,
            "verification_code": document.verification_code,
        },
    )
