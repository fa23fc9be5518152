"""`/healthz`: the process answers. `/readyz`: it can do its work."""

from pathlib import Path

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app import migrations
from app.config import Settings, get_settings
from app.documents.runners import get_storage
from app.documents.scrub import missing_recent
from app.documents.storage import StorageUnavailable
from app.errors import ServiceUnavailable, problem_responses
from app.signatures.trust import TrustConfigurationError, trust_store

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migrations: str
    storage: str
    broker: str = Field(
        description="The task queue's broker and how many tasks wait on it, or `none` in the "
        "embedded mode (renders and checks run in the API process)."
    )
    signatures: str = Field(
        description="The trust roots PAdES signatures are checked against, or that there are "
        "none (then PAdES signing is refused; other ways to sign work)."
    )


@router.get("/healthz")
async def healthz() -> Health:  # async: pure, so no worker thread hop
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", responses=problem_responses(503))
def readyz(request: Request) -> Readiness:
    """The database answers, its schema is at the latest migration, storage is writable and
    holds the files of the newest documents, and the broker, if one is configured, answers."""
    engine: Engine = request.app.state.engine
    problems: list[str] = []
    database = schema = "ok"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = migrations.current_revisions(connection)
        if current != migrations.head_revisions():
            schema = f"at {', '.join(sorted(current)) or 'nothing'}; run `convenios migrate`"
            problems.append(f"migrations: {schema}")
    except SQLAlchemyError as error:
        database = schema = "unreachable"
        problems.append(f"database: {type(error).__name__}")
    blobs = get_storage()
    storage = blobs.readiness()
    if storage == "ok" and database == "ok" and schema == "ok":
        try:
            with Session(engine) as session:
                missing = missing_recent(session, blobs)
        except StorageUnavailable as error:  # it failed between the probe and these reads
            storage = error.reason
        else:
            if missing:
                storage = f"files of documents {', '.join(map(str, missing[:10]))} are missing"
    if storage != "ok":
        problems.append(f"storage: {storage}")
    settings = get_settings()
    broker = _broker_status(settings)
    if not broker.startswith(("ok", "none")):
        problems.append(f"broker: {broker}")
    signatures = _trust_status(settings.trust_roots)
    if signatures.startswith("unreadable"):
        problems.append(f"signatures: {signatures}")
    if problems:
        raise ServiceUnavailable("Not ready: " + "; ".join(problems))
    return Readiness(
        status="ready",
        database=database,
        migrations=schema,
        storage=storage,
        broker=broker,
        signatures=signatures,
    )


def _broker_status(settings: Settings) -> str:
    if settings.broker is None:
        return "none"
    from app import tasks  # the broker's client: loaded where a broker is configured only

    try:
        return tasks.broker_status(settings)
    except tasks.BrokerUnavailable as error:
        return error.detail


def _trust_status(path: Path | None) -> str:
    if path is None:
        return "no trust roots (CONVENIOS_TRUST_ROOTS): PAdES signing is refused"
    try:
        trust = trust_store(path)
    except (OSError, TrustConfigurationError) as error:
        return f"unreadable trust roots: {error}"
    return f"ok: {len(trust.roots)} trust roots, {len(trust.intermediates)} intermediates"
