"""Real concurrency: overlapping requests, each in its own committed transaction.

The ordinary ``client`` fixture runs every request inside one rolled-back transaction on one
connection, which serialises everything. Here each backend gets a fresh migrated database for
the module, and the application runs as in production: no dependency overrides, one session and
one transaction per request, real commits (and SQLite's ``BEGIN IMMEDIATE`` for writes).
Requests are sent from a thread pool whose workers start together behind a barrier.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.types import ASGIApp, Receive, Scope, Send

from app import clock
from app.config import get_settings
from app.db import make_engine
from app.main import create_app
from app.models import Agreement, AuditEvent, AuditHead, FolioCounter, IdempotencyRecord
from app.models.enums import Role
from tests.databases import api_key, drop_database, new_database
from tests.factories import API, agreement_payload, ok, signing_party

# They measure the service under load: alone, after the others (Makefile).
pytestmark = [pytest.mark.slow, pytest.mark.serial]

WORKERS = 8
T = TypeVar("T")


def concurrently(tasks: list[Callable[[], T]], workers: int = WORKERS) -> list[T]:
    """Run ``tasks`` on ``workers`` threads that all start at once; results in task order."""
    size = min(workers, len(tasks))
    barrier = threading.Barrier(size, timeout=30)
    with ThreadPoolExecutor(max_workers=size, initializer=barrier.wait) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [future.result(timeout=60) for future in futures]


class InFlight:
    """ASGI wrapper counting the requests in progress at once: proof that they overlapped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.now = self.peak = 0

    def reset(self) -> None:
        with self.lock:
            self.peak = self.now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.now -= 1


@dataclass
class Live:
    """The application on its own database, with committed keys and two signing parties."""

    engine: Engine
    client: TestClient
    in_flight: InFlight
    admin: dict[str, str]
    legal: dict[str, str]
    signers: list[tuple[dict[str, Any], dict[str, Any]]]

    def session(self) -> Session:
        return Session(self.engine)

    def payload(self, **fields: Any) -> dict[str, Any]:
        return agreement_payload(self.signers, **fields)

    def create(self, **fields: Any) -> dict[str, Any]:
        response = self.client.post(
            f"{API}/agreements", json=self.payload(**fields), headers=self.admin
        )
        return ok(response, 201)


@pytest.fixture(scope="module")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = new_database(backend, tmp_path_factory.mktemp(f"concurrency-{backend}"))
    engine = make_engine(url)
    try:
        admin, legal = api_key(engine, Role.ADMIN), api_key(engine, Role.LEGAL)
        # One client shared by every thread: its portal runs the app on one event loop, and
        # FastAPI runs the sync dependencies and routes (all the database work) on worker
        # threads, so requests overlap in the database exactly as under a real server.
        in_flight = InFlight(create_app(engine))
        with TestClient(in_flight, raise_server_exceptions=False) as client:
            signers = [
                signing_party(client, admin, "federacion"),
                signing_party(client, admin, "estado"),
            ]
            yield Live(engine, client, in_flight, admin, legal, signers)
    finally:
        engine.dispose()
        drop_database(backend, url)


def _problem_type(response: httpx.Response) -> str:
    return str(response.json().get("type", ""))


def test_concurrent_creation_hands_out_unique_consecutive_folios(live: Live) -> None:
    n = 16
    year = clock.today().year
    with live.session() as session:
        start = (
            session.scalar(select(FolioCounter.last_number).where(FolioCounter.year == year)) or 0
        )
    payload = live.payload(title="Convenio concurrente de folios")

    def create() -> httpx.Response:
        return live.client.post(f"{API}/agreements", json=payload, headers=live.admin)

    live.in_flight.reset()
    responses = concurrently([create] * n)

    assert live.in_flight.peak > 1, "the requests did not overlap"
    assert [r.status_code for r in responses] == [201] * n, [r.text for r in responses]
    folios = [r.json()["folio"] for r in responses]
    assert len(set(folios)) == n, Counter(folios).most_common(3)
    prefix = get_settings().folio_prefix
    # In the module's fresh database (this test runs first) that is CONV-YYYY-0001 … 0016.
    expected = [f"{prefix}-{year}-{number:04d}" for number in range(start + 1, start + n + 1)]
    assert sorted(folios) == expected
    assert len({r.json()["id"] for r in responses}) == n
    with live.session() as session:
        stored = session.scalars(select(Agreement.folio).where(Agreement.folio.in_(folios))).all()
        counter = session.get(FolioCounter, year)
    assert sorted(stored) == expected
    assert counter is not None and counter.last_number == start + n


def test_if_match_writers_lose_no_update(live: Live) -> None:
    n = WORKERS
    agreement = live.create(title="Convenio con escritores concurrentes")
    url = f"{API}/agreements/{agreement['id']}"
    assert agreement["version"] == 1

    def writer(i: int) -> tuple[int, int]:
        marker = f"Antecedente agregado por el escritor {i}."
        for attempt in range(1, 201):
            current = live.client.get(url, headers=live.admin)
            assert current.status_code == 200, current.text
            antecedents = [*current.json()["antecedents"], marker]
            response = live.client.patch(
                url,
                json={"antecedents": antecedents},
                headers={**live.admin, "If-Match": current.headers["ETag"]},
            )
            if response.status_code == 200:
                return attempt, response.json()["version"]
            # Stale ETag (412), or overtaken between the check and the write (409).
            assert response.status_code in (409, 412), response.text
            if response.status_code == 409:
                assert _problem_type(response).endswith("concurrent-update"), response.text
        raise AssertionError(f"writer {i} never got its update in")

    live.in_flight.reset()
    results = concurrently([lambda i=i: writer(i) for i in range(n)])
    assert live.in_flight.peak > 1, "the requests did not overlap"

    final = ok(live.client.get(url, headers=live.admin))
    markers = [f"Antecedente agregado por el escritor {i}." for i in range(n)]
    lost = [m for m in markers if m not in final["antecedents"]]
    assert lost == [], f"lost updates: {lost}"
    assert sorted(final["antecedents"][1:]) == sorted(markers)  # each exactly once
    assert final["version"] == 1 + n
    # Every success produced its own version: no two writers built on the same one.
    assert sorted(version for _, version in results) == list(range(2, n + 2))
    retries = sum(attempts - 1 for attempts, _ in results)
    print(f"\n{n} If-Match writers, {retries} retries, lost updates: {len(lost)}")
    with live.session() as session:
        updates = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.agreement_id == agreement["id"],
                AuditEvent.action == "agreement.updated",
            )
        )
    assert updates == n


def test_blind_concurrent_patches_never_fail_and_leave_a_consistent_row(live: Live) -> None:
    n = WORKERS
    agreement = live.create(title="Convenio con parches sin If-Match")
    url = f"{API}/agreements/{agreement['id']}"

    def patch(i: int) -> httpx.Response:
        body = {"title": f"Título del escritor {i}", "topics": [f"tema_{i}"]}
        return live.client.patch(url, json=body, headers=live.admin)

    responses = concurrently([lambda i=i: patch(i) for i in range(n)])

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert _problem_type(response).endswith("concurrent-update"), response.text
    winners = [r.json() for r in responses if r.status_code == 200]
    assert winners, "at least one writer must get through"
    print(f"\n{n} blind writers: {len(winners)} x 200, {n - len(winners)} x 409")

    final = ok(live.client.get(url, headers=live.admin))
    # Each success bumped the version once, and the row is wholly the last success's.
    assert final["version"] == 1 + len(winners)
    assert sorted(w["version"] for w in winners) == list(range(2, len(winners) + 2))
    last = max(winners, key=lambda w: w["version"])
    assert final["title"] == last["title"]
    assert final["topics"] == last["topics"]
    writer = final["title"].removeprefix("Título del escritor ")
    assert final["topics"] == [f"tema_{writer}"]
    with live.session() as session:
        updates = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.agreement_id == agreement["id"],
                AuditEvent.action == "agreement.updated",
            )
        )
    assert updates == len(winners)


def _count(session: Session, title: str) -> int:
    return (
        session.scalar(select(func.count()).select_from(Agreement).where(Agreement.title == title))
        or 0
    )


def test_concurrent_idempotent_replays_create_one_agreement(live: Live) -> None:
    n = 16
    title = "Convenio creado con Idempotency-Key"
    payload = live.payload(title=title)
    key = "concurrency-idempotency-0001"

    def post(headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
        return live.client.post(
            f"{API}/agreements", json=body, headers={**headers, "Idempotency-Key": key}
        )

    live.in_flight.reset()
    responses = concurrently([lambda: post(live.admin, payload)] * n)

    assert live.in_flight.peak > 1, "the requests did not overlap"
    assert [r.status_code for r in responses] == [201] * n, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["folio"] for r in responses}) == 1
    assert len({r.headers["Location"] for r in responses}) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert replayed.count("true") == n - 1 and replayed.count(None) == 1
    first = responses[replayed.index(None)].json()
    assert all(r.json() == first for r in responses)
    with live.session() as session:
        assert _count(session, title) == 1

    # The same key with another body is refused, and creates nothing.
    other = post(live.admin, live.payload(title="Otro convenio con la misma llave"))
    assert other.status_code == 422, other.text
    assert _problem_type(other).endswith("idempotency-key-reused")
    assert other.headers["content-type"].startswith("application/problem+json")

    # Another API key has its own keys: the same string creates its own agreement, once.
    theirs = concurrently([lambda: post(live.legal, payload)] * WORKERS)
    assert [r.status_code for r in theirs] == [201] * WORKERS, [r.text for r in theirs]
    assert len({r.json()["id"] for r in theirs}) == 1
    assert theirs[0].json()["id"] != first["id"]
    assert theirs[0].json()["folio"] != first["folio"]
    with live.session() as session:
        assert _count(session, title) == 2
        assert _count(session, "Otro convenio con la misma llave") == 0
        records = session.scalar(
            select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key)
        )
    assert records == 2


def test_concurrent_requests_with_one_key_and_two_bodies(live: Live) -> None:
    """Whichever body claims the key first wins; the other body is refused, never run."""
    key = "concurrency-idempotency-0002"
    bodies = [live.payload(title=f"Convenio en disputa {side}") for side in "AB"]

    def post(i: int) -> httpx.Response:
        return live.client.post(
            f"{API}/agreements",
            json=bodies[i % 2],
            headers={**live.admin, "Idempotency-Key": key},
        )

    responses = concurrently([lambda i=i: post(i) for i in range(WORKERS * 2)])

    created = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 422]
    assert len(created) + len(refused) == len(responses), [r.text for r in responses]
    assert len(created) == WORKERS and len(refused) == WORKERS
    assert len({r.json()["id"] for r in created}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in created].count(None) == 1
    assert all(_problem_type(r).endswith("idempotency-key-reused") for r in refused)
    with live.session() as session:
        counts = [_count(session, body["title"]) for body in bodies]
    assert sorted(counts) == [0, 1]


def test_the_audit_chain_does_not_fork_under_concurrency(live: Live) -> None:
    agreements = [live.create(title=f"Convenio para la cadena {i}") for i in range(2)]

    def create(i: int) -> httpx.Response:
        body = live.payload(title=f"Convenio simultáneo {i}")
        return live.client.post(f"{API}/agreements", json=body, headers=live.legal)

    def edit(i: int) -> httpx.Response:
        url = f"{API}/agreements/{agreements[i % 2]['id']}"
        return live.client.patch(url, json={"objective": f"Objetivo {i}."}, headers=live.admin)

    def review(i: int) -> httpx.Response:
        url = f"{API}/agreements/{agreements[i % 2]['id']}/transitions"
        return live.client.post(url, json={"to": "in_review"}, headers=live.admin)

    tasks: list[Callable[[], httpx.Response]] = []
    for i in range(WORKERS):
        tasks += [lambda i=i: create(i), lambda i=i: edit(i)]
    tasks += [lambda i=i: review(i) for i in range(WORKERS)]
    with live.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    responses = concurrently(tasks)
    for response in responses:
        assert response.status_code in (200, 201, 409), response.text
        if response.status_code == 409:
            # A lost race, or a move from in_review the agreement already made.
            assert _problem_type(response).endswith(("concurrent-update", "invalid-transition"))
    assert [r.status_code for r in responses[0 : 2 * WORKERS : 2]] == [201] * WORKERS
    successes = sum(r.status_code in (200, 201) for r in responses)

    verification = ok(live.client.get(f"{API}/audit/verify", headers=live.admin))
    with live.session() as session:
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        prev_hashes = session.scalars(select(AuditEvent.prev_hash)).all()
        head = session.get(AuditHead, 1)
    assert verification == {
        "ok": True,
        "events_checked": len(seqs),
        "first_broken_seq": None,
        "reason": None,
    }
    assert list(seqs) == list(range(1, len(seqs) + 1))
    # A fork would be two events hanging from the same link.
    assert len(set(prev_hashes)) == len(prev_hashes)
    assert head is not None and head.last_seq == len(seqs)
    # Exactly one event per change that was committed: none lost, none doubled.
    assert len(seqs) - before == successes
    print(f"\naudit chain: {len(seqs)} events, seq 1..{len(seqs)}, verify ok")


def test_database_conflicts_are_409_problems_not_500() -> None:
    """What the versioned UPDATE and the constraints raise when a concurrent request won."""
    app = create_app(make_engine("sqlite://"))

    @app.get("/stale")
    def stale() -> None:
        raise StaleDataError("UPDATE statement on table 'agreements' expected 1 row; 0 matched")

    @app.get("/integrity")
    def integrity() -> None:
        raise IntegrityError("INSERT INTO x", {}, Exception("duplicate key value"))

    with TestClient(app, raise_server_exceptions=False) as client:
        stale_response, integrity_response = client.get("/stale"), client.get("/integrity")
    assert stale_response.status_code == 409
    assert _problem_type(stale_response).endswith(":concurrent-update")
    assert integrity_response.status_code == 409
    assert _problem_type(integrity_response).endswith(":conflict")
    for response in (stale_response, integrity_response):
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "duplicate key" not in response.text and "agreements" not in response.text
