"""Content-addressed storage: whole blobs or nothing under a final name."""

import hashlib
import os
import time
from pathlib import Path

import pytest

from app.documents.storage import TEMPORARY_PREFIX, BlobNotFound, LocalStorage, storage_for


def test_blobs_are_stored_once_by_their_sha256(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    data = "Convenio de colaboración".encode()
    blob = storage.put(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest() and blob.size == len(data)
    assert (tmp_path / blob.sha256[:2] / blob.sha256).read_bytes() == data
    assert storage.put(data) == blob
    assert list(storage.digests()) == [blob.sha256]
    assert storage.read(blob.sha256) == data and storage.exists(blob.sha256)


def test_digests_never_become_arbitrary_paths(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, ""):
        with pytest.raises(ValueError):
            storage.read(bad)
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


def test_corruption_is_found_by_rehashing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    good, bad = storage.put(b"good"), storage.put(b"bad")
    (tmp_path / bad.sha256[:2] / bad.sha256).write_bytes(b"flipped")
    assert list(storage.corrupted()) == [bad.sha256]
    assert storage.exists(good.sha256)


def test_storage_urls(tmp_path: Path) -> None:
    assert storage_for(str(tmp_path)).root == tmp_path
    assert storage_for(f"file://{tmp_path}").root == tmp_path
    with pytest.raises(ValueError, match="s3"):
        storage_for("s3://bucket/convenios")
