"""HTTP routes for what the public may see: the parts a transparency unit classifies, the
versiones públicas made without them, and the public address of the one published."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, Response
from sqlalchemy.orm import Session

from app.agreements import repository as agreements
from app.agreements.dependencies import AgreementDep
from app.auth.dependencies import Reader, Writer
from app.auth.principal import Principal
from app.config import API_PREFIX, get_settings
from app.db import SessionDep, WritesDep, computes, end_reading
from app.documents import delivery
from app.documents import service as documents
from app.documents.blobs import staging
from app.documents.router import safe_filename
from app.documents.runners import get_storage, inspect_runner, render_runner
from app.documents.service import PublicInputs, Upload
from app.errors import problem_responses
from app.forms import CheckedForm, PdfUpload
from app.idempotency import Idempotency, IdempotencyDep, respond_created
from app.models import Agreement, Document, PublicVersion
from app.models.enums import DocumentKind
from app.schemas import Date, Id
from app.transparency import service
from app.transparency.schemas import (
    ClassificationCreate,
    ClassificationRead,
    PublicVersionCreate,
    PublicVersionRead,
)

router = APIRouter(tags=["transparency"], responses=problem_responses(401, 403, 422))
public_router = APIRouter(prefix="/public-versions", tags=["transparency"])

AGREEMENT = "/agreements/{agreement_id}"
# A folio as the service writes it (CONV-2026-0001); anything else cannot name a convenio.
Folio = Annotated[str, Path(pattern=r"^[A-Z0-9]{1,12}-\d{4}-\d{4,8}$", max_length=32)]


def _read(session: Session, version: PublicVersion, folio: str) -> PublicVersionRead:
    document = session.get(Document, version.document_id)
    return PublicVersionRead(
        id=version.id,
        agreement_id=version.agreement_id,
        document_id=version.document_id,
        verification_code=document.verification_code if document else None,
        area=version.area,
        classified_by=version.classified_by,
        classified_by_position=version.classified_by_position,
        classified_on=version.classified_on,
        committee_session=version.committee_session,
        committee_date=version.committee_date,
        committee_resolution=version.committee_resolution,
        published_at=version.published_at,
        public_url=service.public_address(get_settings(), folio) if version.published_at else None,
        created_by=version.created_by,
        created_at=version.created_at,
    )


def _answer(
    recording: Session,
    agreement: Agreement,
    document: Document,
    public: PublicInputs,
    actor: Principal,
    response: Response,
    idempotency: Idempotency,
) -> PublicVersionRead:
    """Record the versión pública of ``document`` (in the transaction that recorded the
    document) and answer 201, or 200 when it was made before from the same inputs."""
    signed = agreements.get(recording, agreement.id)
    assert signed is not None  # agreements are never deleted
    version, created = service.record_public_version(
        recording, signed, document, public, actor=actor
    )
    body = _read(recording, version, agreement.folio)
    respond_created(
        response,
        idempotency,
        body,
        location=f"{API_PREFIX}/agreements/{agreement.id}/public-versions/{version.id}",
        status_code=201 if created else 200,
    )
    return body


@router.post(
    f"{AGREEMENT}/classifications",
    status_code=201,
    responses=problem_responses(404, 409, 413, 415),
)
def classify(
    agreement: AgreementDep,  # before the role: a signatory gets 404 for others' agreements
    actor: Writer,
    payload: ClassificationCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> ClassificationRead:
    """Classify a part of a signed convenio: its versión pública leaves it out.

    A cláusula, an antecedente or a party's declaración its drafter wrote, or an annex, each
    with its legal basis. The folio, the parties, the objective, the term and the public
    resources are public by law (422). The RFC and address of a persona física party are
    withheld without asking."""
    idempotency.claim()
    classification = service.classify(session, agreement, payload, actor=actor)
    body = ClassificationRead.model_validate(classification)
    respond_created(
        response,
        idempotency,
        body,
        location=f"{API_PREFIX}/agreements/{agreement.id}/classifications",
    )
    return body


@router.get(f"{AGREEMENT}/classifications", responses=problem_responses(404))
def list_classifications(
    agreement: AgreementDep, _: Reader, session: SessionDep
) -> list[ClassificationRead]:
    """The parts of the convenio withheld from its versión pública, in the order classified."""
    return [
        ClassificationRead.model_validate(c) for c in service.classifications(session, agreement.id)
    ]


@router.delete(
    f"{AGREEMENT}/classifications/{{classification_id}}",
    status_code=204,
    responses=problem_responses(404),
)
def declassify(
    agreement: AgreementDep, actor: Writer, classification_id: Id, session: SessionDep
) -> Response:
    """Withhold that part no longer; versiones públicas already made stay as they are."""
    service.declassify(session, agreement, classification_id, actor=actor)
    return Response(status_code=204)


@router.post(
    f"{AGREEMENT}/public-versions",
    status_code=201,
    responses={
        200: {
            "model": PublicVersionRead,
            "description": "The versión pública already generated from the same inputs.",
        },
        **problem_responses(404, 409, 413, 415, 503),
    },
)
@computes
def generate_public_version(
    agreement: AgreementDep,
    actor: Writer,
    payload: PublicVersionCreate,
    session: SessionDep,
    writes: WritesDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> PublicVersionRead:
    """Generate the versión pública of a signed convenio.

    The same data and template version as the convenio, without its classified parts and
    without a persona física's RFC and address — removed before the page is laid out, never
    drawn over — with "VERSIÓN PÚBLICA" on every page, a leyenda de clasificación on the last,
    and a verification code of its own.
    The same inputs give the same document (200). It is public once published."""
    idempotency.replay_if_answered()
    settings = get_settings()
    public = service.public_inputs(session, agreement, payload)
    plan = documents.plan_public_version(session, agreement, public, settings=settings)
    end_reading(session)
    rendered = documents.render(plan, render=render_runner()) if plan.existing is None else None
    with staging(writes.sessions, get_storage()) as stage:
        file = stage.put(rendered.pdf) if rendered is not None else None
        with writes() as recording:
            idempotency.claim(recording)
            document = plan.existing
            if document is None:
                assert rendered is not None and file is not None
                document, _ = documents.record_generated(
                    recording, plan, rendered, file, stage=stage, actor=actor, settings=settings
                )
            return _answer(recording, agreement, document, public, actor, response, idempotency)


@router.post(
    f"{AGREEMENT}/public-versions/scan",
    status_code=201,
    responses={
        200: {
            "model": PublicVersionRead,
            "description": "The same scan was already this convenio's versión pública.",
        },
        **problem_responses(404, 409, 413, 415, 503),
    },
)
@computes
def upload_public_version(
    agreement: AgreementDep,
    actor: Writer,
    session: SessionDep,
    writes: WritesDep,
    idempotency: IdempotencyDep,
    response: Response,
    file: Annotated[
        PdfUpload,
        File(description="The redacted scan of the signed convenio, with its leyenda."),
    ],
    area: Annotated[str, Form(min_length=1, max_length=300)],
    classified_by: Annotated[str, Form(min_length=1, max_length=200)],
    classified_by_position: Annotated[str, Form(min_length=1, max_length=300)],
    classified_on: Annotated[Date, Form()],
    committee_session: Annotated[str, Form(min_length=1, max_length=300)],
    committee_date: Annotated[Date, Form()],
    committee_resolution: Annotated[str, Form(min_length=1, max_length=120)],
    form: CheckedForm,
) -> PublicVersionRead:
    """Upload the versión pública of a convenio signed on paper: a redacted scan.

    A scan cannot be redacted from data, so the transparency unit removes the classified parts
    and signatures itself and adds the leyenda de clasificación; the service checks the PDF
    like any upload, keeps it as a `version_publica` document and records its leyenda. It is
    public once published.
    """
    idempotency.replay_if_answered()
    settings = get_settings()
    payload = service.leyenda_from_form(
        area=area,
        classified_by=classified_by,
        classified_by_position=classified_by_position,
        classified_on=classified_on,
        committee_session=committee_session,
        committee_date=committee_date,
        committee_resolution=committee_resolution,
    )
    public = service.public_inputs(session, agreement, payload, withheld_by_data=False)
    incoming = Upload(
        data=file.file.read(),
        kind=DocumentKind.VERSION_PUBLICA,
        title=f"Versión pública del convenio {agreement.folio}",
        filename=safe_filename(file.filename),
    )
    documents.check_upload(agreement, incoming, public_version=True)
    end_reading(session)
    facts = documents.check_pdf(incoming.data, settings=settings, inspect=inspect_runner())
    with staging(writes.sessions, get_storage()) as stage:
        stored = stage.put(incoming.data)
        with writes() as recording:
            idempotency.claim(recording)
            document, _ = documents.record_upload(
                recording, agreement.id, incoming, facts, stored, stage=stage, actor=actor
            )
            service.check_redacted(document)
            return _answer(recording, agreement, document, public, actor, response, idempotency)


@router.get(f"{AGREEMENT}/public-versions", responses=problem_responses(404))
def list_public_versions(
    agreement: AgreementDep, _: Reader, session: SessionDep
) -> list[PublicVersionRead]:
    """The versiones públicas made of the convenio, oldest first, and which are published."""
    return [
        _read(session, version, agreement.folio)
        for version in service.public_versions(session, agreement.id)
    ]


@router.post(
    f"{AGREEMENT}/public-versions/{{version_id}}/publish",
    responses=problem_responses(404, 409),
)
def publish_public_version(
    agreement: AgreementDep, actor: Writer, version_id: Id, session: SessionDep
) -> PublicVersionRead:
    """Publish a versión pública at the convenio's public address.

    From now on `GET /public-versions/{folio}` serves it (the newest published one) without a
    key, and the transparency export links to it."""
    version = service.get_public_version(session, agreement, version_id)
    version = service.publish(session, agreement, version, actor=actor)
    return _read(session, version, agreement.folio)


@public_router.get(
    "/{folio}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The versión pública."},
        206: {"content": {"application/pdf": {}}, "description": "The byte range asked for."},
        304: {"description": "Unchanged: the If-None-Match ETag is the document's SHA-256."},
        **problem_responses(404, 416, 422, 503),
    },
)
def read_public_version(folio: Folio, session: SessionDep, request: Request) -> Response:
    """The published versión pública of a signed convenio, by its folio; no key needed.

    What the transparency export's column 15 links to. 404 when the convenio has none
    published, is not signed, or was cancelled."""
    agreement, _, document = service.by_folio(session, folio)
    return delivery.pdf_response(
        request,
        documents.content(get_storage(), document),
        sha256=documents.check_ready(document),
        filename=f"version-publica-{agreement.folio}.pdf",
    )
