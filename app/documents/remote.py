"""Upload checks and signature validation on the task workers, when a broker is configured.

The client's request still waits for the answer — its 201, or its 415 or 422 saying what is
wrong with the file, exactly as in the embedded mode — but the CPU and the memory the work
takes are a worker's, not the API replica's. A job travels as JSON (`app.wire`) on a queue of
its own (`checks_queue`), which each worker serves beside the renders', so a check never waits
behind a whole queue of renders. The worker's answer comes back through the database
(`JobResult`), which every replica and worker already share: no result backend, whose clients
are not safe to share between a server's threads (celery/celery#4480, #3761).

Which jobs go: the upload checks (`InspectJob`), the pages drawn for phones (`PageImageJob`) and
the validation of signatures (`VerifyJob`, `AcceptJob`). Signing stays in the API process: a
`SignJob` carries the signer's private key and password, which must never rest in a broker;
preparing and completing a signature on the signer's device go with it.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app import clock, wire
from app.config import Settings, get_settings
from app.db import get_engine, insert_unless_present, session_factory
from app.documents.inspection import InspectJob, PdfFacts
from app.documents.workers import Job, JobError, WorkersBusy, error_class
from app.models import JobResult
from app.pages.pictures import PageImageJob
from app.signatures.pades import AcceptJob, Identity, SignatureReport, TrustStore, VerifyJob

logger = logging.getLogger("convenios.remote")

Runner = Callable[[Job], Any]
ON_WORKERS: tuple[type, ...] = (InspectJob, PageImageJob, VerifyJob, AcceptJob)
# What a message may build, by name: the jobs and what they hold, and the results.
JOB_TYPES = {cls.__name__: cls for cls in (*ON_WORKERS, TrustStore)}
RESULT_TYPES = {cls.__name__: cls for cls in (PdfFacts, SignatureReport, Identity)}
# Beyond the job's own time limit, how long a request waits for a worker to take it.
QUEUE_WAIT_SECONDS = 20.0
# An answer no replica came to read (it gave up waiting, or died) is deleted after this.
UNREAD_RESULTS_KEPT = timedelta(hours=1)


def checks_queue(settings: Settings) -> str:
    return f"{settings.broker_queue}.checks"


def runner(local: Runner, *, timeout: float) -> Runner:
    """``local`` in the embedded mode; with a broker, a run that sends the jobs of
    `ON_WORKERS` to the workers and waits for their answer (up to ``timeout`` plus
    `QUEUE_WAIT_SECONDS`), and runs any other job with ``local``."""
    if get_settings().broker is None:
        return local

    def run(job: Job) -> Any:
        if isinstance(job, ON_WORKERS):
            return ask(job, wait=timeout + QUEUE_WAIT_SECONDS)
        return local(job)

    return run


def ask(job: Job, *, wait: float) -> Any:
    """Publish ``job`` and return the worker's result, or raise its `JobError` again; 503
    (`WorkersBusy`) when no worker answered within ``wait`` seconds."""
    from app.tasks import RUN_JOB, publish  # the broker's client, imported by callers only

    ticket = uuid.uuid4().hex
    publish(RUN_JOB, [ticket, wire.encode(job)], queue=checks_queue(get_settings()))
    engine = get_engine()
    reads, writes = session_factory(engine, write=False), session_factory(engine, write=True)
    deadline = time.monotonic() + wait
    pause = 0.02
    while (outcome := _read(reads, ticket)) is None:
        if time.monotonic() > deadline:
            logger.warning("%s %s: no worker answered in %.0f s", type(job).__name__, ticket, wait)
            seconds = int(QUEUE_WAIT_SECONDS)
            raise WorkersBusy(
                f"No worker took the work within {wait:.0f} seconds; nothing was recorded. "
                f"Try again in {seconds} seconds.",
                headers={"Retry-After": str(seconds)},
            )
        time.sleep(pause)
        pause = min(pause * 1.5, 0.25)
    with writes() as session, session.begin():
        session.execute(delete(JobResult).where(JobResult.ticket == ticket))
    return result_of(outcome)


def _read(sessions: sessionmaker[Session], ticket: str) -> str | None:
    with sessions() as session:
        return session.scalar(select(JobResult.outcome).where(JobResult.ticket == ticket))


def result_of(outcome: str) -> Any:
    """The result a worker's ``outcome`` holds, or its `JobError` raised again."""
    answer = json.loads(outcome)
    if "unreadable" in answer:
        raise WorkersBusy(
            "A worker could not read the work it was sent (is every worker at this release?); "
            "nothing was recorded. Try again shortly.",
            headers={"Retry-After": "30"},
        )
    if "error" in answer:
        raise error_class(answer["error"])(answer["message"])
    return wire.decode(answer["ok"], RESULT_TYPES)


def perform(message: Any, run_locally: Callable[[Job], Any]) -> str:
    """What a worker answers to ``message``: the job run with ``run_locally`` (its own capped
    processes), as the outcome `ask` reads. `WorkersBusy` propagates: the task is tried again."""
    try:
        job = wire.decode(message, JOB_TYPES)
        if type(job) not in ON_WORKERS:
            raise wire.WireError(f"{type(job).__name__} is not work sent to the workers")
    except ValueError as error:
        # Not the file's fault: a worker at another release than the replica, most likely.
        logger.error("unreadable job: %s", error)
        return json.dumps({"unreadable": str(error)})
    try:
        return json.dumps({"ok": wire.encode(run_locally(job))})
    except JobError as error:
        return json.dumps({"error": type(error).__name__, "message": str(error)})


def record(sessions: sessionmaker[Session], ticket: str, outcome: str) -> None:
    """Keep a worker's answer for the replica that waits for it; a task delivered twice
    records the first answer only."""
    with sessions() as session, session.begin():
        insert_unless_present(
            session, JobResult, "ticket", ticket=ticket, outcome=outcome, created_at=clock.now()
        )


def forget_unread(sessions: sessionmaker[Session]) -> int:
    """Delete the answers nobody came for within `UNREAD_RESULTS_KEPT`; how many."""
    with sessions() as session, session.begin():
        deleted = session.execute(
            delete(JobResult).where(JobResult.created_at < clock.now() - UNREAD_RESULTS_KEPT)
        )
        return int(getattr(deleted, "rowcount", 0) or 0)
