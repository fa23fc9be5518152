"""Reports on the signatures a PDF carries, as validated in a worker against the trust roots.

A file's signatures and the trust roots decide the report entirely (each signature is
validated at its own signing time, not "now"), so reports are cached by the file's SHA-256
and the trust store's fingerprint: a QR code scanned a hundred times validates once."""

from collections import OrderedDict
from threading import Lock

from app.documents.service import Runner
from app.documents.workers import JobError
from app.errors import problem
from app.signatures.pades import SignatureReport, TrustStore, VerifyJob
from app.signatures.schemas import CertificateRead, SignatureReportRead
from app.signatures.trust import fingerprint

_CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, str], list[SignatureReportRead]] = OrderedDict()
_lock = Lock()

# Every PDF signature has a /ByteRange; a file without one has nothing to validate.
_SIGNATURE_MARK = b"/ByteRange"


def _read(report: SignatureReport) -> SignatureReportRead:
    signer = report.signer
    ok = (
        report.intact
        and report.valid
        and report.covers_document
        and report.trusted
        and report.certificate_valid_at_signing
    )
    return SignatureReportRead(
        field=report.field,
        revision=report.revision,
        signer=CertificateRead(
            name=signer.name,
            rfcs=list(signer.rfcs),
            curp=signer.curp,
            serial=signer.serial,
            sat_serial=signer.sat_serial,
            issuer=signer.issuer,
            not_before=signer.not_before,
            not_after=signer.not_after,
        ),
        signing_time=report.signing_time,
        time_source=report.time_source,
        intact=report.intact,
        valid=report.valid,
        covers_document=report.covers_document,
        coverage=report.coverage,
        modification_level=report.modification_level,
        certificate_valid_at_signing=report.certificate_valid_at_signing,
        trusted=report.trusted,
        trust_problem=report.trust_problem,
        timestamp=report.timestamp,
        timestamp_trusted=report.timestamp_trusted,
        signed_sha256=report.signed_sha256,
        ok=ok,
    )


def reports(
    pdf: bytes, *, sha256: str, trust: TrustStore, crypto: Runner
) -> list[SignatureReportRead]:
    """Every signature embedded in ``pdf`` (whose digest is ``sha256``), in file order."""
    if _SIGNATURE_MARK not in pdf:
        return []
    key = (sha256, fingerprint(trust))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        found: tuple[SignatureReport, ...] = crypto(VerifyJob(pdf=pdf, trust=trust))
    except JobError as error:
        raise problem(
            422, "signatures-unreadable", f"The PDF's signatures cannot be validated: {error}"
        ) from None
    result = [_read(report) for report in found]
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result
