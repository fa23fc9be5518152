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

A page of the list is read alike: one query for the key and the page's ids and stamps (its
filters and its search as before; a signatory's page, with what it signs, in one query more),
each item's summary kept under its folio, version and parties' versions (a summary names no one
who signs), and the summaries missing built from one query more. Neither route has parameters
for FastAPI to solve — solving them cost more than the answer — so each reads its key and
parameters itself, as FastAPI would, and documents them as it would (`OPENAPI`,
`PAGE_OPENAPI`).
"""

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import anyio.to_thread
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import Select, bindparam, select, true
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.agreements import repository
from app.agreements.repository import AgreementFilters
from app.agreements.schemas import AgreementRead, AgreementSummary, Topic
from app.auth import service as auth
from app.auth.dependencies import KEY_SECURITY, bearer_key
from app.concurrency import etag
from app.errors import NotFound
from app.loopdb import LoopReads
from app.models import Agreement, ApiKey
from app.models.enums import AgreementKind, AgreementStatus, Initiative, Role
from app.pagination import (
    CURSOR_DESCRIPTION,
    DEFAULT_LIMIT,
    ID_CURSOR,
    LIMIT_DESCRIPTION,
    MAX_PAGE_SIZE,
    id_after,
    id_cursor,
)
from app.schemas import Id, QueryText

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


class _Key(NamedTuple):
    role: str
    representative_id: int | None
    secret_hash: str
    revoked_at: datetime | str | None  # a datetime from asyncpg or psycopg, text from sqlite3


# The columns of a key that admitting it reads (`_Key`), first in both routes' statements.
_KEY = (ApiKey.role, ApiKey.representative_id, ApiKey.secret_hash, ApiKey.revoked_at)
# The key (by its id) and the agreement (by its id, or nulls when there is none) in one row.
_LOOKUP = (
    select(
        *_KEY,
        *(Agreement.folio, Agreement.version, repository.PARTIES_VERSION),
        *(repository.PEOPLE_VERSION, repository.signed_by(ApiKey.representative_id)),
    )
    .select_from(ApiKey)
    .outerjoin(Agreement, Agreement.id == bindparam("agreement_id"))
    .where(ApiKey.key_id == bindparam("key_id"))
)


class _Found(NamedTuple):
    """`_LOOKUP`'s row: `_Key`'s columns, then the agreement's."""

    role: str
    representative_id: int | None
    secret_hash: str
    revoked_at: datetime | str | None
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
            return self._get(agreement_id, stamp)

    def get_many(self, rows: Sequence[Sequence[Any]]) -> list[bytes | None]:
        """The summary kept of each row of a page (id, folio, version, parties' versions) while
        it is still the row's, or None; under one lock."""
        with self._lock:
            return [self._get(row[0], (row[1], row[2], row[3], 0)) for row in rows]

    def _get(self, agreement_id: int, stamp: tuple[Any, ...]) -> bytes | None:
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
        return 0, _invalid("path", error, "agreement_id")


def _invalid(where: str, error: ValidationError, *name: str) -> RequestValidationError:
    """``error`` as FastAPI reports the request's parameters it refuses: each located by
    where it is (path, query) and its name."""
    return RequestValidationError(
        [
            {**detail, "loc": (where, *name, *detail["loc"])}
            for detail in error.errors(include_url=False)
        ]
    )


def _build(sessions: sessionmaker[Session], agreement_id: int) -> tuple[Stamp, bytes] | None:
    with sessions() as session:
        agreement = repository.get(session, agreement_id)
        if agreement is None:
            return None
        body = AgreementRead.from_model(agreement).model_dump_json(by_alias=True)
        return stamp_of(agreement), body.encode()


class AgreementQuery(BaseModel):
    """The query of ``GET /agreements``: its filters and its page, validated as FastAPI
    validates a route's parameters, and documented as it documents them (`PAGE_OPENAPI`)."""

    status: AgreementStatus | None = None
    kind: AgreementKind | None = None
    party_id: Id | None = None
    topic: Topic | None = None
    initiative: Initiative | None = None
    expiring_within_days: int | None = Field(
        None, ge=0, le=3650, description="Expiry date between today and today + N days."
    )
    q: QueryText | None = Field(
        None,
        max_length=200,
        description="The beginning of a folio, or words of the title, the objective or a "
        "party's name in any form (plural or singular), all of them, the last one also in part "
        "(as it is typed); case and accents aside.",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_PAGE_SIZE, description=LIMIT_DESCRIPTION)
    cursor: str | None = Field(None, pattern=ID_CURSOR, description=CURSOR_DESCRIPTION)

    def filters(self, today: date) -> AgreementFilters:
        within = self.expiring_within_days
        return AgreementFilters(
            status=self.status,
            kind=self.kind,
            party_id=self.party_id,
            topic=self.topic,
            initiative=self.initiative,
            expiring_between=(today, today + timedelta(days=within))
            if within is not None
            else None,
            q=self.q,
        )


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """``model``'s fields as OpenAPI query parameters, as FastAPI writes a route's."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    parameters = []
    for name, field in schema["properties"].items():
        if field.get("default", ...) is None:
            del field["default"]
        field.setdefault("title", name.replace("_", " ").title())  # pydantic's leaves some out
        parameter = {"name": name, "in": "query", "required": False, "schema": field}
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters


PAGE_OPENAPI: dict[str, Any] = {
    "security": KEY_SECURITY,
    "parameters": _query_parameters(AgreementQuery),
}


# The role of the key asking, read apart (uncorrelated: PostgreSQL reads it once, before the
# page, and reads no page at all for a signatory's key).
_ROLE = select(ApiKey.role).where(ApiKey.key_id == bindparam("key_id")).scalar_subquery()


@lru_cache(maxsize=1024)
def _keyed(page: Select[tuple[int, str, int, int]]) -> Select[tuple[Any, ...]]:
    """The key asking (as `_Key`) and, unless it is a signatory's, the rows of ``page``, in one
    statement: a row per agreement of the page, each beside the key's columns, or one row of
    the key's alone when the page has none. One round trip where two took a sixth more of a
    page's time."""
    gated = page.where(_ROLE.correlate(None) != Role.SIGNATORY).subquery()
    return (
        select(*_KEY, *gated.c)
        .select_from(ApiKey)
        .outerjoin(gated, true())
        .where(ApiKey.key_id == bindparam("key_id"))
        .order_by(gated.c.id.desc())
    )


async def read_page(request: Request) -> Response:
    """The answer to ``GET /agreements``: 401 for a key that does not work, 422 for a query
    that is not one. The key and the page's ids and stamps are read in one query from the
    event loop (`app.loopdb`) — a signatory's page in one more, with what it signs — and each
    summary is kept under its stamp, or built for the agreements that have none from one query
    more (`AgreementSummary.from_model`, in a worker thread)."""
    reads: LoopReads = request.app.state.loop_reads
    token = await bearer_key(request)
    try:
        query = AgreementQuery.model_validate(dict(request.query_params))
    except ValidationError as error:
        await auth.authenticate(reads, token)  # a key that does not work is refused first
        raise _invalid("query", error) from None
    key_id, secret = auth.parse_key(token)
    filters = query.filters(clock.today())
    after = id_after(query.cursor) if query.cursor else None
    statement, values = repository.page_query(
        filters, signatory=None, after=after, limit=query.limit + 1
    )
    rows = await reads.all(_keyed(statement), key_id=key_id, **values)
    key = auth.admit(_Key(*rows[0][:4]) if rows else None, secret)
    if Role(key.role) is not Role.SIGNATORY:
        found = [tuple(row)[4:] for row in rows if row[4] is not None]
    elif key.representative_id is None:
        found = []
    else:
        statement, values = repository.page_query(
            filters, signatory=key.representative_id, after=after, limit=query.limit + 1
        )
        found = await reads.all(statement, **values)
    shown = found[: query.limit]
    summaries: Answers = request.app.state.summary_answers
    bodies = summaries.get_many(shown)
    missing = [row[0] for row, body in zip(shown, bodies, strict=True) if body is None]
    if missing:
        built = dict(await anyio.to_thread.run_sync(_summaries, reads.sessions, missing))
        for agreement_id, (stamp, body) in built.items():
            summaries.put(agreement_id, stamp, body)
        for index, row in enumerate(shown):
            if row[0] in built:
                bodies[index] = built[row[0]][1]
    # One deleted between the two queries is left out, as if the page had been read after.
    items = b",".join(body for body in bodies if body is not None)
    return _page_response(items, id_cursor(shown[-1][0]) if len(found) > query.limit else None)


def _summaries(
    sessions: sessionmaker[Session], ids: list[int]
) -> list[tuple[int, tuple[Stamp, bytes]]]:
    with sessions() as session:
        return [
            (
                agreement.id,
                (
                    summary_stamp_of(agreement),
                    AgreementSummary.from_model(agreement).model_dump_json(by_alias=True).encode(),
                ),
            )
            for agreement in repository.summaries(session, ids)
        ]


def _page_response(items: bytes, cursor: str | None) -> Response:
    """`Page[AgreementSummary]` as JSON, from its items' JSON."""
    body = b'{"items":[' + items + b'],"next_cursor":' + json.dumps(cursor).encode() + b"}"
    return Response(body, media_type="application/json")
