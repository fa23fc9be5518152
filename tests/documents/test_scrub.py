"""The database is the truth: missing and damaged files are errors, unreferenced ones garbage.
Each test runs on both storage backends (`storage_backend`)."""

import os
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.principal import operator
from app.documents import service as documents
from app.documents.blobs import LEASE, LeaseLapsed, Staging, staging
from app.documents.inspection import InspectJob
from app.documents.router import get_storage
from app.documents.scrub import missing_recent, scrub
from app.documents.storage import TEMPORARY_PREFIX, LocalStorage
from app.models import BlobLease
from app.models.enums import DocumentKind
from tests.clock import TestClock
from tests.conftest import Keys
from tests.documents import stored
from tests.documents.test_inspection import spanish_pdf
from tests.factories import API, agreement, ok


def _documents(client: TestClient, keys: Keys, count: int) -> list[dict[str, object]]:
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}/documents"
    variants = ["standard", "pdf/a-3b"][:count]
    return [ok(client.post(url, json={"variant": v}, headers=keys.legal), 201) for v in variants]


def test_scrub_names_missing_damaged_and_orphaned_files(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    storage_backend: str,
) -> None:
    storage = get_storage()
    first, second = _documents(client, keys, 2)
    assert scrub(sessions, storage).ok

    stored.delete(storage, str(first["sha256"]))
    stored.overwrite(storage, str(second["sha256"]), b"%PDF-1.7 altered")
    orphan = storage.put(b"%PDF-1.7 a file no document refers to")
    # An interrupted write (a directory's temporary file; an object store's abandoned
    # multipart uploads are swept in tests/documents/test_s3.py, as they cannot be made old).
    temporary = None
    if isinstance(storage, LocalStorage):
        temporary = storage.root / "ab" / f"{TEMPORARY_PREFIX}interrupted"
        temporary.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(b"half a file")
        old = temporary.stat().st_mtime - 7200  # two hours before the filesystem's now
        os.utime(temporary, (old, old))

    report = scrub(sessions, storage)
    assert not report.ok
    assert report.missing == [(first["id"], first["sha256"])]
    assert report.corrupted == [second["sha256"]]
    assert report.orphans == [orphan.sha256]
    if temporary is not None:
        assert report.temporary_removed == 1 and not temporary.exists()
    assert missing_recent(db, storage) == [first["id"]]

    scrub(sessions, storage, remove_orphans=True)
    assert not storage.exists(orphan.sha256)


def test_a_file_being_stored_is_not_an_orphan(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    storage_backend: str,
) -> None:
    """A file written for a row that has not committed yet is leased: the scrub leaves it, and
    it becomes the document's when the row commits."""
    storage = get_storage()
    created = agreement(client, keys.legal)
    pdf = spanish_pdf()
    facts = InspectJob(pdf, max_pages=10).run()
    with staging(sessions, storage) as stage:
        file = stage.put(pdf)
        report = scrub(sessions, storage, remove_orphans=True)
        assert report.orphans == [] and report.in_flight == 1
        assert storage.exists(file.sha256)
        with sessions() as session, session.begin():
            document, created_now = documents.record_upload(
                session,
                created["id"],
                documents.Upload(pdf, DocumentKind.ANNEX, None, None),
                facts,
                file,
                stage=stage,
                actor=operator("tests"),
            )
        assert created_now
    report = scrub(sessions, storage, remove_orphans=True)
    assert report.ok and report.orphans == [] and report.in_flight == 0
    assert storage.exists(document.sha256)


def test_a_file_whose_row_never_commits_is_removed_with_its_lease(
    client: TestClient, keys: Keys, sessions: sessionmaker[Session], storage_backend: str
) -> None:
    storage = get_storage()
    with pytest.raises(RuntimeError), staging(sessions, storage) as stage:
        file = stage.put(b"%PDF-1.7 a request that fails after storing its file")
        raise RuntimeError("refused")
    assert not storage.exists(file.sha256)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(BlobLease)) == 0


def test_a_lapsed_lease_holds_nothing(
    client: TestClient,
    keys: Keys,
    sessions: sessionmaker[Session],
    clock: TestClock,
    storage_backend: str,
) -> None:
    """A writer that died between writing its file and committing leaves a lease that lapses:
    after it, the file is garbage, and a row the writer might still commit is refused."""
    storage = get_storage()
    stage = Staging(sessions, storage)
    file = stage.put(b"%PDF-1.7 written by a process that was killed")
    assert scrub(sessions, storage, remove_orphans=True).in_flight == 1
    clock.advance(LEASE + timedelta(seconds=1))
    assert scrub(sessions, storage, remove_orphans=True).orphans == [file.sha256]
    assert not storage.exists(file.sha256)
    with pytest.raises(LeaseLapsed), sessions() as session, session.begin():
        stage.keep(session, file)
