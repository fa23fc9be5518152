"""HTTP routes for batches: one convenio for many municipios, its progress and its ZIP."""

import tempfile
from collections.abc import Iterator
from typing import IO

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.auth.dependencies import Reader, Writer
from app.batches import repository, service
from app.batches.schemas import BatchCreate, BatchItemRead, BatchRead, BatchSummary
from app.clock import Today
from app.config import API_PREFIX, get_settings
from app.db import SessionDep, end_reading
from app.documents.runners import get_storage
from app.errors import problem_responses
from app.idempotency import IdempotencyDep, respond, respond_created
from app.models.enums import BatchItemStatus
from app.pagination import Page, PageDep, build_page, id_cursor, int_after
from app.schemas import Id

router = APIRouter(prefix="/batches", tags=["batches"], responses=problem_responses(401, 403, 422))

_CHUNK = 1 << 16
_ZIP = "application/zip"
_GENERIC = "application/octet-stream"


@router.post("", status_code=202, responses=problem_responses(404, 409, 413, 415))
def create_batch(
    actor: Writer,
    payload: BatchCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    today: Today,
) -> BatchRead:
    """Create one agreement, and render its convenio PDF, for each of many municipios.

    The same content for all — `{municipio}` in the title and objective becomes each one's
    name — with the parties common to all (the estado, with its signatories) and the municipio
    in its place among them: every municipio of a state in INEGI's catalog
    (`{"state": "20"}`) or those listed (`{"codes": [...]}`). Each municipio's party is the
    municipio party with its INEGI code, created with the catalog's name if there is none.
    Everything is checked first, the first municipio's agreement and document included; a
    refusal creates nothing. The answer (202) comes before the work: poll
    `GET /batches/{id}` until it is `finished`, then download `documents.zip`. With an
    `Idempotency-Key`, a retry gets the same batch."""
    idempotency.claim()
    batch = service.create_batch(
        session=session, data=payload, actor=actor, today=today, settings=get_settings()
    )
    body = service.describe(session, batch)
    respond_created(
        response,
        idempotency,
        body,
        location=f"{API_PREFIX}/batches/{batch.id}",
        status_code=202,
    )
    return body


@router.get("")
def list_batches(_: Reader, session: SessionDep, page: PageDep) -> Page[BatchSummary]:
    """List batches, newest first, with their progress."""
    found = repository.page(session, after=int_after(page), limit=page.limit + 1)
    return build_page(service.summaries(session, found), page.limit)


@router.get("/{batch_id}", responses=problem_responses(404))
def get_batch(_: Reader, batch_id: Id, session: SessionDep) -> BatchRead:
    """A batch's progress: how many municipios are done, failed and pending, and why each
    failure failed (the first 100; all of them at `items?status=failed`)."""
    return service.describe(session, service.get_batch(session, batch_id))


@router.post("/{batch_id}/retry", status_code=202, responses=problem_responses(404, 409))
def retry_batch(
    actor: Writer,
    batch_id: Id,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> BatchRead:
    """Take the batch's failed municipios up again, once what made them fail is put right —
    each failure's `error` says what (a field of its agreement to complete, a municipio no
    longer in the catalog…). An item keeps the agreement it had; the batch is `running` until
    they are made or fail again. 409 `batch-nothing-to-retry` when none has failed. With an
    `Idempotency-Key`, a retried request gets the first answer."""
    idempotency.claim()
    batch = service.retry_failed(session, batch_id, actor)
    body = service.describe(session, batch)
    location = {"Location": f"{API_PREFIX}/batches/{batch.id}"}
    respond(response, idempotency, body, status_code=202, headers=location)
    return body


@router.post("/{batch_id}/cancel", responses=problem_responses(404, 409))
def cancel_batch(
    actor: Writer,
    batch_id: Id,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> BatchRead:
    """Stop a running batch: the municipios not yet made fail, `error` saying it was cancelled
    and by whom, and the batch is `finished` (a municipio a worker is making at that moment is
    failed too, whatever the worker makes of it). What was made stays: the agreements, drafts
    that their lifecycle can cancel, and their PDFs, in `documents.zip`. `retry` takes the
    cancelled ones up again. 409 `batch-finished` when it has finished."""
    idempotency.claim()
    body = service.describe(session, service.cancel(session, batch_id, actor))
    respond(response, idempotency, body)
    return body


@router.get("/{batch_id}/items", responses=problem_responses(404))
def list_batch_items(
    _: Reader,
    batch_id: Id,
    session: SessionDep,
    page: PageDep,
    status: BatchItemStatus | None = None,
) -> Page[BatchItemRead]:
    """A batch's municipios in order, each with its agreement, document and outcome."""
    batch = service.get_batch(session, batch_id)
    found = service.items(
        session, batch, status=status, after=int_after(page), limit=page.limit + 1
    )
    return build_page(found, page.limit, cursor_of=lambda item: id_cursor(item.position))


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        file.seek(0)
        while chunk := file.read(_CHUNK):
            yield chunk
    finally:
        file.close()


@router.get(
    "/{batch_id}/documents.zip",
    response_class=Response,
    responses={
        200: {
            # The same bytes as generic ones too, which generated clients take as a file.
            "content": {_ZIP: {}, _GENERIC: {}},
            "description": "The PDFs, each named `<folio> <municipio>.pdf`.",
        },
        **problem_responses(404, 409, 503),
    },
)
def download_batch_documents(
    _: Reader, batch_id: Id, session: SessionDep, request: Request
) -> Response:
    """The convenio PDFs of a finished batch's municipios done, in one ZIP.

    409 while the batch is running (it says how many are pending): the ZIP is of a finished
    batch, so that a download is never taken for the whole batch when it is not."""
    accept = request.headers.get("accept", "")
    entries = service.zip_entries(session, service.get_batch(session, batch_id))
    end_reading(session)  # the files are read with no transaction open
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response, once sent
    try:
        service.write_zip(entries, get_storage(), out)
        size = out.tell()
    except BaseException:
        out.close()
        raise
    return StreamingResponse(
        _chunks(out),
        # `application/zip`, or generic bytes to a client that asks only for those.
        media_type=_GENERIC if _GENERIC in accept and _ZIP not in accept else _ZIP,
        headers={
            "Content-Disposition": f'attachment; filename="convenios-lote-{batch_id}.zip"',
            "Content-Length": str(size),
        },
    )
