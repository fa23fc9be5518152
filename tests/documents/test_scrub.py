"""The database is the truth: missing and damaged files are errors, unreferenced ones garbage."""

import os
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.documents.router import get_storage
from app.documents.scrub import missing_recent, scrub
from app.documents.storage import TEMPORARY_PREFIX, LocalStorage
from tests.conftest import Keys
from tests.factories import API, agreement, ok


def _documents(client: TestClient, keys: Keys, count: int) -> list[dict[str, object]]:
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}/documents"
    variants = ["standard", "pdf/a-3b"][:count]
    return [ok(client.post(url, json={"variant": v}, headers=keys.legal), 201) for v in variants]


def test_scrub_names_missing_damaged_and_orphaned_files(
    client: TestClient, keys: Keys, db: Session
) -> None:
    storage = get_storage()
    assert isinstance(storage, LocalStorage)
    first, second = _documents(client, keys, 2)
    assert scrub(db, storage).ok

    def path(sha256: object) -> Path:
        return storage.root / str(sha256)[:2] / str(sha256)

    path(first["sha256"]).unlink()
    path(second["sha256"]).write_bytes(b"%PDF-1.7 altered")
    orphan = storage.put(b"%PDF-1.7 a file no document refers to")
    temporary = storage.root / "ab" / f"{TEMPORARY_PREFIX}interrupted"
    temporary.parent.mkdir(parents=True, exist_ok=True)
    temporary.write_bytes(b"half a file")
    old = time.time() - 7200
    os.utime(temporary, (old, old))

    report = scrub(db, storage)
    assert not report.ok
    assert report.missing == [(first["id"], first["sha256"])]
    assert report.corrupted == [second["sha256"]]
    assert report.orphans == [orphan.sha256]
    assert report.temporary_removed == 1 and not temporary.exists()
    assert missing_recent(db, storage) == [first["id"]]

    scrub(db, storage, remove_orphans=True)
    assert not storage.exists(orphan.sha256)
