"""Blobs in an S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph RGW…), named by
``CONVENIOS_STORAGE_URL=s3://bucket/prefix``: every API replica, on any machine, serves the same
documents.

The guarantees are the directory's. Keys are ``<prefix>/<sha256[:2]>/<sha256>``. A PutObject
is atomic — the object appears under its key whole, when the upload completes, or not at all —
so no reader ever sees part of a document under its final key; each put sends the body's MD5
and SHA-256, which the store checks against what it received, so a body damaged on the way is
refused instead of stored. Callers commit the database row only after `put` returns, as with a
directory, and removals go through the same leases (`app.documents.blobs`).

A failure to reach the store — refused or timed-out connections, 5xx answers, a request it
refuses for credentials or a missing bucket — is `StorageUnavailable` (a 503 with Retry-After),
never a 500; short timeouts and one retry make an unreachable store fail within seconds.
"""

import base64
import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app import clock
from app.documents.storage import SHA256, Blob, BlobNotFound, S3Options, StorageUnavailable, checked

logger = logging.getLogger("convenios.storage")

# Seconds: to open a connection, and to wait for each answer (a 25 MB upload's answer comes once
# the store has it whole). With one retry an unreachable store fails a request in seconds.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 20
ATTEMPTS = 2

# The readiness probe's key: not a digest, so never taken for a blob by the scrub.
PROBE_KEY = ".readyz"

# AWS's bucket naming rules (which every S3-compatible store accepts): 3 to 63 lower-case
# letters, digits, dots and hyphens, beginning and ending with a letter or digit, no two dots
# in a row, not shaped like an IP address.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")
# A prefix of plain path segments: what any store takes in a key without escaping.
_PREFIX = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
# Codes that mean "no such object" (HEAD answers a bare 404, which botocore reports as "404").
_NO_OBJECT = {"NoSuchKey", "404", "NotFound"}


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix with a trailing slash, or empty); a ValueError
    that says what is wrong otherwise."""
    parsed = urlparse(url)
    bucket, prefix = parsed.netloc, parsed.path.strip("/")
    if parsed.params or parsed.query or parsed.fragment or "@" in bucket or ":" in bucket:
        raise ValueError("an s3:// storage URL is s3://bucket/prefix, with nothing else")
    if (
        not _BUCKET.fullmatch(bucket)
        or ".." in bucket
        or _IP_ADDRESS.fullmatch(bucket)
        or bucket.startswith("xn--")
    ):
        raise ValueError(
            f"{bucket!r} is not a valid bucket name: 3 to 63 lower-case letters, digits, dots "
            "and hyphens, beginning and ending with a letter or digit"
        )
    if prefix and (not _PREFIX.fullmatch(prefix) or {".", ".."} & set(prefix.split("/"))):
        raise ValueError(
            f"{prefix!r} is not a valid key prefix: path segments of letters, digits, '_', '.' "
            "and '-'"
        )
    return bucket, f"{prefix}/" if prefix else ""


_clients: dict[S3Options, Any] = {}
_clients_lock = threading.Lock()


def client_for(options: S3Options) -> Any:
    """The process's one client for ``options``, made on first use. boto3 clients are
    thread-safe (its sessions are not: each client gets a session of its own)."""
    with _clients_lock:
        if options not in _clients:
            config = Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
                # A store at an endpoint of its own (SeaweedFS, MinIO) is addressed by path:
                # bucket names as host names need DNS it usually lacks.
                s3={"addressing_style": "path" if options.endpoint_url else "auto"},
            )
            _clients[options] = boto3.session.Session().client(
                "s3",
                endpoint_url=options.endpoint_url,
                region_name=options.region,
                aws_access_key_id=options.access_key_id,
                aws_secret_access_key=options.secret_access_key,
                config=config,
            )
        return _clients[options]


class _NoObject(Exception):
    """The store answered that the object is not there."""


@contextmanager
def _asking(operation: str, key: str) -> Iterator[None]:
    """Turns the store's failures into `StorageUnavailable` (logged, for the operator) and
    its "no such object" into `_NoObject`."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "unknown"))
        if code in _NO_OBJECT:
            raise _NoObject(key) from None
        logger.error("object store: %s %s refused: %s", operation, key, error)
        raise StorageUnavailable(f"refused the request ({code})") from error
    except BotoCoreError as error:
        logger.error("object store: %s %s failed: %s", operation, key, error)
        raise StorageUnavailable(f"unreachable ({type(error).__name__})") from error


@dataclass(frozen=True)
class S3Storage:
    """Blobs in one bucket, under one prefix."""

    bucket: str
    prefix: str
    options: S3Options

    @classmethod
    def from_url(cls, url: str, options: S3Options) -> "S3Storage":
        bucket, prefix = parse_url(url)
        return cls(bucket, prefix, options)

    @property
    def _client(self) -> Any:
        return client_for(self.options)

    def key(self, sha256: str) -> str:
        """The object key of a digest."""
        digest = checked(sha256)
        return f"{self.prefix}{digest[:2]}/{digest}"

    def _size(self, key: str) -> int | None:
        try:
            with _asking("HEAD", key):
                head = self._client.head_object(Bucket=self.bucket, Key=key)
        except _NoObject:
            return None
        return int(head["ContentLength"])

    def put(self, data: bytes) -> Blob:
        digest = hashlib.sha256(data)
        blob = Blob(digest.hexdigest(), len(data))
        key = self.key(blob.sha256)
        if self._size(key) == blob.size:
            return blob  # content addressed: the same bytes are already there
        with _asking("PUT", key):
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="application/octet-stream",
                # Both digests of the body: MD5 is the one every S3-compatible store checks,
                # SHA-256 the one AWS checks too. A mismatch is refused (BadDigest).
                ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode(),  # noqa: S324
                ChecksumSHA256=base64.b64encode(digest.digest()).decode(),
            )
        return blob

    def read(self, sha256: str) -> bytes:
        key = self.key(sha256)
        try:
            with _asking("GET", key):
                answer = self._client.get_object(Bucket=self.bucket, Key=key)
                return bytes(answer["Body"].read())
        except _NoObject:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self._size(self.key(sha256)) is not None

    def remove(self, sha256: str) -> None:
        """Delete a blob (only `app.documents.blobs` does, once nothing holds it)."""
        key = self.key(sha256)
        with _asking("DELETE", key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def digests(self) -> Iterator[str]:
        """Every stored digest, in key order (only keys ``<prefix><sha[:2]>/<sha>``)."""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        with _asking("LIST", self.prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    shard, _, name = str(item["Key"])[len(self.prefix) :].partition("/")
                    if SHA256.fullmatch(name) and shard == name[:2]:
                        yield name

    def corrupted(self) -> Iterator[str]:
        """Digests whose bytes no longer hash to their name, each streamed and re-hashed."""
        for digest in self.digests():
            key = self.key(digest)
            hasher = hashlib.sha256()
            try:
                with _asking("GET", key):
                    body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
                    for chunk in body.iter_chunks(1 << 20):
                        hasher.update(chunk)
            except _NoObject:
                continue  # removed since it was listed (another scrub took an orphan)
            if hasher.hexdigest() != digest:
                yield digest

    def sweep_temporary(self, older_than_seconds: float = 3600) -> int:
        """Abort the multipart uploads under the prefix begun longer than
        ``older_than_seconds`` ago by the store's clock; returns how many.

        The service itself never uploads in parts (a document is one PutObject), so these are
        another client's leftovers, whose parts the store keeps — and bills — until aborted.
        A store that does not list multipart uploads has none to sweep: 0."""
        try:
            with _asking("LIST-UPLOADS", self.prefix):
                pages = list(
                    self._client.get_paginator("list_multipart_uploads").paginate(
                        Bucket=self.bucket, Prefix=self.prefix
                    )
                )
        except StorageUnavailable as error:
            if "NotImplemented" in error.reason:
                return 0
            raise
        aborted = 0
        for page in pages:
            now = _store_time(page)
            for upload in page.get("Uploads", []):
                initiated: datetime = upload["Initiated"]
                if (now - initiated).total_seconds() <= older_than_seconds:
                    continue
                try:
                    with _asking("ABORT-UPLOAD", upload["Key"]):
                        self._client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                except _NoObject:
                    continue  # finished or aborted meanwhile
                aborted += 1
        return aborted

    def readiness(self) -> str:
        """Whether a small object can be written now (a bucket that is not there, credentials
        that do not work and an unreachable store all show)."""
        try:
            with _asking("PUT", self.prefix + PROBE_KEY):
                self._client.put_object(Bucket=self.bucket, Key=self.prefix + PROBE_KEY, Body=b"ok")
        except StorageUnavailable as error:
            return error.reason
        return "ok"


def _store_time(answer: dict[str, Any]) -> datetime:
    """The store's clock, from its answer's Date header: an upload's age is measured with the
    clock that stamped it (this process's when a store sends none)."""
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    return parsedate_to_datetime(date) if date else clock.now()
