"""Fixtures: every database-backed test runs on SQLite and on PostgreSQL, each in a transaction
that is rolled back, against a schema built by the migrations."""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app import clock as service_clock
from app.auth import service as keys_service
from app.auth.principal import operator
from app.catalog import service as catalog_service
from app.config import get_settings
from app.db import Writes, get_session, get_writes, make_engine
from app.loopdb import LoopReads
from app.main import create_app
from app.models.enums import Role
from app.templates import service as templates
from tests import s3server
from tests.clock import CLOCK, RUN_STARTED, TestClock
from tests.databases import BACKENDS, drop_database, new_database

SHARED = Path(__file__).resolve().parents[2] / "shared"
INEGI_CSV = SHARED / "data" / "inegi_municipios.csv"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under libfaketime (which moves the clock, and stops timed waits) the tests of real
    deadlines cannot run: they are skipped, saying why, however the suite was started."""
    if "FAKETIME" not in os.environ:
        return
    skip = pytest.mark.skip(reason="libfaketime stops timed waits: a real deadline is untestable")
    for item in items:
        if item.get_closest_marker("realtime"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never touch the developer's storage/ or database."""
    monkeypatch.setenv("CONVENIOS_STORAGE_URL", str(tmp_path / "storage"))
    monkeypatch.setenv("CONVENIOS_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    # The embedded mode unless a test names a broker (tests/documents/test_queue.py).
    monkeypatch.delenv("CONVENIOS_BROKER_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[s3server.S3Server]:
    """A SeaweedFS S3 server for this process's tests, started on first use."""
    server = s3server.start(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


def use_s3(server: s3server.S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the service's storage at a prefix of its own in the test server's bucket."""
    url = f"s3://{s3server.BUCKET}/test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("CONVENIOS_STORAGE_URL", url)
    monkeypatch.setenv("CONVENIOS_S3_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("CONVENIOS_S3_REGION", "us-east-1")
    monkeypatch.setenv("CONVENIOS_S3_ACCESS_KEY_ID", s3server.ACCESS_KEY)
    monkeypatch.setenv("CONVENIOS_S3_SECRET_ACCESS_KEY", s3server.SECRET_KEY)
    get_settings.cache_clear()
    return url


@pytest.fixture(params=["directory", "s3"])
def storage_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with documents in a directory, then in the S3 server."""
    if request.param == "s3":
        use_s3(request.getfixturevalue("s3_server"), monkeypatch)
    return str(request.param)


@pytest.fixture(scope="session", autouse=True)
def _service_clock() -> Iterator[None]:
    """The service reads the tests' clock for the whole run, session fixtures included."""
    previous = service_clock.use(CLOCK)
    yield
    service_clock.use(previous)


@pytest.fixture(autouse=True)
def clock(_service_clock: None) -> TestClock:
    """The service's clock, at `RUN_STARTED` when each test begins."""
    CLOCK.set(RUN_STARTED)
    return CLOCK


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The suite's database for ``backend``: migrated, with INEGI's catalog and the shipped
    templates, as `convenios migrate` and `convenios catalog import` leave it."""
    # One database per run, so that runs in parallel (two checkouts, CI) never collide.
    url = new_database(
        backend, tmp_path_factory.mktemp(backend), name=f"convenios_test_{os.getpid()}"
    )
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        catalog_service.import_catalog(
            session=session, text=INEGI_CSV.read_text(encoding="utf-8"), actor=operator("tests")
        )
        templates.sync_shipped(session, operator("tests"))
    engine.dispose()
    yield url
    drop_database(backend, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection whose outer transaction is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session inside the test's transaction, for arranging data and checking results."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions of their own inside the test's transaction: what the dispatcher, the scrub and
    the short writes of computing routes get."""
    return sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )


@pytest.fixture
def app(engine: Engine, connection: Connection, sessions: sessionmaker[Session]) -> FastAPI:
    """The application, with every request's session inside the test's transaction."""
    application = create_app(engine)

    def session_in_test_transaction() -> Iterator[Session]:
        with Session(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            autoflush=False,
        ) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    application.dependency_overrides[get_session] = session_in_test_transaction
    application.dependency_overrides[get_writes] = lambda: Writes(sessions)
    application.state.loop_reads = LoopReads(engine, sessions)
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Keys:
    """One API key per role, as `Authorization` headers."""

    admin: dict[str, str]
    legal: dict[str, str]
    viewer: dict[str, str]

    def signatory(self, db: Session, representative_id: int) -> dict[str, str]:
        return _key(db, Role.SIGNATORY, representative_id)


def _key(db: Session, role: Role, representative_id: int | None = None) -> dict[str, str]:
    _, plaintext = keys_service.create_key(
        session=db,
        name=f"test {role.value}",
        role=role,
        representative_id=representative_id,
        actor=operator("tests"),
    )
    db.flush()
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def keys(db: Session) -> Keys:
    return Keys(
        admin=_key(db, Role.ADMIN), legal=_key(db, Role.LEGAL), viewer=_key(db, Role.VIEWER)
    )
