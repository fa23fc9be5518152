"""Batches: one convenio for the municipios of a state, made item by item, with its progress,
its failures named, its ZIP, and items a dead worker left taken up again without a second
agreement."""

import hashlib
import io
import os
import subprocess
import sys
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth import service as keys_service
from app.auth.principal import operator
from app.batches import repository, service
from app.batches.scheduled import process_periodically, process_until
from app.catalog import service as catalog
from app.config import get_settings
from app.db import make_engine
from app.documents.rendering import RenderedPdf, RenderJob, TooManyPages
from app.documents.runners import get_storage, render_runner
from app.documents.samples import one_page_pdf
from app.documents.workers import WorkersBusy
from app.main import create_app
from app.models import Agreement, AuditEvent, Batch, BatchItem, Municipality, Party
from app.models.enums import BatchItemStatus, Role
from app.templates import service as templates
from tests.clock import TestClock
from tests.conftest import INEGI_CSV, Keys
from tests.databases import drop_database, new_database
from tests.factories import API, estado, ok, representative

# Baja California Sur: the test keeps three of its municipios in the catalog.
STATE = "03"
KEPT = {"03001": "Comondú", "03002": "Mulegé", "03003": "La Paz"}


@pytest.fixture
def small_state(db: Session) -> dict[str, str]:
    """The catalog of state 03 cut to three municipios (the test's transaction is rolled back)."""
    db.execute(
        delete(Municipality).where(
            Municipality.state_code == STATE, Municipality.code.not_in(list(KEPT))
        )
    )
    db.flush()
    return KEPT


@pytest.fixture
def gobierno(client: TestClient, keys: Keys) -> dict[str, Any]:
    """The estado that signs with every municipio, and its signatory."""
    party = estado(
        client, keys.legal, name="Gobierno del Estado de Baja California Sur", inegi_code=STATE
    )
    person = representative(
        client,
        keys.legal,
        party["id"],
        full_name="Andrea Vargas Núñez",
        position="Secretaria General de Gobierno",
    )
    return {"party": party, "representative": person}


def body(gobierno: dict[str, Any], **municipios: Any) -> dict[str, Any]:
    return {
        "title": "Convenio de colaboración en materia de catastro con {municipio}",
        "kind": "colaboracion",
        "initiative": 4,
        "topics": ["catastro"],
        "objective": "Modernizar el catastro del municipio de {municipio}.",
        "parties": [
            {
                "party_id": gobierno["party"]["id"],
                "role": "EL ESTADO",
                "declarations": ["Que le corresponde la coordinación hacendaria."],
                "signatories": [{"representative_id": gobierno["representative"]["id"]}],
            }
        ],
        "municipios": {
            "role": "EL MUNICIPIO",
            "declarations": ["Que cuenta con un padrón catastral."],
            "position": 0,
            **(municipios or {"state": STATE}),
        },
        "clauses": [{"title": "OBJETO", "text": "El presente convenio tiene por objeto…"}],
        "effective_date": "2027-01-15",
        "expiry_date": "2027-12-31",
        "signing": {"method": "electronica"},
    }


def run(sessions: sessionmaker[Session], render: Any = None) -> service.RunReport:
    settings = get_settings()
    return service.run_pending(
        sessions,
        settings=settings,
        storage=get_storage(settings),
        render=render or render_runner(),
    )


def count(db: Session, model: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_a_batch_for_a_state_makes_an_agreement_and_a_pdf_for_each_municipio(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    small_state: dict[str, str],
    gobierno: dict[str, Any],
) -> None:
    # Comondú is a party already: its agreement names that party, the others are created.
    comondu = ok(
        client.post(
            f"{API}/parties",
            json={
                "kind": "municipio",
                "name": "H. Ayuntamiento de Comondú",
                "article": "el",
                "inegi_code": "03001",
            },
            headers=keys.legal,
        ),
        201,
    )
    response = client.post(f"{API}/batches", json=body(gobierno), headers=keys.legal)
    accepted = ok(response, 202)
    assert response.headers["location"] == f"{API}/batches/{accepted['id']}"
    assert accepted["status"] == "running" and accepted["total"] == 3
    assert (accepted["done"], accepted["failed"], accepted["pending"]) == (0, 0, 3)
    assert accepted["template"] == {"key": "colaboracion", "version": 1}
    # Nothing is made before a worker takes the items up (the rehearsal left nothing).
    assert count(db, Agreement) == 0
    early = client.get(f"{API}/batches/{accepted['id']}/documents.zip", headers=keys.viewer)
    assert early.status_code == 409 and "3 of 3 municipios pending" in early.json()["detail"]

    report = run(sessions)
    assert (report.done, report.failed) == (3, 0)

    batch = ok(client.get(f"{API}/batches/{accepted['id']}", headers=keys.viewer))
    assert batch["status"] == "finished" and batch["finished_at"] is not None
    assert (batch["done"], batch["failed"], batch["pending"], batch["failures"]) == (3, 0, 0, [])
    items = ok(client.get(f"{API}/batches/{accepted['id']}/items", headers=keys.viewer))["items"]
    assert [(i["municipality_code"], i["municipio"], i["status"]) for i in items] == [
        (code, name, "done") for code, name in KEPT.items()
    ]
    for item in items:
        agreement = ok(client.get(f"{API}/agreements/{item['agreement_id']}", headers=keys.viewer))
        assert agreement["folio"] == item["folio"] and agreement["status"] == "draft"
        assert agreement["title"].endswith(f"con {item['municipio']}")
        municipio, gobierno_link = agreement["parties"]
        assert municipio["role"] == "EL MUNICIPIO" and municipio["party"]["kind"] == "municipio"
        assert gobierno_link["party"]["id"] == gobierno["party"]["id"]
        assert [s["representative_id"] for s in gobierno_link["signatories"]] == [
            gobierno["representative"]["id"]
        ]
        party = db.get(Party, municipio["party"]["id"])
        assert party is not None and party.inegi_code == item["municipality_code"]
    assert items[0]["agreement_id"] and db.get(Party, comondu["id"]) is not None
    parties = [
        ok(client.get(f"{API}/agreements/{i['agreement_id']}", headers=keys.viewer))["parties"][0]
        for i in items
    ]
    assert parties[0]["party"]["id"] == comondu["id"]
    assert [p["party"]["name"] for p in parties[1:]] == [
        "Municipio de Mulegé",
        "Municipio de La Paz",
    ]

    download = client.get(batch["documents_url"], headers=keys.viewer)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="convenios-lote-{batch["id"]}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert archive.namelist() == [f"{i['folio']} {i['municipio']}.pdf" for i in items]
    for item, info in zip(items, archive.infolist(), strict=True):
        assert info.compress_type == zipfile.ZIP_STORED
        pdf = client.get(f"{API}/documents/{item['document_id']}/pdf", headers=keys.viewer)
        assert archive.read(info) == pdf.content
        document = ok(client.get(f"{API}/documents/{item['document_id']}", headers=keys.viewer))
        assert hashlib.sha256(archive.read(info)).hexdigest() == document["sha256"]
        assert document["agreement_id"] == item["agreement_id"]

    # The agreements and their documents are the batch creator's in the audit trail.
    created = db.scalars(select(AuditEvent).where(AuditEvent.action == "agreement.created")).all()
    assert len(created) == 3 and {e.context.get("batch_id") for e in created} == {batch["id"]}
    listed = ok(client.get(f"{API}/batches", headers=keys.viewer))["items"]
    assert listed[0]["id"] == batch["id"] and listed[0]["done"] == 3


def test_one_item_that_fails_is_named_and_the_others_finish_and_it_can_be_retried(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    gobierno: dict[str, Any],
) -> None:
    accepted = ok(
        client.post(
            f"{API}/batches", json=body(gobierno, codes=["03002", "03003"]), headers=keys.legal
        ),
        202,
    )
    real = render_runner()

    def render(job: RenderJob) -> Any:
        if "Mulegé" in job.context["agreement"]["title"]:
            raise TooManyPages("the document has 301 pages; at most 300 are allowed")
        return real(job)

    report = run(sessions, render)
    assert (report.done, report.failed) == (1, 1)
    batch = ok(client.get(f"{API}/batches/{accepted['id']}", headers=keys.legal))
    assert batch["status"] == "finished"
    assert (batch["done"], batch["failed"], batch["pending"]) == (1, 1, 0)
    [failure] = batch["failures"]
    assert failure["municipality_code"] == "03002" and failure["municipio"] == "Mulegé"
    assert "longer than allowed" in failure["error"] and "301 pages" in failure["error"]
    failed = ok(
        client.get(f"{API}/batches/{accepted['id']}/items?status=failed", headers=keys.legal)
    )["items"]
    assert [item["municipality_code"] for item in failed] == ["03002"]
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(batch["documents_url"], headers=keys.legal).content)
    )
    assert [name.split(" ", 1)[1] for name in archive.namelist()] == ["La Paz.pdf"]
    generic = {**keys.legal, "Accept": "application/octet-stream"}
    as_bytes = client.get(batch["documents_url"], headers=generic)
    assert as_bytes.headers["content-type"] == "application/octet-stream"
    assert zipfile.ZipFile(io.BytesIO(as_bytes.content)).namelist() == archive.namelist()

    # What made it fail put right, the failed municipio is taken up again, with its agreement.
    [before] = failed
    retry = f"{API}/batches/{accepted['id']}/retry"
    assert client.post(retry, headers=keys.viewer).status_code == 403
    again = ok(client.post(retry, headers={**keys.legal, "Idempotency-Key": "reintento-1"}), 202)
    assert again["status"] == "running" and (again["failed"], again["pending"]) == (0, 1)
    replayed = client.post(retry, headers={**keys.legal, "Idempotency-Key": "reintento-1"})
    assert replayed.status_code == 202 and replayed.json()["id"] == again["id"]
    assert run(sessions, real).done == 1
    batch = ok(client.get(f"{API}/batches/{accepted['id']}", headers=keys.legal))
    assert (batch["status"], batch["done"], batch["failed"]) == ("finished", 2, 0)
    [item] = [
        item
        for item in ok(client.get(batch["items_url"], headers=keys.legal))["items"]
        if item["municipality_code"] == "03002"
    ]
    assert item["agreement_id"] == before["agreement_id"] and item["error"] is None
    names = zipfile.ZipFile(
        io.BytesIO(client.get(batch["documents_url"], headers=keys.legal).content)
    ).namelist()
    assert [name.split(" ", 1)[1] for name in names] == ["Mulegé.pdf", "La Paz.pdf"]
    nothing = client.post(retry, headers=keys.legal)
    assert nothing.status_code == 409
    assert nothing.json()["type"].endswith("batch-nothing-to-retry")
    assert client.post(f"{API}/batches/999999/retry", headers=keys.legal).status_code == 404
    retried = db.scalars(select(AuditEvent).where(AuditEvent.action == "batch.retried")).all()
    assert len(retried) == 1 and retried[0].changes["municipios"] == [None, ["03002"]]


def test_a_cancelled_batch_keeps_what_was_made_and_can_be_taken_up_again(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    gobierno: dict[str, Any],
) -> None:
    codes = ["03001", "03002", "03003"]
    accepted = ok(
        client.post(f"{API}/batches", json=body(gobierno, codes=codes), headers=keys.legal), 202
    )
    url = f"{API}/batches/{accepted['id']}"
    settings = get_settings()
    assert service.step(
        sessions, settings=settings, storage=get_storage(settings), render=render_runner()
    )
    assert client.post(f"{url}/cancel", headers=keys.viewer).status_code == 403
    cancelled = ok(client.post(f"{url}/cancel", headers=keys.legal))
    assert cancelled["status"] == "finished"
    assert (cancelled["done"], cancelled["failed"], cancelled["pending"]) == (1, 2, 0)
    assert [f["municipality_code"] for f in cancelled["failures"]] == codes[1:]
    assert {f["error"] for f in cancelled["failures"]} == {
        "Cancelled by test legal before it was made."
    }
    assert run(sessions).processed == 0  # nothing is left for the workers
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(cancelled["documents_url"], headers=keys.legal).content)
    )
    assert len(archive.namelist()) == 1
    again = client.post(f"{url}/cancel", headers=keys.legal)
    assert again.status_code == 409 and again.json()["type"].endswith("batch-finished")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "batch.cancelled")).one()
    assert event.changes["municipios"] == [codes[1:], None]
    # Taken up again: the cancelled ones are made.
    ok(client.post(f"{url}/retry", headers=keys.legal), 202)
    assert run(sessions).done == 2
    finished = ok(client.get(url, headers=keys.legal))
    assert (finished["status"], finished["done"], finished["failed"]) == ("finished", 3, 0)


def test_refused_batches_create_nothing(
    client: TestClient, keys: Keys, db: Session, gobierno: dict[str, Any]
) -> None:
    before = {model: count(db, model) for model in (Batch, BatchItem, Agreement, Party)}

    def refused(status: int, payload: dict[str, Any]) -> dict[str, Any]:
        return ok(client.post(f"{API}/batches", json=payload, headers=keys.legal), status)

    unknown = refused(422, body(gobierno, codes=["03001", "03099", "03001"]))
    assert [(e["field"], e["message"]) for e in unknown["errors"]] == [
        ("body.municipios.codes.1", "03099 is not in INEGI's municipality catalog"),
        ("body.municipios.codes.2", "03001 is named twice"),
    ]
    db.execute(delete(Municipality).where(Municipality.state_code == STATE))
    db.flush()
    empty = refused(422, body(gobierno))
    assert empty["errors"][0]["field"] == "body.municipios.state"
    assert "no municipios of state 03" in empty["errors"][0]["message"]
    both = refused(422, body(gobierno, state="02", codes=["02001"]))
    assert "one of the two" in both["detail"]
    # The agreements' own rules, named in the batch's terms: the fixed party is `parties.0`
    # although the municipio comes first in every agreement.
    stranger = representative(
        client,
        keys.legal,
        ok(client.get(f"{API}/parties/{gobierno['party']['id']}", headers=keys.legal))["id"],
    )
    payload = body(gobierno, codes=["02001"])
    payload["parties"][0]["signatories"] = [{"representative_id": 987654}]
    wrong = refused(422, payload)
    assert wrong["errors"][0]["field"] == "body.parties.0.signatories.0.representative_id"
    payload["parties"][0]["signatories"] = [{"representative_id": stranger["id"]}]
    payload["municipios"]["contributions"] = [
        {"amount": "1000.00", "source": "privados", "purpose": "las acciones"}
    ]
    payload["amount"] = "1000.00"
    money = refused(422, payload)
    assert money["errors"][0]["field"] == "body.municipios.contributions.0.source"
    missing = refused(404, {**body(gobierno, codes=["02001"]), "template_version": 99})
    assert missing["errors"][0]["field"] == "body.template_version"
    after = {model: count(db, model) for model in (Batch, BatchItem, Agreement, Party)}
    # The representative added above is the only new row (a Representative, not counted).
    assert after == before


def test_a_retried_post_returns_the_same_batch(
    client: TestClient, keys: Keys, db: Session, gobierno: dict[str, Any]
) -> None:
    headers = {**keys.legal, "Idempotency-Key": "lote-catastro-bcs"}
    payload = body(gobierno, codes=["03001", "03002"])
    first = client.post(f"{API}/batches", json=payload, headers=headers)
    again = client.post(f"{API}/batches", json=payload, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert count(db, Batch) == 1 and count(db, BatchItem) == 2
    other = client.post(f"{API}/batches", json=body(gobierno, codes=["03003"]), headers=headers)
    assert other.status_code == 422


def test_an_item_whose_worker_died_is_finished_without_a_second_agreement(
    client: TestClient,
    keys: Keys,
    db: Session,
    clock: TestClock,
    sessions: sessionmaker[Session],
    gobierno: dict[str, Any],
) -> None:
    accepted = ok(
        client.post(f"{API}/batches", json=body(gobierno, codes=["03003"]), headers=keys.legal),
        202,
    )
    settings = get_settings()
    [item_id] = [
        item.id
        for item in db.scalars(select(BatchItem).where(BatchItem.batch_id == accepted["id"]))
    ]
    # A worker claims it, creates its agreement, and dies before rendering.
    with sessions() as session, session.begin():
        now = clock()
        assert (
            repository.claim(session, item_id, now=now, until=now + service.claim_length(settings))
            == 1
        )
    service._agreement_and_plan(sessions, item_id, settings)
    assert count(db, Agreement) == 1
    # Nobody takes it up while the claim holds.
    assert run(sessions).processed == 0
    assert (
        service.process_item(
            sessions, item_id, settings=settings, storage=get_storage(), render=render_runner()
        )
        is None
    )
    clock.advance(service.claim_length(settings) + timedelta(seconds=1))
    report = run(sessions)
    assert (report.done, report.failed) == (1, 0)
    item = db.scalars(
        select(BatchItem).where(BatchItem.id == item_id).execution_options(populate_existing=True)
    ).one()
    assert item.status is BatchItemStatus.DONE and item.attempts == 2
    assert count(db, Agreement) == 1
    batch = ok(client.get(f"{API}/batches/{accepted['id']}", headers=keys.legal))
    assert (batch["status"], batch["done"]) == ("finished", 1)


def test_an_item_that_kills_its_workers_fails_after_three_attempts(
    client: TestClient,
    keys: Keys,
    clock: TestClock,
    sessions: sessionmaker[Session],
    gobierno: dict[str, Any],
) -> None:
    accepted = ok(
        client.post(f"{API}/batches", json=body(gobierno, codes=["03001"]), headers=keys.legal),
        202,
    )
    settings = get_settings()
    with sessions() as session:
        item_id = repository.next_claimable(session, now=clock())
    assert item_id is not None
    for attempt in range(1, service.MAX_ATTEMPTS + 1):
        with sessions() as session, session.begin():
            now = clock()
            until = now + service.claim_length(settings)
            assert repository.claim(session, item_id, now=now, until=until) == attempt
        clock.advance(service.claim_length(settings) + timedelta(seconds=1))

    def never(job: RenderJob) -> Any:
        raise AssertionError("an item given up on is not rendered")

    assert run(sessions, never).failed == 1
    batch = ok(client.get(f"{API}/batches/{accepted['id']}", headers=keys.legal))
    assert batch["status"] == "finished"
    assert "Given up after 3 attempts" in batch["failures"][0]["error"]


def test_who_may_create_and_read_batches(
    client: TestClient, keys: Keys, db: Session, gobierno: dict[str, Any]
) -> None:
    signatory = keys.signatory(db, gobierno["representative"]["id"])
    payload = body(gobierno, codes=["03001"])
    for headers in (signatory, keys.viewer):
        assert client.post(f"{API}/batches", json=payload, headers=headers).status_code == 403
    created = ok(client.post(f"{API}/batches", json=payload, headers=keys.admin), 202)
    assert client.get(f"{API}/batches/{created['id']}", headers=signatory).status_code == 403
    assert client.get(f"{API}/batches", headers=signatory).status_code == 403
    assert ok(client.get(f"{API}/batches/{created['id']}", headers=keys.viewer))["total"] == 1
    assert client.get(f"{API}/batches/987654", headers=keys.viewer).status_code == 404


def test_zip_names_are_safe() -> None:
    assert service.zip_name("CONV-2026-0001", "San Juan/Bautista: «Tuxtepec»?") == (
        "CONV-2026-0001 San JuanBautista «Tuxtepec».pdf"
    )
    assert service.zip_name("CONV-2026-0002", "..\\..\x00") == "CONV-2026-0002.pdf"


def test_an_item_no_render_worker_could_take_waits_and_is_made_later(
    client: TestClient,
    keys: Keys,
    db: Session,
    clock: TestClock,
    sessions: sessionmaker[Session],
    gobierno: dict[str, Any],
) -> None:
    accepted = ok(
        client.post(f"{API}/batches", json=body(gobierno, codes=["03001"]), headers=keys.legal),
        202,
    )

    def busy(job: RenderJob) -> Any:
        raise WorkersBusy("Every worker is busy.", headers={"Retry-After": "1"})

    assert run(sessions, busy).later == 1
    item = db.scalars(select(BatchItem).where(BatchItem.batch_id == accepted["id"])).one()
    db.refresh(item)
    assert item.status is BatchItemStatus.PENDING and item.attempts == 0
    assert ok(client.get(f"{API}/batches/{accepted['id']}", headers=keys.legal))["status"] == (
        "running"
    )
    clock.advance(service.RETRY_AFTER + timedelta(seconds=1))
    assert run(sessions).done == 1
    assert count(db, Agreement) == 1


def test_convenios_batch_run_makes_what_is_pending(backend: str, tmp_path: Path) -> None:
    """The operator's command, in a process of its own, on a database of its own; then the
    loops of `convenios serve` and of `convenios worker` on the same database."""
    url = new_database(backend, tmp_path)
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            catalog.import_catalog(
                session=session, text=INEGI_CSV.read_text(encoding="utf-8"), actor=operator("t")
            )
            templates.sync_shipped(session, operator("t"))
        with Session(engine) as session, session.begin():
            _, key = keys_service.create_key(
                session=session,
                name="t",
                role=Role.LEGAL,
                representative_id=None,
                actor=operator("t"),
            )
        legal = {"Authorization": f"Bearer {key}"}
        with TestClient(create_app(engine)) as client:
            made = {"party": estado(client, legal, inegi_code=STATE, name="Gobierno de BCS")}
            made["representative"] = representative(client, legal, made["party"]["id"])
            payload = body(made, codes=["03009"])
            accepted = ok(client.post(f"{API}/batches", json=payload, headers=legal), 202)
            env = {**os.environ, "CONVENIOS_DATABASE_URL": url}
            command = [str(Path(sys.executable).parent / "convenios"), "batch", "run"]
            done = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=120, check=False
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("1 items done, 0 failed")
            batch = ok(client.get(f"{API}/batches/{accepted['id']}", headers=legal))
            assert (batch["status"], batch["done"]) == ("finished", 1)
            zipped = client.get(batch["documents_url"], headers=legal)
            assert zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()[0].endswith(" Loreto.pdf")

            # What `convenios serve` runs beside its routes takes up the next batch by itself.
            payload = body(made, codes=["03008"])
            second = ok(client.post(f"{API}/batches", json=payload, headers=legal), 202)

            async def serve_until_finished() -> None:
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(process_periodically, engine, get_settings())
                    with anyio.fail_after(60):
                        while True:
                            read = client.get(f"{API}/batches/{second['id']}", headers=legal)
                            if read.json()["status"] == "finished":
                                break
                            await anyio.sleep(0.2)
                    tasks.cancel_scope.cancel()

            anyio.run(serve_until_finished)
            finished = ok(client.get(f"{API}/batches/{second['id']}", headers=legal))
            assert (finished["done"], finished["failed"]) == (1, 0)

            # What each `convenios worker` runs, in as many threads as tasks it takes at once:
            # two of them share a batch, and each municipio is made once.
            payload = body(made, codes=["03001", "03002", "03003"])
            third = ok(client.post(f"{API}/batches", json=payload, headers=legal), 202)
            stop = threading.Event()
            loops = [
                threading.Thread(target=process_until, args=(stop, engine, get_settings()))
                for _ in range(2)
            ]
            for loop in loops:
                loop.start()
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    read = client.get(f"{API}/batches/{third['id']}", headers=legal)
                    if read.json()["status"] == "finished":
                        break
                    time.sleep(0.2)
            finally:
                stop.set()
                for loop in loops:
                    loop.join(timeout=60)
            finished = ok(client.get(f"{API}/batches/{third['id']}", headers=legal))
            assert (finished["done"], finished["failed"]) == (3, 0)
            made_items = ok(client.get(finished["items_url"], headers=legal))["items"]
            assert len({item["agreement_id"] for item in made_items}) == 3
            assert all(item["attempts"] == 1 for item in made_items)
    finally:
        engine.dispose()
        drop_database(backend, url)


@pytest.mark.slow
def test_a_batch_of_every_municipio_with_one_that_fails(
    client: TestClient,
    keys: Keys,
    db: Session,
    sessions: sessionmaker[Session],
    gobierno: dict[str, Any],
) -> None:
    """The fault of issue 15: 2,478 municipios, one of which cannot be rendered — the others
    finish, and the failure is named. (Renders stand in with a one-page PDF each: what is
    tested is the batch, at the catalog's whole size, not WeasyPrint.)"""
    codes = list(db.scalars(select(Municipality.code).order_by(Municipality.code)))
    assert len(codes) == 2478
    payload = body(gobierno, codes=codes)
    accepted = ok(client.post(f"{API}/batches", json=payload, headers=keys.legal), 202)
    assert accepted["total"] == 2478

    def render(job: RenderJob) -> RenderedPdf:
        title = str(job.context["agreement"]["title"])
        if title.endswith("con Santa María del Tule"):
            raise TooManyPages("the document has 301 pages; at most 300 are allowed")
        return RenderedPdf(one_page_pdf(title), 1)

    report = run(sessions, render)
    assert (report.done, report.failed) == (2477, 1)
    batch = ok(client.get(f"{API}/batches/{accepted['id']}", headers=keys.viewer))
    assert (batch["status"], batch["done"], batch["failed"]) == ("finished", 2477, 1)
    assert [(f["municipality_code"], f["municipio"]) for f in batch["failures"]] == [
        ("20409", "Santa María del Tule")
    ]
    assert count(db, Agreement) == 2478  # the one that failed has its agreement, as a draft
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(batch["documents_url"], headers=keys.viewer).content)
    )
    assert len(archive.namelist()) == len(set(archive.namelist())) == 2477
