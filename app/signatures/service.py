"""The rules for signing: who may sign what and when, the three ways to sign, declines, and
the agreement's completion once every party has signed.

Every way to sign is refused, with nothing recorded, unless the agreement is in signature, the
request is the caller's own, still pending and its turn has come. Cryptographic work (signing,
validating) runs in worker processes; the callers pass the pool's ``run`` in.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from app import clock
from app.agreements import lifecycle
from app.agreements import repository as agreements_repository
from app.agreements import service as agreements
from app.agreements.schemas import TransitionRequest
from app.audit import service as audit
from app.auth.principal import Principal
from app.config import API_PREFIX, Settings
from app.db import Writes, end_reading
from app.documents import repository as documents_repository
from app.documents import runners
from app.documents import service as documents
from app.documents.blobs import Staged, Staging, staging
from app.documents.inspection import PdfFacts
from app.documents.service import Runner
from app.documents.storage import Storage
from app.documents.workers import JobError, JobOutOfMemory, JobTimeout
from app.errors import Conflict, Forbidden, NotFound, ProblemError, Unprocessable, problem
from app.events.service import emit
from app.models import Agreement, Document, Representative, Signature
from app.models.enums import (
    AgreementStatus,
    DocumentKind,
    DocumentOrigin,
    EventType,
    SignatureMethod,
    SignatureStatus,
    SigningMethod,
)
from app.signatures import constancia, repository
from app.signatures.bundle import BundledPdf, BundleJob
from app.signatures.pades import (
    AcceptJob,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateUntrusted,
    Credentials,
    CredentialsUnreadable,
    DocumentChanged,
    FieldInUse,
    KeyMismatch,
    NotIncremental,
    NotOneNewSignature,
    SignatureError,
    SignatureInvalid,
    SignatureReport,
    SignaturesUnreadable,
    SignedPdf,
    SignJob,
    TimestampFailed,
    TrustStore,
    VerifyJob,
    WrongPassword,
)
from app.signatures.sat import Identity
from app.signatures.schemas import SignatureCreate

logger = logging.getLogger("convenios")

# How each refusal of a PAdES signature reaches the client: status, stable type, what to do.
_PADES_PROBLEMS: dict[type[JobError], tuple[int, str, str]] = {
    CredentialsUnreadable: (422, "credentials-unreadable", "Send the .cer and .key, or a .p12."),
    WrongPassword: (422, "wrong-password", "Check the password of the private key."),
    KeyMismatch: (422, "key-mismatch", "Send the .key that belongs to the .cer."),
    CertificateExpired: (422, "certificate-expired", "Sign with a current certificate."),
    CertificateNotYetValid: (422, "certificate-not-yet-valid", "The certificate is not valid yet."),
    CertificateUntrusted: (422, "certificate-untrusted", "Sign with a certificate we trust."),
    SignaturesUnreadable: (422, "signatures-unreadable", "The signatures cannot be read."),
    NotIncremental: (422, "not-incremental", "Sign the document to sign, adding nothing else."),
    DocumentChanged: (422, "document-changed", "Add the signature and change nothing else."),
    FieldInUse: (422, "signature-field-in-use", "Sign into a new signature field."),
    NotOneNewSignature: (422, "not-one-new-signature", "Add exactly one signature."),
    SignatureInvalid: (422, "signature-invalid", "The signature does not verify."),
    TimestampFailed: (503, "timestamp-unavailable", "Try again later."),
    JobTimeout: (422, "signature-timeout", "The PDF took too long to check."),
    SignatureError: (422, "signature-refused", "The PDF cannot be signed as it is."),
    JobOutOfMemory: (422, "signature-too-large", "The PDF needs too much memory to check."),
}


def pades_problem(error: JobError) -> ProblemError:
    for cls in type(error).__mro__:
        if cls in _PADES_PROBLEMS:
            status, slug, advice = _PADES_PROBLEMS[cls]
            return problem(status, slug, f"{error} {advice}")
    logger.warning("signature worker failure: %s: %s", type(error).__name__, error)
    return problem(422, "processing-failed", f"The signature could not be processed: {error}")


def ref(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "sha256": document.sha256,
        "download_url": f"{API_PREFIX}/documents/{document.id}/pdf",
    }


# Reading -------------------------------------------------------------------------------------


def get_signature(
    session: Session, signature_id: int, actor: Principal, *, for_update: bool = False
) -> Signature:
    """The signature, if it exists and the actor may see its agreement; 404 otherwise."""
    signature = repository.get(session, signature_id, for_update=for_update)
    if signature is None or not agreements_repository.sees(session, actor, signature.agreement_id):
        raise NotFound(f"Signature {signature_id} does not exist.")
    return signature


def sign_over(session: Session, agreement: Agreement) -> Document | None:
    """The PDF the next PAdES signature extends: the document to sign with every PAdES
    signature given in this round so far (the last one given carries all the earlier ones)."""
    if agreement.signing_document_id is None:
        return None
    # Signatures are given one at a time under the agreement's lock, each PDF kept as a new
    # document: the newest PDF is the one with the highest id (times can tie, ids cannot).
    carried = [
        s.evidence_document_id
        for s in repository.for_agreement(session, agreement.id)
        if s.status is SignatureStatus.SIGNED
        and s.method is SignatureMethod.PADES
        and s.evidence_document_id is not None
    ]
    document_id = max(carried, default=agreement.signing_document_id)
    return documents_repository.get(session, document_id) if document_id else None


def turn_problem(signature: Signature, signatures: list[Signature]) -> str | None:
    """Why ``signature`` cannot be given now for ordering reasons, or None."""
    waiting = [
        s.representative.full_name
        for s in signatures
        if s.order < signature.order and s.status is not SignatureStatus.SIGNED
    ]
    if waiting:
        return f"it is not this signature's turn: waiting for {', '.join(waiting)} to sign first"
    return None


# Requests ------------------------------------------------------------------------------------


def request(
    *, session: Session, agreement: Agreement, data: SignatureCreate, actor: Principal
) -> Signature:
    """Ask a signatory of the agreement to sign it, in a given order."""
    _require_prepared(agreement)
    signers = {
        s.representative_id: s.representative
        for link in agreement.parties
        for s in link.signatories
    }
    representative = signers.get(data.representative_id)
    if representative is None:
        raise Unprocessable.field(
            "body.representative_id", "not a signatory of any party of this agreement"
        )
    if any(s.representative_id == data.representative_id for s in _all(session, agreement)):
        raise Conflict(f"{representative.full_name} already has a signature request here.")
    signature = Signature(
        agreement_id=agreement.id,
        representative_id=representative.id,
        order=data.order,
        status=SignatureStatus.PENDING,
        created_by=actor.as_actor(),
    )
    signature.representative = representative
    session.add(signature)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="signature.requested",
        entity=("signature", signature.id),
        agreement_id=agreement.id,
        changes={"representative_id": [None, representative.id], "order": [None, data.order]},
    )
    return signature


def withdraw(
    *, session: Session, agreement: Agreement, signature: Signature, actor: Principal
) -> None:
    """Remove a request while the agreement is still prepared."""
    _require_prepared(agreement)
    session.delete(signature)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="signature.withdrawn",
        entity=("signature", signature.id),
        agreement_id=agreement.id,
        changes={
            "representative_id": [signature.representative_id, None],
            "order": [signature.order, None],
        },
    )


def _require_prepared(agreement: Agreement) -> None:
    if not lifecycle.is_editable(agreement.status):
        raise Conflict(
            f"Agreement {agreement.folio} is {agreement.status.value}: its signature requests "
            "change only while it is prepared (draft, in_review, approved)."
        )


def _all(session: Session, agreement: Agreement) -> list[Signature]:
    return list(repository.for_agreement(session, agreement.id))


# Signing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signing:
    """One attempt to sign or decline: the request, its agreement, and everything needed to
    act on them, checked by `begin`."""

    session: Session
    agreement: Agreement
    signature: Signature
    actor: Principal
    settings: Settings
    storage: Storage
    today: date


def begin(
    *,
    session: Session,
    signature_id: int,
    actor: Principal,
    settings: Settings,
    storage: Storage,
    today: date,
    lock: bool = True,
) -> Signing:
    """The request, ready to be signed or declined by ``actor``, or the 4xx that says why not.

    With ``lock`` the agreement's row is locked first: signatures of one agreement are
    recorded one at a time, so PAdES signatures given in parallel still extend one another.
    Without it (the read before the work of a signature), nothing waits for the caller."""
    signature = get_signature(session, signature_id, actor)
    if signature.representative_id != actor.representative_id:
        raise Forbidden("This signature request belongs to another representative.")
    agreement = agreements.get_agreement(session, signature.agreement_id, actor, for_update=lock)
    # Read again under the agreement's lock: another request may have just signed it.
    signature = repository.get(session, signature_id, for_update=lock) or signature
    if agreement.status is not AgreementStatus.IN_SIGNATURE:
        raise Conflict(
            f"Agreement {agreement.folio} is {agreement.status.value}, not in_signature: "
            "there is nothing to sign now."
        )
    if signature.status is not SignatureStatus.PENDING:
        name = signature.representative.full_name
        raise Conflict(
            f"{name} already {signature.status.value} in this signing round: each "
            "representative signs or declines once."
        )
    problem_ = turn_problem(signature, _all(session, agreement))
    if problem_ is not None:
        raise problem(409, "out-of-turn", f"Not yet: {problem_}.")
    return Signing(session, agreement, signature, actor, settings, storage, today)


def _document(signing: Signing) -> Document:
    document_id = signing.signature.document_id or signing.agreement.signing_document_id
    document = documents_repository.get(signing.session, document_id) if document_id else None
    assert document is not None  # fixed on entering in_signature, never deleted
    documents.check_ready(document)  # it was ready on entering in_signature: never 409
    return document


def _signed_sha256(signing: Signing) -> str:
    """The SHA-256 of the document to sign."""
    return documents.check_ready(_document(signing))


def _round(signing: Signing) -> tuple[Any, ...]:
    """What the signing round looks like: the document signed and every request's state. A
    signature given by someone else in the meantime changes it."""
    return (
        signing.agreement.status,
        signing.agreement.signing_document_id,
        tuple(
            (s.id, s.status, s.evidence_document_id)
            for s in sorted(_all(signing.session, signing.agreement), key=lambda s: s.id)
        ),
    )


@dataclass(frozen=True)
class PreparedFile:
    data: bytes
    pages: int


@dataclass(frozen=True)
class Prepared:
    """What a way of signing worked out with no transaction open: the files it brings (kept
    as documents when it is recorded), and what they are."""

    files: tuple[PreparedFile, ...] = ()
    facts: PdfFacts | None = None
    report: SignatureReport | None = None


class Way(Protocol):
    """A way of signing: `prepare` does the work (parsing, validating, signing) on a read of
    the request, outside any transaction; `record` writes the signature in the short
    transaction that follows, the request read again under the agreement's lock."""

    @property
    def method(self) -> SignatureMethod: ...

    def prepare(self, signing: Signing) -> Prepared: ...

    def record(
        self, signing: Signing, prepared: Prepared, files: list[Staged], stage: Staging
    ) -> Signature: ...


@dataclass(frozen=True)
class Electronic:
    """An explicit acceptance of exactly the document to sign, named by its SHA-256."""

    document_sha256: str
    method: SignatureMethod = SignatureMethod.ELECTRONIC

    def prepare(self, signing: Signing) -> Prepared:
        document = _document(signing)
        if self.document_sha256.lower() != documents.check_ready(document):
            raise Unprocessable.field(
                "body.document_sha256",
                f"is not the SHA-256 of the document to sign ({document.sha256}); download it "
                f"from {API_PREFIX}/documents/{document.id}/pdf and read it before signing",
            )
        return Prepared()

    def record(
        self, signing: Signing, prepared: Prepared, files: list[Staged], stage: Staging
    ) -> Signature:
        return _signed(signing, self.method, signed_sha256=_signed_sha256(signing), evidence=None)


@dataclass(frozen=True)
class Autografa:
    """The scan of the printed convenio signed by hand, kept as evidence of the signature."""

    scan: bytes = field(repr=False)
    filename: str | None
    inspect: Runner
    method: SignatureMethod = SignatureMethod.AUTOGRAFA

    def prepare(self, signing: Signing) -> Prepared:
        facts = documents.check_pdf(self.scan, settings=signing.settings, inspect=self.inspect)
        return Prepared(files=(PreparedFile(self.scan, facts.pages),), facts=facts)

    def record(
        self, signing: Signing, prepared: Prepared, files: list[Staged], stage: Staging
    ) -> Signature:
        assert prepared.facts is not None
        name = signing.signature.representative.full_name
        evidence, _ = documents.record_upload(
            signing.session,
            signing.agreement.id,
            documents.Upload(
                data=self.scan,
                kind=DocumentKind.SIGNED_COPY,
                title=f"Firma autógrafa de {name}, convenio {signing.agreement.folio}",
                filename=self.filename,
            ),
            prepared.facts,
            files[0],
            stage=stage,
            actor=signing.actor,
        )
        return _signed(
            signing, self.method, signed_sha256=_signed_sha256(signing), evidence=evidence
        )


@dataclass(frozen=True)
class PadesUpload:
    """A PAdES signature made on the signer's own machine over the PDF to extend
    (`sign_over`): it must add exactly one signature, by this representative, and nothing
    else."""

    signed_pdf: bytes = field(repr=False)
    trust: TrustStore
    inspect: Runner
    crypto: Runner
    method: SignatureMethod = SignatureMethod.PADES

    def prepare(self, signing: Signing) -> Prepared:
        base = pades_base(signing, self.trust)
        facts = documents.check_pdf(
            self.signed_pdf, settings=signing.settings, inspect=self.inspect
        )
        base_bytes = documents.content(signing.storage, base)
        if not self.signed_pdf.startswith(base_bytes):
            _refuse_stale(signing, self.signed_pdf, self.trust, self.crypto)
        try:
            report: SignatureReport = self.crypto(
                AcceptJob(base=base_bytes, signed=self.signed_pdf, trust=self.trust, at=clock.now())
            )
        except JobError as error:
            raise pades_problem(error) from None
        certificate_matches(signing.signature.representative, report.signer)
        return Prepared(files=(PreparedFile(self.signed_pdf, facts.pages),), report=report)

    def record(
        self, signing: Signing, prepared: Prepared, files: list[Staged], stage: Staging
    ) -> Signature:
        return _keep_pades(signing, prepared, files[0], stage)


@dataclass(frozen=True)
class PadesCredentials:
    """A PAdES signature the service makes for the signer with credentials sent for this one
    request: they go to a worker process in memory and nothing of them is kept or logged."""

    credentials: Credentials
    trust: TrustStore
    crypto: Runner
    method: SignatureMethod = SignatureMethod.PADES

    def prepare(self, signing: Signing) -> Prepared:
        base = pades_base(signing, self.trust)
        job = SignJob(
            pdf=documents.content(signing.storage, base),
            credentials=self.credentials,
            trust=self.trust,
            at=clock.now(),
            field_name=f"Firma{signing.signature.id}",
            reason=f"Firma del convenio {signing.agreement.folio}",
            tsa_url=signing.settings.tsa_url,
            timeout=signing.settings.signature_timeout_seconds,
        )
        try:
            signed: SignedPdf = self.crypto(job)
        except JobError as error:
            raise pades_problem(error) from None
        certificate_matches(signing.signature.representative, signed.report.signer)
        assert base.pages is not None  # documents.content() refused one without its file
        return Prepared(files=(PreparedFile(signed.pdf, base.pages),), report=signed.report)

    def record(
        self, signing: Signing, prepared: Prepared, files: list[Staged], stage: Staging
    ) -> Signature:
        return _keep_pades(signing, prepared, files[0], stage)


T = TypeVar("T")
# Signatures that arrive at the same moment as this one make its work stale (it was done over
# another state of the round); it is done again this many times before the caller is told.
_ATTEMPTS = 3


def sign(
    *,
    session: Session,
    writes: Writes,
    signature_id: int,
    actor: Principal,
    way: Way,
    settings: Settings,
    storage: Storage,
    inspect: Runner,
    today: date,
    respond: Callable[[Session, Signature], T],
    render: Runner | None = None,
) -> T:
    """Give the signature ``way``: checked and worked out on a read, with no transaction open
    during the work, then recorded in a short transaction in which the request and its round
    are read again under the agreement's lock. If another signature changed the round in the
    meantime, the work is done again over the new round. ``respond`` builds the answer inside
    that transaction.

    The signature that completes the round is followed, once committed, by the constancia de
    firmas (rendered with ``render``, by default the render pool's)."""
    for _ in range(_ATTEMPTS):
        session.expire_all()
        read = begin(
            session=session,
            signature_id=signature_id,
            actor=actor,
            settings=settings,
            storage=storage,
            today=today,
            lock=False,
        )
        check_method(read, way.method)
        seen = _round(read)
        prepared = way.prepare(read)
        bundle = _bundle_if_completing(read, way, prepared, inspect)
        end_reading(session)  # the next attempt, if any, reads afresh
        with staging(writes.sessions, storage) as stage:
            files = [stage.put(file.data) for file in prepared.files]
            bundled = stage.put(bundle.data) if bundle is not None else None
            with writes() as recording:
                signing = begin(
                    session=recording,
                    signature_id=signature_id,
                    actor=actor,
                    settings=settings,
                    storage=storage,
                    today=today,
                )
                if _round(signing) == seen:
                    signature = way.record(signing, prepared, files, stage)
                    completed = _complete_if_done(signing, stage, bundled, bundle)
                    answer = respond(recording, signature)
                    break
    else:
        raise Conflict(
            "Other signatures of this convenio kept arriving at the same moment; try again."
        )
    if completed:
        issue_constancia(
            session=session,
            writes=writes,
            agreement_id=signing.agreement.id,
            actor=actor,
            settings=settings,
            storage=storage,
            render=render,
        )
    return answer


def issue_constancia(
    *,
    session: Session,
    writes: Writes,
    agreement_id: int,
    actor: Principal,
    settings: Settings,
    storage: Storage,
    render: Runner | None = None,
) -> None:
    """Issue the constancia de firmas of an agreement whose last signature has just committed.
    Called after that commit, never inside it; its failure is logged and never fails the
    signature, which stands (the sweep issues the constancias missing)."""
    try:
        constancia.ensure(
            session=session,
            writes=writes,
            agreement_id=agreement_id,
            actor=actor,
            settings=settings,
            storage=storage,
            render=render or runners.render_runner(),
        )
    except Exception:
        logger.exception(
            "constancia de firmas of agreement %s not issued; the sweep will issue it",
            agreement_id,
        )


# The ways of signing that fit how the convenio says it is signed (its closing line).
_METHODS = {
    SigningMethod.AUTOGRAFA: frozenset({SignatureMethod.AUTOGRAFA}),
    SigningMethod.ELECTRONICA: frozenset({SignatureMethod.ELECTRONIC, SignatureMethod.PADES}),
    SigningMethod.MIXTA: frozenset(SignatureMethod),
}


def check_method(signing: Signing, method: SignatureMethod) -> None:
    """A 409 when this way of signing contradicts the document being signed: a convenio whose
    closing line says it is signed on paper, al margen y al calce, gets the scan of the signed
    copy; one signed electronically, an electronic acceptance or an e.firma. A convenio that
    states its day of signing is signed on that day (its scans may arrive later)."""
    agreement = signing.agreement
    if method not in _METHODS[agreement.signing_method]:
        paper = agreement.signing_method is SigningMethod.AUTOGRAFA
        advice = (
            f"upload the scan of the copy signed by hand (POST {API_PREFIX}/signatures/"
            f"{signing.signature.id}/sign/autografa)"
            if paper
            else "accept it electronically or sign it with your e.firma"
        )
        how = "on paper" if paper else "electronically"
        raise problem(
            409,
            "signing-method",
            f"Convenio {agreement.folio} states that it is signed {how}: {advice}.",
        )
    stated = agreement.signing_date
    if stated is not None and signing.today < stated:
        raise problem(
            409,
            "signing-date",
            f"Convenio {agreement.folio} states that it is signed on {stated.isoformat()}: not "
            "before that day.",
        )


def _refuse_stale(signing: Signing, signed_pdf: bytes, trust: TrustStore, crypto: Runner) -> None:
    """A signed PDF that does not extend `sign_over`: first whether what it carries is intact
    (an altered file is a 422, whatever it extends), then whether it extends an earlier
    revision of this round — another party signed since it was downloaded (409)."""
    try:
        reports: tuple[SignatureReport, ...] = crypto(VerifyJob(signed_pdf, trust, clock.now()))
    except JobError as error:
        raise pades_problem(error) from None
    broken = [r.field for r in reports if not (r.intact and r.valid)]
    if broken:
        raise problem(
            422,
            "signature-invalid",
            f"The file was altered after it was signed: the signature {', '.join(broken)} no "
            "longer matches its bytes. Sign the document as downloaded, changing nothing.",
        )
    earlier = [_document(signing)] + [
        document
        for s in _all(signing.session, signing.agreement)
        if s.method is SignatureMethod.PADES and s.evidence_document_id is not None
        for document in [documents_repository.get(signing.session, s.evidence_document_id)]
        if document is not None
    ]
    if any(signed_pdf.startswith(documents.content(signing.storage, d)) for d in earlier):
        raise problem(
            409,
            "sign-over-changed",
            "Another party signed since this PDF was downloaded: download `sign_over` again, "
            "sign it, and upload the result.",
        )


def pades_base(signing: Signing, trust: TrustStore) -> Document:
    """The PDF a PAdES signature extends now (`sign_over`); 409 while the service trusts no
    root, since no signature could then be checked."""
    if not trust.roots:
        raise problem(
            409,
            "pades-unavailable",
            "PAdES signatures need trust roots, and the service has none: the operator must "
            "set CONVENIOS_TRUST_ROOTS. Sign electronically or with a scan meanwhile.",
        )
    base = sign_over(signing.session, signing.agreement)
    assert base is not None  # fixed on entering in_signature
    return base


def certificate_matches(representative: Representative, signer: Identity) -> None:
    """The certificate must be the representative's own: its RFC among the certificate's (an
    entity's certificate names the entity's RFC and then its legal representative's)."""
    if representative.rfc is None:
        raise problem(
            422,
            "representative-without-rfc",
            f"{representative.full_name} has no RFC on record, so a certificate cannot be "
            "matched to them; legal staff must add it to the representative first.",
        )
    if representative.rfc.upper() not in signer.rfcs:
        raise problem(
            422,
            "certificate-rfc-mismatch",
            f"The certificate belongs to RFC {' / '.join(signer.rfcs) or '(none)'}, not to "
            f"{representative.full_name} ({representative.rfc}).",
        )
    if representative.curp and signer.curp and representative.curp.upper() != signer.curp:
        raise problem(
            422,
            "certificate-curp-mismatch",
            f"The certificate belongs to CURP {signer.curp}, not to {representative.full_name}.",
        )


def _keep_pades(signing: Signing, prepared: Prepared, file: Staged, stage: Staging) -> Signature:
    assert prepared.report is not None
    certificate_matches(signing.signature.representative, prepared.report.signer)  # read afresh
    agreement = signing.agreement
    count = 1 + sum(
        s.status is SignatureStatus.SIGNED and s.method is SignatureMethod.PADES
        for s in _all(signing.session, agreement)
    )
    evidence = documents_repository.by_content(
        signing.session, agreement.id, file.sha256
    ) or documents.record(
        signing.session,
        stage,
        file,
        agreement,
        Document(
            kind=DocumentKind.SIGNED_COPY,
            origin=DocumentOrigin.SIGNED,
            pages=prepared.files[0].pages,
            title=f"Convenio {agreement.folio} con "
            + (
                "una firma electrónica avanzada"
                if count == 1
                else f"{count} firmas electrónicas avanzadas"
            ),
        ),
        actor=signing.actor,
        action="document.signed",
        changes={"signatures": [count - 1, count]},
    )
    signer = prepared.report.signer
    certificate = {
        "name": signer.name,
        "rfcs": list(signer.rfcs),
        "curp": signer.curp,
        "serial": signer.serial,
        "sat_serial": signer.sat_serial,
        "issuer": signer.issuer,
        "not_before": signer.not_before.isoformat(),
        "not_after": signer.not_after.isoformat(),
    }
    # What was signed is the document to sign: the signature covers its bytes (they open the
    # file) and the signature's own revision; the file that carries it is the evidence.
    return _signed(
        signing,
        SignatureMethod.PADES,
        signed_sha256=_signed_sha256(signing),
        evidence=evidence,
        certificate=certificate,
    )


def _decided(signature: Signature, actor: Principal) -> None:
    """When, and from where, the representative signed or declined."""
    signature.decided_at = clock.now()
    signature.ip = actor.context.get("ip")
    signature.user_agent = (actor.context.get("user_agent") or "")[:500] or None


def _signed(
    signing: Signing,
    method: SignatureMethod,
    *,
    signed_sha256: str,
    evidence: Document | None,
    certificate: dict[str, Any] | None = None,
) -> Signature:
    signature = signing.signature
    signature.status = SignatureStatus.SIGNED
    signature.method = method
    signature.signed_sha256 = signed_sha256
    signature.evidence_document_id = evidence.id if evidence else None
    signature.certificate = certificate
    _decided(signature, signing.actor)
    signing.session.flush()
    audit.record(
        signing.session,
        actor=signing.actor,
        action="signature.signed",
        entity=("signature", signature.id),
        agreement_id=signing.agreement.id,
        changes={
            "status": [SignatureStatus.PENDING.value, SignatureStatus.SIGNED.value],
            "method": [None, method.value],
            "signed_sha256": [None, signed_sha256],
            "evidence_document_id": [None, signature.evidence_document_id],
            **({"certificate": [None, certificate]} if certificate else {}),
        },
    )
    emit(
        signing.session,
        EventType.SIGNATURE_SIGNED,
        agreement_id=signing.agreement.id,
        payload={
            "signature_id": signature.id,
            "folio": signing.agreement.folio,
            "representative": signature.representative.full_name,
            "method": method.value,
            "signed_sha256": signed_sha256,
        },
    )
    return signature


def decline(signing: Signing, *, reason: str) -> Signature:
    """The representative will not sign: the agreement goes back to review, with the reason."""
    signature = signing.signature
    signature.status = SignatureStatus.DECLINED
    signature.reason = reason
    _decided(signature, signing.actor)
    signing.session.flush()
    audit.record(
        signing.session,
        actor=signing.actor,
        action="signature.declined",
        entity=("signature", signature.id),
        agreement_id=signing.agreement.id,
        changes={
            "status": [SignatureStatus.PENDING.value, SignatureStatus.DECLINED.value],
            "reason": [None, reason],
        },
    )
    name = signature.representative.full_name
    agreements.transition(
        session=signing.session,
        agreement=signing.agreement,
        request=TransitionRequest(
            to=AgreementStatus.IN_REVIEW, reason=f"{name} declined to sign: {reason}"
        ),
        actor=signing.actor,
        today=signing.today,
    )
    return signature


# Completion ----------------------------------------------------------------------------------


def _scans(session: Session, signatures: list[Signature]) -> list[Document]:
    """The scans of the hand-signed copies given in this round, in signing order."""
    scans: list[Document] = []
    for s in signatures:
        if s.method is SignatureMethod.AUTOGRAFA and s.evidence_document_id is not None:
            scan = documents_repository.get(session, s.evidence_document_id)
            if scan is not None and scan not in scans:
                scans.append(scan)
    return scans


def _bundle_if_completing(
    signing: Signing, way: Way, prepared: Prepared, inspect: Runner
) -> PreparedFile | None:
    """When this signature completes the round with hand-signed scans only — two or more of
    them — the PDF that bundles them, which will be the signed convenio (made now, with no
    transaction open)."""
    others = [s for s in _all(signing.session, signing.agreement) if s.id != signing.signature.id]
    if any(s.status is not SignatureStatus.SIGNED for s in others):
        return None
    if way.method is SignatureMethod.PADES or any(
        s.method is SignatureMethod.PADES for s in others
    ):
        return None
    parts = [documents.content(signing.storage, scan) for scan in _scans(signing.session, others)]
    if way.method is SignatureMethod.AUTOGRAFA:
        parts.append(prepared.files[0].data)
    if len(parts) < 2:
        return None
    # The parts were all parsed within limits when they were uploaded; bundled in a worker.
    bundled: BundledPdf = inspect(BundleJob(tuple(parts)))
    return PreparedFile(bundled.pdf, bundled.pages)


def _complete_if_done(
    signing: Signing, stage: Staging, bundled: Staged | None, bundle: PreparedFile | None
) -> bool:
    """Whether every signature is given: then the agreement is signed, and active."""
    signatures = _all(signing.session, signing.agreement)
    if any(s.status is not SignatureStatus.SIGNED for s in signatures):
        return False
    agreement = signing.agreement
    agreement.signed_document_id = _signed_document(signing, signatures, stage, bundled, bundle).id
    agreements.transition(
        session=signing.session,
        agreement=agreement,
        # The day the convenio says it was signed, when it says one; else today's.
        request=TransitionRequest(
            to=AgreementStatus.ACTIVE, signed_on=agreement.signing_date or signing.today
        ),
        actor=signing.actor,
        today=signing.today,
    )
    return True


def _signed_document(
    signing: Signing,
    signatures: list[Signature],
    stage: Staging,
    bundled: Staged | None,
    bundle: PreparedFile | None,
) -> Document:
    """What the signed convenio is: the PDF with every PAdES signature, else the scans of the
    hand-signed copies (bundled into one PDF when there are several), else — when every
    signature was an electronic acceptance — the document signed itself."""
    session = signing.session
    if any(s.method is SignatureMethod.PADES for s in signatures):
        latest = sign_over(session, signing.agreement)
        assert latest is not None
        return latest
    scans = _scans(session, signatures)
    if len(scans) == 1:
        return scans[0]
    if not scans:
        return _document(signing)
    # Prepared before the transaction, for exactly this round (`sign` checked it is unchanged).
    assert bundled is not None and bundle is not None
    agreement = signing.agreement
    existing = documents_repository.by_content(session, agreement.id, bundled.sha256)
    return existing or documents.record(
        session,
        stage,
        bundled,
        agreement,
        Document(
            kind=DocumentKind.SIGNED_COPY,
            origin=DocumentOrigin.SIGNED,
            pages=bundle.pages,
            title=f"Convenio {agreement.folio} firmado: copias con firma autógrafa",
        ),
        actor=signing.actor,
        action="document.signed",
        changes={"scans": [None, [scan.id for scan in scans]]},
    )
