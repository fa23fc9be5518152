"""Where documents are kept, and the worker pools that render, parse and sign them.

Routes ask for these at call time, so that tests can replace a pool or the storage. With a
broker, upload checks and signature validation go to the task workers (`app.documents.remote`);
renders go there by their own path (`app.documents.queued`)."""

from typing import Any

from app.config import Settings, get_settings
from app.documents import remote
from app.documents.service import Runner
from app.documents.storage import Storage, storage_for
from app.documents.workers import Job, WorkerPool, shared_pool
from app.signatures.pades import AcceptJob, VerifyJob

# One forkserver serves every pool of the process and preloads what the first pool names, so
# every pool names them all: whichever starts first, workers start with the libraries imported.
# These are the modules of the heavy libraries (WeasyPrint, pypdf, pyHanko), which the API
# process never imports: its jobs import them in their ``run``, in a worker that has them.
WORKER_MODULES = ["app.documents.pdf", "app.documents.pdf_check", "app.signatures.pades_engine"]


def get_storage(settings: Settings | None = None) -> Storage:
    """The storage the settings name (an object store's client is made once per process)."""
    settings = settings or get_settings()
    return storage_for(settings.storage_url, s3=settings.s3)


def pool_runner(name: str, *, timeout: float, memory_mb: int) -> Runner:
    """The ``run`` of the process's pool called ``name`` (created on first use)."""
    settings = get_settings()
    return shared_pool(
        name,
        lambda: WorkerPool(
            size=settings.render_workers,
            timeout=timeout,
            memory_mb=memory_mb,
            max_waiting=settings.worker_queue,
            preload=WORKER_MODULES,
        ),
    ).run


def render_runner() -> Runner:
    settings = get_settings()
    return pool_runner(
        "render", timeout=settings.render_timeout_seconds, memory_mb=settings.render_memory_mb
    )


def _inspect_locally(job: Job) -> Any:
    settings = get_settings()
    run = pool_runner(
        "inspection",
        timeout=settings.upload_check_timeout_seconds,
        memory_mb=settings.upload_check_memory_mb,
    )
    return run(job)


def _crypto_locally(job: Job) -> Any:
    settings = get_settings()
    run = pool_runner(
        "signatures",
        timeout=settings.signature_timeout_seconds,
        memory_mb=settings.signature_memory_mb,
    )
    return run(job)


def inspect_runner() -> Runner:
    """Checking uploads, and drawing pages as pictures."""
    return remote.runner(_inspect_locally, timeout=get_settings().upload_check_timeout_seconds)


def crypto_runner() -> Runner:
    """Signing and validating signatures (signing always in this process)."""
    return remote.runner(_crypto_locally, timeout=get_settings().signature_timeout_seconds)


def run_here(job: Job) -> Any:
    """Run a job sent to this worker (`app.documents.remote`) in this process's own pool."""
    local = _crypto_locally if isinstance(job, VerifyJob | AcceptJob) else _inspect_locally
    return local(job)
