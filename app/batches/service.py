"""The rules for batches: one convenio, from one template, for many municipios.

`create_batch` checks the whole request up front — the municipios against the catalog, and the
agreement and its document by making the first municipio's in a savepoint that is rolled back —
and records an item per municipio. Each item is then made by `process_item`, which any worker
may call (the in-process loop of `convenios serve`, `convenios batch run`, a task queue): it
claims the item in the database, creates its agreement in one short transaction (recording the
agreement's id on the item, so that a retry after a worker died reuses it), renders the PDF with
no transaction open, and records the document and the item's outcome in another. Everything is
in the database: a worker killed mid-batch leaves a claim that lapses, and the next one goes on.
"""

import logging
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.agreements import repository as agreements_repository
from app.agreements import service as agreements
from app.audit import service as audit
from app.auth.principal import Principal
from app.batches import repository
from app.batches.schemas import (
    PLACEHOLDER,
    BatchCreate,
    BatchFailure,
    BatchItemRead,
    BatchRead,
    BatchSummary,
)
from app.catalog import service as catalog
from app.config import API_PREFIX, Settings, get_settings
from app.documents import service as documents
from app.documents.blobs import staging
from app.documents.schemas import TemplateRef
from app.documents.service import GenerateRequest, Generation, Runner
from app.documents.storage import Storage
from app.documents.workers import JobError
from app.errors import (
    Conflict,
    InvalidParam,
    NotFound,
    ProblemError,
    Unprocessable,
    invalid_params,
    summary,
)
from app.models import (
    Agreement,
    Batch,
    BatchItem,
    Document,
    Municipality,
    Party,
)
from app.models.enums import Article, BatchItemStatus, BatchStatus, PartyKind, Role
from app.parties import service as parties
from app.parties.schemas import PartyCreate

logger = logging.getLogger("convenios.batches")

# A worker that took an item up this many times without finishing it died each time (killed,
# out of memory): the item fails rather than take the next worker down too.
MAX_ATTEMPTS = 3
# How long a worker that cannot get a render worker or reach the store waits before the item
# may be taken up again.
RETRY_AFTER = timedelta(seconds=10)
FAILURES_SHOWN = 100


class BatchRunning(Conflict):
    type = "batch-running"


class NothingToRetry(Conflict):
    type = "batch-nothing-to-retry"


class BatchFinished(Conflict):
    type = "batch-finished"


def claim_length(settings: Settings) -> timedelta:
    """How long a claim holds an item: a render may wait one job's time limit for a worker and
    take as long again, and creating the agreement and storing its PDF take a margin."""
    return timedelta(seconds=2 * settings.render_timeout_seconds + 60)


def get_batch(session: Session, batch_id: int, *, for_update: bool = False) -> Batch:
    batch = repository.get(session, batch_id, for_update=for_update)
    if batch is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    return batch


# --- Creating a batch ---------------------------------------------------------------------------


def _municipalities(session: Session, data: BatchCreate) -> list[Municipality]:
    """The municipios the request names, checked against the catalog, in the batch's order."""
    slot = data.municipios
    if slot.state is not None:
        catalog.check_state(slot.state, "body.municipios.state")
        found = list(repository.municipalities_in_state(session, slot.state))
        if not found:
            raise Unprocessable.field(
                "body.municipios.state",
                f"INEGI's catalog as imported has no municipios of state {slot.state} "
                "(`convenios catalog import`)",
            )
        return found
    assert slot.codes is not None  # one of the two, says the schema
    known = repository.municipalities_by_code(session, slot.codes)
    errors, seen = [], set()
    for i, code in enumerate(slot.codes):
        where = f"body.municipios.codes.{i}"
        if code in seen:
            errors.append(InvalidParam(field=where, message=f"{code} is named twice"))
        elif code not in known:
            errors.append(
                InvalidParam(field=where, message=f"{code} is not in INEGI's municipality catalog")
            )
        seen.add(code)
    if errors:
        raise Unprocessable.of(errors)
    return [known[code] for code in slot.codes]


def _check_texts(data: BatchCreate, municipalities: list[Municipality]) -> None:
    """Every title and objective, with the longest name in, still fits its field."""
    longest = max((m.name for m in municipalities), key=len)
    for field, limit in (("title", 500), ("objective", 20_000)):
        text = str(getattr(data, field))
        if len(text.replace(PLACEHOLDER, longest)) > limit:
            raise Unprocessable.field(
                f"body.{field}",
                f"with the name of {longest} in place of {PLACEHOLDER} it is longer than "
                f"{limit} characters",
            )


def _in_batch_terms(error: ProblemError, data: BatchCreate) -> ProblemError:
    """An agreement's problem named by the batch request's fields: its party at the
    municipio's position is `municipios`, the others are `parties` without it."""
    if not error.errors:
        return error
    position = data.municipios.position

    def field(name: str) -> str:
        prefix = "body.parties."
        if not name.startswith(prefix):
            return name
        index, _, rest = name.removeprefix(prefix).partition(".")
        if not index.isdigit():
            return name
        i = int(index)
        if i == position:
            return "body.municipios" + (f".{rest}" if rest else "")
        return f"{prefix}{i - 1 if i > position else i}" + (f".{rest}" if rest else "")

    error.errors = [InvalidParam(field=field(e.field), message=e.message) for e in error.errors]
    error.detail = summary(error.errors)
    return error


def _invalid(error: ValidationError) -> Unprocessable:
    return Unprocessable.of(invalid_params(error.errors(), under=("body",)))


def _rehearse(
    session: Session,
    data: BatchCreate,
    municipality: Municipality,
    request: GenerateRequest,
    *,
    actor: Principal,
    today: date,
    settings: Settings,
) -> None:
    """Make the first municipio's agreement, and plan its document, in a savepoint rolled back
    at once: what the agreements' and the documents' rules refuse, refused now, for all."""
    rehearsal = session.begin_nested()
    try:
        _, agreement_id = _create_agreement(session, data, municipality, actor, today)
        documents.plan_generation(
            session, _loaded(session, agreement_id), request, settings=settings
        )
    except ValidationError as error:
        raise _invalid(error) from None
    except ProblemError as error:
        raise _in_batch_terms(error, data) from None
    finally:
        rehearsal.rollback()


def _create_agreement(
    session: Session,
    data: BatchCreate,
    municipality: Municipality,
    actor: Principal,
    today: date,
) -> tuple[int, int]:
    """The municipio's agreement, created (its party too, if missing): their ids."""
    party = municipio_party(session, municipality, actor)
    created = agreements.create_agreement(
        session=session,
        data=data.agreement_for(municipality.name, party.id),
        actor=actor,
        today=today,
    )
    session.flush()
    session.expire(created)  # read back as a worker reads it, every relationship loaded
    return party.id, created.id


def _loaded(session: Session, agreement_id: int) -> Agreement:
    agreement = agreements_repository.get(session, agreement_id)
    assert agreement is not None  # agreements are never deleted
    return agreement


def create_batch(
    *, session: Session, data: BatchCreate, actor: Principal, today: date, settings: Settings
) -> Batch:
    """Check the request against the catalog and every rule, then record the batch and one
    pending item per municipio; nothing is made here."""
    municipalities = _municipalities(session, data)
    template, version = documents.resolve_template(
        session,
        data.kind,
        GenerateRequest(
            template=data.template, template_version=data.template_version, variant=data.variant
        ),
    )
    _check_texts(data, municipalities)
    batch = Batch(
        status=BatchStatus.RUNNING,
        total=len(municipalities),
        template_version_id=version.id,
        variant=data.variant,
        request=data.model_dump(mode="json"),
        created_by=actor.as_actor(),
    )
    _rehearse(
        session,
        data,
        municipalities[0],
        GenerateRequest(
            template=template.key, template_version=version.number, variant=batch.variant
        ),
        actor=actor,
        today=today,
        settings=settings,
    )
    session.add(batch)
    session.flush()
    session.add_all(
        BatchItem(
            batch_id=batch.id,
            position=position,
            municipality_code=municipality.code,
            status=BatchItemStatus.PENDING,
            attempts=0,
        )
        for position, municipality in enumerate(municipalities)
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="batch.created",
        entity=("batch", batch.id),
        changes={
            "total": [None, batch.total],
            "template": [None, f"{template.key} v{version.number}"],
            "variant": [None, batch.variant.value],
            "municipios": [None, [m.code for m in municipalities]],
        },
    )
    return batch


def municipio_party(session: Session, municipality: Municipality, actor: Principal) -> Party:
    """The municipio's party (of kind municipio with its INEGI code), created if missing with
    the catalog's name."""
    repository.lock_municipio(session, municipality.code)
    party = repository.municipio_party(session, municipality.code)
    if party is not None:
        return party
    return parties.create_party(
        session=session,
        data=PartyCreate(
            kind=PartyKind.MUNICIPIO,
            name=f"Municipio de {municipality.name}",
            article=Article.EL,
            inegi_code=municipality.code,
        ),
        actor=actor,
    )


def retry_failed(session: Session, batch_id: int, actor: Principal) -> Batch:
    """Take the batch's failed items up again — after what made them fail was put right (the
    agreement completed, the catalog or the template fixed): the batch runs until they are
    made or fail again. 409 when none has failed."""
    batch = get_batch(session, batch_id, for_update=True)
    codes = repository.reopen_failed(session, batch.id)
    if not codes:
        raise NothingToRetry(f"No municipio of batch {batch.id} has failed: nothing to retry.")
    before = batch.status
    batch.status, batch.finished_at = BatchStatus.RUNNING, None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="batch.retried",
        entity=("batch", batch.id),
        changes={"status": [before.value, batch.status.value], "municipios": [None, codes]},
    )
    return batch


def cancel(session: Session, batch_id: int, actor: Principal) -> Batch:
    """Stop a running batch: its municipios not yet made fail, saying it was cancelled and by
    whom, and it finishes. What was made stays — the agreements (drafts, which the lifecycle
    can cancel) and their PDFs; a retry takes the cancelled ones up again. 409 when the batch
    has finished."""
    batch = get_batch(session, batch_id, for_update=True)
    if batch.status is not BatchStatus.RUNNING:
        raise BatchFinished(f"Batch {batch.id} has finished: nothing is left to cancel.")
    codes = repository.fail_pending(
        session, batch.id, f"Cancelled by {actor.name} before it was made."
    )
    batch.status, batch.finished_at = BatchStatus.FINISHED, clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="batch.cancelled",
        entity=("batch", batch.id),
        changes={"status": ["running", "finished"], "municipios": [codes, None]},
    )
    return batch


# --- Processing an item -------------------------------------------------------------------------


def _actor(batch: Batch) -> Principal:
    """Who asked for the batch: its agreements and documents are theirs in the audit trail."""
    made_by = batch.created_by
    return Principal(
        role=Role(made_by["role"]),
        name=made_by["name"],
        api_key_id=made_by.get("api_key_id"),
        context={"batch_id": batch.id},
    )


def _conclude(
    session: Session,
    item_id: int,
    status: BatchItemStatus,
    *,
    document_id: int | None = None,
    error: str | None = None,
) -> BatchItemStatus:
    """Record the item's outcome (unless another worker did) and finish its batch when it was
    the last one pending: the item's lock, then the batch's, so two last items queue."""
    item = repository.item_for_update(session, item_id)
    assert item is not None  # items are never deleted
    if item.status is BatchItemStatus.PENDING:
        item.status, item.document_id, item.error = status, document_id, error
        item.claimed_until = None
        session.flush()
    batch = repository.get(session, item.batch_id, for_update=True)
    assert batch is not None
    if batch.status is BatchStatus.RUNNING and not repository.has_pending(session, batch.id):
        batch.status, batch.finished_at = BatchStatus.FINISHED, clock.now()
    return item.status


def _fail(sessions: sessionmaker[Session], item_id: int, reason: str) -> BatchItemStatus:
    with sessions() as session, session.begin():
        return _conclude(session, item_id, BatchItemStatus.FAILED, error=reason)


def _release(
    sessions: sessionmaker[Session], item_id: int, *, retry_in: timedelta, counted: bool
) -> None:
    """Let the item be taken up again after ``retry_in``; unless ``counted``, this attempt is
    not (the service could not work for now — no render worker free, the store unreachable —
    which says nothing of the item)."""
    with sessions() as session, session.begin():
        item = repository.item_for_update(session, item_id)
        if item is not None and item.status is BatchItemStatus.PENDING:
            item.claimed_until = clock.now() + retry_in
            if not counted:
                item.attempts = max(item.attempts - 1, 0)


@dataclass(frozen=True)
class _Planned:
    agreement_id: int
    actor: Principal
    plan: Generation


def _agreement_and_plan(
    sessions: sessionmaker[Session], item_id: int, settings: Settings
) -> _Planned | BatchItemStatus:
    """In one short transaction: the item's agreement (created, with its municipio's party,
    unless an earlier attempt did) and the plan of its document; or the status of an item
    another worker has concluded meanwhile."""
    with sessions() as session, session.begin():
        item = repository.item_for_update(session, item_id)
        assert item is not None  # items are never deleted
        if item.status is not BatchItemStatus.PENDING:
            return item.status
        batch = repository.get(session, item.batch_id)
        assert batch is not None
        actor = _actor(batch)
        if item.agreement_id is None:
            municipality = repository.municipalities_by_code(session, [item.municipality_code]).get(
                item.municipality_code
            )
            if municipality is None:
                raise Unprocessable(
                    f"{item.municipality_code} is no longer in INEGI's municipality catalog."
                )
            request = BatchCreate.model_validate(batch.request)
            item.party_id, item.agreement_id = _create_agreement(
                session, request, municipality, actor, clock.today()
            )
        agreement = _loaded(session, item.agreement_id)
        recorded = documents.recorded_request(session, batch.template_version_id, batch.variant)
        plan = documents.plan_generation(session, agreement, recorded, settings=settings)
        return _Planned(agreement.id, actor, plan)


def _make(
    sessions: sessionmaker[Session],
    item_id: int,
    *,
    settings: Settings,
    storage: Storage,
    render: Runner,
) -> BatchItemStatus:
    planned = _agreement_and_plan(sessions, item_id, settings)
    if isinstance(planned, BatchItemStatus):
        return planned
    plan = planned.plan
    if plan.existing is not None:  # rendered by an attempt that died before recording it
        with sessions() as session, session.begin():
            return _conclude(session, item_id, BatchItemStatus.DONE, document_id=plan.existing.id)
    rendered = documents.render(plan, render=render)
    with staging(sessions, storage) as stage:
        file = stage.put(rendered.pdf)
        with sessions() as session, session.begin():
            document, _ = documents.record_generated(
                session, plan, rendered, file, stage=stage, actor=planned.actor, settings=settings
            )
            return _conclude(session, item_id, BatchItemStatus.DONE, document_id=document.id)


def process_item(
    sessions: sessionmaker[Session],
    item_id: int,
    *,
    settings: Settings,
    storage: Storage,
    render: Runner,
) -> BatchItemStatus | None:
    """Make one item's agreement and PDF, if this worker can claim it; its status afterwards
    (pending: to be tried again later), or None when it was not claimed (done, failed, or
    another worker's). ``sessions`` open write sessions; ``render`` runs a render job."""
    with sessions() as session, session.begin():
        now = clock.now()
        attempts = repository.claim(session, item_id, now=now, until=now + claim_length(settings))
    if attempts is None:
        return None
    if attempts > MAX_ATTEMPTS:
        return _fail(
            sessions,
            item_id,
            f"Given up after {MAX_ATTEMPTS} attempts: the worker processing it stopped each "
            "time (killed, or out of memory) before it was done.",
        )
    try:
        return _make(sessions, item_id, settings=settings, storage=storage, render=render)
    except ProblemError as error:
        if error.status == 503:  # no render worker free, the store unreachable: later
            _release(sessions, item_id, retry_in=RETRY_AFTER, counted=False)
            return BatchItemStatus.PENDING
        return _fail(sessions, item_id, error.detail)
    except JobError as error:
        return _fail(sessions, item_id, f"The document could not be rendered: {error}")
    except ValidationError as error:
        return _fail(sessions, item_id, str(_invalid(error).detail))


@dataclass
class RunReport:
    done: int = 0
    failed: int = 0
    later: int = 0

    @property
    def processed(self) -> int:
        return self.done + self.failed + self.later


def next_item(reads: sessionmaker[Session], batch_id: int | None = None) -> int | None:
    """The next item a worker could claim now, if any."""
    with reads() as session, session.begin():
        return repository.next_claimable(session, now=clock.now(), batch_id=batch_id)


def finish_idle(sessions: sessionmaker[Session], reads: sessionmaker[Session]) -> None:
    """Finish the running batches none of whose items is pending (each finishes with its last
    item; this catches up with any left running). An idle worker only reads."""
    with reads() as session, session.begin():
        if not repository.unfinished_without_pending(session):
            return
    with sessions() as session, session.begin():
        for batch_id in repository.unfinished_without_pending(session):
            batch = repository.get(session, batch_id, for_update=True)
            if batch is not None and not repository.has_pending(session, batch_id):
                batch.status, batch.finished_at = BatchStatus.FINISHED, clock.now()


def step(
    sessions: sessionmaker[Session],
    *,
    settings: Settings,
    storage: Storage,
    render: Runner,
    batch_id: int | None = None,
    report: RunReport | None = None,
    reads: sessionmaker[Session] | None = None,
) -> bool:
    """Process the next claimable item, if there is one; whether there was. ``reads`` open
    the sessions that only look (on SQLite, without the write lock); ``sessions`` by default."""
    reads = reads or sessions
    item_id = next_item(reads, batch_id)
    if item_id is None:
        finish_idle(sessions, reads)
        return False
    try:
        status = process_item(sessions, item_id, settings=settings, storage=storage, render=render)
    except Exception:
        # A failure of the service's own (the database, a bug): logged, and the item left to
        # be tried again — at most MAX_ATTEMPTS times in all.
        logger.exception("batch item %s: processing failed", item_id)
        _release(sessions, item_id, retry_in=timedelta(0), counted=True)
        return True
    if report is not None:
        if status is BatchItemStatus.DONE:
            report.done += 1
        elif status is BatchItemStatus.FAILED:
            report.failed += 1
        elif status is BatchItemStatus.PENDING:
            report.later += 1
    return True


def run_pending(
    sessions: sessionmaker[Session],
    *,
    settings: Settings,
    storage: Storage,
    render: Runner,
    batch_id: int | None = None,
    progress: Callable[[RunReport], Any] | None = None,
    reads: sessionmaker[Session] | None = None,
) -> RunReport:
    """Process claimable items, one at a time, until none is left."""
    report = RunReport()
    while step(
        sessions,
        settings=settings,
        storage=storage,
        render=render,
        batch_id=batch_id,
        report=report,
        reads=reads,
    ):
        if progress is not None:
            progress(report)
    return report


# --- Reading ------------------------------------------------------------------------------------


def _template_ref(session: Session, batch: Batch) -> TemplateRef:
    request = documents.recorded_request(session, batch.template_version_id, batch.variant)
    assert request.template is not None and request.template_version is not None
    return TemplateRef(key=request.template, version=request.template_version)


def _item(row: repository.ItemRow) -> BatchItemRead:
    item, municipio, folio = row
    return BatchItemRead(
        position=item.position,
        municipality_code=item.municipality_code,
        municipio=municipio,
        status=item.status,
        agreement_id=item.agreement_id,
        folio=folio,
        document_id=item.document_id,
        error=item.error,
        attempts=item.attempts,
    )


def _progress(session: Session, batch: Batch, tally: repository.Counts) -> dict[str, Any]:
    """What a batch's summary and its full reading both show."""
    return {
        "id": batch.id,
        "status": batch.status,
        "total": batch.total,
        "done": tally.done,
        "failed": tally.failed,
        "pending": tally.pending,
        "template": _template_ref(session, batch),
        "variant": batch.variant,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
    }


def describe(session: Session, batch: Batch) -> BatchRead:
    """The batch with its progress and its first failures."""
    tally = repository.counts(session, [batch.id]).get(batch.id, repository.Counts())
    failed = repository.items(
        session, batch.id, status=BatchItemStatus.FAILED, limit=FAILURES_SHOWN
    )
    url = f"{API_PREFIX}/batches/{batch.id}"
    return BatchRead(
        **_progress(session, batch, tally),
        failures=[
            BatchFailure(
                municipality_code=item.municipality_code,
                municipio=municipio,
                error=item.error or "",
            )
            for item, municipio, _ in failed
        ],
        items_url=f"{url}/items",
        documents_url=f"{url}/documents.zip",
    )


def summaries(session: Session, batches: Sequence[Batch]) -> list[BatchSummary]:
    counts = repository.counts(session, [batch.id for batch in batches])
    return [
        BatchSummary(**_progress(session, batch, counts.get(batch.id, repository.Counts())))
        for batch in batches
    ]


def items(
    session: Session,
    batch: Batch,
    *,
    status: BatchItemStatus | None,
    after: int | None,
    limit: int,
) -> list[BatchItemRead]:
    rows = repository.items(session, batch.id, status=status, after=after, limit=limit)
    return [_item(row) for row in rows]


@dataclass(frozen=True)
class ZipEntry:
    name: str
    document: Document


# Characters no file name may hold on the systems people unpack ZIPs on.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def zip_name(folio: str, municipio: str | None) -> str:
    """``<folio> <municipio>.pdf``, with nothing a file system would refuse or take as a path."""
    name = _UNSAFE.sub("", f"{folio} {municipio or ''}")
    name = " ".join(name.split()).strip(". ")[:150] or folio
    return f"{name}.pdf"


def zip_entries(session: Session, batch: Batch) -> list[ZipEntry]:
    """What the batch's ZIP holds: the PDF of each item done, in order; 409 while it runs."""
    if batch.status is BatchStatus.RUNNING:
        counts = repository.counts(session, [batch.id]).get(batch.id, repository.Counts())
        raise BatchRunning(
            f"Batch {batch.id} is still running ({counts.pending} of {batch.total} municipios "
            f"pending): its ZIP is made once it has finished. Poll GET {API_PREFIX}/batches/"
            f"{batch.id}.",
            headers={"Retry-After": "10"},
        )
    return [
        ZipEntry(zip_name(folio, municipio), document)
        for document, folio, municipio in repository.documents_done(session, batch.id)
    ]


def write_zip(entries: Sequence[ZipEntry], storage: Storage, out: IO[bytes]) -> None:
    """The PDFs, each checked against its digest, stored as they are (PDFs are compressed
    already), into ``out``."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=_zip_time(entry.document.created_at))
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, documents.content(storage, entry.document))


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    local = moment.astimezone(ZoneInfo(get_settings().timezone))
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)
