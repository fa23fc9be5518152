"""Content-addressed blob storage behind a small interface: a directory (the embedded
default) or an S3-compatible object store (`app.documents.s3`).

Blobs live at ``<sha256[:2]>/<sha256>``. In a directory a write goes to a temporary name in the
same directory, is fsynced, renamed over the final name and the directory fsynced: a crash
leaves either the whole blob under its name or a temporary file that `sweep_temporary` removes,
never a torn blob under a final name. Callers commit the database row only after `put` returns.
"""

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from app.errors import ProblemError

SHA256 = re.compile(r"[0-9a-f]{64}")
TEMPORARY_PREFIX = ".tmp-"


class BlobNotFound(LookupError):
    """No blob is stored under that digest."""


class StorageUnavailable(ProblemError):
    """The store cannot be reached, or failed, for a reason that may pass: a 503 to retry,
    never a 500. ``reason`` is short and safe to show (an error's class or code)."""

    status, type = 503, "storage-unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The document store is {reason}; try again shortly.",
            headers={"Retry-After": "10"},
        )
        self.reason = reason


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int


class Storage(Protocol):
    """What documents, the scrub and the readiness check need of a store. Every method may
    raise `StorageUnavailable`."""

    def put(self, data: bytes) -> Blob:
        """Store ``data`` whole under its digest, durably, before returning."""
        ...

    def read(self, sha256: str) -> bytes:
        """The blob's bytes; `BlobNotFound` when there is none."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def remove(self, sha256: str) -> None:
        """Delete a blob (only `app.documents.blobs` does, once nothing holds it)."""
        ...

    def digests(self) -> Iterator[str]:
        """Every stored digest, in order."""
        ...

    def corrupted(self) -> Iterator[str]:
        """Digests whose bytes no longer hash to their name (silent corruption)."""
        ...

    def sweep_temporary(self, older_than_seconds: float = 3600) -> int:
        """Remove what interrupted writes left, untouched for longer than
        ``older_than_seconds`` by the store's own clock; returns how many."""
        ...

    def readiness(self) -> str:
        """``ok``, or why documents cannot be stored now (shown by `/readyz`)."""
        ...


def checked(sha256: str) -> str:
    # Digests come from URLs too: only 64 lower-case hex characters ever become a path or key.
    if not SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256 digest")
    return sha256


class LocalStorage:
    """Blobs in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        digest = checked(sha256)
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> Blob:
        digest = hashlib.sha256(data).hexdigest()
        final = self._path(digest)
        if final.is_file() and final.stat().st_size == len(data):
            return Blob(digest, len(data))
        final.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=final.parent, prefix=TEMPORARY_PREFIX)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(final.parent)
        return Blob(digest, len(data))

    def read(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def remove(self, sha256: str) -> None:
        """Delete a blob (only `app.documents.blobs` does, once nothing holds it)."""
        self._path(sha256).unlink(missing_ok=True)

    def digests(self) -> Iterator[str]:
        """Every stored digest (temporary files are not blobs)."""
        for path in sorted(self.root.glob("??/*")):
            if SHA256.fullmatch(path.name) and path.parent.name == path.name[:2]:
                yield path.name

    def corrupted(self) -> Iterator[str]:
        """Digests whose bytes no longer hash to their name (silent corruption)."""
        for digest in self.digests():
            hasher = hashlib.sha256()
            try:
                with self._path(digest).open("rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        hasher.update(chunk)
            except FileNotFoundError:
                continue  # removed since it was listed (another scrub took an orphan)
            if hasher.hexdigest() != digest:
                yield digest

    def sweep_temporary(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files left by interrupted writes (untouched for longer than
        ``older_than_seconds``); returns how many. A write in progress is never one of them."""
        leftovers = list(self.root.glob(f"??/{TEMPORARY_PREFIX}*"))
        if not leftovers:
            return 0
        # A file's age is measured with the clock that stamped it, the filesystem's, which can
        # differ from this process's (a network filesystem, a moved clock): against the time
        # it stamps on a file written now.
        with tempfile.TemporaryFile(dir=self.root) as probe:
            now = os.fstat(probe.fileno()).st_mtime
        removed = 0
        for path in leftovers:
            try:
                written = path.stat().st_mtime
            except FileNotFoundError:
                continue  # a write in progress just finished: it is a blob now
            if now - written > older_than_seconds:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def readiness(self) -> str:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".readyz-") as probe:
                probe.write(b"ok")
                probe.flush()
                os.fsync(probe.fileno())
        except OSError as error:
            return f"not writable ({error.strerror})"
        return "ok"


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class S3Options:
    """How to reach an object store: its endpoint (none: AWS's, by region) and credentials
    (none: boto3's own chain — environment, shared files, an instance or pod role)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)


def storage_for(url: str, *, s3: S3Options | None = None) -> Storage:
    """The storage named by ``CONVENIOS_STORAGE_URL``: a directory, a file:// URL or
    ``s3://bucket/prefix``. Refuses, with a ValueError that says why, what none serves."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        # boto3 takes a moment to import: only deployments that use it pay for it.
        from app.documents.s3 import S3Storage

        return S3Storage.from_url(url, s3 or S3Options())
    if parsed.scheme not in {"", "file"}:
        raise ValueError(
            f"storage scheme {parsed.scheme!r} is not supported: a directory, file:// or s3://"
        )
    return LocalStorage(Path(parsed.path if parsed.scheme == "file" else url))
