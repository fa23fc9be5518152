"""Checking stored documents against the database, which is the truth (DESIGN, storage rules):
a row whose blob is missing or no longer hashes to its digest is an error; a blob without a row
is garbage left by a write that never committed; a temporary file is an interrupted write."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.storage import LocalStorage
from app.models import Document


@dataclass
class ScrubReport:
    rows: int = 0
    blobs: int = 0
    missing: list[tuple[int, str]] = field(default_factory=list)  # (document id, sha256)
    corrupted: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    temporary_removed: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupted


def scrub(session: Session, storage: LocalStorage, *, remove_orphans: bool = False) -> ScrubReport:
    """Re-hash every stored blob and compare with every document row."""
    report = ScrubReport()
    rows = session.execute(select(Document.id, Document.sha256)).all()
    report.rows = len(rows)
    referenced = {sha256 for _, sha256 in rows}
    stored = set(storage.digests())
    report.blobs = len(stored)
    report.missing = sorted((id_, sha) for id_, sha in rows if sha not in stored)
    report.corrupted = sorted(storage.corrupted())
    report.orphans = sorted(stored - referenced)
    if remove_orphans:
        for digest in report.orphans:
            storage.remove(digest)
    report.temporary_removed = storage.sweep_temporary()
    return report


def missing_recent(session: Session, storage: LocalStorage, *, newest: int = 100) -> list[int]:
    """Ids among the ``newest`` documents whose blob is not in storage (a cheap readiness check:
    a storage directory that is not mounted, or the wrong one, shows at once)."""
    rows = session.execute(
        select(Document.id, Document.sha256).order_by(Document.id.desc()).limit(newest)
    ).all()
    return [id_ for id_, sha256 in rows if not storage.exists(sha256)]
