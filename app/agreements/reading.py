"""`GET /agreements/{id}` and `GET /agreements`, the most asked answers of the API, each
agreement's made once per version.

An agreement's answer (`AgreementRead`: its content, its parties' names, its signatories'
names and positions, its publications) was built on every request from ten rows read through the
ORM — 8 ms of a replica's CPU — where a bare endpoint costs 0.2 ms. Now each request reads one
row, from the event loop (`app.loopdb`): the key that asks, checked as every route checks it
(`auth.service.admit`), whether a signatory's key signs the agreement, and the agreement's
*stamp* — its folio and version, and the sum of the versions of its parties and of the people
who sign it. The answer's bytes are kept per replica under that stamp, and served only while the
database shows the same stamp:

- everything the answer shows changes one of them. The agreement's own fields, clauses,
  parties' roles, declarations, contributions, cabildo authorisations, signatories, topics and
  publications are written through it, and bump its version (`touch`, the ORM's version
  counter); a party or a representative bumps its own version, and the sum of versions of a
  fixed set of rows grows with every change of one of them (which rows an agreement links is
  part of its own version);
- the folio tells apart two agreements that got the same id in two databases, or after a row
  was deleted and its id used again (SQLite);
- nothing is kept for a key: the key is read and checked on every request, so a key revoked on
  another replica a moment ago is refused here, and a change committed anywhere is served at
  once — nothing cached can let a revoked key or an earlier version through.

The answer is built, on a miss, as it always was (`AgreementRead.from_model`, in a worker
thread), and kept under the stamp of the rows it was built from: read after the stamp it was
asked for, it is as new or newer, never older.

A page of the list is read alike: one query for the page's ids and stamps (its filters, its
search and a signatory's visibility as before), each item's summary kept under its folio,
version and parties' versions (a summary names no one who signs), and the summaries missing
built from one query more.
"""

import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, NamedTuple

import anyio.to_thread
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from app.agreements import repository
from app.agreements.repository import AgreementFilters
from app.agreements.schemas import AgreementRead, AgreementSummary
from app.auth import service as auth
from app.auth.dependencies import KEY_SECURITY, bearer_key
from app.auth.principal import Principal
from app.concurrency import etag
from app.errors import NotFound
from app.loopdb import LoopReads
from app.models import Agreement, ApiKey
from app.models.enums import Role
from app.pagination import PageParams, id_cursor, int_after
from app.schemas import Id

# The answers one replica keeps: an agreement's is 5 to 20 KB, so some thousands of them; a
# summary (a list's item) under 1 KB, so some tens of thousands.
MAX_BYTES = 32 * 1024 * 1024
MAX_SUMMARY_BYTES = 16 * 1024 * 1024


class Stamp(NamedTuple):
    folio: str
    version: int
    parties_version: int
    people_version: int


def summary_stamp_of(agreement: Agreement) -> Stamp:
    """The stamp of an agreement loaded as lists show it: a summary shows nobody who signs, so
    it counts none of their versions."""
    parties_version = sum(link.party.version for link in agreement.parties)
    return Stamp(agreement.folio, agreement.version, parties_version, 0)


def stamp_of(agreement: Agreement) -> Stamp:
    """The stamp of a loaded agreement (its parties and signatories loaded with it)."""
    return summary_stamp_of(agreement)._replace(
        people_version=sum(
            signatory.representative.version
            for link in agreement.parties
            for signatory in link.signatories
        )
    )


# The key (by its id) and the agreement (by its id, or nulls when there is none) in one row.
_LOOKUP = (
    select(
        *(ApiKey.role, ApiKey.representative_id, ApiKey.secret_hash, ApiKey.revoked_at),
        *(Agreement.folio, Agreement.version, repository.PARTIES_VERSION),
        *(repository.PEOPLE_VERSION, repository.signed_by(ApiKey.representative_id)),
    )
    .select_from(ApiKey)
    .outerjoin(Agreement, Agreement.id == bindparam("agreement_id"))
    .where(ApiKey.key_id == bindparam("key_id"))
)


class _Found(NamedTuple):
    role: str
    representative_id: int | None
    secret_hash: str
    revoked_at: datetime | str | None  # a datetime from psycopg, text from sqlite3
    folio: str | None
    version: int | None
    parties_version: int | None
    people_version: int | None
    signs: bool | int | None


class Answers:
    """Encoded answers by agreement id, each with the stamp it was built from; past
    ``max_bytes`` the least recently served go first. Shared by the event loop and the worker
    threads that fill it."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._size = 0
        self._kept: OrderedDict[int, tuple[Stamp, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, agreement_id: int, stamp: Stamp) -> bytes | None:
        with self._lock:
            kept = self._kept.get(agreement_id)
            if kept is None or kept[0] != stamp:
                return None
            self._kept.move_to_end(agreement_id)
            return kept[1]

    def put(self, agreement_id: int, stamp: Stamp, body: bytes) -> None:
        with self._lock:
            earlier = self._kept.pop(agreement_id, None)
            if earlier is not None:
                self._size -= len(earlier[1])
            if len(body) > self.max_bytes:
                return
            self._kept[agreement_id] = (stamp, body)
            self._size += len(body)
            while self._size > self.max_bytes:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._size -= len(dropped)


async def read(request: Request) -> Response:
    """The answer to ``GET /agreements/{agreement_id}``: 401 for a key that does not work, 422
    for an id that is not one, 404 for an agreement that does not exist or, to a signatory, one
    it does not sign (the same 404, so that existence does not leak)."""
    key_id, secret = auth.parse_key(await bearer_key(request))
    agreement_id, invalid = _agreement_id(request)
    reads: LoopReads = request.app.state.loop_reads
    # The key is checked before the id is refused, as on every route.
    row = await reads.one(_LOOKUP, key_id=key_id, agreement_id=agreement_id)
    found = auth.admit(_Found(*row) if row is not None else None, secret)
    if invalid is not None:
        raise invalid
    hidden = Role(found.role) is Role.SIGNATORY and not (found.representative_id and found.signs)
    if found.folio is None or found.version is None or hidden:
        raise NotFound(f"Agreement {agreement_id} does not exist.")
    stamp = Stamp(found.folio, found.version, found.parties_version or 0, found.people_version or 0)
    answers: Answers = request.app.state.agreement_answers
    body = answers.get(agreement_id, stamp)
    if body is None:
        built = await anyio.to_thread.run_sync(_build, reads.sessions, agreement_id)
        if built is None:  # deleted a moment ago
            raise NotFound(f"Agreement {agreement_id} does not exist.")
        stamp, body = built
        answers.put(agreement_id, stamp, body)
    return Response(body, media_type="application/json", headers={"ETag": etag(stamp.version)})


# The path's id, validated as FastAPI validates the routes' parameters, and documented alike.
_ID = TypeAdapter(Id)
OPENAPI: dict[str, Any] = {
    "security": KEY_SECURITY,
    "parameters": [
        {
            "name": "agreement_id",
            "in": "path",
            "required": True,
            "schema": {**_ID.json_schema(), "title": "Agreement Id"},
        }
    ],
}


def _agreement_id(request: Request) -> tuple[int, RequestValidationError | None]:
    """The path's id, or 0 (which names no agreement: ids start at 1) and why it is none."""
    try:
        return _ID.validate_python(request.path_params["agreement_id"]), None
    except ValidationError as error:
        errors = [
            {**detail, "loc": ("path", "agreement_id", *detail["loc"])}
            for detail in error.errors(include_url=False)
        ]
        return 0, RequestValidationError(errors)


def _build(sessions: sessionmaker[Session], agreement_id: int) -> tuple[Stamp, bytes] | None:
    with sessions() as session:
        agreement = repository.get(session, agreement_id)
        if agreement is None:
            return None
        body = AgreementRead.from_model(agreement).model_dump_json(by_alias=True)
        return stamp_of(agreement), body.encode()


def read_page(
    sessions: sessionmaker[Session],
    summaries: Answers,
    principal: Principal,
    filters: AgreementFilters,
    page: PageParams,
) -> bytes:
    """The answer to ``GET /agreements``: the page's ids and stamps read in one query, each
    summary kept under its stamp or built from the agreements that have none
    (`AgreementSummary.from_model`, in one query more). A signatory sees only the agreements
    it signs. Sync: one worker thread for the page."""
    signatory = principal.representative_id if principal.is_signatory else None
    if principal.is_signatory and signatory is None:
        return _page(b"", None)
    with sessions() as session:
        found = repository.page_stamps(
            session, filters, signatory=signatory, after=int_after(page), limit=page.limit + 1
        )
        shown = found[: page.limit]
        bodies = {}
        for agreement_id, folio, version, parties_version in shown:
            body = summaries.get(agreement_id, Stamp(folio, version, parties_version, 0))
            if body is not None:
                bodies[agreement_id] = body
        missing = [row[0] for row in shown if row[0] not in bodies]
        for agreement in repository.summaries(session, missing) if missing else ():
            body = AgreementSummary.from_model(agreement).model_dump_json(by_alias=True).encode()
            summaries.put(agreement.id, summary_stamp_of(agreement), body)
            bodies[agreement.id] = body
    # One deleted between the two queries is left out, as if the page had been read after.
    items = b",".join(bodies[row[0]] for row in shown if row[0] in bodies)
    return _page(items, id_cursor(shown[-1][0]) if len(found) > page.limit else None)


def _page(items: bytes, cursor: str | None) -> bytes:
    """`Page[AgreementSummary]` as JSON, from its items' JSON."""
    return b'{"items":[' + items + b'],"next_cursor":' + json.dumps(cursor).encode() + b"}"
