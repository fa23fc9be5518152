"""Property-based fuzzing of the whole OpenAPI document with schemathesis.

Every operation of ``/openapi.json`` gets valid (positive) and invalid (negative) requests,
authenticated as an admin; the read operations also as a viewer and as a signatory. No request
may get a 5xx, every answer must be one the document declares (status, media type, headers and
schema), and invalid input must be refused with a 4xx.

The fuzzer writes, so each backend gets a fresh database of its own, seeded so that parties,
representatives and agreements 1..3 exist. Valid requests are then steered toward that data and
past the cross-field rules a JSON schema cannot state (an estado's INEGI code, a signatory of
the right party, an expiry after the start…), so that they reach the code that writes.
"""

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from app.auth import service as keys_service
from app.auth.principal import operator
from app.catalog import service as catalog_service
from app.catalog.states import STATES
from app.config import get_settings
from app.db import make_engine
from app.main import create_app
from app.models.enums import Role
from tests.clock import days_from_today
from tests.conftest import INEGI_CSV
from tests.databases import drop_database, new_database
from tests.factories import API, agreement_payload, estado, municipio, ok, party, representative

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Bounded so that the file takes about two minutes per backend on two cores (fifty operations,
# some eleven thousand cases: the suite as a whole must stay under fifteen minutes), and
# derandomized so that CI runs the same cases every time.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# The document is read when the module is imported; each backend's fixture then points the
# application at a database of its own.
app = create_app(make_engine("sqlite://"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    # The key is ours to send; fuzzing it would only exercise HTTPBearer.
    with_security_parameters=False,
)
# Examples from the document, boundary values of every parameter (coverage), then random cases.
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])


@dataclass
class Target:
    """One backend's seeded database, a key per role and what the fuzzer did with them."""

    backend: str
    storage: Path
    admin: dict[str, str]
    viewer: dict[str, str]
    signatory: dict[str, str]
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)


def _bearer(session: Session, role: Role, representative_id: int | None = None) -> dict[str, str]:
    _, plaintext = keys_service.create_key(
        session=session,
        name=f"fuzz {role.value}",
        role=role,
        representative_id=representative_id,
        actor=operator("fuzz"),
    )
    return {"Authorization": f"Bearer {plaintext}"}


def _seed(client: TestClient, admin: dict[str, str]) -> None:
    """Parties 1..3 (a municipio, an estado, a federal agency), representative i of party i,
    and three draft agreements between them."""
    signers = []
    for build in (municipio, estado, party):
        created = build(client, admin)
        signers.append((created, representative(client, admin, created["id"])))
    assert [(p["id"], r["id"]) for p, r in signers] == [(1, 1), (2, 2), (3, 3)]
    for pair in ((0, 1), (1, 2), (0, 2)):
        payload = agreement_payload([signers[i] for i in pair])
        ok(client.post(f"{API}/agreements", json=payload, headers=admin), 201)


@pytest.fixture(scope="module")
def target(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    url = new_database(backend, tmp_path_factory.mktemp(f"fuzz-{backend}"))
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        catalog_service.import_catalog(
            session=session, text=INEGI_CSV.read_text(encoding="utf-8"), actor=operator("fuzz")
        )
        admin = _bearer(session, Role.ADMIN)
        viewer = _bearer(session, Role.VIEWER)
    app.state.engine = engine
    with TestClient(app) as client:
        _seed(client, admin)
    with Session(engine) as session, session.begin():
        # Representative 1 signs agreements 1 and 3.
        signatory = _bearer(session, Role.SIGNATORY, representative_id=1)
    found = Target(
        backend=backend,
        storage=tmp_path_factory.mktemp(f"fuzz-{backend}-storage"),
        admin=admin,
        viewer=viewer,
        signatory=signatory,
    )
    started = time.monotonic()
    yield found
    _report(found, time.monotonic() - started)
    engine.dispose()
    drop_database(backend, url)


@pytest.fixture(autouse=True)
def _one_storage(target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documents the fuzzer uploads stay where it put them for the whole module, as its
    database does (the suite's default is a storage of each test's own): a later operation
    reads them."""
    monkeypatch.setenv("CONVENIOS_STORAGE_URL", str(target.storage))
    get_settings.cache_clear()


def _report(target: Target, seconds: float) -> None:
    """A summary, for `pytest -s`: how many cases of each kind, and what they got."""
    print(f"\n[{target.backend}] {target.cases.total()} cases in {seconds:.0f}s")
    for key, count in sorted(target.cases.items()):
        print(f"  {key}: {count}")
    for key, count in sorted(target.statuses.items()):
        print(f"  {key}: {count}")


# Steering valid cases ---------------------------------------------------------------------

PERSON_RFC, RFC, CURP = "HEGT761003AB1", "MTB850101AB1", "HEGT761003MDFRNN09"


def _replace_if_set(body: dict[str, Any], name: str, value: str) -> None:
    if body.get(name) is not None:
        body[name] = value


def _steer_party(body: dict[str, Any]) -> None:
    kind = body.get("kind")
    if kind == "estado":
        body["inegi_code"] = "15"
        body.pop("state_code", None)
    elif kind in ("municipio", "organismo_descentralizado"):
        body["inegi_code"] = "15104"
        body.pop("state_code", None)
    else:
        body.pop("inegi_code", None)
        if body.get("state_code") not in (None, *STATES):
            body["state_code"] = "15"
    # How the instrument names it: an article, whose gender it then has.
    if body.get("article") is not None:
        body.pop("gender", None)
    elif "kind" in body:
        body["gender"] = body.get("gender") or "feminine"
    if kind != "academico_publico":
        body.pop("autonomous", None)
    if kind == "municipio" and ("term_start" in body or "term_end" in body):
        body["term_start"], body["term_end"] = days_from_today(-365), days_from_today(730)
    else:
        body.pop("term_start", None)
        body.pop("term_end", None)
    _replace_if_set(body, "rfc", RFC)
    _replace_if_set(body, "contact_email", "enlace@example.mx")


def _steer_representative(body: dict[str, Any]) -> None:
    _replace_if_set(body, "rfc", PERSON_RFC)
    _replace_if_set(body, "curp", CURP)
    _replace_if_set(body, "email", "titular@example.mx")


def _steer_agreement(body: dict[str, Any]) -> None:
    if isinstance(body.get("parties"), list):
        # Parties 1..3 with their own representatives, and roles that cannot collide.
        body["parties"] = body["parties"][:3]
        for i, link in enumerate(body["parties"]):
            link["party_id"] = i + 1
            link["signatories"] = [{"representative_id": i + 1}] if link.get("signatories") else []
            link["role"] = f"{i}{link['role']}"[:120]
            # Contributions must add up within the amount, in its currency: left out.
            link.pop("contributions", None)
    if body.get("kind") == "modificatorio":
        body["kind"] = "colaboracion"
    body.pop("parent_id", None)
    effective, expiry = body.get("effective_date"), body.get("expiry_date")
    if effective is not None and expiry is not None and expiry <= effective:
        body["effective_date"], body["expiry_date"] = expiry, effective
        if expiry == effective:
            body.pop("expiry_date")
    if body.get("amount") is None:
        body.pop("currency", None)
    signing = body.get("signing")
    if isinstance(signing, dict) and signing.get("method", "autografa") != "autografa":
        signing.pop("date", None)
        signing.pop("copies", None)
    # Keys of the template's standard clauses, which a schema cannot list.
    body.pop("standard_clauses", None)
    renewal = body.get("renewal")
    if isinstance(renewal, dict):
        mode = renewal.get("mode", "none")
        if mode == "none" or body.get("expiry_date") is None:
            body["renewal"] = {"mode": "none"}
        elif mode == "automatic":
            renewal["months"] = renewal.get("months") or 12
        else:
            renewal.pop("months", None)


def _steer_authorization(case: Case, body: dict[str, Any]) -> None:
    """A vote of a cabildo that could have authorised it: party 1, the municipio, before today
    and within its members."""
    case.path_parameters = {**(case.path_parameters or {}), "party_id": 1}
    body["date"] = days_from_today(-1)
    body["members"], body["votes_for"] = 11, 11
    body["votes_against"] = body["abstentions"] = 0
    body.pop("certified_acta_document_id", None)
    if isinstance(body.get("legislature"), dict):
        body["legislature"]["date"] = days_from_today(-1)


def _steer(case: Case) -> None:
    """Bend a valid case toward the seeded rows and past the cross-field rules (see above)."""
    meta = case.meta
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return
    if meta.phase.name.value == "fuzzing":
        # Boundary ids (coverage) are kept: the database must answer for the largest one too.
        for name, value in (case.path_parameters or {}).items():
            if isinstance(value, int) and value > 3:
                case.path_parameters[name] = 1 + value % 3
    if case.headers:
        for name in [n for n in case.headers if n.lower() == "if-match"]:
            del case.headers[name]  # a random ETag is a 412 before any work
        positive = case.meta is None or case.meta.generation.mode.is_positive
        for name in [n for n in case.headers if n.lower() == "idempotency-key"]:
            if positive:
                # A key names one request: sent again with another, it is refused by design
                # (422), and generated examples repeat keys across bodies.
                case.headers[name] = uuid.uuid4().hex
    body, path = case.body, case.operation.path
    if not isinstance(body, dict):
        return
    if path.endswith(("/parties", "/parties/{party_id}")):
        _steer_party(body)
    elif path.endswith(("/representatives", "/representatives/{representative_id}")):
        _steer_representative(body)
    elif path.endswith("/transitions"):
        if body.get("to") != "active":
            body.pop("signed_on", None)
    elif path.endswith(("/agreements", "/agreements/{agreement_id}")):
        _steer_agreement(body)
    elif path.endswith("/authorization"):
        _steer_authorization(case, body)


# The tests ----------------------------------------------------------------------------------


def _call(target: Target, case: Case, who: str, headers: dict[str, str]) -> None:
    meta = case.meta
    kind = f"{meta.phase.name.value}/{meta.generation.mode.value}" if meta else "explicit"
    target.cases[f"{who} {kind}"] += 1
    # A copy: schemathesis adds its own headers to the dict it is given.
    response = case.call_and_validate(headers=dict(headers), checks=CHECKS)
    target.statuses[f"{who} {case.operation.label} -> {response.status_code}"] += 1


@schema.parametrize()
@FUZZ
def test_every_operation_as_admin(case: Case, target: Target) -> None:
    _steer(case)
    _call(target, case, "admin", target.admin)


@schema.include(method="GET").parametrize()
@FUZZ
def test_reads_as_viewer_and_signatory(case: Case, target: Target) -> None:
    _steer(case)
    _call(target, case, "viewer", target.viewer)
    _call(target, case, "signatory", target.signatory)
