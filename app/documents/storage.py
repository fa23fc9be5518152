"""Content-addressed blob storage behind a small interface; the first backend is a directory.

Blobs live at ``<sha256[:2]>/<sha256>``. A write goes to a temporary name in the same
directory, is fsynced, renamed over the final name and the directory fsynced: a crash leaves
either the whole blob under its name or a temporary file that `sweep_temporary` removes, never a
torn blob under a final name. Callers commit the database row only after `put` returns.
"""

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

_SHA256 = re.compile(r"[0-9a-f]{64}")
TEMPORARY_PREFIX = ".tmp-"


class BlobNotFound(LookupError):
    """No blob is stored under that digest."""


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int


class Storage(Protocol):
    def put(self, data: bytes) -> Blob: ...

    def read(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def remove(self, sha256: str) -> None: ...

    def digests(self) -> Iterator[str]: ...


def _checked(sha256: str) -> str:
    # Digests come from URLs too: only 64 lower-case hex characters ever become a path.
    if not _SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256 digest")
    return sha256


class LocalStorage:
    """Blobs in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        digest = _checked(sha256)
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
            if _SHA256.fullmatch(path.name) and path.parent.name == path.name[:2]:
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


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def storage_for(url: str) -> LocalStorage:
    """The storage named by ``CONVENIOS_STORAGE_URL`` (a directory or a file:// URL)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"", "file"}:
        raise ValueError(f"storage scheme {parsed.scheme!r} is not supported yet")
    return LocalStorage(Path(parsed.path if parsed.scheme == "file" else url))
