"""The work of the PAdES jobs (`app.signatures.pades`), with pyHanko: signing, preparing and
completing a signature made on the signer's device, validating, and accepting.

Validation is pyHanko's (its async API: a job has no running event loop, so each job runs its
own with `asyncio.run`). Machines are offline: no CRL, OCSP or AIA fetching, revocation checks
soft-fail. The only network call is to the configured timestamp authority, when signing.

Only the workers import this module (they preload it); the API process builds the jobs and
never loads pyHanko, pyhanko-certvalidator or cryptography for them.
"""

import asyncio
import dataclasses
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from asn1crypto import (  # type: ignore[import-untyped,unused-ignore]
    cms,
    keys,
    pem,
    pkcs12,
    x509,
)
from cryptography import x509 as pyca_x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12 as pyca_pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    DiffResult,
    ModificationLevel,
    SuspiciousModification,
)
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.signatures.pades import (
    AcceptJob,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateUntrusted,
    CompleteJob,
    Credentials,
    CredentialsUnreadable,
    DocumentChanged,
    FieldInUse,
    KeyMismatch,
    NotIncremental,
    NotOneNewSignature,
    PrepareJob,
    SignatureError,
    SignatureInvalid,
    SignatureReport,
    SignaturesUnreadable,
    SignedPdf,
    SignJob,
    TimestampFailed,
    ToSign,
    TrustStore,
    VerifyJob,
    WrongPassword,
)
from app.signatures.sat import Identity, identity_of

# Either usage lets a certificate sign: SAT e.firma certificates carry both, and some CAs set
# only digitalSignature on signing certificates.
KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"})
# What may follow a signature for it to still cover the document: other signatures (form
# filling of their fields) and metadata (pyHanko files /Info and XMP updates under LTA_UPDATES).
_HARMLESS = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)


# --- The jobs --------------------------------------------------------------------------------


def sign(job: SignJob) -> SignedPdf:
    """`SignJob`'s work."""
    _require_aware(job.at)
    return asyncio.run(_sign(job))


def prepare(job: PrepareJob) -> ToSign:
    """`PrepareJob`'s work."""
    _require_aware(job.at)
    return asyncio.run(_prepare(job))


def complete(job: CompleteJob) -> bytes:
    """`CompleteJob`'s work."""
    return asyncio.run(_complete(job))


def verify(job: VerifyJob) -> tuple[SignatureReport, ...]:
    """`VerifyJob`'s work."""
    if job.at is not None:
        _require_aware(job.at)
    return asyncio.run(_validate(job.pdf, job.trust, job.at))


def accept(job: AcceptJob) -> SignatureReport:
    """`AcceptJob`'s work."""
    _require_aware(job.at)
    return asyncio.run(_accept(job))


# --- Signing with the credentials sent -------------------------------------------------------


async def _sign(job: SignJob) -> SignedPdf:
    signer = _load_credentials(job.credentials)
    chain = await _check_signer(signer.certificate, signer.extra, job.trust, job.at)
    signed = await _sign_pdf(job, signer, chain)
    report = next(
        r for r in await _validate(signed, job.trust, job.at) if r.field == job.field_name
    )
    if not (report.intact and report.valid and report.covers_document and report.trusted):
        # pyHanko produced it moments ago: this is a bug, not the client's doing.
        raise RuntimeError(f"the new signature does not validate: {report.trust_problem}")
    if job.tsa_url is not None and not report.timestamp_trusted:
        raise TimestampFailed(
            "The timestamp authority's answer does not validate against the trusted "
            "certificates; check its URL and that its root is trusted."
        )
    return SignedPdf(pdf=signed, report=report)


async def _sign_pdf(job: SignJob, signer: "_Signer", chain: Sequence[x509.Certificate]) -> bytes:
    writer = _writer(job.pdf, job.field_name)
    pdf_signer = _pdf_signer(
        job,
        signers.SimpleSigner(
            signing_cert=signer.certificate,
            signing_key=signer.key,
            # The intermediates of the validated path; the root is the validator's business.
            cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
            embed_roots=False,
        ),
    )
    try:
        signed = await _sign_at(pdf_signer, writer, job.at)
    except SigningError as error:  # e.g. a certification signature that forbids changes
        raise SignatureError(f"The PDF cannot be signed: {error.msg}") from error
    if not signed.startswith(job.pdf):
        raise RuntimeError("pyHanko rewrote the file instead of appending to it")
    return signed


class _Placement(Protocol):
    """Where and why a signature goes: what `_pdf_signer` reads of a job."""

    @property
    def field_name(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def location(self) -> str | None: ...
    @property
    def tsa_url(self) -> str | None: ...
    @property
    def timeout(self) -> float: ...


def _writer(pdf: bytes, field_name: str) -> IncrementalPdfFileWriter:
    """A writer that appends to ``pdf``, whose field ``field_name`` must not be signed yet."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        filled = list(
            fields.enumerate_sig_fields(writer.prev, filled_status=True, with_name=field_name)
        )
    except Exception as error:  # hostile input: whatever pyHanko raises means "unreadable"
        raise SignaturesUnreadable("The PDF cannot be read for signing.") from error
    if filled:
        raise FieldInUse(f"The PDF already has a signature in field {field_name!r}.")
    return writer


def _pdf_signer(job: _Placement, signer: signers.Signer) -> signers.PdfSigner:
    return signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=job.field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=job.reason,
            location=job.location,
        ),
        signer,
        timestamper=_Timestamper(job.tsa_url, job.timeout) if job.tsa_url else None,
        # No box: an invisible field (the convenio's pages show the signatories already).
        new_field_spec=fields.SigFieldSpec(sig_field_name=job.field_name),
    )


# --- Signing on the signer's device ----------------------------------------------------------
# The private key never leaves the signer's device: the service prepares the signature over the
# exact PDF (its byte ranges digested, the CMS signed attributes built), hands over only those
# attributes to be signed, and completes the PDF with the signature value that comes back.


async def _prepare(job: PrepareJob) -> ToSign:
    der = serialization.Encoding.DER
    certificate = _asn1_certificate(_read_certificate(job.certificate).public_bytes(der))
    if certificate.public_key.algorithm != "rsa":
        raise CredentialsUnreadable("Only RSA certificates (as the SAT's e.firma) are taken.")
    chain = await _check_signer(certificate, (), job.trust, job.at)
    external = signers.ExternalSigner(
        signing_cert=certificate,
        cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
        # A placeholder of the signature's size, for the space reserved in the PDF.
        signature_value=certificate.public_key.byte_size,
        embed_roots=False,
    )
    writer = _writer(job.pdf, job.field_name)
    session = _pdf_signer(job, external).init_signing_session(writer)
    session.system_time = job.at
    try:
        validation_info = await session.perform_presign_validation(writer)
        reserved = await session.estimate_signature_container_size(validation_info)
        tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=reserved)
    except SigningError as error:
        raise SignatureError(f"The PDF cannot be signed: {error.msg}") from error
    output = io.BytesIO()
    digest, _ = tbs.digest_tbs_document(output=output)
    attributes = await external.signed_attrs(
        digest.document_digest,
        "sha256",
        attr_settings=PdfCMSSignedAttributes(signing_time=job.at),
        use_pades=True,
    )
    return ToSign(
        prepared_pdf=bytes(output.getvalue()),
        reserved_start=digest.reserved_region_start,
        reserved_end=digest.reserved_region_end,
        document_digest=digest.document_digest,
        signed_attributes=attributes.dump(),
        certificate=certificate.dump(),
        chain=tuple(c.dump() for c in chain),
        signer=identity_of(certificate),
    )


async def _complete(job: CompleteJob) -> bytes:
    prepared = job.prepared
    certificate = x509.Certificate.load(prepared.certificate)
    if len(job.signature_value) != certificate.public_key.byte_size:
        raise SignatureInvalid("The signature is not the size of the certificate's key.")
    external = signers.ExternalSigner(
        signing_cert=certificate,
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [x509.Certificate.load(der) for der in prepared.chain]
        ),
        signature_value=job.signature_value,
        embed_roots=False,
    )
    signature = await external.async_sign_prescribed_attributes(
        "sha256",
        cms.CMSAttributes.load(prepared.signed_attributes),
        timestamper=_Timestamper(job.tsa_url, job.timeout) if job.tsa_url else None,
    )
    output = io.BytesIO(prepared.prepared_pdf)
    try:
        await PdfTBSDocument.async_finish_signing(
            output,
            PreparedByteRangeDigest(
                document_digest=prepared.document_digest,
                reserved_region_start=prepared.reserved_start,
                reserved_region_end=prepared.reserved_end,
            ),
            signature,
        )
    except SigningError as error:  # e.g. a timestamp larger than the place reserved
        raise SignatureError(f"The signature cannot be completed: {error.msg}") from error
    return bytes(output.getvalue())


# --- Credentials -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Signer:
    certificate: x509.Certificate
    key: keys.PrivateKeyInfo
    # Certificates that came with the credentials (a PKCS#12's chain), to complete the path.
    extra: tuple[x509.Certificate, ...] = ()


def _load_credentials(credentials: Credentials) -> _Signer:
    """The key pair in ``credentials``, or the error that tells the signatory what to fix."""
    password = credentials.password.encode()
    if credentials.pkcs12 is not None:
        key, certificate, extra = _read_pkcs12(credentials.pkcs12, password)
    elif credentials.certificate is not None and credentials.private_key is not None:
        certificate = _read_certificate(credentials.certificate)
        key = _read_private_key(credentials.private_key, password)
        extra = []
    else:
        raise CredentialsUnreadable(
            "Send the certificate (.cer) with its private key (.key), or a PKCS#12 file."
        )
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    try:
        certified = certificate.public_key().public_bytes(serialization.Encoding.DER, spki)
    except (ValueError, UnsupportedAlgorithm):
        raise CredentialsUnreadable("The certificate's public key type is not supported.") from None
    if key.public_key().public_bytes(serialization.Encoding.DER, spki) != certified:
        raise KeyMismatch("The private key (.key) does not belong to the certificate (.cer).")
    der = serialization.Encoding.DER
    return _Signer(
        certificate=_asn1_certificate(certificate.public_bytes(der)),
        key=keys.PrivateKeyInfo.load(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        extra=tuple(_asn1_certificate(c.public_bytes(der)) for c in extra),
    )


def _read_certificate(data: bytes) -> pyca_x509.Certificate:
    try:
        if pem.detect(data):
            return pyca_x509.load_pem_x509_certificate(data)
        return pyca_x509.load_der_x509_certificate(data)
    except ValueError:
        raise CredentialsUnreadable("The certificate (.cer) is not an X.509 certificate.") from None


def _read_private_key(data: bytes, password: bytes) -> PrivateKeyTypes:
    """A private key from DER or PEM, encrypted (as the SAT's .key) or not."""
    is_pem = pem.detect(data)
    encrypted = _pem_encrypted(data) if is_pem else _der_encrypted(data)
    load = serialization.load_pem_private_key if is_pem else serialization.load_der_private_key
    try:
        return load(data, password=password if encrypted else None)
    except UnsupportedAlgorithm:
        raise CredentialsUnreadable(
            "The private key (.key) is encrypted with an unsupported algorithm."
        ) from None
    except (ValueError, TypeError):
        if encrypted:
            raise WrongPassword("The password does not open the private key (.key).") from None
        raise CredentialsUnreadable("The private key (.key) is not a private key.") from None


def _der_encrypted(data: bytes) -> bool:
    """Whether ``data`` is shaped as an EncryptedPrivateKeyInfo (PKCS#8), whatever its key."""
    try:
        info = keys.EncryptedPrivateKeyInfo.load(data, strict=True)
        info["encryption_algorithm"]["algorithm"].native  # noqa: B018 (force the parse)
        return isinstance(info["encrypted_data"].native, bytes)
    except (ValueError, TypeError, KeyError):
        return False


def _pem_encrypted(data: bytes) -> bool:
    return b"ENCRYPTED PRIVATE KEY" in data or b"Proc-Type: 4,ENCRYPTED" in data


def _read_pkcs12(
    data: bytes, password: bytes
) -> tuple[PrivateKeyTypes, pyca_x509.Certificate, list[pyca_x509.Certificate]]:
    try:
        key, certificate, extra = pyca_pkcs12.load_key_and_certificates(data, password or None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        if _is_pfx(data):
            raise WrongPassword("The password does not open the PKCS#12 file.") from None
        raise CredentialsUnreadable("The file is not a PKCS#12 (.p12/.pfx) file.") from None
    if key is None or certificate is None:
        raise CredentialsUnreadable("The PKCS#12 file must hold a private key and its certificate.")
    return key, certificate, list(extra)


def _is_pfx(data: bytes) -> bool:
    try:
        pfx = pkcs12.Pfx.load(data, strict=True)
        return bool(pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native)
    except (ValueError, TypeError, KeyError):
        return False


def _asn1_certificate(der: bytes) -> x509.Certificate:
    """asn1crypto's view of a certificate (pyHanko's), checked to parse now rather than later."""
    try:
        certificate = x509.Certificate.load(der)
        identity_of(certificate)
    except ValueError:
        raise CredentialsUnreadable("The certificate cannot be read.") from None
    return certificate


# --- Trust -----------------------------------------------------------------------------------


def _context(
    trust: TrustStore, moment: datetime | None, extra: Sequence[x509.Certificate] = ()
) -> ValidationContext:
    """A fresh validation context: pyHanko registers the certificates it meets into it."""
    return ValidationContext(
        trust_roots=[x509.Certificate.load(der) for der in trust.roots],
        other_certs=[*(x509.Certificate.load(der) for der in trust.intermediates), *extra],
        moment=moment,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def _check_dates(identity: Identity, at: datetime) -> None:
    if at > identity.not_after:
        raise CertificateExpired(
            f"The certificate expired on {identity.not_after:%Y-%m-%d}; renew the e.firma."
        )
    if at < identity.not_before:
        raise CertificateNotYetValid(
            f"The certificate is valid only from {identity.not_before:%Y-%m-%d %H:%M} UTC."
        )


async def _check_signer(
    certificate: x509.Certificate,
    extra: Sequence[x509.Certificate],
    trust: TrustStore,
    at: datetime,
) -> tuple[x509.Certificate, ...]:
    """Refuse a certificate that is out of its dates or untrusted at ``at``; return the
    intermediates of its validated path (to embed with the signature)."""
    _check_dates(identity_of(certificate), at)
    validator = CertificateValidator(
        certificate,
        intermediate_certs=list(extra),
        validation_context=_context(trust, at),
    )
    try:
        path = await validator.async_validate_path()
        KEY_USAGE.validate(certificate)
    except PathBuildingError:
        raise CertificateUntrusted(
            "The certificate was not issued by a trusted certification authority."
        ) from None
    except ValidationError as error:
        raise CertificateUntrusted(
            f"The certificate cannot be used to sign: {error.failure_msg}"
        ) from None
    leaf = certificate.dump()
    return tuple(c for c in path.iter_certs(include_root=False) if c.dump() != leaf)


# --- Signing ---------------------------------------------------------------------------------


class _Timestamper(HTTPTimeStamper):
    """pyHanko's HTTP timestamp client, every failure of which is a `TimestampFailed`.

    pyHanko raises its own error for network trouble and refusals, but lets a malformed answer
    surface as whatever asn1crypto raises. To the signatory they all mean the same."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(url, timeout=timeout)

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> Any:
        try:
            return await super().async_timestamp(message_digest, md_algorithm)
        except Exception as error:
            raise TimestampFailed(
                "The timestamp authority did not answer, or answered badly; try again later."
            ) from error


async def _sign_at(
    pdf_signer: signers.PdfSigner, writer: IncrementalPdfFileWriter, at: datetime
) -> bytes:
    """`PdfSigner.async_sign_pdf`, step by step, to date the signature ``at``.

    pyHanko takes the signing time from the system clock; the service passes its own, so that a
    job's result depends on its input only. In PAdES that time is the signature dictionary's
    /M (the CMS signingTime attribute is not allowed)."""
    session = pdf_signer.init_signing_session(writer)
    session.system_time = at
    validation_info = await session.perform_presign_validation(writer)
    reserved = await session.estimate_signature_container_size(validation_info)
    tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=reserved)
    output = io.BytesIO()
    digest, _ = tbs.digest_tbs_document(output=output)
    post_signing = await tbs.perform_signature(
        document_digest=digest.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=at),
    )
    await post_signing.post_signature_processing(output)
    return bytes(output.getvalue())


# --- Validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Draft:
    """A report before covers_document is known, with what deciding it needs."""

    report: SignatureReport
    docmdp_ok: bool
    changed_fields: frozenset[str] | None  # None: the diff analysis did not succeed


async def _validate(
    pdf: bytes, trust: TrustStore, at: datetime | None
) -> tuple[SignatureReport, ...]:
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        embedded = list(reader.embedded_regular_signatures)
        revisions = reader.xrefs.total_revisions
    except Exception as error:  # hostile input: whatever pyHanko raises means "unreadable"
        raise SignaturesUnreadable("The PDF or its signatures cannot be read.") from error
    drafts = [await _draft(signature, pdf, trust, at) for signature in embedded]
    return _decide_coverage(drafts, revisions)


async def _draft(
    signature: EmbeddedPdfSignature, pdf: bytes, trust: TrustStore, at: datetime | None
) -> _Draft:
    try:
        start, length = int(signature.byte_range[2]), int(signature.byte_range[3])
        common: dict[str, Any] = {
            "field": str(signature.field_name),
            "revision": int(signature.signed_revision),
            "signer": identity_of(signature.signer_cert),
            "timestamp": bool(_timestamp_tokens(signature)),
            "signed_sha256": hashlib.sha256(pdf[: start + length]).hexdigest(),
        }
    except Exception as error:  # hostile input, as above
        raise SignaturesUnreadable(
            f"The signature in field {signature.field_name!r} cannot be read."
        ) from error
    try:
        status = await _status(signature, trust, at)
    except Exception as error:  # a signature pyHanko cannot evaluate is reported, not raised
        message = getattr(error, "failure_message", None) or str(error) or type(error).__name__
        try:
            reported = signature.self_reported_timestamp
        except Exception:  # a malformed /M: no time, then
            reported = None
        report = SignatureReport(
            **common,
            signing_time=reported,
            time_source="signer" if reported else "none",
            intact=False,
            valid=False,
            covers_document=False,
            coverage=SignatureCoverageLevel.UNCLEAR.name.lower(),
            modification_level=None,
            certificate_valid_at_signing=False,
            trusted=False,
            trust_problem=f"The signature cannot be validated: {message}",
            timestamp_trusted=False,
        )
        return _Draft(report, docmdp_ok=False, changed_fields=None)
    return _draft_from_status(status, common, at)


async def _status(
    signature: EmbeddedPdfSignature, trust: TrustStore, at: datetime | None
) -> PdfSignatureStatus:
    """pyHanko's verdict, at ``at``, else at the trusted timestamp's time, else at the signer's."""

    async def at_moment(moment: datetime | None) -> PdfSignatureStatus:
        # Separate contexts: pyHanko registers the certificates a signature embeds into them.
        return await async_validate_pdf_signature(
            signature,
            signer_validation_context=_context(trust, moment),
            ts_validation_context=_context(trust, moment),
            key_usage_settings=KEY_USAGE,
        )

    if at is not None:
        return await at_moment(at)
    stamped = _timestamp_time(signature)
    if stamped is not None:
        status = await at_moment(stamped)
        if _timestamp_trusted(status):
            return status
    return await at_moment(signature.self_reported_timestamp)


def _timestamp_tokens(signature: EmbeddedPdfSignature) -> list[cms.ContentInfo]:
    """The RFC 3161 signature timestamp tokens among the signature's unsigned attributes."""
    unsigned = signature.signer_info["unsigned_attrs"]
    if unsigned.native is None:
        return []
    return [
        value
        for attribute in unsigned
        if attribute["type"].native == "signature_time_stamp_token"
        for value in attribute["values"]
    ]


def _timestamp_time(signature: EmbeddedPdfSignature) -> datetime | None:
    """The time the first timestamp token claims (unverified), if it can be read."""
    for token in _timestamp_tokens(signature):
        try:
            tst_info = token["content"]["encap_content_info"]["content"].parsed
            moment: datetime = tst_info["gen_time"].native
            return moment
        except (ValueError, TypeError, KeyError, AttributeError):
            return None  # pyHanko's validation will say what is wrong with it
    return None


def _timestamp_trusted(status: PdfSignatureStatus) -> bool:
    stamp = status.timestamp_validity
    return stamp is not None and stamp.intact and stamp.valid and stamp.trusted


def _draft_from_status(
    status: PdfSignatureStatus, common: dict[str, Any], at: datetime | None
) -> _Draft:
    signer: Identity = common["signer"]
    timestamp_trusted = _timestamp_trusted(status)
    signing_time: datetime | None
    if timestamp_trusted:
        assert status.timestamp_validity is not None
        signing_time, time_source = status.timestamp_validity.timestamp, "timestamp"
    elif status.signer_reported_dt is not None:
        signing_time, time_source = status.signer_reported_dt, "signer"
    else:
        signing_time, time_source = None, "none"
    moment = at or signing_time or status.validation_time
    valid_then = moment is not None and signer.not_before <= moment <= signer.not_after
    trusted = status.validation_path is not None and status.trust_problem_indic is None
    level = status.modification_level
    diff = status.diff_result
    report = SignatureReport(
        **common,
        signing_time=signing_time,
        time_source=time_source,
        intact=status.intact,
        valid=status.valid,
        covers_document=False,  # decided once every signature is known
        coverage=(status.coverage or SignatureCoverageLevel.UNCLEAR).name.lower(),
        modification_level=level.name.lower() if level is not None else None,
        certificate_valid_at_signing=valid_then,
        trusted=trusted,
        trust_problem=_problem(status, trusted, signer, moment),
        timestamp_trusted=timestamp_trusted,
    )
    return _Draft(
        report,
        docmdp_ok=bool(status.docmdp_ok) and level in _HARMLESS,
        changed_fields=(
            frozenset(diff.changed_form_fields)
            if isinstance(diff, DiffResult)
            else frozenset()
            if status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            else None
        ),
    )


def _problem(
    status: PdfSignatureStatus, trusted: bool, signer: Identity, moment: datetime | None
) -> str | None:
    """Why a signature does not hold, in a sentence; None if it does."""
    if not status.intact:
        return "The signed bytes changed after signing: the digest does not match."
    if not status.valid:
        return "The signature does not verify with the signer's certificate."
    if trusted:
        return None
    if moment is not None and moment > signer.not_after:
        return f"The signer's certificate had expired by the time ({moment:%Y-%m-%d})."
    if moment is not None and moment < signer.not_before:
        return f"The signer's certificate was not valid yet at the time ({moment:%Y-%m-%d})."
    indication = status.trust_problem_indic
    if indication == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        return "The signer's certificate does not chain to a trusted root."
    if indication == AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        return "The signer's certificate may not sign documents (key usage or chain constraints)."
    if status.revoked:
        return "The signer's certificate, or one above it, is revoked."
    name = indication.name.lower() if isinstance(indication, AdESIndeterminate) else "unknown"
    return f"The signer's certificate did not validate ({name})."


def _decide_coverage(drafts: Sequence[_Draft], revisions: int) -> tuple[SignatureReport, ...]:
    """Set covers_document: a signature covers the document if it covers the whole file, or if
    everything after it is other sound signatures, the last of which covers the whole file.

    pyHanko's diff analysis alone would also accept, after a signature, a revision that only
    touches metadata (/Info, XMP) or fills in form fields; a convenio takes neither, so every
    later revision must be the one some other intact and valid signature signs, and the fields
    it changes must be those signatures' own."""
    entire_file = SignatureCoverageLevel.ENTIRE_FILE.name.lower()
    entire_revision = SignatureCoverageLevel.ENTIRE_REVISION.name.lower()
    sound = {d.report.revision: d.report for d in drafts if d.report.intact and d.report.valid}
    last = sound.get(revisions - 1)
    tail_sealed = last is not None and last.coverage == entire_file
    reports = []
    for draft in drafts:
        report = draft.report
        later = range(report.revision + 1, revisions)
        covers = report.coverage == entire_file or (
            report.coverage == entire_revision
            and tail_sealed
            and draft.docmdp_ok
            and all(revision in sound for revision in later)
            and draft.changed_fields is not None
            and draft.changed_fields <= {sound[revision].field for revision in later}
        )
        reports.append(dataclasses.replace(report, covers_document=covers))
    return tuple(reports)


# --- Acceptance ------------------------------------------------------------------------------


async def _accept(job: AcceptJob) -> SignatureReport:
    if not job.signed.startswith(job.base):
        raise NotIncremental(
            "The signed PDF must be the document sent for signing with the signature "
            "appended; its first bytes differ. Sign the file as downloaded, without "
            "saving a new copy of it."
        )
    base_revisions, base_fields = _outline(job.base)
    reports = await _validate(job.signed, job.trust, job.at)
    new = [r for r in reports if r.revision >= base_revisions or r.field not in base_fields]
    if len(new) != 1:
        raise NotOneNewSignature(
            f"The signed PDF must add exactly one signature; it adds {len(new)}."
        )
    report = new[0]
    revisions, _ = _outline(job.signed)
    if revisions != base_revisions + 1:
        raise NotIncremental(
            "The signed PDF must add exactly one revision, holding the signature; it adds "
            f"{revisions - base_revisions}."
        )
    _check_only_signed(job.signed, base_revisions - 1, report.field)
    if not (report.intact and report.valid):
        raise SignatureInvalid(f"The new signature is not valid: {report.trust_problem}")
    if report.coverage != SignatureCoverageLevel.ENTIRE_FILE.name.lower():
        raise SignatureInvalid("The new signature does not cover the whole file.")
    _check_dates(report.signer, job.at)
    if not report.trusted:
        raise CertificateUntrusted(
            f"The signer's certificate is not trusted: {report.trust_problem}"
        )
    broken = [r.field for r in reports if r is not report and not r.covers_document]
    if broken:
        raise SignatureInvalid(
            f"The upload leaves earlier signatures not covering the document: {', '.join(broken)}."
        )
    return report


def _outline(pdf: bytes) -> tuple[int, frozenset[str]]:
    """The number of revisions of ``pdf`` and the names of its filled signature fields."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        names = frozenset(
            str(name) for name, _, _ in fields.enumerate_sig_fields(reader, filled_status=True)
        )
        return reader.xrefs.total_revisions, names
    except Exception as error:  # hostile input, as in _validate
        raise SignaturesUnreadable("The PDF or its signatures cannot be read.") from error


def _check_only_signed(pdf: bytes, base_revision: int, field_name: str) -> None:
    """Refuse a new revision that changes more than the field of the new signature.

    Earlier signatures would notice such changes, but the first signatory's upload has none to
    notice them, so pyHanko's diff analysis is run here from the base's last revision."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        base = reader.get_historical_resolver(base_revision)
        if "/AcroForm" not in base.root:
            # pyHanko's form rule assumes the older revision has a form, as every signed one
            # has; the document sent for signing may not. An empty form in its place (in memory
            # only) lets the same rules vet the form and the field the signature adds.
            form = generic.DictionaryObject()  # type: ignore[no-untyped-call]
            form[generic.pdf_name("/Fields")] = generic.ArrayObject()
            try:
                new_form = reader.root["/AcroForm"]
            except KeyError:
                new_form = None
            if isinstance(new_form, generic.DictionaryObject) and "/SigFlags" in new_form:
                form[generic.pdf_name("/SigFlags")] = new_form.raw_get("/SigFlags")
            base.root[generic.pdf_name("/AcroForm")] = form
        verdict = DEFAULT_DIFF_POLICY.review_file(reader, base)
    except Exception as error:  # hostile input, as in _validate
        raise DocumentChanged(
            "The signed PDF's new revision cannot be analysed; sign the file as downloaded."
        ) from error
    if isinstance(verdict, SuspiciousModification) or not (
        verdict.modification_level in _HARMLESS and verdict.changed_form_fields <= {field_name}
    ):
        raise DocumentChanged(
            "The signed PDF changes the document besides adding the signature; sign it "
            "without editing it."
        )


def _require_aware(moment: datetime) -> None:
    if moment.utcoffset() is None:
        raise ValueError("validation and signing times must be timezone-aware")
