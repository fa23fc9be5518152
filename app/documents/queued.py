"""Convenios rendered by workers, when a broker is configured (`app.tasks`).

The request plans as a synchronous one does, then writes the document's row ``pending`` with
the inputs it will be rendered from (`queue`) and publishes its task before that transaction
commits: a broker that cannot take it rolls the row back. A worker claims the row (`claim`) —
only one renders it at a time: the claim lasts a render's time limit and a margin — renders with
no transaction open, puts the file in storage under a lease, and in a short transaction fills in
the digest, size and pages (`finish`), or keeps why it failed (`fail`). A worker that dies lets
its claim lapse; the task is delivered again (acks late), or the sweep queues it again
(`lost`), and after `render_attempts` the document fails, saying so.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.agreements import repository as agreements
from app.audit import service as audit
from app.auth.principal import Principal, operator
from app.config import Settings
from app.documents import repository, service
from app.documents.blobs import Staged, Staging, staging
from app.documents.rendering import RenderedPdf
from app.documents.service import PDF, AgreementChanged, Generation, Runner
from app.documents.storage import Storage
from app.documents.workers import JobError
from app.errors import ProblemError
from app.models import Document
from app.models.enums import DocumentStatus

logger = logging.getLogger("convenios.tasks")

# Between the end of a render's time limit and the end of its claim: staging the file and
# recording it.
CLAIM_MARGIN = timedelta(seconds=10)


def claim_length(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.render_timeout_seconds) + CLAIM_MARGIN


def queue(
    session: Session, plan: Generation, *, actor: Principal, settings: Settings
) -> tuple[Document, bool]:
    """The pending document of ``plan`` (written, not committed), and True; or the document of
    the same inputs that exists by now, and False — a failed one made pending again, for
    another try."""
    agreement = agreements.get(session, plan.agreement_id, for_update=True)
    assert agreement is not None  # agreements are never deleted
    existing = repository.by_source(session, agreement.id, plan.source_sha256)
    if existing is not None:
        if existing.status is DocumentStatus.FAILED:
            retry(existing)
            return existing, True
        return existing, False
    document = service.generated_document(
        plan,
        agreement.folio,
        agreement_id=agreement.id,
        status=DocumentStatus.PENDING,
        attempts=0,
        media_type=PDF,
        agreement_version=agreement.version,
        created_by=actor.as_actor(),
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="document.requested",
        entity=("document", document.id),
        agreement_id=agreement.id,
        changes={
            "status": [None, DocumentStatus.PENDING.value],
            "agreement_version": [None, agreement.version],
            **service.made_from(plan),
        },
    )
    return document, True


def retry(document: Document) -> None:
    """A failed document pending again, with all its attempts ahead of it."""
    document.status, document.error = DocumentStatus.PENDING, None
    document.attempts, document.claimed_until = 0, None


@dataclass(frozen=True)
class Claim:
    """What a worker found: ``attempt`` when it may render now; ``busy_until`` when another
    worker's claim holds the document; ``missing`` when the row is not there (not committed
    yet, or rolled back); none of them when there is nothing left to do."""

    attempt: int | None = None
    busy_until: datetime | None = None
    missing: bool = False


def _locked(session: Session, document_id: int) -> Document | None:
    return session.scalars(
        select(Document)
        .where(Document.id == document_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def claim(sessions: sessionmaker[Session], document_id: int, settings: Settings) -> Claim:
    """Claim the pending document for one render by this worker."""
    now = clock.now()
    with sessions() as session, session.begin():
        document = _locked(session, document_id)
        if document is None:
            return Claim(missing=True)
        if document.status is not DocumentStatus.PENDING:
            return Claim()
        if document.claimed_until is not None and document.claimed_until > now:
            return Claim(busy_until=document.claimed_until)
        if document.attempts >= settings.render_attempts:
            _out_of_attempts(document)
            return Claim()
        document.attempts += 1
        document.claimed_until = now + claim_length(settings)
        return Claim(attempt=document.attempts)


def release(sessions: sessionmaker[Session], document_id: int, attempt: int) -> None:
    """End this worker's claim early (it will try again), if it still holds it."""
    with sessions() as session, session.begin():
        document = _locked(session, document_id)
        if document is not None and _holds(document, attempt):
            document.claimed_until = None


def _holds(document: Document, attempt: int) -> bool:
    return document.status is DocumentStatus.PENDING and document.attempts == attempt


def _failed(document: Document, error: str) -> None:
    document.status, document.error, document.claimed_until = DocumentStatus.FAILED, error, None
    logger.warning("document %s failed: %s", document.id, error)


def _out_of_attempts(document: Document) -> None:
    _failed(document, f"rendering was begun {document.attempts} times without finishing")


def fail(sessions: sessionmaker[Session], document_id: int, attempt: int, error: str) -> None:
    """Keep why the render failed, if this worker's claim still holds the document."""
    with sessions() as session, session.begin():
        document = _locked(session, document_id)
        if document is not None and _holds(document, attempt):
            _failed(document, error)


def plan(session: Session, document: Document, settings: Settings) -> Generation:
    """The render of a pending document from the inputs it recorded; 409 when the agreement
    has changed since (its content is not kept by version, so the recorded inputs cannot be
    rebuilt: the document fails, and the client asks again)."""
    agreement = agreements.get(session, document.agreement_id)
    assert agreement is not None  # agreements are never deleted
    # A generated convenio's inputs.
    assert document.template_version_id is not None and document.variant is not None
    request = service.recorded_request(session, document.template_version_id, document.variant)
    generation = service.plan_generation(
        session, agreement, request, settings=settings, rendering=True
    )
    if generation.source_sha256 != document.source_sha256:
        raise AgreementChanged(
            f"agreement {agreement.folio} changed after this document was requested (version "
            f"{document.agreement_version}, now {agreement.version}); ask for the convenio again"
        )
    return generation


def render(
    reads: sessionmaker[Session],
    writes: sessionmaker[Session],
    document_id: int,
    attempt: int,
    *,
    settings: Settings,
    storage: Storage,
    run: Runner,
) -> DocumentStatus:
    """Render the document this worker claimed, and record the outcome. A failure of the
    render itself (a template error, a limit, the agreement changed) fails the document; any
    other error (storage, database, every render worker busy) is raised, for the task to try
    again."""
    refused: ProblemError | None = None
    with reads() as session:
        document = session.get(Document, document_id)
        assert document is not None
        try:
            generation = plan(session, document, settings)
        except ProblemError as problem:
            refused = problem
    if refused is not None:
        fail(writes, document_id, attempt, refused.detail)
        return DocumentStatus.FAILED
    assert generation.job is not None
    try:
        rendered: RenderedPdf = run(generation.job)
    except JobError as error:
        fail(writes, document_id, attempt, service.render_problem(error).detail)
        return DocumentStatus.FAILED
    with staging(writes, storage) as stage:
        file = stage.put(rendered.pdf)
        with writes() as session, session.begin():
            return finish(session, document_id, attempt, rendered, file, stage=stage)


def finish(
    session: Session,
    document_id: int,
    attempt: int,
    rendered: RenderedPdf,
    file: Staged,
    *,
    stage: Staging,
) -> DocumentStatus:
    """Fill in the rendered file of the document, its audit event and its event — unless
    another attempt holds it by now (its outcome stands)."""
    document = _locked(session, document_id)
    if document is None or not _holds(document, attempt):
        return document.status if document is not None else DocumentStatus.FAILED
    duplicate = repository.by_content(session, document.agreement_id, file.sha256)
    if duplicate is not None:  # the same bytes from another template version
        _failed(document, f"it has the same bytes as document {duplicate.id}")
        return DocumentStatus.FAILED
    stage.keep(session, file)
    document.sha256, document.size, document.pages = file.sha256, file.size, rendered.pages
    document.status, document.claimed_until = DocumentStatus.READY, None
    session.flush()
    agreement = agreements.get(session, document.agreement_id)
    assert agreement is not None
    audit.record(
        session,
        actor=operator("worker"),
        action="document.generated",
        entity=("document", document.id),
        agreement_id=agreement.id,
        changes={
            "status": [DocumentStatus.PENDING.value, DocumentStatus.READY.value],
            "sha256": [None, document.sha256],
            "pages": [None, document.pages],
        },
    )
    service.announce_generated(session, agreement, document)
    return DocumentStatus.READY


def lost(
    sessions: sessionmaker[Session], settings: Settings, publish: Callable[[int], None]
) -> Sequence[int]:
    """Queue again the pending documents whose task seems lost — unclaimed, or their claim
    lapsed, for `render_requeue_minutes` — and fail those out of attempts; the ids queued."""
    now = clock.now()
    waited = now - timedelta(minutes=settings.render_requeue_minutes)
    with sessions() as session, session.begin():
        stale = session.scalars(
            select(Document)
            .where(
                Document.status == DocumentStatus.PENDING,
                or_(
                    Document.claimed_until < waited,
                    Document.claimed_until.is_(None) & (Document.created_at < waited),
                ),
            )
            .order_by(Document.id)
            .limit(100)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
        queued: list[int] = []
        for document in stale:
            if document.attempts >= settings.render_attempts:
                _out_of_attempts(document)
                continue
            # Counted as an attempt, so a broker that keeps losing it ends it as failed; and
            # marked, so the next sweep waits as long again before queuing it once more.
            document.attempts += 1
            document.claimed_until = now
            queued.append(document.id)
    for document_id in queued:
        publish(document_id)
    return queued
