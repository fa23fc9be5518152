"""Workers: child processes that run one job at a time, each with a wall-clock timeout and a
memory cap.

Rendering a template and parsing an uploaded PDF are CPU-heavy, and hostile input can make
either loop or swell, so neither runs in the API process. A fixed set of workers, forked from a
server that has already imported the heavy libraries, take one job at a time; the caller waits
for a free one (bounded concurrency). A worker that overruns its time is killed and replaced;
one that runs out of its memory cap (``RLIMIT_AS``) fails the job and is replaced too. The API
process's memory does not grow.
"""

import math
import multiprocessing
import queue
import resource
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from app.errors import ProblemError


class JobError(Exception):
    """A job that cannot succeed with its input (a client error, answered with a 4xx)."""


class JobTimeout(JobError):
    """The job ran past its wall-clock limit."""


class JobOutOfMemory(JobError):
    """The job ran past its worker's memory cap."""


class JobCrashed(JobError):
    """The worker failed for a reason of its own."""


class WorkersBusy(ProblemError):
    """Every worker is busy and as many jobs as may wait already do: try again shortly."""

    status, type = 503, "workers-busy"


class Job(Protocol):
    """Picklable work: ``run`` executes inside a worker and returns a picklable result."""

    def run(self) -> Any: ...


def _serve(connection: Connection, memory_bytes: int) -> None:
    """A worker's life: cap its own memory, then run jobs until told to stop."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            connection.send(("ok", job.run()))
        except JobError as error:
            connection.send(("error", type(error).__name__, str(error)))
        except MemoryError:
            connection.send(("error", "JobOutOfMemory", "the job exceeded its memory cap"))
            return  # the heap may be fragmented beyond use: start afresh
        except Exception as error:
            connection.send(("error", "JobCrashed", f"{type(error).__name__}: {error}"))


def _subclasses(cls: type[JobError]) -> list[type[JobError]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def error_class(name: str) -> type[JobError]:
    """A worker reports an error by class name; the caller raises the same class again.

    Looked up when needed: job modules define their own `JobError` subclasses."""
    return {cls.__name__: cls for cls in _subclasses(JobError)}.get(name, JobCrashed)


class _Worker:
    def __init__(self, context: Any, memory_bytes: int) -> None:
        self.connection, child = multiprocessing.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, memory_bytes), daemon=True, name="convenios-worker"
        )
        self.process.start()
        child.close()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class WorkerPool:
    """``size`` workers, each capped at ``memory_mb`` and ``timeout`` seconds a job.

    At most ``max_waiting`` jobs wait for a worker, each for at most one job's ``timeout``; a job
    beyond them is refused at once with `WorkersBusy` (503, with a Retry-After from how long
    jobs have been taking), so that a burst gets a quick answer rather than a long wait.
    ``preload`` names the modules the workers start with already imported, so that a job pays
    for its work, not for imports."""

    def __init__(
        self,
        *,
        size: int,
        timeout: float,
        memory_mb: int,
        max_waiting: int = 8,
        preload: Sequence[str] = (),
    ) -> None:
        self.size = size
        self.timeout = timeout
        self.memory_bytes = memory_mb * 1024 * 1024
        self.max_waiting = max_waiting
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._waiting = 0
        self._typical_seconds = 1.0  # a moving average of how long jobs take
        for _ in range(size):
            self._idle.put(self._spawn())

    def _busy(self) -> WorkersBusy:
        ahead = self._waiting / self.size + 1
        retry = min(math.ceil(self.timeout), max(1, math.ceil(self._typical_seconds * ahead)))
        return WorkersBusy(
            f"Every worker is busy ({self.size} at work, {self._waiting} waiting); try again "
            f"in {retry} seconds.",
            headers={"Retry-After": str(retry)},
        )

    def _worker(self) -> "_Worker":
        with self._lock:
            if self._waiting >= self.max_waiting and self._idle.empty():
                raise self._busy()
            self._waiting += 1
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise self._busy() from None
        finally:
            with self._lock:
                self._waiting -= 1

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.memory_bytes)
        with self._lock:
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.remove(worker)
        self._idle.put(self._spawn())

    def run(self, job: Job) -> Any:
        """Run ``job`` in a worker and return its result, or raise its `JobError` (or
        `WorkersBusy` when it cannot even wait for one)."""
        worker = self._worker()
        started = time.monotonic()
        try:
            worker.connection.send(job)
            if not worker.connection.poll(self.timeout):
                self._retire(worker)
                raise JobTimeout(f"the work took longer than {self.timeout:g} seconds")
            try:
                reply = worker.connection.recv()
            except (EOFError, OSError):
                # Killed from outside, or by the kernel for its memory: the job cannot finish.
                self._retire(worker)
                raise JobCrashed("the worker stopped before it finished") from None
        except JobError:
            raise
        except BaseException:
            self._retire(worker)
            raise
        self._typical_seconds = 0.8 * self._typical_seconds + 0.2 * (time.monotonic() - started)
        if reply[0] == "ok":
            self._idle.put(worker)
            return reply[1]
        _, name, message = reply
        if name == "JobOutOfMemory":
            self._retire(worker)
        else:
            self._idle.put(worker)
        raise error_class(name)(message)

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


_pools: dict[str, WorkerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(name: str, factory: Callable[[], WorkerPool]) -> WorkerPool:
    """The process's pool called ``name``, created on first use."""
    with _pools_lock:
        if name not in _pools:
            _pools[name] = factory()
        return _pools[name]
