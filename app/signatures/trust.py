"""The certificates signatures are trusted against, read from the `CONVENIOS_TRUST_ROOTS`
setting: a PEM or DER file, or a directory of them."""

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

from app.config import get_settings
from app.errors import ServiceUnavailable
from app.signatures.pades import TrustStore

logger = logging.getLogger("convenios")

_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


class TrustConfigurationError(Exception):
    """The configured trust roots cannot be read (an operator's mistake, found at start-up)."""


def _certificates(data: bytes, source: Path) -> list[tuple[bytes, bool]]:
    """Each certificate of ``data`` as DER, and whether it is self-signed (an anchor)."""
    # Imported once trust roots are read: an API process that has none never loads cryptography.
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            found = x509.load_pem_x509_certificates(data)
        else:
            found = [x509.load_der_x509_certificate(data)]
    except ValueError as error:
        raise TrustConfigurationError(f"{source}: not a certificate ({error})") from None
    return [(c.public_bytes(Encoding.DER), c.subject == c.issuer) for c in found]


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES)
    if path.is_file():
        return [path]
    raise TrustConfigurationError(f"{path}: no such file or directory")


def _stamp(path: Path) -> tuple[tuple[str, float, int], ...]:
    return tuple((str(p), p.stat().st_mtime, p.stat().st_size) for p in _files(path))


@lru_cache(maxsize=4)
def _load(path: Path, _stamp: tuple[tuple[str, float, int], ...]) -> TrustStore:
    roots: list[bytes] = []
    intermediates: list[bytes] = []
    for file in _files(path):
        for der, self_signed in _certificates(file.read_bytes(), file):
            # Self-signed: an anchor. Anything else can only complete a path to one.
            (roots if self_signed else intermediates).append(der)
    return TrustStore(roots=tuple(roots), intermediates=tuple(intermediates))


def trust_store(path: Path | None) -> TrustStore:
    """The trust store of ``path`` (empty for None), read again when its files change."""
    if path is None:
        return TrustStore(roots=())
    return _load(path, _stamp(path))


def configured_trust() -> TrustStore:
    """The trust store the settings name (`CONVENIOS_TRUST_ROOTS`)."""
    try:
        return trust_store(get_settings().trust_roots)
    except (OSError, TrustConfigurationError) as error:
        logger.error("CONVENIOS_TRUST_ROOTS cannot be read: %s", error)
        raise ServiceUnavailable(
            "The service's trust roots cannot be read; the operator has been alerted."
        ) from None


def fingerprint(trust: TrustStore) -> str:
    """Names a trust store, so that reports validated against it can be cached."""
    digest = hashlib.sha256()
    for der in (*trust.roots, b"|", *trust.intermediates):
        digest.update(hashlib.sha256(der).digest())
    return digest.hexdigest()
