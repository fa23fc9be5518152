"""Workers: a runaway template ends as a clear error within seconds; the pool goes on."""

import time
from collections.abc import Iterator

import pytest

from app.documents.rendering import MissingField, RenderJob, TooManyPages
from app.documents.workers import JobOutOfMemory, JobTimeout, WorkerPool

TIMEOUT = 3.0


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(
        size=1, timeout=TIMEOUT, memory_mb=1024, preload=["app.documents.rendering"]
    )
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
