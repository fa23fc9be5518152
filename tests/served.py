"""The service served over HTTP from inside the test process — uvicorn in a thread, on a free
port, on a scratch SQLite database with INEGI's catalog and the shipped templates — for what
must reach it as a real client does: a browser, a generated client. Keys for it are committed at
once, since its requests run in transactions of their own."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth.principal import operator
from app.catalog import service as catalog_service
from app.config import get_settings
from app.db import make_engine
from app.main import create_app
from app.models.enums import Role
from app.templates import service as templates
from tests.conftest import INEGI_CSV, Keys, _key
from tests.databases import new_database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    url: str
    engine: Engine
    client: TestClient  # the same application, in process, for setting up


@contextmanager
def serving(root: Path, **settings: str) -> Iterator[Served]:
    """The service on a free port with ``settings`` (CONVENIOS_* names, lower case, without
    the prefix), its public URL the address it is reached at."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    patch = pytest.MonkeyPatch()
    settings = {"public_url": url, "storage_url": str(root / "storage"), **settings}
    for name, value in settings.items():
        patch.setenv(f"CONVENIOS_{name.upper()}", value)
    get_settings.cache_clear()
    engine = make_engine(new_database("sqlite", root, name="served"))
    with Session(engine) as session, session.begin():
        catalog_service.import_catalog(
            session=session, text=INEGI_CSV.read_text(encoding="utf-8"), actor=operator("tests")
        )
        templates.sync_shipped(session, operator("tests"))
    app = create_app(engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with TestClient(app, base_url=url) as client:
            yield Served(url, engine, client)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
        patch.undo()
        get_settings.cache_clear()


@dataclass
class ServedKeys(Keys):
    """Keys committed at once: the served application's requests must see them, and find no
    transaction of the test holding SQLite's write lock."""

    engine: Engine | None = None

    def signatory(self, db: Session, representative_id: int) -> dict[str, str]:
        with Session(self.engine) as own, own.begin():
            return _key(own, Role.SIGNATORY, representative_id)


def served_keys(engine: Engine) -> ServedKeys:
    with Session(engine) as db, db.begin():
        admin, legal, viewer = (_key(db, role) for role in (Role.ADMIN, Role.LEGAL, Role.VIEWER))
    return ServedKeys(admin=admin, legal=legal, viewer=viewer, engine=engine)
