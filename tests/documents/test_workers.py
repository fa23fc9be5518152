"""Workers: a runaway template ends as a clear error within seconds; the pool goes on; a full
pool answers at once that it is busy, and when to come back."""

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.documents import router as documents_router
from app.documents.rendering import MissingField, RenderJob, TooManyPages
from app.documents.workers import JobOutOfMemory, JobTimeout, WorkerPool, WorkersBusy
from app.models import Document
from tests.conftest import Keys
from tests.documents.naps import Nap
from tests.factories import API, agreement

TIMEOUT = 3.0


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(size=1, timeout=TIMEOUT, memory_mb=1024, preload=["app.documents.pdf"])
    yield workers
    workers.close()


def _fine(pool: WorkerPool) -> None:
    result = pool.run(RenderJob("<p>{{ folio }}</p>", "", {"folio": "CONV-2026-0001"}, 5))
    assert result.pages == 1 and result.pdf.startswith(b"%PDF-")


def test_a_render_runs_in_a_worker(pool: WorkerPool) -> None:
    _fine(pool)


def test_an_endless_template_is_stopped_and_the_worker_replaced(pool: WorkerPool) -> None:
    endless = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(JobTimeout, match="longer than 3 seconds"):
        pool.run(RenderJob(endless, "", {}, 5))
    assert time.monotonic() - started < TIMEOUT + 2
    _fine(pool)


def test_a_memory_bomb_hits_the_workers_cap_not_the_api(pool: WorkerPool) -> None:
    with pytest.raises(JobOutOfMemory):
        pool.run(RenderJob("{{ ('a' * 3000000000)|length }}", "", {}, 5))
    _fine(pool)


def test_template_errors_come_back_as_themselves(pool: WorkerPool) -> None:
    with pytest.raises(MissingField):
        pool.run(RenderJob("{{ agreement.folio }}", "", {}, 5))
    with pytest.raises(TooManyPages):
        pool.run(RenderJob('<p style="break-after: page">x</p>' * 6, "", {}, 5))
    _fine(pool)


@pytest.mark.realtime  # jobs that wait in real time
def test_a_full_pool_answers_busy_at_once_with_when_to_come_back() -> None:
    busy = WorkerPool(size=1, timeout=TIMEOUT, memory_mb=256, max_waiting=1)
    try:
        results: dict[str, object] = {}

        def run(name: str, seconds: float) -> None:
            try:
                results[name] = busy.run(Nap(seconds))
            except WorkersBusy as error:
                results[name] = error

        working = threading.Thread(target=run, args=("working", 1.0))
        working.start()
        time.sleep(0.3)
        waiting = threading.Thread(target=run, args=("waiting", 0.1))
        waiting.start()
        time.sleep(0.3)
        started = time.monotonic()
        run("refused", 0.1)
        refused_after = time.monotonic() - started
        working.join()
        waiting.join()
    finally:
        busy.close()
    assert results["working"] == 1.0 and results["waiting"] == 0.1  # the one waiting ran
    refused = results["refused"]
    assert isinstance(refused, WorkersBusy) and refused.status == 503
    assert refused_after < 0.5  # at once, not after a wait
    assert refused.headers is not None
    assert 1 <= int(refused.headers["Retry-After"]) <= TIMEOUT


def test_a_busy_render_is_a_503_with_retry_after_and_records_nothing(
    client: TestClient, keys: Keys, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(job: object) -> object:
        raise WorkersBusy("Every worker is busy.", headers={"Retry-After": "7"})

    monkeypatch.setattr(documents_router, "render_runner", lambda: full)
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}/documents"
    response = client.post(url, json={}, headers=keys.legal)
    assert response.status_code == 503 and response.headers["Retry-After"] == "7"
    assert response.json()["type"] == "urn:convenios:problem:workers-busy"
    assert db.scalar(select(func.count()).select_from(Document)) == 0
