"""Tasks on a broker (Celery on Redis, or RabbitMQ), when `CONVENIOS_BROKER_URL` names one.

API replicas publish; `convenios worker` processes, on any machines, take the tasks and also
run the periodic jobs — the sweep, the deliveries, queuing again the renders whose task was
lost — each once per period across all of them (`app.periodic`). Without a broker nothing here
runs: the embedded mode renders in the API process and sweeps from `convenios serve`.

Tasks carry ids only, as JSON: the broker is never a way to run code on the workers (no pickle),
and every state lives in the database, so no result backend is needed. A task is acknowledged
after it ran (`task_acks_late`), so one whose worker dies is delivered again; claims in the
database (`app.documents.queued`) make a document rendered once however often its task comes.
"""

import logging
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from celery import Celery, Task
from kombu.exceptions import ChannelError, OperationalError

from app import clock, periodic
from app.batches.scheduled import process_until
from app.config import Settings, get_settings
from app.db import get_engine, session_factory
from app.documents import queued, remote
from app.documents.runners import get_storage, render_runner, run_here
from app.documents.workers import WorkersBusy
from app.errors import ProblemError

logger = logging.getLogger("convenios.tasks")

RENDER_DOCUMENT = "convenios.render_document"
RUN_JOB = "convenios.run_job"
# A task may come before the transaction that wrote its document commits: it looks again this
# many times, a second apart, before concluding that the request was rolled back.
UNCOMMITTED_LOOKS = 5
# Connecting to the broker, and each of its answers, may take this long: a request that
# publishes never hangs on a broker that is down.
BROKER_TIMEOUT_SECONDS = 2
_TICKET = re.compile(r"[0-9a-f]{32}")
BUSY_RETRIES = 120


class BrokerUnavailable(ProblemError):
    status, type = 503, "broker-unavailable"


def render_document(task: Task, document_id: int) -> str:
    """Render a pending convenio: claim it, render it, record the outcome."""
    settings = get_settings()
    engine = get_engine()
    writes = session_factory(engine, write=True)
    found = queued.claim(writes, document_id, settings)
    retries: int = task.request.retries
    if found.missing:
        if retries >= UNCOMMITTED_LOOKS:
            return "no such document (its request was rolled back)"
        raise task.retry(countdown=1, max_retries=None)
    if found.busy_until is not None:
        # Another worker renders it: look again when its claim ends (done, or lapsed).
        wait = (found.busy_until - clock.now()).total_seconds()
        raise task.retry(countdown=max(wait, 0) + 0.5, max_retries=settings.render_attempts * 2)
    if found.attempt is None:
        return "nothing to do"
    try:
        status = queued.render(
            session_factory(engine, write=False),
            writes,
            document_id,
            found.attempt,
            settings=settings,
            storage=get_storage(settings),
            run=render_runner(),
        )
    except Exception as error:
        queued.release(writes, document_id, found.attempt)
        logger.warning("document %s: render attempt failed (%s); retrying", document_id, error)
        raise task.retry(
            countdown=2**retries, max_retries=settings.render_attempts, exc=error
        ) from None
    return status.value


def run_job(task: Task, ticket: str, message: Any) -> str:
    """An upload check or a signature validation an API replica waits for
    (`app.documents.remote`): run it here, and record the answer where the replica reads it."""
    if not isinstance(ticket, str) or not _TICKET.fullmatch(ticket):
        logger.error("a job with no valid ticket was dropped")
        return "no ticket"
    try:
        outcome = remote.perform(message, run_here)
    except WorkersBusy:
        # This worker's own processes are all busy: a second later, for as long as a replica
        # may still be waiting (`remote.QUEUE_WAIT_SECONDS` beyond the job's limit), not for ever.
        raise task.retry(countdown=1, max_retries=BUSY_RETRIES) from None
    remote.record(session_factory(get_engine(), write=True), ticket, outcome)
    return "answered"


@lru_cache(maxsize=8)
def _celery(broker: str, queue: str, redelivery_seconds: int) -> Celery:
    app = Celery("convenios", broker=broker, set_as_current=False)
    app.conf.update(
        # Ids as JSON, never pickles.
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        # Acknowledged once run: a task whose worker dies is delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue,
        # A request publishes once (`retry=False`, no retries of the connection below): a
        # broker that is down costs it seconds, never a hang. A worker waits for its broker at
        # start and reconnects for as long as it takes when it goes away.
        broker_connection_timeout=BROKER_TIMEOUT_SECONDS,
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_transport_options={
            "visibility_timeout": redelivery_seconds,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_timeout": BROKER_TIMEOUT_SECONDS * 2,
            "max_retries": 0,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    app.task(bind=True, name=RENDER_DOCUMENT, acks_late=True)(render_document)
    app.task(bind=True, name=RUN_JOB, acks_late=True)(run_job)
    return app


def celery_app(settings: Settings | None = None) -> Celery:
    """The Celery application of the configured broker."""
    settings = settings or get_settings()
    assert settings.broker is not None, "no broker configured"
    return _celery(settings.broker, settings.broker_queue, settings.broker_redelivery_seconds)


def publish_render(document_id: int) -> None:
    """Queue the render of a pending document; 503 with Retry-After when the broker cannot
    take it (within seconds)."""
    publish(RENDER_DOCUMENT, [document_id])


def publish(task: str, args: list[Any], *, queue: str | None = None) -> None:
    """Send ``task`` (to ``queue``, else the renders'); 503 with Retry-After when the broker
    cannot take it (within seconds)."""
    try:
        celery_app().send_task(task, args=args, queue=queue, retry=False)
    except (OperationalError, OSError, ConnectionError) as error:
        logger.error("broker unavailable: %s", type(error).__name__)
        raise BrokerUnavailable(
            "The task queue cannot be reached; nothing was created. Try again shortly.",
            headers={"Retry-After": "5"},
        ) from None


def broker_status(settings: Settings) -> str:
    """For `/readyz`: how many tasks wait on each of this deployment's queues, or why the broker
    cannot be reached (`BrokerUnavailable`), within seconds."""
    queues = {"renders": settings.broker_queue, "checks": remote.checks_queue(settings)}
    try:
        with celery_app(settings).connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            waiting = {name: _waiting(connection, queue) for name, queue in queues.items()}
    except (OperationalError, OSError, ConnectionError) as error:
        raise BrokerUnavailable(f"unreachable ({type(error).__name__})") from None
    return "ok: " + ", ".join(f"{count} {name} waiting" for name, count in waiting.items())


def _waiting(connection: Any, queue: str) -> int:
    with connection.channel() as channel:
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except ChannelError:  # not declared yet (no worker has started), or empty on Redis
            return 0


# How often a worker's loop looks whether a periodic job is due (it runs once per period across
# all processes, whoever looks first).
TICK_SECONDS = 5.0
PERIOD_OF_LOST = timedelta(minutes=1)
PERIOD_OF_UNREAD = timedelta(minutes=10)


def _periodic_jobs(settings: Settings) -> list[tuple[str, timedelta, Callable[[], Any]]]:
    # Imported here: the sweep renders constancias and sends email, which only workers need.
    from app.events.dispatch import dispatch_now
    from app.obligations.scheduled import sweep_now

    engine = get_engine()
    writes = session_factory(engine, write=True)
    jobs: list[tuple[str, timedelta, Callable[[], Any]]] = [
        ("lost-renders", PERIOD_OF_LOST, lambda: queued.lost(writes, settings, publish_render)),
        ("unread-results", PERIOD_OF_UNREAD, lambda: remote.forget_unread(writes)),
    ]
    if settings.sweep_interval_minutes > 0:
        period = timedelta(minutes=settings.sweep_interval_minutes)
        jobs.append(("sweep", period, lambda: sweep_now(engine, settings)))
    if settings.delivery_interval_seconds > 0:
        period = timedelta(seconds=settings.delivery_interval_seconds)
        jobs.append(("deliveries", period, lambda: dispatch_now(engine, settings)))
    return jobs


def run_periodic(settings: Settings, stop: threading.Event) -> None:
    """A worker's loop of periodic jobs, until ``stop`` is set; a failure is logged and tried
    again next period."""
    writes = session_factory(get_engine(), write=True)
    jobs = _periodic_jobs(settings)
    while not stop.is_set():
        for name, period, job in jobs:
            try:
                if periodic.claim(writes, name, period):
                    job()
            except Exception:
                logger.exception("%s failed; trying again next period", name)
        stop.wait(min([TICK_SECONDS, *(period.total_seconds() for _, period, _ in jobs)]))


def run_worker(*, concurrency: int) -> int:
    """`convenios worker`: take tasks from the broker, and run the periodic jobs."""
    settings = get_settings()
    stop = threading.Event()
    loops = [threading.Thread(target=run_periodic, args=(settings, stop), daemon=True)]
    if settings.batch_interval_seconds > 0:
        loops += [
            threading.Thread(target=process_until, args=(stop, get_engine(), settings), daemon=True)
            for _ in range(concurrency)
        ]
    for loop in loops:
        loop.start()
    try:
        # Threads: the work itself runs in the capped child processes of the render pool.
        celery_app(settings).worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                f"--queues={settings.broker_queue},{remote.checks_queue(settings)}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        stop.set()
    return 0
