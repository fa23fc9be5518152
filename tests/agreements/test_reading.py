"""`GET /agreements/{id}` and `GET /agreements` keep each agreement's answer per version
(`app.agreements.reading`): whatever changes, the next read shows it, and a key that stops
working stops at once. Both read their key and parameters themselves, as FastAPI would."""

from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.agreements import reading, repository
from app.agreements.reading import Answers, Stamp
from app.agreements.schemas import AgreementRead, AgreementSummary
from app.auth import service as keys_service
from app.auth.principal import operator
from app.catalog import service as catalog
from app.db import make_engine, session_factory
from app.errors import install_error_handlers
from app.loopdb import LoopReads
from app.main import create_app
from app.models import ApiKey
from app.models.enums import AgreementStatus, Role
from app.openapi import for_integrators
from tests import factories
from tests.conftest import INEGI_CSV, Keys
from tests.databases import BACKENDS, api_key, drop_database, new_database
from tests.factories import ok

API = "/api/v1"


def _fresh(db: Session, agreement_id: int) -> dict[str, Any]:
    """The answer built from the database now, as before anything was kept."""
    db.expire_all()
    agreement = repository.get(db, agreement_id)
    assert agreement is not None
    return AgreementRead.from_model(agreement).model_dump(mode="json")


def test_every_change_shows_in_the_next_read(client: TestClient, keys: Keys, db: Session) -> None:
    created = factories.agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}"
    assert ok(client.get(url, headers=keys.viewer)) == _fresh(db, created["id"])
    municipio = created["parties"][0]["party"]["id"]
    signer = created["parties"][0]["signatories"][0]["representative_id"]
    changes = [
        # The agreement's own content, and its version with it.
        ("PATCH", url, {"title": "Convenio de colaboración en materia de catastro"}),
        # A party's name, which the agreement shows but does not own.
        ("PATCH", f"{API}/parties/{municipio}", {"name": "Municipio de Tlalnepantla de Baz"}),
        # A signatory's name and position.
        ("PATCH", f"{API}/representatives/{signer}", {"position": "Síndica Municipal"}),
        ("PATCH", f"{API}/representatives/{signer}", {"full_name": "María Pérez Ruiz"}),
        # Its status, and the transitions it allows.
        ("POST", f"{url}/transitions", {"to": "in_review"}),
    ]
    for method, path, body in changes:
        ok(client.request(method, path, json=body, headers=keys.legal))
        read = client.get(url, headers=keys.viewer)
        assert ok(read) == _fresh(db, created["id"]), (method, path)
        assert read.headers["etag"] == f'"v{read.json()["version"]}"'
    shown = ok(client.get(url, headers=keys.viewer))
    assert shown["title"] == "Convenio de colaboración en materia de catastro"
    assert shown["parties"][0]["party"]["name"] == "Municipio de Tlalnepantla de Baz"
    assert shown["parties"][0]["signatories"][0]["position"] == "Síndica Municipal"
    assert shown["parties"][0]["signatories"][0]["full_name"] == "María Pérez Ruiz"
    assert shown["status"] == "in_review"


def test_a_key_revoked_after_a_read_is_refused_at_once(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = factories.agreement(client, keys.legal)
    url = f"{API}/agreements/{created['id']}"
    ok(client.get(url, headers=keys.viewer))
    key_id = keys.viewer["Authorization"].split("_")[1]
    viewer = db.query(ApiKey).filter(ApiKey.key_id == key_id).one()
    keys_service.revoke_key(session=db, api_key_id=viewer.id, actor=operator("tests"))
    db.flush()
    refused = client.get(url, headers=keys.viewer)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert refused.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Send an API key"),
        ("Basic dXNlcjpwYXNz", "Send an API key"),
        ("Bearer", "Send an API key"),
        ("Bearer not-a-key", "malformed"),
        (f"Bearer cvn_{'a' * 12}_{'b' * 43}", "not valid"),
    ],
)
@pytest.mark.parametrize(
    "path",
    ["/agreements/1", "/agreements/abc", "/agreements/0", "/agreements", "/agreements?limit=0"],
)
def test_a_key_that_does_not_work_is_refused_before_the_parameters(
    client: TestClient, authorization: str | None, detail: str, path: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith('Bearer realm="convenios"')


@pytest.mark.parametrize("agreement_id", ["abc", "0", "-3", "1.5", "99999999999", "\uff11x"])
def test_an_id_that_is_not_one_is_refused_as_every_route_refuses_it(
    client: TestClient, keys: Keys, agreement_id: str
) -> None:
    read = client.get(f"{API}/agreements/{agreement_id}", headers=keys.viewer)
    # The same path parameter on a route whose parameters FastAPI validates.
    documents = client.get(f"{API}/agreements/{agreement_id}/documents", headers=keys.viewer)
    assert read.status_code == documents.status_code == 422
    assert read.headers["content-type"] == "application/problem+json"
    assert {**read.json(), "instance": None} == {**documents.json(), "instance": None}


def _solved_by_fastapi() -> FastAPI:
    """A route whose query FastAPI itself validates and documents: `AgreementQuery`'s fields
    as its parameters, and the service's problem documents for what it refuses."""
    reference = FastAPI()
    install_error_handlers(reference)

    @reference.get(f"{API}/agreements")
    def list_agreements(query: Annotated[reading.AgreementQuery, Query()]) -> None:
        """Nothing: only its parameters matter."""

    return reference


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=",
        "cursor=zz",
        "cursor=80000000",
        "status=nope",
        "kind=",
        "party_id=0",
        "party_id=99999999999",
        "topic=Seguridad%20P%C3%BAblica",
        "initiative=9",
        "initiative=4.5",
        "expiring_within_days=-1",
        "expiring_within_days=3651",
        "q=" + "a" * 201,
        "q=a%00b",
        "q=%1Fx",
        "status=nope&limit=0&party_id=x",
    ],
)
def test_a_query_that_is_not_one_is_refused_as_fastapi_refuses_it(
    client: TestClient, keys: Keys, query: str
) -> None:
    listed = client.get(f"{API}/agreements?{query}", headers=keys.viewer)
    with TestClient(_solved_by_fastapi()) as reference:
        expected = reference.get(f"{API}/agreements?{query}")
    assert listed.status_code == expected.status_code == 422, listed.text
    assert listed.headers["content-type"] == "application/problem+json"
    assert listed.json() == expected.json()


def test_a_query_is_read_as_fastapi_reads_it(client: TestClient, keys: Keys) -> None:
    created = factories.agreement(client, keys.legal)
    party = created["parties"][0]["party"]["id"]
    for query, found in [
        # Unknown parameters are left aside; a repeated one counts its last value.
        ("colour=red&limit=1", True),
        (f"party_id={party + 1000}&party_id={party}", True),
        (f"party_id={party}&party_id={party + 1000}", False),
        (f"status={created['status']}&kind={created['kind']}&initiative=4", True),
        ("expiring_within_days=3650&topic=seguridad_publica", False),
        ("q=", True),  # an empty `q` asks for nothing
        (f"q={created['folio'].lower()}", True),
    ]:
        items = ok(client.get(f"{API}/agreements?{query}", headers=keys.viewer))["items"]
        assert ([item["id"] for item in items] == [created["id"]]) is found, query


def test_absent_and_hidden_agreements_are_the_same_404(
    client: TestClient, keys: Keys, db: Session
) -> None:
    created = factories.agreement(client, keys.legal)
    signer = created["parties"][0]["signatories"][0]["representative_id"]
    other = factories.agreement(client, keys.legal)
    signatory = keys.signatory(db, signer)
    ok(client.get(f"{API}/agreements/{created['id']}", headers=signatory))
    hidden = client.get(f"{API}/agreements/{other['id']}", headers=signatory)
    absent = client.get(f"{API}/agreements/{other['id'] + 1000}", headers=signatory)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["detail"].replace(str(other["id"]), "N") == absent.json()[
        "detail"
    ].replace(str(other["id"] + 1000), "N")


def test_the_operations_are_documented_as_the_routes_that_fastapi_solves(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    read, update = (paths[f"{API}/agreements/{{agreement_id}}"][m] for m in ("get", "patch"))
    assert read["security"] == update["security"]
    assert read["parameters"] == [p for p in update["parameters"] if p["in"] == "path"]
    assert set(read["responses"]) >= {"200", "401", "403", "404", "422"}
    assert read["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AgreementRead"
    }
    listed = paths[f"{API}/agreements"]["get"]
    # Written for integrators as the service's own document is.
    document = for_integrators(_solved_by_fastapi().openapi(), public_url="http://testserver")
    reference = document["paths"][f"{API}/agreements"]["get"]
    assert listed["parameters"] == reference["parameters"]
    assert listed["security"] == update["security"]
    assert set(listed["responses"]) >= {"200", "401", "403", "422"}
    assert listed["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Page_AgreementSummary_"
    }


def test_answers_are_kept_under_their_stamp_within_a_size() -> None:
    answers = Answers(max_bytes=10)
    first, second = Stamp("CONV-2026-0000001", 1, 2, 2), Stamp("CONV-2026-0000001", 2, 2, 2)
    answers.put(1, first, b"12345")
    assert answers.get(1, first) == b"12345"
    assert answers.get(1, second) is None  # another version
    assert answers.get(1, first._replace(folio="CONV-2026-0000002")) is None  # another agreement
    answers.put(2, first, b"abcde")
    answers.get(1, first)  # served last: the other goes first
    answers.put(3, first, b"xyz")
    assert answers.get(2, first) is None and answers.get(1, first) == b"12345"
    answers.put(4, first, b"x" * 11)  # larger than all: not kept
    assert answers.get(4, first) is None and answers.get(3, first) == b"xyz"


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="the pool serves PostgreSQL")
def test_on_postgresql_reads_go_through_the_pool_and_outlive_a_restart(tmp_path: Path) -> None:
    """Committed data, the application's own engine and lifespan, as `convenios serve` has."""
    url = new_database("postgresql", tmp_path, name=f"convenios_reading_{tmp_path.name[-8:]}")
    try:
        app = create_app(make_engine(url))
        with Session(app.state.engine) as session, session.begin():
            catalog.import_catalog(
                session=session, text=INEGI_CSV.read_text(encoding="utf-8"), actor=operator("tests")
            )
        admin = api_key(app.state.engine, Role.ADMIN)
        with TestClient(app) as client:
            assert app.state.loop_reads._pool is not None
            created = factories.agreement(client, admin)
            path = f"{API}/agreements/{created['id']}"
            assert ok(client.get(path, headers=admin))["id"] == created["id"]
            party = created["parties"][1]["party"]["id"]
            ok(client.patch(f"{API}/parties/{party}", json={"name": "Otro"}, headers=admin))
            assert ok(client.get(path, headers=admin))["parties"][1]["party"]["name"] == "Otro"
            # The server closes every connection (a restart, a firewall): the next read is
            # asked again on a new one, and answered.
            with app.state.engine.connect() as connection:
                closed = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 'convenios loop reads'"
                    )
                ).scalar()
            assert closed and closed >= 1
            assert ok(client.get(path, headers=admin))["id"] == created["id"]
            absent = client.get(f"{API}/agreements/{created['id'] + 99}", headers=admin)
            assert absent.status_code == 404
            # Pages of every shape read alike through the pool and the engine's own driver,
            # their values bound the same (enums, dates, words, the cursor, a signatory).
            other = factories.agreement(client, admin)
            signer = created["parties"][0]["signatories"][0]["representative_id"]
            signatory = api_key(app.state.engine, Role.SIGNATORY, representative_id=signer)
            pooled = app.state.loop_reads
            in_threads = LoopReads(app.state.engine, session_factory(app.state.engine, write=False))
            party = other["parties"][0]["party"]["id"]
            pages = []
            for reads in (pooled, in_threads):
                app.state.loop_reads = reads
                pages.append(
                    [
                        ok(client.get(f"{API}/agreements?{query}", headers=headers))
                        for query in (
                            "limit=1",
                            f"cursor={other['id']:08x}",
                            f"status=draft&kind={other['kind']}&initiative=4&party_id={party}",
                            "topic=gobernanza&expiring_within_days=3650",
                            "q=otro",
                            "q=convenios de colaboración",
                            f"q={other['folio'][:9]}",
                            "q=de la",
                        )
                        for headers in (admin, signatory)
                    ]
                )
            app.state.loop_reads = pooled
            assert pages[0] == pages[1]
            assert [len(page["items"]) for page in pages[0]][:8] == [1, 1, 1, 1, 1, 0, 2, 1]
        assert app.state.loop_reads._pool is None  # closed with the lifespan
        app.state.engine.dispose()
    finally:
        drop_database("postgresql", url)


def test_a_page_shows_every_change_at_once(client: TestClient, keys: Keys, db: Session) -> None:
    created = [factories.agreement(client, keys.legal) for _ in range(3)]
    url = f"{API}/agreements?limit=2"

    def fresh() -> dict[str, Any]:
        db.expire_all()
        newest = repository.summaries(db, [created[2]["id"], created[1]["id"]])
        items = sorted(newest, key=lambda agreement: -agreement.id)
        return {
            "items": [AgreementSummary.from_model(a).model_dump(mode="json") for a in items],
            "next_cursor": f"{created[1]['id']:08x}",
        }

    assert ok(client.get(url, headers=keys.viewer)) == fresh()
    newest = created[2]
    party = newest["parties"][0]["party"]["id"]
    for method, path, body in [
        ("PATCH", f"{API}/agreements/{newest['id']}", {"title": "Convenio de catastro"}),
        ("PATCH", f"{API}/parties/{party}", {"name": "Municipio de Tlalnepantla de Baz"}),
        ("POST", f"{API}/agreements/{newest['id']}/transitions", {"to": "in_review"}),
    ]:
        ok(client.request(method, path, json=body, headers=keys.legal))
        assert ok(client.get(url, headers=keys.viewer)) == fresh(), (method, path)
    page = ok(client.get(url, headers=keys.viewer))
    assert page["items"][0]["title"] == "Convenio de catastro"
    assert page["items"][0]["parties"][0]["name"] == "Municipio de Tlalnepantla de Baz"
    assert page["items"][0]["status"] == "in_review"
    rest = ok(client.get(f"{url}&cursor={page['next_cursor']}", headers=keys.viewer))
    assert [item["id"] for item in rest["items"]][:1] == [created[0]["id"]]


def test_an_answer_is_built_once_per_version(
    client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = factories.agreement(client, keys.legal)
    url, page = f"{API}/agreements/{created['id']}", f"{API}/agreements?limit=1"
    built: list[int] = []
    summarised: list[list[int]] = []
    build, summaries = reading._build, repository.summaries
    monkeypatch.setattr(reading, "_build", lambda s, i: built.append(i) or build(s, i))
    monkeypatch.setattr(
        repository, "summaries", lambda s, ids: summarised.append(list(ids)) or summaries(s, ids)
    )
    for _ in range(3):
        ok(client.get(url, headers=keys.viewer))
        ok(client.get(page, headers=keys.viewer))
    assert built == [created["id"]] and summarised == [[created["id"]]]
    ok(client.patch(url, json={"title": "Convenio de catastro"}, headers=keys.legal))
    assert ok(client.get(url, headers=keys.viewer))["title"] == "Convenio de catastro"
    assert ok(client.get(page, headers=keys.viewer))["items"][0]["title"] == "Convenio de catastro"
    assert built == [created["id"]] * 2 and summarised == [[created["id"]]] * 2


def test_pages_of_one_shape_share_one_statement() -> None:
    """A page's statement is made (and compiled, and prepared) once per shape: the same
    filters and as many words, whatever their values."""

    def query(**filters: Any) -> tuple[Any, dict[str, Any]]:
        return repository.page_query(
            repository.AgreementFilters(**filters), signatory=None, after=None, limit=21
        )

    water, _ = query(status=AgreementStatus.ACTIVE, q="agua potable")
    health, values = query(status=AgreementStatus.DRAFT, q="salud pública")
    assert water is health
    assert values["status"] is AgreementStatus.DRAFT and values["q_text"] == "%publica%"
    assert query(q="agua")[0] is not water  # one word fewer, and no status
    assert query(status=AgreementStatus.ACTIVE, q="agua potable", kind="colaboracion")[0] not in (
        water,
        query(q="agua")[0],
    )
