"""The hash chain names the first event edited, deleted or moved behind the service's back."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import operator
from app.models import AuditEvent
from tests.conftest import Keys
from tests.factories import API, agreement, move, ok

EVENTS = 8


@pytest.fixture
def chain(db: Session) -> list[int]:
    """Sequence numbers of EVENTS fresh events appended after whatever the database holds."""
    actor = operator("tests")
    seqs = [
        audit.record(
            db,
            actor=actor,
            action="test.event",
            entity=("test", i),
            changes={"n": [i, i + 1], "texto": [None, "Convenio de colaboración núm. ñ"]},
        ).seq
        for i in range(EVENTS)
    ]
    assert audit.verify(db).ok
    return seqs


def _tamper_edit(db: Session, seq: int) -> None:
    db.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(changes={"n": [0, 0]}))


def _tamper_actor(db: Session, seq: int) -> None:
    db.execute(
        update(AuditEvent).where(AuditEvent.seq == seq).values(actor={"name": "otra persona"})
    )


def _tamper_link(db: Session, seq: int) -> None:
    db.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(prev_hash="f" * 64))


def _tamper_delete(db: Session, seq: int) -> None:
    db.execute(delete(AuditEvent).where(AuditEvent.seq == seq))


TAMPERINGS: dict[str, Callable[[Session, int], None]] = {
    "edit changes": _tamper_edit,
    "edit actor": _tamper_actor,
    "edit link": _tamper_link,
    "delete": _tamper_delete,
}


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(how=st.sampled_from(sorted(TAMPERINGS)), index=st.integers(0, EVENTS - 1))
def test_any_single_tampering_is_found_at_its_event(
    db: Session, chain: list[int], how: str, index: int
) -> None:
    target = chain[index]
    with db.begin_nested() as savepoint:
        TAMPERINGS[how](db, target)
        db.expire_all()
        result = audit.verify(db)
        savepoint.rollback()
    assert not result.ok
    assert result.first_broken_seq == target, result
    assert result.events_checked == target - 1


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pair=st.lists(st.integers(0, EVENTS - 1), min_size=2, max_size=2, unique=True))
def test_reordering_two_events_is_found_at_the_earlier(
    db: Session, chain: list[int], pair: list[int]
) -> None:
    first, second = sorted(chain[i] for i in pair)
    columns = (
        "occurred_at",
        "actor",
        "action",
        "entity_type",
        "entity_id",
        "changes",
        "context",
        "prev_hash",
        "hash",
    )
    with db.begin_nested() as savepoint:
        rows = {
            event.seq: {column: getattr(event, column) for column in columns}
            for event in db.scalars(select(AuditEvent).where(AuditEvent.seq.in_([first, second])))
        }
        db.execute(update(AuditEvent).where(AuditEvent.seq == first).values(**rows[second]))
        db.execute(update(AuditEvent).where(AuditEvent.seq == second).values(**rows[first]))
        db.expire_all()
        result = audit.verify(db)
        savepoint.rollback()
    assert not result.ok and result.first_broken_seq == first, result


def test_deleting_the_newest_events_is_found(db: Session, chain: list[int]) -> None:
    with db.begin_nested() as savepoint:
        db.execute(delete(AuditEvent).where(AuditEvent.seq >= chain[-2]))
        db.expire_all()
        result = audit.verify(db)
        savepoint.rollback()
    assert not result.ok
    assert result.first_broken_seq == chain[-2]
    assert "missing" in (result.reason or "")


def test_every_write_is_recorded_with_who_what_and_the_changed_fields(
    client: TestClient, keys: Keys
) -> None:
    created = agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}"
    ok(client.patch(url, json={"title": "Convenio marco"}, headers=keys.legal))
    move(client, keys.legal, created["id"], "in_review")
    events = ok(
        client.get(f"{API}/audit", params={"agreement_id": created["id"]}, headers=keys.viewer)
    )
    actions = [event["action"] for event in events["items"]]
    assert actions == ["agreement.status_changed", "agreement.updated", "agreement.created"]
    status_changed, updated, created_event = events["items"]
    assert updated["changes"] == {
        "title": ["Convenio de colaboración en materia de gobierno digital", "Convenio marco"]
    }
    assert status_changed["changes"] == {"status": ["draft", "in_review"]}
    assert created_event["changes"]["folio"] == [None, created["folio"]]
    assert {e["actor"]["role"] for e in events["items"]} == {"legal"}
    assert all(e["context"] is None for e in events["items"])  # IP and user agent: admins only
    as_admin = ok(
        client.get(f"{API}/audit", params={"agreement_id": created["id"]}, headers=keys.admin)
    )
    assert as_admin["items"][0]["context"]["user_agent"]
    verified = ok(client.get(f"{API}/audit/verify", headers=keys.viewer))
    assert verified["ok"] is True and verified["first_broken_seq"] is None


def test_verify_over_http_names_the_edited_event(
    client: TestClient, keys: Keys, db: Session, chain: list[int]
) -> None:
    db.execute(update(AuditEvent).where(AuditEvent.seq == chain[3]).values(action="forged"))
    db.flush()
    verified = ok(client.get(f"{API}/audit/verify", headers=keys.admin))
    assert verified["ok"] is False
    assert verified["first_broken_seq"] == chain[3]
    assert verified["reason"] == "its content does not match its hash"
