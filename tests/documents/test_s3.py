"""Documents in an S3-compatible object store (the tests' SeaweedFS server): what only an object
store has — checksums on the way, multipart leftovers, a store that cannot be reached — and the
API over it. The contract shared with a directory is in test_storage.py and test_scrub.py."""

import hashlib
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.documents.runners import get_storage
from app.documents.s3 import PROBE_KEY, S3Storage, client_for
from app.documents.storage import StorageUnavailable
from app.models import Document
from tests import s3server
from tests.conftest import Keys, use_s3
from tests.documents.test_scrub import _documents
from tests.factories import API, agreement


@pytest.fixture
def s3(s3_server: s3server.S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Storage:
    """The service's storage: a prefix of its own in the tests' S3 server."""
    use_s3(s3_server, monkeypatch)
    storage = get_storage()
    assert isinstance(storage, S3Storage)
    return storage


def test_a_body_damaged_on_the_way_is_refused_not_stored(s3: S3Storage) -> None:
    """The store checks the digests sent with the body: a byte flipped after they were
    computed (a bad link, a proxy) is refused, and nothing is stored under the key."""
    client = client_for(s3.options)

    def flip_a_byte(request: Any, **_: Any) -> None:
        sent = request.body
        body = bytearray(sent.read() if hasattr(sent, "read") else sent)
        body[len(body) // 2] ^= 0xFF
        request.body = bytes(body)

    client.meta.events.register("before-send.s3.PutObject", flip_a_byte)
    try:
        with pytest.raises(StorageUnavailable, match=r"refused the request \(BadDigest\)"):
            s3.put(b"%PDF-1.7 " + b"convenio " * 1000)
    finally:
        client.meta.events.unregister("before-send.s3.PutObject", flip_a_byte)
    assert list(s3.digests()) == []
    assert s3.exists(s3.put(b"%PDF-1.7 intact").sha256)


def test_only_blobs_under_the_prefix_are_listed(
    s3: S3Storage, s3_server: s3server.S3Server
) -> None:
    blob = s3.put(b"%PDF-1.7 kept")
    assert s3.readiness() == "ok"  # writes the probe object, which is no blob
    raw = s3_server.client()
    misplaced = "ff" + blob.sha256[2:]
    for key in (f"{s3.prefix}{blob.sha256[:2]}/not-a-digest", f"{s3.prefix}00/{misplaced}"):
        raw.put_object(Bucket=s3.bucket, Key=key, Body=b"x")
    raw.put_object(Bucket=s3.bucket, Key=f"elsewhere/{blob.sha256[:2]}/{blob.sha256}", Body=b"x")
    assert raw.head_object(Bucket=s3.bucket, Key=s3.prefix + PROBE_KEY)
    assert list(s3.digests()) == [blob.sha256]
    assert list(s3.corrupted()) == []


def test_abandoned_multipart_uploads_are_swept_once_old(
    s3: S3Storage, s3_server: s3server.S3Server
) -> None:
    raw = s3_server.client()
    upload = raw.create_multipart_upload(Bucket=s3.bucket, Key=f"{s3.prefix}ab/interrupted")
    raw.upload_part(
        Bucket=s3.bucket,
        Key=f"{s3.prefix}ab/interrupted",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"half a file",
    )
    assert s3.sweep_temporary(older_than_seconds=3600) == 0  # a write that may be in progress
    time.sleep(1.1)  # the store stamps uploads to the second
    assert s3.sweep_temporary(older_than_seconds=0) == 1
    assert raw.list_multipart_uploads(Bucket=s3.bucket, Prefix=s3.prefix).get("Uploads", []) == []


def test_a_generated_document_is_stored_in_the_bucket_and_downloaded(
    client: TestClient, keys: Keys, s3: S3Storage, s3_server: s3server.S3Server
) -> None:
    (document,) = _documents(client, keys, 1)
    sha256 = str(document["sha256"])
    stored = s3_server.client().get_object(
        Bucket=s3.bucket, Key=f"{s3.prefix}{sha256[:2]}/{sha256}"
    )
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == sha256
    pdf = client.get(f"{API}/documents/{document['id']}/pdf", headers=keys.legal)
    assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == sha256
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["storage"] == "ok"


def test_an_unreachable_store_answers_503_and_readyz_says_so(
    client: TestClient,
    keys: Keys,
    db: Session,
    s3: S3Storage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The store stops answering: downloads and new documents get a 503 with Retry-After
    within seconds, /readyz names the storage, and nothing half-written is left."""
    (document,) = _documents(client, keys, 1)
    (nobody,) = s3server.free_ports(1)
    monkeypatch.setenv("CONVENIOS_S3_ENDPOINT_URL", f"http://127.0.0.1:{nobody}")
    get_settings.cache_clear()

    started = time.monotonic()
    download = client.get(f"{API}/documents/{document['id']}/pdf", headers=keys.legal)
    assert time.monotonic() - started < 10
    assert download.status_code == 503, download.text
    assert download.headers["content-type"] == "application/problem+json"
    assert download.headers["retry-after"] == "10"
    problem = download.json()
    assert problem["type"] == "urn:convenios:problem:storage-unavailable"
    assert "127.0.0.1" not in problem["detail"]

    documents_before = db.scalar(select(func.count()).select_from(Document))
    created = agreement(client, keys.legal)
    generated = client.post(
        f"{API}/agreements/{created['id']}/documents", json={}, headers=keys.legal
    )
    assert generated.status_code == 503, generated.text
    assert generated.json()["type"] == "urn:convenios:problem:storage-unavailable"
    assert db.scalar(select(func.count()).select_from(Document)) == documents_before

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "storage: unreachable (EndpointConnectionError)" in ready.json()["detail"]


def test_bad_s3_settings_are_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="not a valid bucket name"):
        Settings(storage_url="s3://Convenios_Tlalnepantla/docs")
    with pytest.raises(ValidationError, match="go together"):
        Settings(storage_url="s3://convenios", s3_access_key_id="AKIAEXAMPLE")
    settings = Settings(
        storage_url="s3://convenios",
        s3_access_key_id="AKIAEXAMPLE",
        s3_secret_access_key="very-secret-value",  # type: ignore[arg-type]
    )
    assert "very-secret-value" not in repr(settings) + str(settings) + repr(settings.s3)
    assert settings.s3.secret_access_key == "very-secret-value"
