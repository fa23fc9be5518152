"""The batches' items made for as long as there are any, then a look every
`batch_interval_seconds`: inside `convenios serve` in the embedded default (no broker), one at
a time in a worker thread; inside each `convenios worker` otherwise, in as many threads as it
takes tasks at once. A process killed mid-item leaves its claim, which lapses: this loop,
in the next process or another replica, takes the item up again."""

import logging
import threading

import anyio
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.batches import service
from app.config import Settings
from app.db import session_factory
from app.documents.runners import get_storage, render_runner

logger = logging.getLogger("convenios.batches")


def _step(
    sessions: sessionmaker[Session], reads: sessionmaker[Session], settings: Settings
) -> bool:
    """Make the next claimable item; whether there was one. A failure is logged, never raised:
    it must not stop the server or the worker."""
    try:
        return service.step(
            sessions,
            settings=settings,
            storage=get_storage(settings),
            # The pool only when there is something to render.
            render=lambda job: render_runner()(job),
            reads=reads,
        )
    except Exception:
        logger.exception("batches: processing failed; trying again shortly")
        return False


async def process_periodically(engine: Engine, settings: Settings) -> None:
    """Inside `convenios serve`: every claimable item, one at a time; a wait when none is left."""
    sessions = session_factory(engine, write=True)
    # Looking for work takes no write lock: an idle server looks every few seconds.
    reads = session_factory(engine, write=False)
    while True:
        # One item per thread hop: a shutdown waits for the item in hand, not the batch.
        if not await anyio.to_thread.run_sync(_step, sessions, reads, settings):
            await anyio.sleep(settings.batch_interval_seconds)


def process_until(stop: threading.Event, engine: Engine, settings: Settings) -> None:
    """Inside `convenios worker` (a broker is configured), in a thread of its own — one for
    each task the worker takes at once: items until ``stop`` is set. Items are claimed in the
    database, so any number of workers make a batch together, each item once."""
    sessions = session_factory(engine, write=True)
    # Looking for work takes no write lock.
    reads = session_factory(engine, write=False)
    while not stop.is_set():
        if not _step(sessions, reads, settings):
            stop.wait(settings.batch_interval_seconds)
