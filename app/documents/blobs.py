"""Files put in storage ahead of the rows that point at them, and removed only when nothing can
still claim them.

A document's file is written, and made durable, before its row commits: for that moment the
file is in storage with no row, which is what a scrub takes for an orphan. So each such file is
leased first — a `BlobLease` row committed before the file is written — and the transaction
that writes the document row ends the lease. A file is removed (by the scrub, or by a refused
request cleaning up after itself) only under its digest's lock, once neither a document row nor
a live lease holds it; taking a lease takes the same lock. Scrubs on any number of machines,
uploads and renders may then run at any moment: no committed document loses its file, and a
refused request leaves no file behind.

The lock is PostgreSQL's transaction-scoped advisory lock on the digest; on SQLite every write
transaction holds the database's one write lock, which orders the same steps.
"""

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.db import hold_lock
from app.documents.storage import Storage, StorageUnavailable
from app.errors import ProblemError
from app.models import BlobLease, Document

logger = logging.getLogger("convenios.storage")

# Far longer than any request takes between writing a file and committing its row. A request
# that takes longer finds its lease gone and fails (503) instead of committing a row whose file
# a scrub may have removed.
LEASE = timedelta(hours=1)


class LeaseLapsed(ProblemError):
    status, type = 503, "storage-lease-lapsed"


@dataclass(frozen=True)
class Staged:
    """A file in storage, leased for the row that will point at it."""

    sha256: str
    size: int
    lease_id: int


def lock(session: Session, sha256: str) -> None:
    """Hold ``sha256``'s lock until the transaction ends."""
    hold_lock(session, bytes.fromhex(sha256))


def held(session: Session, sha256: str) -> bool:
    """Whether a document row or a live lease holds ``sha256`` (under its lock, to be sure)."""
    leased = exists().where(BlobLease.sha256 == sha256, BlobLease.expires_at >= clock.now())
    referenced = exists().where(Document.sha256 == sha256)
    return bool(session.scalar(select(leased)) or session.scalar(select(referenced)))


def remove_unless_held(
    sessions: sessionmaker[Session], storage: Storage, sha256: str, *, lease_id: int | None = None
) -> bool:
    """Remove the file ``sha256`` if nothing holds it, ending lease ``lease_id`` (the caller's
    own) and any lease that has lapsed; whether it was removed."""
    with sessions() as session, session.begin():
        lock(session, sha256)
        if lease_id is not None:
            session.execute(delete(BlobLease).where(BlobLease.id == lease_id))
        session.execute(
            delete(BlobLease).where(BlobLease.sha256 == sha256, BlobLease.expires_at < clock.now())
        )
        if held(session, sha256):
            return False
        storage.remove(sha256)
        return True


def end_lapsed(sessions: sessionmaker[Session]) -> int:
    """Delete the leases that have lapsed (they hold nothing; a writer that died, or whose
    store failed, left them); how many."""
    with sessions() as session, session.begin():
        ended = session.execute(delete(BlobLease).where(BlobLease.expires_at < clock.now()))
        return int(getattr(ended, "rowcount", 0))


@dataclass
class Staging:
    """The files one request puts in storage. Those whose rows it commits it keeps (`keep`, in
    the transaction that writes them); the others are removed when it ends."""

    sessions: sessionmaker[Session]
    storage: Storage
    staged: list[Staged] = field(default_factory=list)
    kept: set[int] = field(default_factory=set)

    def put(self, data: bytes) -> Staged:
        """Lease the file, then write it (durably) to storage."""
        digest = hashlib.sha256(data).hexdigest()
        with self.sessions() as session, session.begin():
            lock(session, digest)
            lease = BlobLease(sha256=digest, expires_at=clock.now() + LEASE)
            session.add(lease)
            session.flush()
            staged = Staged(digest, len(data), lease.id)
        self.staged.append(staged)  # before writing: a failed write still ends its lease
        self.storage.put(data)
        return staged

    def keep(self, session: Session, staged: Staged) -> None:
        """End the lease in ``session``, the transaction that commits the row pointing at the
        file; 503 if the lease lapsed meanwhile (a scrub may have removed the file)."""
        ended = session.execute(delete(BlobLease).where(BlobLease.id == staged.lease_id))
        if getattr(ended, "rowcount", 0) != 1:
            raise LeaseLapsed(
                "Storing the file took too long and it may have been cleaned up; try again.",
                headers={"Retry-After": "1"},
            )
        self.kept.add(staged.lease_id)

    def discard(self, *, everything: bool) -> None:
        """Remove the files nothing holds: those not kept, or — when the request failed after
        keeping some, whose rows then never committed — all of them.

        A file the store cannot remove now (it is unreachable) keeps its lease, which the
        failed removal's transaction leaves in place: when the lease lapses the scrub takes the
        file. The request's own answer is not replaced by the store's failure."""
        for staged in self.staged:
            if everything or staged.lease_id not in self.kept:
                try:
                    remove_unless_held(
                        self.sessions, self.storage, staged.sha256, lease_id=staged.lease_id
                    )
                except StorageUnavailable as error:
                    logger.warning(
                        "file %s left for the scrub (store %s)", staged.sha256, error.reason
                    )
        self.staged.clear()


@contextmanager
def staging(sessions: sessionmaker[Session], storage: Storage) -> Iterator[Staging]:
    """Put files for the rows of one write; keep those committed, remove the rest."""
    stage = Staging(sessions, storage)
    try:
        yield stage
    except BaseException:
        stage.discard(everything=True)
        raise
    stage.discard(everything=False)
