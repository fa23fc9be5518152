"""The answers task workers give API replicas (`app.documents.remote`), on each database: one
answer per ticket however often its task is delivered, read once, and forgotten an hour after
if nobody came for it. The whole round trip, with real workers, is in `test_queue.py`."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import wire
from app.documents import remote
from app.documents.inspection import InspectJob, NotAPdf, PdfFacts
from app.models import JobResult
from tests.clock import TestClock

FACTS = PdfFacts(
    pages=2, sha256="ab" * 32, size=900, pdf_version="1.7", signature_fields=0, producer=None
)


def _tickets(db: Session) -> list[str]:
    return list(db.scalars(select(JobResult.ticket).order_by(JobResult.ticket)))


def test_a_worker_answers_with_the_result_or_the_error_of_the_job() -> None:
    message = wire.encode(InspectJob(b"%PDF-1.7"))
    answer = remote.perform(message, lambda job: FACTS)
    assert wire.decode(json.loads(answer)["ok"], remote.RESULT_TYPES) == FACTS

    def refuse(job: object) -> None:
        raise NotAPdf("the file does not begin with %PDF-")

    refused = json.loads(remote.perform(message, refuse))
    assert refused == {"error": "NotAPdf", "message": "the file does not begin with %PDF-"}
    with pytest.raises(NotAPdf, match="begin with"):
        remote.result_of(json.dumps(refused))


def test_a_task_delivered_twice_records_its_first_answer(
    db: Session, sessions: sessionmaker[Session]
) -> None:
    remote.record(sessions, "a" * 32, '{"ok": 1}')
    remote.record(sessions, "a" * 32, '{"ok": 2}')
    assert db.scalars(select(JobResult.outcome)).all() == ['{"ok": 1}']


def test_answers_nobody_came_for_are_forgotten_after_an_hour(
    db: Session, sessions: sessionmaker[Session], clock: TestClock
) -> None:
    remote.record(sessions, "b" * 32, '{"ok": 1}')
    clock.advance(timedelta(minutes=59))
    remote.record(sessions, "c" * 32, '{"ok": 2}')
    assert remote.forget_unread(sessions) == 0
    clock.advance(timedelta(minutes=2))
    assert remote.forget_unread(sessions) == 1
    db.expire_all()
    assert _tickets(db) == ["c" * 32]
