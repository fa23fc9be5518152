"""Periodic jobs — the sweep, the deliveries — run once per period, whatever the number of
processes that run their loops (API replicas, workers, on any number of machines).

Each loop asks `claim` before each run: the one process that moves the job's
`ScheduledRun.last_started_at` forward, in a conditional write, runs it; the others skip that
period. A process that dies in the middle costs one period's run, never two runs at once in one
period."""

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.models import ScheduledRun

# Loops on several processes tick at slightly different moments: a run a little early still
# counts as the period's.
_SLACK = 0.05


def claim(sessions: sessionmaker[Session], name: str, period: timedelta) -> bool:
    """Whether this process runs ``name`` now: True for the first to ask in each ``period``."""
    now = clock.now()
    with sessions() as session, session.begin():
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        # RETURNING says which row this statement wrote (rowcount is not told alike by every
        # driver for an INSERT … ON CONFLICT).
        first = session.scalar(
            insert(ScheduledRun)
            .values(name=name, last_started_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(ScheduledRun.name)
        )
        if first is not None:
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
