"""Convenios rendered by task workers: Celery on the real Redis at 127.0.0.1:6379 and real
`convenios worker` processes, on each backend's own committed database.

- POST answers 202 with the pending document; it becomes ready with the bytes a synchronous
  render gives; the task delivered again renders nothing twice;
- a broker that cannot be reached: 503 with Retry-After, no row, no file;
- a render that fails leaves the document failed, saying why;
- a task lost with the broker is queued again by the sweep; out of attempts, the document fails;
- a worker killed in the middle of a render: ready after the retry, one file, nothing orphaned;
- the sweep's period is claimed by one process when several race for it;
- upload checks and signature validation run on the workers, the request waiting for their
  answer (the same answers as in the embedded mode); none taken in time: 503, nothing recorded;
- `/readyz` says how many tasks wait, and that the broker is unreachable when it is.

Each test publishes to a queue of its own on the broker, deleted afterwards.
"""

import io
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import kombu
import pytest
import redis
from fastapi.testclient import TestClient
from pypdf import PdfWriter
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app import clock as service_clock
from app import periodic, tasks
from app.agreements import repository as agreements
from app.auth.principal import operator
from app.catalog import service as catalog_service
from app.config import get_settings
from app.db import get_engine, make_engine, session_factory
from app.documents import queued, remote, runners, service
from app.documents.inspection import InspectJob, NotAPdf
from app.documents.runners import get_storage, render_runner
from app.documents.scrub import scrub
from app.documents.service import GenerateRequest
from app.main import create_app
from app.models import AuditEvent, Document, JobResult, ScheduledRun
from app.models.enums import DocumentStatus, Role
from app.signatures.pades import Credentials, SignaturesUnreadable, SignJob, VerifyJob
from app.templates import service as templates
from tests.conftest import INEGI_CSV
from tests.databases import ONE_DATABASE, api_key, drop_database, new_database
from tests.factories import API, agreement, ok
from tests.signatures.pki import test_pki

REDIS_URL = os.environ.get("CONVENIOS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("CONVENIOS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
CONVENIOS = str(Path(sys.executable).with_name("convenios"))


def _require_redis() -> None:
    """Skip locally, fail in CI, when Redis cannot be reached: say so either way."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis at {REDIS_URL} is unreachable ({error})."
        if os.environ.get("CI"):
            pytest.fail(message + " — CI requires it.", pytrace=False)
        pytest.skip(message + " — the task queue's tests skipped (they fail in CI).")


@dataclass
class Queue:
    """The application with a broker, on a database of its own, and its workers."""

    url: str
    engine: Engine
    root: Path
    env: dict[str, str]
    client: TestClient
    legal: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, **settings: str) -> subprocess.Popen[bytes]:
        # A worker reads the machine's clock; the tests' stands at the run's start, minutes
        # back in a whole suite — so a worker would take every pending document the tests made
        # for one whose task was lost, and queue it again (an attempt more). Not within a day.
        settings = {"render_requeue_minutes": str(24 * 60), **settings}
        env = {**self.env, **{f"CONVENIOS_{k.upper()}": v for k, v in settings.items()}}
        log = (self.root / f"worker-{len(self.workers)}.log").open("wb")
        process = subprocess.Popen(
            [CONVENIOS, "worker", "--concurrency", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its render processes are killed with it
        )
        self.workers.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def document(self, document_id: int) -> Document:
        with Session(self.engine) as session:
            found = session.get(Document, document_id)
            assert found is not None
            return found

    def wait(
        self, document_id: int, until: Callable[[Document], bool], timeout: float = 60
    ) -> Document:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            document = self.document(document_id)
            if until(document):
                return document
            time.sleep(0.1)
        logs = "\n".join(path.read_text()[-3000:] for path in self.root.glob("worker-*.log"))
        raise AssertionError(f"document {document_id} stayed {document.status}:\n{logs}")

    def generated(self, document_id: int) -> int:
        with Session(self.engine) as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        AuditEvent.action == "document.generated",
                        AuditEvent.entity_id == str(document_id),
                    )
                )
                or 0
            )


@pytest.fixture
def queue(
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Queue]:
    _require_redis()
    name = f"convenios-test-{uuid.uuid4().hex[:12]}"
    url = new_database(backend, tmp_path)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        catalog_service.import_catalog(
            session=session, text=INEGI_CSV.read_text(encoding="utf-8"), actor=operator("tests")
        )
        templates.sync_shipped(session, operator("tests"))
    settings = {
        "CONVENIOS_DATABASE_URL": url,
        "CONVENIOS_BROKER_URL": REDIS_URL,
        "CONVENIOS_BROKER_QUEUE": name,
        # The workers' loops: no sweep nor deliveries of their own (the tests run them).
        "CONVENIOS_SWEEP_INTERVAL_MINUTES": "0",
        "CONVENIOS_DELIVERY_INTERVAL_SECONDS": "0",
        # A render's time limit no busy machine reaches: an attempt that timed out would be
        # retried, and the tests that count attempts would count it.
        "CONVENIOS_RENDER_TIMEOUT_SECONDS": "120",
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_engine.cache_clear()  # requests waiting for the workers' answers read them on it
    legal = api_key(engine, Role.LEGAL)
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        running = Queue(url, engine, tmp_path, dict(os.environ), client, legal)
        try:
            yield running
        finally:
            for process in running.workers:
                running.kill(process)
            broker = redis.Redis.from_url(REDIS_URL)
            broker.delete(name, f"{name}.checks")
            # Tasks a killed worker held, waiting to be delivered again.
            for tag, payload in broker.hgetall("unacked").items():
                if name.encode() in payload:
                    broker.hdel("unacked", tag)
                    broker.zrem("unacked_index", tag)
            engine.dispose()
            get_engine().dispose()
            get_engine.cache_clear()
            drop_database(backend, url)


def _convenio(queue: Queue) -> dict[str, Any]:
    return agreement(queue.client, queue.legal)


def _generate(queue: Queue, agreement_id: int) -> Any:
    return queue.client.post(
        f"{API}/agreements/{agreement_id}/documents", json={}, headers=queue.legal
    )


def _stored(queue: Queue) -> list[str]:
    return sorted(get_storage().digests())


def test_a_convenio_is_queued_then_ready_with_the_bytes_of_a_synchronous_render(
    queue: Queue,
) -> None:
    created = _convenio(queue)
    answer = _generate(queue, created["id"])
    body = ok(answer, 202)
    assert body["status"] == "pending" and body["sha256"] is None
    assert answer.headers["location"] == f"{API}/documents/{body['id']}"
    # Before a worker has it: the same request points at it again, the file is not there yet.
    assert ok(_generate(queue, created["id"]), 202)["id"] == body["id"]
    pending = queue.client.get(f"{API}/documents/{body['id']}/pdf", headers=queue.legal)
    assert pending.status_code == 409 and pending.headers["retry-after"]
    assert pending.json()["type"].endswith("document-pending")
    listed = queue.client.get(f"{API}/agreements/{created['id']}/documents", headers=queue.legal)
    assert ok(listed)["items"] == []  # lists show documents with their file

    # The task twice more (a broker's redelivery, a duplicate), and two workers to take them
    # at once: one claims the document and renders it; the others find it claimed and look
    # again when the claim ends.
    for _ in range(2):
        tasks.celery_app().send_task(tasks.RENDER_DOCUMENT, args=[body["id"]])
    queue.start_worker()
    queue.start_worker()
    ready = queue.wait(body["id"], lambda d: d.status is DocumentStatus.READY)
    read = ok(queue.client.get(f"{API}/documents/{body['id']}", headers=queue.legal))
    assert read["status"] == "ready" and read["sha256"] == ready.sha256 and read["pages"] >= 1
    pdf = queue.client.get(f"{API}/documents/{body['id']}/pdf", headers=queue.legal)
    assert pdf.status_code == 200

    # What the API process renders itself from the same inputs: the same bytes.
    with Session(queue.engine) as session:
        row = agreements.get(session, created["id"])
        assert row is not None
        plan = service.plan_generation(
            session, row, GenerateRequest(), settings=get_settings(), rendering=True
        )
    assert service.render(plan, render=render_runner()).pdf == pdf.content
    # Asked again: the ready document, 200, nothing queued.
    assert ok(_generate(queue, created["id"]), 200)["id"] == body["id"]
    # The task once more, now that it is ready: nothing to do.
    tasks.celery_app().send_task(tasks.RENDER_DOCUMENT, args=[body["id"]])
    time.sleep(2)
    assert queue.generated(body["id"]) == 1
    assert queue.document(body["id"]).attempts == 1
    assert _stored(queue) == [ready.sha256]


def test_an_unreachable_broker_answers_503_and_creates_nothing(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = _convenio(queue)
    monkeypatch.setenv("CONVENIOS_BROKER_URL", "redis://127.0.0.1:9/0")  # a closed port
    get_settings.cache_clear()
    started = time.monotonic()
    answer = _generate(queue, created["id"])
    assert answer.status_code == 503, answer.text
    assert time.monotonic() - started < 10
    assert answer.headers["retry-after"]
    assert answer.json()["type"].endswith("broker-unavailable")
    with Session(queue.engine) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0
        assert (
            session.scalar(select(func.count()).where(AuditEvent.action == "document.requested"))
            == 0
        )
    assert _stored(queue) == []


def test_a_render_that_fails_leaves_the_document_failed_saying_why(queue: Queue) -> None:
    created = _convenio(queue)
    body = ok(_generate(queue, created["id"]), 202)
    queue.start_worker(render_max_pages="1")  # the convenio has more pages than that
    failed = queue.wait(body["id"], lambda d: d.status is not DocumentStatus.PENDING)
    assert failed.status is DocumentStatus.FAILED
    assert failed.error is not None and "longer than allowed" in failed.error
    assert "Traceback" not in failed.error
    read = ok(queue.client.get(f"{API}/documents/{body['id']}", headers=queue.legal))
    assert read["status"] == "failed" and read["error"] == failed.error
    download = queue.client.get(f"{API}/documents/{body['id']}/pdf", headers=queue.legal)
    assert download.status_code == 409 and "longer than allowed" in download.json()["detail"]
    assert _stored(queue) == []


def test_the_sweep_queues_again_a_task_lost_with_the_broker(queue: Queue) -> None:
    created = _convenio(queue)
    body = ok(_generate(queue, created["id"]), 202)
    settings = get_settings()
    redis.Redis.from_url(REDIS_URL).delete(settings.broker_queue)  # the task is lost
    writes = session_factory(queue.engine, write=True)
    assert queued.lost(writes, settings, tasks.publish_render) == []  # not waited long enough
    with writes() as session, session.begin():
        session.execute(
            update(Document)
            .where(Document.id == body["id"])
            .values(created_at=service_clock.now() - timedelta(minutes=11))
        )
    assert queued.lost(writes, settings, tasks.publish_render) == [body["id"]]
    queue.start_worker()
    ready = queue.wait(body["id"], lambda d: d.status is not DocumentStatus.PENDING)
    assert ready.status is DocumentStatus.READY, ready.error


def test_a_document_out_of_attempts_is_failed_by_the_sweep(queue: Queue) -> None:
    created = _convenio(queue)
    body = ok(_generate(queue, created["id"]), 202)
    settings = get_settings()
    writes = session_factory(queue.engine, write=True)
    with writes() as session, session.begin():
        session.execute(
            update(Document)
            .where(Document.id == body["id"])
            .values(
                attempts=settings.render_attempts,
                claimed_until=service_clock.now() - timedelta(minutes=11),
            )
        )
    assert queued.lost(writes, settings, tasks.publish_render) == []
    failed = queue.document(body["id"])
    assert failed.status is DocumentStatus.FAILED
    assert failed.error == f"rendering was begun {settings.render_attempts} times without finishing"


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_a_render_leaves_it_to_the_next(queue: Queue) -> None:
    # A short claim (the render's time limit and a margin) and redelivery, so that the next
    # worker takes over within seconds; still room for a render on a busy machine.
    quick = {"render_timeout_seconds": "10", "broker_redelivery_seconds": "2"}
    created = _convenio(queue)
    body = ok(_generate(queue, created["id"]), 202)
    first = queue.start_worker(**quick)
    queue.wait(body["id"], lambda d: d.attempts == 1)  # claimed: rendering
    queue.kill(first)
    assert queue.document(body["id"]).status is DocumentStatus.PENDING
    # Redis gives the dead worker's task to another once it has been out for the redelivery
    # time: to a worker starting after that at once (a running one looks only now and then).
    time.sleep(float(quick["broker_redelivery_seconds"]) + 1)
    queue.start_worker(**quick)
    ready = queue.wait(body["id"], lambda d: d.status is not DocumentStatus.PENDING, timeout=90)
    assert ready.status is DocumentStatus.READY, ready.error
    assert ready.attempts == 2
    assert queue.generated(body["id"]) == 1
    assert _stored(queue) == [ready.sha256]
    report = scrub(session_factory(queue.engine, write=True), get_storage())
    assert report.ok and report.orphans == [] and report.missing == []


def test_one_process_runs_the_sweep_each_period_however_many_race(queue: Queue) -> None:
    writes = session_factory(queue.engine, write=True)
    period = timedelta(minutes=60)
    won: list[bool] = []
    barrier = threading.Barrier(6)

    def race() -> None:
        barrier.wait()
        won.append(periodic.claim(writes, "sweep", period))

    for _ in range(2):  # the first period (no row yet), then the next one
        won.clear()
        racers = [threading.Thread(target=race) for _ in range(6)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=60)
        assert sorted(won) == [False] * 5 + [True]
        assert periodic.claim(writes, "sweep", period) is False  # the same period
        service_clock_now = service_clock.now()
        with writes() as session, session.begin():
            session.execute(update(ScheduledRun).values(last_started_at=service_clock_now - period))


@ONE_DATABASE
def test_rabbitmq_serves_as_the_broker_alike(queue: Queue, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same code on RabbitMQ, by the setting alone (where a server runs: it is optional)."""
    try:
        with kombu.Connection(RABBITMQ_URL, connect_timeout=2) as probe:
            probe.ensure_connection(max_retries=1)
    except Exception as error:
        pytest.skip(f"no RabbitMQ at {RABBITMQ_URL} ({type(error).__name__})")
    monkeypatch.setenv("CONVENIOS_BROKER_URL", RABBITMQ_URL)
    get_settings.cache_clear()
    queue.env["CONVENIOS_BROKER_URL"] = RABBITMQ_URL
    try:
        body = ok(_generate(queue, _convenio(queue)["id"]), 202)
        queue.start_worker()
        ready = queue.wait(body["id"], lambda d: d.status is not DocumentStatus.PENDING)
        assert ready.status is DocumentStatus.READY, ready.error
        # An upload's check too, on its queue.
        monkeypatch.setattr(runners, "_inspect_locally", _nothing_here)
        ok(_upload(queue, ready.agreement_id, _pdf()), 201)
    finally:
        for process in queue.workers:
            queue.kill(process)
        with kombu.Connection(RABBITMQ_URL) as connection:
            settings = get_settings()
            for name in (settings.broker_queue, remote.checks_queue(settings)):
                connection.channel().queue_delete(name)


def _upload(queue: Queue, agreement_id: int, data: bytes) -> Any:
    return queue.client.post(
        f"{API}/agreements/{agreement_id}/documents/upload",
        files={"file": ("anexo.pdf", data, "application/pdf")},
        data={"kind": "annex"},
        headers=queue.legal,
    )


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _nothing_here(job: object) -> None:
    raise AssertionError(f"{type(job).__name__} ran in the API process")


def test_upload_checks_and_signature_validation_run_on_the_workers(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process's own pools must not be used: the work is the workers'.
    monkeypatch.setattr(runners, "_inspect_locally", _nothing_here)
    monkeypatch.setattr(runners, "_crypto_locally", _nothing_here)
    queue.start_worker()
    created = _convenio(queue)
    pdf = _pdf()
    uploaded = ok(_upload(queue, created["id"], pdf), 201)
    assert uploaded["pages"] == 1 and uploaded["size"] == len(pdf)
    refused = _upload(queue, created["id"], b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    assert refused.status_code == 415, refused.text
    assert refused.json()["type"].endswith("not-a-pdf")
    with pytest.raises(NotAPdf):
        runners.inspect_runner()(InspectJob(b"no es un PDF"))

    pki = test_pki()
    firma = pki.efirma("Luis Ramírez Ortega", "RAOL7005128K3", None, password="x-123")
    signed = SignJob(
        pdf=pdf,
        credentials=Credentials(password="x-123", certificate=firma.cer, private_key=firma.key),
        trust=pki.trust,
        at=service_clock.now(),
        field_name="Firma-estado",
        reason="Firma del convenio",
    ).run()
    # The reports of the workers are those of a run here, field for field.
    assert runners.crypto_runner()(VerifyJob(signed.pdf, pki.trust)) == (signed.report,)
    with pytest.raises(SignaturesUnreadable):
        runners.crypto_runner()(VerifyJob(b"no es un PDF", pki.trust))
    # Every answer read was deleted.
    with Session(queue.engine) as session:
        assert session.scalar(select(func.count()).select_from(JobResult)) == 0


def test_a_check_no_worker_takes_in_time_answers_503_and_records_nothing(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = _convenio(queue)
    monkeypatch.setattr(remote, "QUEUE_WAIT_SECONDS", 1.0)
    monkeypatch.setenv("CONVENIOS_UPLOAD_CHECK_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    started = time.monotonic()
    answer = _upload(queue, created["id"], _pdf())  # no worker runs
    assert answer.status_code == 503, answer.text
    assert 2 <= time.monotonic() - started < 10
    assert answer.json()["type"].endswith("workers-busy") and answer.headers["retry-after"]
    with Session(queue.engine) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0


def test_readiness_counts_the_waiting_tasks_and_says_when_the_broker_is_unreachable(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    _generate(queue, _convenio(queue)["id"])  # no worker runs: its render waits
    ready = ok(queue.client.get("/readyz"))
    assert ready["broker"] == "ok: 1 renders waiting, 0 checks waiting"
    monkeypatch.setenv("CONVENIOS_BROKER_URL", "redis://127.0.0.1:9/0")  # a closed port
    get_settings.cache_clear()
    started = time.monotonic()
    down = queue.client.get("/readyz")
    assert time.monotonic() - started < 10
    assert down.status_code == 503
    assert "broker: unreachable (OperationalError)" in down.json()["detail"]
