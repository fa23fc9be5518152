"""``Idempotency-Key``: a retried creating request gets the first answer and creates nothing.

The key is claimed with a row under a unique constraint before any work, in the request's own
transaction. A concurrent retry blocks on that row (PostgreSQL) or on the write lock (SQLite)
until the first request ends, then replays its stored answer.
"""

import hashlib
import json
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session
from starlette.datastructures import UploadFile as StarletteUploadFile

from app.auth.dependencies import current_principal
from app.auth.principal import Principal
from app.concurrency import etag
from app.db import SessionDep
from app.errors import Conflict, IdempotencyMismatch
from app.kit import canonical_json, sha256_of
from app.models import IdempotencyRecord


class Replay(Exception):
    """Raised to answer with a stored response instead of running the request again."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        # Copied out: the session is closed by the time the answer is sent.
        self.status_code = record.status_code or 200
        self.body = record.body
        self.headers = dict(record.headers or {})


class Idempotency:
    def __init__(
        self, session: Session, api_key_id: int | None, key: str | None, request_hash: str
    ) -> None:
        self.session, self.api_key_id, self.key, self.request_hash = (
            session,
            api_key_id,
            key,
            request_hash,
        )
        self._record: IdempotencyRecord | None = None

    def claim(self, session: Session | None = None) -> None:
        """Reserve the key for this request in ``session`` (the request's own by default: a
        computing route claims in the transaction that records its result), or raise `Replay`
        with the first answer."""
        if self.key is None or self.api_key_id is None:
            return
        session = session or self.session
        existing = self._find(session)
        if existing is None:
            record = IdempotencyRecord(
                api_key_id=self.api_key_id, key=self.key, request_hash=self.request_hash
            )
            try:
                with session.begin_nested():
                    session.add(record)
                    session.flush()
            except IntegrityError:
                existing = self._find(session)
            else:
                self._record = record
                return
        if existing is None:  # pragma: no cover - the unique constraint just said it exists
            raise Conflict("The Idempotency-Key is being used by another request; retry.")
        self._replay(existing)

    def replay_if_answered(self) -> None:
        """Before any work: raise `Replay` if a request with this key was already answered (a
        computing route checks here, and claims the key when it records its result)."""
        if self.key is None or self.api_key_id is None:
            return
        existing = self._find(self.session)
        if existing is not None:
            self._replay(existing)

    def _replay(self, existing: IdempotencyRecord) -> None:
        if existing.request_hash != self.request_hash:
            raise IdempotencyMismatch(
                "This Idempotency-Key was used for a different request; use a new key."
            )
        raise Replay(existing)

    def remember(self, status_code: int, body: Any, headers: dict[str, str]) -> None:
        """Store the answer that retries of this request will get (in the claim's session)."""
        if self._record is None:
            return
        self._record.status_code = status_code
        self._record.body = body
        self._record.headers = headers
        session = object_session(self._record)
        assert session is not None  # claimed in a session that is still open
        session.flush()

    def _find(self, session: Session) -> IdempotencyRecord | None:
        return session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == self.api_key_id,
                IdempotencyRecord.key == self.key,
            )
        ).one_or_none()


async def _form_digest(request: Request) -> bytes:
    """A multipart form as its fields and the SHA-256 of each file (read by the route later)."""
    fields = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, StarletteUploadFile):
            fields.append([name, "file", value.filename, sha256_of(value.file)])
            value.file.seek(0)
        else:
            fields.append([name, "text", value])
    return canonical_json(fields).encode()


async def _request_hash(request: Request) -> str:
    if "idempotency-key" not in request.headers:
        return ""  # nothing to compare with: no reading or hashing of the body (uploads!)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        normalized = await _form_digest(request)
    else:
        body = await request.body()
        try:
            normalized = canonical_json(json.loads(body)).encode() if body else b""
        except (ValueError, UnicodeDecodeError):
            normalized = body
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(normalized)
    return digest.hexdigest()


async def get_idempotency(  # async: it only builds an object, no worker thread hop
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_principal)],
    request_hash: Annotated[str, Depends(_request_hash)],
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Any unique string; a retry with the same key returns the first result.",
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(session, principal.api_key_id, idempotency_key, request_hash)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


async def _on_replay(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Replay)
    headers = {**exc.headers, "Idempotent-Replayed": "true"}
    return JSONResponse(exc.body, status_code=exc.status_code, headers=headers)


def install_replay_handler(app: FastAPI) -> None:
    app.add_exception_handler(Replay, _on_replay)


def respond_created(
    response: Response,
    idempotency: Idempotency,
    body: BaseModel,
    *,
    location: str,
    version: int | None = None,
    status_code: int = 201,
) -> None:
    """Set the headers of a 201 (or of ``status_code``: 200 when an existing resource answers)
    and remember the answer for retries with the same key."""
    headers = {"Location": location}
    if version is not None:
        headers["ETag"] = etag(version)
    respond(response, idempotency, body, status_code=status_code, headers=headers)


def respond(
    response: Response,
    idempotency: Idempotency,
    body: BaseModel,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> None:
    """The answer of an action (a transition, a signature, a waiver…): set, and remembered for
    retries with the same key, which get it again instead of acting twice."""
    headers = headers or {}
    response.status_code = status_code
    response.headers.update(headers)
    idempotency.remember(status_code, body.model_dump(mode="json"), headers)
