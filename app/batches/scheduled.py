"""Inside `convenios serve` (the embedded default, no broker): the batches' items made one at a
time, each in a worker thread, for as long as there are any; then a look every
`batch_interval_seconds`. A process killed mid-item leaves its claim, which lapses: this loop,
in the next process or another replica, takes the item up again."""

import logging
from functools import partial

import anyio
from sqlalchemy import Engine

from app.batches import service
from app.config import Settings
from app.db import session_factory
from app.documents.runners import get_storage, render_runner

logger = logging.getLogger("convenios.batches")


async def process_periodically(engine: Engine, settings: Settings) -> None:
    """Make every claimable item, one at a time; wait when there is none. A failure is logged
    and never stops the server."""
    sessions = session_factory(engine, write=True)
    # Looking for work takes no write lock: an idle server looks every few seconds.
    reads = session_factory(engine, write=False)
    while True:
        try:
            # One item per thread hop: a shutdown waits for the item in hand, not the batch.
            busy = await anyio.to_thread.run_sync(
                partial(
                    service.step,
                    sessions,
                    settings=settings,
                    storage=get_storage(settings),
                    # The pool only when there is something to render.
                    render=lambda job: render_runner()(job),
                    reads=reads,
                )
            )
        except Exception:
            logger.exception("batches: processing failed; trying again shortly")
            busy = False
        if not busy:
            await anyio.sleep(settings.batch_interval_seconds)
