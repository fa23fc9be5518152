"""Render workers: child processes with a wall-clock timeout and a memory cap each.

Rendering is CPU-heavy and a hostile or broken template can loop or swell, so it never runs in
the API process. A fixed set of workers, forked from a server that has already imported
WeasyPrint, take one job at a time; the caller waits for a free one (bounded concurrency).
A worker that overruns its time is killed and replaced; one that runs out of its memory cap
(``RLIMIT_AS``) fails the job and is replaced too. The API process's memory does not grow.
"""

import multiprocessing
import queue
import resource
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from app.documents import rendering
from app.documents.rendering import RenderedPdf, RenderError


class RenderTimeout(RenderError):
    """The render ran past its wall-clock limit."""


class RenderOutOfMemory(RenderError):
    """The render ran past its worker's memory cap."""


class RenderCrashed(RenderError):
    """The render worker failed for a reason of its own."""


@dataclass(frozen=True)
class RenderJob:
    source: str
    css: str
    context: dict[str, Any]
    max_pages: int
    pdf_variant: str | None = None


def _run(job: RenderJob) -> RenderedPdf:
    return rendering.render_pdf(
        job.source, job.css, job.context, max_pages=job.max_pages, pdf_variant=job.pdf_variant
    )


def _serve(connection: Connection, memory_bytes: int) -> None:
    """A worker's life: cap its own memory, then render jobs until told to stop."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            connection.send(("ok", _run(job)))
        except RenderError as error:
            connection.send(("error", type(error).__name__, str(error)))
        except MemoryError:
            connection.send(("error", "RenderOutOfMemory", "the render exceeded its memory cap"))
            return  # the heap may be fragmented beyond use: start afresh
        except Exception as error:
            connection.send(("error", "RenderCrashed", f"{type(error).__name__}: {error}"))


def _subclasses(cls: type[RenderError]) -> list[type[RenderError]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


# A worker reports an error by class name; the caller raises the same class again.
_ERRORS: dict[str, type[RenderError]] = {cls.__name__: cls for cls in _subclasses(RenderError)}


class _Worker:
    def __init__(self, context: Any, memory_bytes: int) -> None:
        self.connection, child = multiprocessing.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, memory_bytes), daemon=True, name="convenios-render"
        )
        self.process.start()
        child.close()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class RenderPool:
    """``size`` workers, each capped at ``memory_mb`` and ``timeout`` seconds a job."""

    def __init__(self, *, size: int, timeout: float, memory_mb: int) -> None:
        self.timeout = timeout
        self.memory_bytes = memory_mb * 1024 * 1024
        self._context = multiprocessing.get_context("forkserver")
        # Workers start with WeasyPrint imported: a job pays for layout, not for imports.
        self._context.set_forkserver_preload(["app.documents.rendering"])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        for _ in range(size):
            self._idle.put(self._spawn())

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

    def render(self, job: RenderJob) -> RenderedPdf:
        worker = self._idle.get()
        try:
            worker.connection.send(job)
            if not worker.connection.poll(self.timeout):
                self._retire(worker)
                raise RenderTimeout(f"the render took longer than {self.timeout:g} seconds")
            try:
                reply = worker.connection.recv()
            except (EOFError, OSError):
                # Killed from outside, or by the kernel for its memory: the job cannot finish.
                self._retire(worker)
                raise RenderCrashed("the render worker stopped before it finished") from None
        except RenderError:
            raise
        except BaseException:
            self._retire(worker)
            raise
        if reply[0] == "ok":
            self._idle.put(worker)
            result: RenderedPdf = reply[1]
            return result
        _, name, message = reply
        if name == "RenderOutOfMemory":
            self._retire(worker)
        else:
            self._idle.put(worker)
        raise _ERRORS.get(name, RenderCrashed)(message)

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


_pool: RenderPool | None = None
_pool_lock = threading.Lock()


def shared_pool(factory: Callable[[], RenderPool]) -> RenderPool:
    """The process's pool, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = factory()
        return _pool
