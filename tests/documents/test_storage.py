"""Content-addressed storage: whole blobs or nothing under a final name. The contract runs on
both backends (`storage_backend`: a directory, then the tests' S3 server); what only a directory
has — temporary files, fsync and rename — on a directory alone."""

import hashlib
import os
import time
from pathlib import Path

import pytest

from app.documents.runners import get_storage
from app.documents.s3 import S3Storage
from app.documents.storage import (
    TEMPORARY_PREFIX,
    BlobNotFound,
    LocalStorage,
    S3Options,
    storage_for,
)
from tests.documents import stored


def test_blobs_are_stored_once_by_their_sha256(storage_backend: str) -> None:
    storage = get_storage()
    data = "Convenio de colaboración".encode()
    blob = storage.put(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest() and blob.size == len(data)
    assert storage.put(data) == blob
    assert list(storage.digests()) == [blob.sha256]
    assert storage.read(blob.sha256) == data and storage.exists(blob.sha256)
    other = storage.put(b"%PDF-1.7 otro")
    assert list(storage.digests()) == sorted([blob.sha256, other.sha256])
    storage.remove(blob.sha256)
    storage.remove(blob.sha256)  # removing what is gone is no error
    assert not storage.exists(blob.sha256) and list(storage.digests()) == [other.sha256]
    with pytest.raises(BlobNotFound):
        storage.read(blob.sha256)


def test_blobs_are_kept_under_their_digest_in_a_shard(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    blob = storage.put(b"%PDF-1.7")
    assert (tmp_path / blob.sha256[:2] / blob.sha256).read_bytes() == b"%PDF-1.7"


def test_digests_never_become_arbitrary_paths(storage_backend: str) -> None:
    storage = get_storage()
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, ""):
        with pytest.raises(ValueError):
            storage.read(bad)
        with pytest.raises(ValueError):
            storage.exists(bad)
    with pytest.raises(BlobNotFound):
        storage.read("0" * 64)


def test_an_interrupted_write_leaves_no_blob_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalStorage(tmp_path)

    def crash(source: str, target: str) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        storage.put(b"%PDF-1.7 half written")
    assert list(storage.digests()) == []
    assert list(tmp_path.glob(f"??/{TEMPORARY_PREFIX}*")) == []


def test_leftover_temporary_files_are_swept(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    blob = storage.put(b"kept")
    leftover = tmp_path / blob.sha256[:2] / f"{TEMPORARY_PREFIX}abc"
    leftover.write_bytes(b"torn")
    os.utime(leftover, (0, 0))
    assert list(storage.digests()) == [blob.sha256]
    assert storage.sweep_temporary(older_than_seconds=60) == 1
    assert not leftover.exists() and storage.exists(blob.sha256)


def test_a_write_in_progress_is_never_swept_whatever_the_process_clock_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's age is the filesystem's to tell: a process whose clock runs years ahead (a
    moved clock, a network filesystem's skew) still sees a file being written as new."""
    storage = LocalStorage(tmp_path)
    storage.put(b"kept")
    in_progress = next(tmp_path.glob("??")) / f"{TEMPORARY_PREFIX}writing"
    in_progress.write_bytes(b"half")
    years_ahead = time.time() + 10 * 365 * 86400
    monkeypatch.setattr(time, "time", lambda: years_ahead)
    assert storage.sweep_temporary(older_than_seconds=60) == 0
    assert in_progress.exists()


def test_corruption_is_found_by_rehashing(storage_backend: str) -> None:
    storage = get_storage()
    good, bad = storage.put(b"good"), storage.put(b"bad")
    stored.overwrite(storage, bad.sha256, b"flipped")
    assert list(storage.corrupted()) == [bad.sha256]
    assert storage.exists(good.sha256)


def test_storage_urls(tmp_path: Path) -> None:
    local = storage_for(str(tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path
    local = storage_for(f"file://{tmp_path}")
    assert isinstance(local, LocalStorage) and local.root == tmp_path
    options = S3Options(endpoint_url="http://127.0.0.1:1")
    for url, bucket, prefix in [
        ("s3://convenios", "convenios", ""),
        ("s3://convenios/", "convenios", ""),
        ("s3://convenios.tlalnepantla/docs/2026/", "convenios.tlalnepantla", "docs/2026/"),
    ]:
        s3 = storage_for(url, s3=options)
        assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == (bucket, prefix)
        assert s3.key("ab" + "0" * 62) == f"{prefix}ab/ab{'0' * 62}"
    with pytest.raises(ValueError, match="not supported"):
        storage_for("gs://bucket/convenios")
    for bad_bucket in ("Convenios", "ab", "a_b", "a..b", "-ab", "192.168.0.1", "x" * 64, ""):
        with pytest.raises(ValueError, match="not a valid bucket name"):
            storage_for(f"s3://{bad_bucket}/docs")
    for bad_prefix in ("a//b", "a/../b", "a b", "ñ"):
        with pytest.raises(ValueError, match="not a valid key prefix"):
            storage_for(f"s3://convenios/{bad_prefix}")
    with pytest.raises(ValueError, match="nothing else"):
        storage_for("s3://key:secret@convenios/docs")
