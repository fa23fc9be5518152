"""What happens to stored files behind the service's back — a disk that flips bits, an operator
who deletes the wrong thing — in whichever storage a test runs on."""

from app.documents.s3 import S3Storage, client_for
from app.documents.storage import LocalStorage, Storage


def overwrite(storage: Storage, sha256: str, data: bytes) -> None:
    """Replace the stored bytes of ``sha256`` (its name stays)."""
    if isinstance(storage, S3Storage):
        client_for(storage.options).put_object(
            Bucket=storage.bucket, Key=storage.key(sha256), Body=data
        )
    else:
        assert isinstance(storage, LocalStorage)
        path = storage.root / sha256[:2] / sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def delete(storage: Storage, sha256: str) -> None:
    if isinstance(storage, S3Storage):
        client_for(storage.options).delete_object(Bucket=storage.bucket, Key=storage.key(sha256))
    else:
        assert isinstance(storage, LocalStorage)
        (storage.root / sha256[:2] / sha256).unlink()
