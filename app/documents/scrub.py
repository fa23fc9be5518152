"""Checking stored documents against the database, which is the truth (DESIGN, storage rules):
a row whose blob is missing or no longer hashes to its digest is an error; a blob that neither
a row nor a live lease holds is garbage left by a write that never committed; a temporary file
(an unfinished multipart upload, in an object store) is an interrupted write. Any `Storage`.

Safe at any moment, beside any number of writers and of other scrubs: the rows are read, and
the blobs re-hashed, with no transaction open; each file that looks orphaned is looked at again
under its lock (`app.documents.blobs`) before it is removed, so a file whose row commits a
moment later — or is about to — is left alone.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.documents.blobs import end_lapsed, held, remove_unless_held
from app.documents.storage import Storage
from app.models import Document


@dataclass
class ScrubReport:
    rows: int = 0
    blobs: int = 0
    missing: list[tuple[int, str]] = field(default_factory=list)  # (document id, sha256)
    corrupted: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    # Files without a row when listed, held by then: their rows were being written.
    in_flight: int = 0
    temporary_removed: int = 0
    leases_ended: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupted


def scrub(
    sessions: sessionmaker[Session], storage: Storage, *, remove_orphans: bool = False
) -> ScrubReport:
    """Re-hash every stored blob and compare with every document row."""
    report = ScrubReport()
    # Rows first, then the listing: a row read here had its file stored before it committed.
    with sessions() as session:
        rows = _files(session)
    report.rows = len(rows)
    referenced = {sha256 for _, sha256 in rows}
    stored = set(storage.digests())
    report.blobs = len(stored)
    report.missing = sorted((id_, sha) for id_, sha in rows if sha not in stored)
    report.corrupted = sorted(storage.corrupted())
    for digest in sorted(stored - referenced):
        if remove_orphans:
            orphan = remove_unless_held(sessions, storage, digest)
        else:
            with sessions() as session:
                orphan = not held(session, digest)
        if orphan:
            report.orphans.append(digest)
        else:
            report.in_flight += 1
    report.temporary_removed = storage.sweep_temporary()
    report.leases_ended = end_lapsed(sessions)
    return report


def missing_recent(session: Session, storage: Storage, *, newest: int = 10) -> list[int]:
    """Ids among the ``newest`` documents whose blob is not in storage (a cheap readiness check:
    a storage directory that is not mounted, or the wrong one or bucket, shows at once). Ten:
    a load balancer asks `/readyz` every few seconds, and in an object store each is a request
    (a hundred took up to a second); the scrub is what checks every file."""
    return [id_ for id_, sha256 in _files(session, newest=newest) if not storage.exists(sha256)]


def _files(session: Session, *, newest: int | None = None) -> list[tuple[int, str]]:
    """The documents that have a file (pending and failed ones have none): their ids and
    digests, newest first; only the ``newest`` if given."""
    query = (
        select(Document.id, Document.sha256)
        .where(Document.sha256.is_not(None))
        .order_by(Document.id.desc())
        .limit(newest)
    )
    # (None excluded again for the type checker: the query returns none.)
    return [(id_, sha256) for id_, sha256 in session.execute(query) if sha256 is not None]
