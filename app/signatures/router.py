"""HTTP routes for signatures: requests, the three ways to sign, declines, and the validation
of the signatures a PDF carries."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from sqlalchemy.orm import Session

from app.agreements import repository as agreements_repository
from app.agreements import service as agreements
from app.agreements.dependencies import AgreementDep
from app.auth.dependencies import AnyRole, Signatory, Writer
from app.auth.principal import Principal
from app.clock import Today
from app.config import API_PREFIX, get_settings
from app.db import SessionDep, Writes, WritesDep, computes
from app.documents import service as documents
from app.documents.router import safe_filename
from app.documents.runners import crypto_runner, get_storage, inspect_runner
from app.errors import InvalidParam, Unprocessable, problem_responses
from app.forms import CheckedForm, PdfUpload
from app.idempotency import Idempotency, IdempotencyDep, respond, respond_created
from app.models import Agreement, Document, Party, Signature
from app.models.enums import AgreementStatus, SignatureStatus
from app.pagination import Page, PageDep, build_page, int_after
from app.schemas import Id
from app.signatures import repository, service, verification
from app.signatures.dependencies import SignatureDep
from app.signatures.pades import Credentials
from app.signatures.schemas import (
    CertificateRead,
    DocumentSignatures,
    ElectronicSignature,
    SignatureCreate,
    SignatureDecline,
    SignatureRead,
    SignerRead,
)
from app.signatures.trust import configured_trust

router = APIRouter(tags=["signatures"], responses=problem_responses(401, 403, 422))

# Credentials are small: a .cer or .key is 1 or 2 KB, a .p12 a few KB.
_MAX_CREDENTIAL_BYTES = 64 * 1024


def _read(session: Session, signature: Signature, actor: Principal) -> SignatureRead:
    agreement = agreements_repository.exists_by_id(session, signature.agreement_id)
    assert agreement is not None  # an agreement is never deleted
    representative = signature.representative
    pending = signature.status is SignatureStatus.PENDING
    in_signature = agreement.status is AgreementStatus.IN_SIGNATURE
    can_sign_now = (
        pending
        and in_signature
        and service.turn_problem(signature, list(repository.for_agreement(session, agreement.id)))
        is None
    )
    over = service.sign_over(session, agreement) if pending and in_signature else None
    # Where a signatory signed from is shown to staff and to that signatory, not to the others.
    private = actor.is_signatory and actor.representative_id != signature.representative_id
    return SignatureRead(
        id=signature.id,
        agreement_id=signature.agreement_id,
        signer=SignerRead(
            representative_id=representative.id,
            full_name=representative.full_name,
            position=representative.position,
            party_id=representative.party_id,
            party=_party_name(session, representative.party_id),
        ),
        order=signature.order,
        status=signature.status,
        can_sign_now=can_sign_now,
        document=_ref(session, signature.document_id),
        sign_over=service.ref(over) if over else None,
        method=signature.method,
        signed_sha256=signature.signed_sha256,
        evidence=_ref(session, signature.evidence_document_id),
        certificate=CertificateRead.model_validate(signature.certificate)
        if signature.certificate
        else None,
        decided_at=signature.decided_at,
        reason=signature.reason,
        ip=None if private else signature.ip,
        user_agent=None if private else signature.user_agent,
        created_at=signature.created_at,
    )


def _party_name(session: Session, party_id: int) -> str:
    party = session.get(Party, party_id)
    return party.name if party else ""


def _ref(session: Session, document_id: int | None) -> Any:
    if document_id is None:
        return None
    document = session.get(Document, document_id)
    return service.ref(document) if document else None


@router.post(
    "/agreements/{agreement_id}/signatures",
    status_code=201,
    responses=problem_responses(404, 409, 413, 415),
)
def request_signature(
    agreement: AgreementDep,  # before the role: a signatory gets 404 for others' agreements
    actor: Writer,
    payload: SignatureCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> SignatureRead:
    """Ask one of the agreement's signatories to sign it, in a given order."""
    idempotency.claim()
    signature = service.request(session=session, agreement=agreement, data=payload, actor=actor)
    body = _read(session, signature, actor)
    respond_created(response, idempotency, body, location=f"{API_PREFIX}/signatures/{signature.id}")
    return body


@router.get("/agreements/{agreement_id}/signatures", responses=problem_responses(404))
def list_agreement_signatures(
    agreement: AgreementDep, actor: AnyRole, session: SessionDep
) -> list[SignatureRead]:
    """The agreement's signatures in signing order (at most one per signatory)."""
    return [
        _read(session, signature, actor)
        for signature in repository.for_agreement(session, agreement.id)
    ]


@router.get("/signatures")
def list_signatures(
    actor: AnyRole,
    session: SessionDep,
    page: PageDep,
    status: Annotated[SignatureStatus | None, Query()] = None,
    agreement_id: Annotated[Id | None, Query()] = None,
    representative_id: Annotated[Id | None, Query()] = None,
) -> Page[SignatureRead]:
    """Signatures, newest first; a signatory sees its own, pending and past."""
    found = repository.page(
        session,
        signatory=(actor.representative_id or 0) if actor.is_signatory else None,
        agreement_id=agreement_id,
        representative_id=representative_id,
        status=status,
        after=int_after(page),
        limit=page.limit + 1,
    )
    return build_page([_read(session, s, actor) for s in found], page.limit)


@router.get("/signatures/{signature_id}", responses=problem_responses(404))
def get_signature(signature: SignatureDep, actor: AnyRole, session: SessionDep) -> SignatureRead:
    """One signature: who signs, in what order, its status, how and over what it was given."""
    return _read(session, signature, actor)


@router.delete("/signatures/{signature_id}", status_code=204, responses=problem_responses(404, 409))
def withdraw_signature(
    signature: SignatureDep,  # before the role: a signatory gets 404 for others' signatures
    actor: Writer,
    session: SessionDep,
) -> Response:
    """Remove a signature request while the agreement is still prepared."""
    agreement = _locked(session, signature.agreement_id, actor)
    service.withdraw(session=session, agreement=agreement, signature=signature, actor=actor)
    return Response(status_code=204)


def _locked(session: Session, agreement_id: int, actor: Principal) -> Agreement:
    return agreements.get_agreement(session, agreement_id, actor, for_update=True)


def _begin(session: Session, signature_id: int, actor: Principal, today: Any) -> service.Signing:
    return service.begin(
        session=session,
        signature_id=signature_id,
        actor=actor,
        settings=get_settings(),
        storage=get_storage(),
        today=today,
    )


_SIGN_ERRORS = problem_responses(404, 409, 413, 415, 503)


def _sign(
    session: Session,
    writes: Writes,
    signature_id: int,
    actor: Principal,
    today: date,
    way: service.Way,
    response: Response,
    idempotency: Idempotency | None = None,
) -> SignatureRead:
    """Sign through the service; with an `Idempotency-Key`, a retry gets the first answer.
    (Not for PAdES: its form carries the private key's password, which a stored digest of the
    request must not be computed from.)"""
    if idempotency is not None:
        idempotency.replay_if_answered()

    def answer(recording: Session, signature: Signature) -> SignatureRead:
        body = _read(recording, signature, actor)
        if idempotency is not None:
            idempotency.claim(recording)
            respond(response, idempotency, body)
        return body

    return service.sign(
        session=session,
        writes=writes,
        signature_id=signature_id,
        actor=actor,
        way=way,
        settings=get_settings(),
        storage=get_storage(),
        inspect=inspect_runner(),
        today=today,
        respond=answer,
    )


@router.post("/signatures/{signature_id}/sign", responses=_SIGN_ERRORS)
@computes
def sign_electronically(
    signature: SignatureDep,  # before the role: 404 for others' signatures
    actor: Signatory,
    payload: ElectronicSignature,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    idempotency: IdempotencyDep,
    response: Response,
) -> SignatureRead:
    """Sign by explicit acceptance of the document to sign, named by its SHA-256.

    Recorded with the time, the IP address and the user agent. The signature that completes
    the agreement makes it active."""
    way = service.Electronic(document_sha256=payload.document_sha256)
    return _sign(session, writes, signature.id, actor, today, way, response, idempotency)


@router.post("/signatures/{signature_id}/sign/autografa", responses=_SIGN_ERRORS)
@computes
def sign_autografa(
    signature: SignatureDep,  # before the role: 404 for others' signatures
    actor: Signatory,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    idempotency: IdempotencyDep,
    response: Response,
    file: Annotated[PdfUpload, File(description="The scan of the hand-signed convenio (PDF).")],
    form: CheckedForm,
) -> SignatureRead:
    """Sign with the scan of the printed convenio signed by hand (firma autógrafa).

    The scan is parsed like any upload (415 for what is not a PDF, 422 for a corrupt or
    hostile one) and kept as evidence among the agreement's documents."""
    way = service.Autografa(
        scan=file.file.read(), filename=safe_filename(file.filename), inspect=inspect_runner()
    )
    return _sign(session, writes, signature.id, actor, today, way, response, idempotency)


def _optional(upload: UploadFile | None) -> bytes | None:
    return upload.file.read() if upload is not None else None


def _credentials(
    signed_pdf: bytes | None,
    certificate: bytes | None,
    private_key: bytes | None,
    pkcs12: bytes | None,
    password: str | None,
) -> Credentials | None:
    """The credentials sent, or None when a signed PDF was sent instead; 422 for any other
    combination."""
    errors: list[InvalidParam] = []

    def wrong(field: str, message: str) -> None:
        errors.append(InvalidParam(field=f"body.{field}", message=message))

    sent_credentials = any(part is not None for part in (certificate, private_key, pkcs12))
    if signed_pdf is not None:
        if sent_credentials or password is not None:
            wrong("signed_pdf", "send either a signed PDF or credentials, not both")
    elif pkcs12 is not None:
        if certificate is not None or private_key is not None:
            wrong("pkcs12", "send either a .p12 or a .cer with its .key, not both")
    elif certificate is None or private_key is None:
        wrong(
            "certificate" if certificate is None else "private_key",
            "send the signed PDF, or the .cer and .key with the password, or a .p12 with it",
        )
    if sent_credentials and not password:
        wrong("password", "the password of the private key is required")
    for name, part in (
        ("certificate", certificate),
        ("private_key", private_key),
        ("pkcs12", pkcs12),
    ):
        if part is not None and len(part) > _MAX_CREDENTIAL_BYTES:
            wrong(name, f"larger than {_MAX_CREDENTIAL_BYTES // 1024} KB: not a credential file")
    if errors:
        raise Unprocessable("The signature request is incomplete.", errors=errors)
    if signed_pdf is not None:
        return None
    assert password is not None
    return Credentials(
        password=password, certificate=certificate, private_key=private_key, pkcs12=pkcs12
    )


# Every field is optional to FastAPI, but the form is sent in one of three ways (see below):
# never empty. (A schema could list the three, but generated clients would then model the form
# as three types, each without the others' fields.)
_PADES_FORM = {"required": True}


@router.post(
    "/signatures/{signature_id}/sign/pades",
    responses=_SIGN_ERRORS,
    openapi_extra={"requestBody": _PADES_FORM},
)
@computes
def sign_pades(
    signature: SignatureDep,  # before the role: 404 for others' signatures
    actor: Signatory,
    session: SessionDep,
    writes: WritesDep,
    today: Today,
    response: Response,
    form: CheckedForm,
    signed_pdf: Annotated[
        PdfUpload | None,
        File(description="`sign_over` signed on your own machine (one PAdES signature added)."),
    ] = None,
    certificate: Annotated[
        UploadFile | None, File(description="The e.firma certificate (.cer, DER).")
    ] = None,
    private_key: Annotated[
        UploadFile | None, File(description="Its private key (.key, encrypted PKCS#8 DER).")
    ] = None,
    pkcs12: Annotated[
        UploadFile | None, File(description="Instead of .cer and .key: a PKCS#12 (.p12, .pfx).")
    ] = None,
    password: Annotated[
        str | None, Form(min_length=1, max_length=256, description="The private key's password.")
    ] = None,
) -> SignatureRead:
    """Sign with a PAdES signature and an X.509 certificate such as the SAT e.firma.

    Either upload `sign_over` signed on your own machine (`signed_pdf`): it must extend exactly
    that PDF with one signature and nothing else. Or send the credentials (`certificate` +
    `private_key`, or `pkcs12`, with `password`) for this one request: the service signs for
    you and keeps nothing of them. Either way the certificate must be valid now, chain to the
    configured trust roots, and carry the representative's RFC; every party's signature
    accumulates in one PDF and leaves the earlier ones valid."""
    uploaded = _optional(signed_pdf)
    credentials = _credentials(
        uploaded, _optional(certificate), _optional(private_key), _optional(pkcs12), password
    )
    way: service.Way
    if credentials is None:
        assert uploaded is not None
        way = service.PadesUpload(
            signed_pdf=uploaded,
            trust=configured_trust(),
            inspect=inspect_runner(),
            crypto=crypto_runner(),
        )
    else:
        way = service.PadesCredentials(
            credentials=credentials, trust=configured_trust(), crypto=crypto_runner()
        )
    return _sign(session, writes, signature.id, actor, today, way, response)


@router.post("/signatures/{signature_id}/decline", responses=_SIGN_ERRORS)
def decline_signature(
    signature: SignatureDep,  # before the role: 404 for others' signatures
    actor: Signatory,
    payload: SignatureDecline,
    session: SessionDep,
    today: Today,
    idempotency: IdempotencyDep,
    response: Response,
) -> SignatureRead:
    """Decline to sign, with a reason: the agreement goes back to review."""
    idempotency.claim()
    signing = _begin(session, signature.id, actor, today)
    signature = service.decline(signing, reason=payload.reason)
    body = _read(session, signature, actor)
    respond(response, idempotency, body)
    return body


@router.get("/documents/{document_id}/signatures", responses=problem_responses(404, 409, 503))
def document_signatures(actor: AnyRole, document_id: Id, session: SessionDep) -> DocumentSignatures:
    """The signatures embedded in a PDF, each validated against the configured trust roots:
    signer, RFC, certificate, time, intact, covering the document, trusted, timestamp."""
    document = documents.get_document(session, document_id, actor)
    sha256 = documents.check_ready(document)
    trust = configured_trust()
    return DocumentSignatures(
        document_id=document.id,
        sha256=sha256,
        trust_configured=bool(trust.roots),
        signatures=verification.reports(
            documents.content(get_storage(), document),
            sha256=sha256,
            trust=trust,
            crypto=crypto_runner(),
        ),
    )
