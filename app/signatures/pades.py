"""PAdES signatures of convenios: signing for a signatory, and validating what a PDF carries.

Five jobs, run in worker processes (`app.documents.workers`), since both signing and
validating parse hostile input and spend CPU:

- `SignJob` signs for a signatory with the e.firma sent for that one request (the service keeps
  nothing of it): it checks the credentials, that the certificate is valid at the given time and
  chains to a trusted root, then appends one PAdES baseline signature (ETSI.CAdES.detached,
  SHA-256) in an incremental update, so that earlier signatures stay valid and several parties
  accumulate in one file;
- `PrepareJob` and `CompleteJob` do the same around a signature made on the signer's device;
- `VerifyJob` reports every signature a PDF carries;
- `AcceptJob` accepts a PDF that a signatory signed on their own machine: the document sent for
  signing plus exactly one revision holding exactly one new, sound, trusted signature.

This module is what the API process needs of them: the jobs as it builds them, their results
and their errors. The work is `app.signatures.pades_engine`'s (pyHanko, pyhanko-certvalidator,
cryptography), which only a job's ``run`` imports — in a worker, which has it preloaded.

Failures the client can act on are `SignatureError` subclasses; workers re-raise them in the
caller by class name, so they live at module level here. Their messages never carry secrets.
"""

from dataclasses import dataclass, field
from datetime import datetime

from app.documents.workers import JobError
from app.signatures.sat import Identity

__all__ = [
    "AcceptJob",
    "CertificateExpired",
    "CertificateNotYetValid",
    "CertificateUntrusted",
    "CompleteJob",
    "Credentials",
    "CredentialsUnreadable",
    "DocumentChanged",
    "FieldInUse",
    "Identity",
    "KeyMismatch",
    "NotIncremental",
    "NotOneNewSignature",
    "PrepareJob",
    "SignJob",
    "SignatureError",
    "SignatureInvalid",
    "SignatureReport",
    "SignaturesUnreadable",
    "SignedPdf",
    "TimestampFailed",
    "ToSign",
    "TrustStore",
    "VerifyJob",
    "WrongPassword",
]


# --- Inputs and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrustStore:
    """Certificates the service trusts (``roots``) and may use to complete a chain."""

    roots: tuple[bytes, ...]  # DER certificates trusted as anchors
    intermediates: tuple[bytes, ...] = ()  # DER certificates that may complete a path


@dataclass(frozen=True, repr=False)
class Credentials:
    """An e.firma as the signatory sent it: ``certificate`` + ``private_key``, or ``pkcs12``."""

    password: str
    certificate: bytes | None = None  # .cer (DER, PEM accepted)
    private_key: bytes | None = None  # .key: encrypted PKCS#8 DER (SAT), PEM accepted
    pkcs12: bytes | None = None  # alternative to certificate + private_key

    def __repr__(self) -> str:
        # Job reprs end up in logs and tracebacks: say what was sent, never what it holds.
        sent = [
            f"{name}=<{len(value)} bytes>"
            for name, value in (
                ("certificate", self.certificate),
                ("private_key", self.private_key),
                ("pkcs12", self.pkcs12),
            )
            if value is not None
        ]
        return f"Credentials(password=<hidden>, {', '.join(sent)})"


@dataclass(frozen=True)
class SignatureReport:
    """What one embedded signature proves (see `VerifyJob`)."""

    field: str  # the signature field name
    revision: int  # 0-based revision of the file this signature signs
    signer: Identity
    signing_time: datetime | None  # the trusted timestamp's time, else the signer-reported time
    time_source: str  # "timestamp", "signer" (the signer's own clock: not trusted) or "none"
    intact: bool  # the digest matches the signed bytes
    valid: bool  # the cryptographic signature verifies with the certificate
    covers_document: bool  # nothing but other sound signatures was added after it
    coverage: str  # pyHanko's SignatureCoverageLevel name, lower-case
    modification_level: str | None  # pyHanko's ModificationLevel name, lower-case, if computed
    certificate_valid_at_signing: bool  # the validation time is within the certificate's validity
    trusted: bool  # a path to one of TrustStore.roots validates
    trust_problem: str | None  # why not trusted / not valid, else None
    timestamp: bool  # an RFC 3161 signature timestamp is present
    timestamp_trusted: bool  # ... and it validates, its TSA trusted by the same TrustStore
    signed_sha256: str  # SHA-256 of the revision it signs (the file up to its /ByteRange's end)


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    report: SignatureReport  # the new signature's report


# --- Errors: each one a client can act on ------------------------------------------------------


class SignatureError(JobError):
    """A signing or acceptance that cannot succeed with this input."""


class CredentialsUnreadable(SignatureError):
    """Not a certificate, not a private key, or not a PKCS#12 file."""


class WrongPassword(SignatureError):
    """The password does not open the private key or the PKCS#12 file."""


class KeyMismatch(SignatureError):
    """The private key does not belong to the certificate."""


class CertificateExpired(SignatureError):
    pass


class CertificateNotYetValid(SignatureError):
    pass


class CertificateUntrusted(SignatureError):
    """The certificate does not chain to a trusted root (or may not sign)."""


class SignaturesUnreadable(SignatureError):
    """pyHanko cannot read the file or its signatures."""


class FieldInUse(SignatureError):
    """The PDF already has a filled signature field of that name."""


class NotIncremental(SignatureError):
    """The signed file does not extend the base file by exactly one revision."""


class NotOneNewSignature(SignatureError):
    """The signed file adds no signature, or more than one."""


class DocumentChanged(SignatureError):
    """The signed file's new revision changes the document besides adding the signature."""


class SignatureInvalid(SignatureError):
    """The new signature is not intact, not valid or does not cover the document."""


class TimestampFailed(SignatureError):
    """The configured timestamp authority did not answer, or answered badly."""


# --- Jobs ------------------------------------------------------------------------------------
# Each ``run`` imports the engine: pyHanko is the workers' alone, preloaded there
# (`app.documents.runners.WORKER_MODULES`), and never imported by the API process.


@dataclass(frozen=True)
class SignJob:
    """Sign ``pdf`` for the holder of ``credentials``, at ``at`` (the service's clock)."""

    pdf: bytes = field(repr=False)
    credentials: Credentials
    trust: TrustStore
    at: datetime
    field_name: str
    reason: str
    location: str | None = None
    tsa_url: str | None = None
    timeout: float = 10

    def run(self) -> SignedPdf:
        from app.signatures.pades_engine import sign

        return sign(self)


# --- Signing on the signer's device ----------------------------------------------------------
# The private key never leaves the signer's device: the service prepares the signature over the
# exact PDF (its byte ranges digested, the CMS signed attributes built), hands over only those
# attributes to be signed, and completes the PDF with the signature value that comes back.


@dataclass(frozen=True)
class ToSign:
    """A signature prepared for a device to make, and what completing it needs."""

    prepared_pdf: bytes = field(repr=False)  # the PDF with the signature's place reserved
    reserved_start: int
    reserved_end: int
    document_digest: bytes  # SHA-256 over the byte ranges
    signed_attributes: bytes  # DER: the device signs these bytes (SHA-256, RSA PKCS#1 v1.5)
    certificate: bytes  # DER
    chain: tuple[bytes, ...]  # DER intermediates of the validated path
    signer: Identity | None = None  # as read when prepared


@dataclass(frozen=True)
class PrepareJob:
    """Prepare a PAdES signature of ``pdf`` by the holder of ``certificate`` (checked: dates,
    trust and key usage at ``at``), dated ``at``."""

    pdf: bytes = field(repr=False)
    certificate: bytes
    trust: TrustStore
    at: datetime
    field_name: str
    reason: str
    location: str | None = None
    tsa_url: str | None = None
    timeout: float = 10

    def run(self) -> ToSign:
        from app.signatures.pades_engine import prepare

        return prepare(self)


@dataclass(frozen=True)
class CompleteJob:
    """The prepared PDF with the device's signature value in its place (and, with a timestamp
    authority, a timestamp of it). Whether it verifies is for `AcceptJob` to say."""

    prepared: ToSign
    signature_value: bytes = field(repr=False)
    tsa_url: str | None = None
    timeout: float = 10

    def run(self) -> bytes:
        from app.signatures.pades_engine import complete

        return complete(self)


@dataclass(frozen=True)
class VerifyJob:
    """Report every signature in ``pdf``, in file order; () for an unsigned PDF.

    Each is validated at ``at`` if given; otherwise at its trusted timestamp's time if it has
    one, else at the time its signer reported (so a certificate that has since expired still
    counts when it was valid then; ``time_source`` says how far to believe that time)."""

    pdf: bytes = field(repr=False)
    trust: TrustStore
    at: datetime | None = None

    def run(self) -> tuple[SignatureReport, ...]:
        from app.signatures.pades_engine import verify

        return verify(self)


@dataclass(frozen=True)
class AcceptJob:
    """Accept ``signed``, the PDF ``base`` as signed by a signatory on their own machine.

    It must be ``base`` plus exactly one revision holding exactly one new signature: intact,
    valid, covering the whole file, by a certificate valid at ``at`` and trusted; the revision
    may change nothing else, and every earlier signature must still cover the document."""

    base: bytes = field(repr=False)
    signed: bytes = field(repr=False)
    trust: TrustStore
    at: datetime

    def run(self) -> SignatureReport:
        from app.signatures.pades_engine import accept

        return accept(self)
