"""Periodic jobs — the sweep, the deliveries — run once per period, whatever the number of
processes that run their loops (API replicas, workers, on any number of machines).

Each loop asks `claim` before each run: the one process that moves the job's
`ScheduledRun.last_started_at` forward, in a conditional write, runs it; the others skip that
period. A process that dies in the middle costs one period's run, never two runs at once in one
period."""

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.db import insert_unless_present
from app.models import ScheduledRun

# Loops on several processes tick at slightly different moments: a run a little early still
# counts as the period's.
_SLACK = 0.05


def claim(sessions: sessionmaker[Session], name: str, period: timedelta) -> bool:
    """Whether this process runs ``name`` now: True for the first to ask in each ``period``."""
    now = clock.now()
    with sessions() as session, session.begin():
        if insert_unless_present(session, ScheduledRun, "name", name=name, last_started_at=now):
            return True
        moved = session.scalar(
            update(ScheduledRun)
            .where(
                ScheduledRun.name == name,
                ScheduledRun.last_started_at <= now - period * (1 - _SLACK),
            )
            .values(last_started_at=now)
            .returning(ScheduledRun.name)
        )
        return moved is not None
