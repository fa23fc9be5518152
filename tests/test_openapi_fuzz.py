"""Property-based fuzzing of the whole OpenAPI document with schemathesis.

Every operation of ``/openapi.json`` gets valid (positive) and invalid (negative) requests,
authenticated as an admin; the read operations also as a viewer and as a signatory. No request
may get a 5xx, every answer must be one the document declares (status, media type, headers and
schema), invalid input must be refused with a 4xx, and valid input taken: a 2xx, or a refusal
about the state of things (401, 403, 404, 409, 429), never a 4xx about the input itself.
(Schemathesis' further checks — unsupported methods, left-out headers, deleted resources,
ignored authentication — are not run yet: with them, the whole suite's run on PostgreSQL
reported a steered, valid upload as negative data accepted, which is not yet understood; every
path's 405 is checked in tests/test_openapi_document.py.)

The fuzzer writes, so each backend gets a fresh database of its own, seeded as the service's
own would be (the shipped templates) and so that parties, representatives and agreements 1..3
exist. Valid requests are then steered toward that data and past the cross-field rules a JSON
schema cannot state (an estado's INEGI code, a signatory of the right party, an expiry after the
start…), so that they reach the code that writes.
"""

import copy
import io
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pypdf import PdfWriter
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth import service as keys_service
from app.auth.principal import operator
from app.catalog import service as catalog_service
from app.catalog.states import STATES
from app.config import get_settings
from app.db import make_engine
from app.loopdb import LoopReads
from app.main import create_app
from app.models import Agreement
from app.models.enums import Role
from app.obligations.calendar import add_business_days
from app.schemas import LATEST_DATE
from app.templates import service as templates
from app.webhooks import http as webhooks_http
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
    positive_data_acceptance,
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
    engine: Engine
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


# The parties of each seeded agreement; representative i signs for party i.
SEEDED_PARTIES = {1: (1, 2), 2: (2, 3), 3: (1, 3)}


def _seed(client: TestClient, admin: dict[str, str]) -> None:
    """Parties 1..3 (a municipio, an estado, a federal agency), representative i of party i,
    and three draft agreements between them (`SEEDED_PARTIES`)."""
    signers = []
    for build in (municipio, estado, party):
        created = build(client, admin)
        signers.append((created, representative(client, admin, created["id"])))
    assert [(p["id"], r["id"]) for p, r in signers] == [(1, 1), (2, 2), (3, 3)]
    for agreement_id, pair in SEEDED_PARTIES.items():
        payload = agreement_payload([signers[i - 1] for i in pair])
        created = ok(client.post(f"{API}/agreements", json=payload, headers=admin), 201)
        assert created["id"] == agreement_id


@pytest.fixture(scope="module")
def target(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    url = new_database(backend, tmp_path_factory.mktemp(f"fuzz-{backend}"))
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        catalog_service.import_catalog(
            session=session, text=INEGI_CSV.read_text(encoding="utf-8"), actor=operator("fuzz")
        )
        # As `convenios migrate` does: an agreement's documents come from the shipped templates.
        templates.sync_shipped(session, operator("fuzz"))
        admin = _bearer(session, Role.ADMIN)
        viewer = _bearer(session, Role.VIEWER)
    app.state.engine = engine
    app.state.loop_reads = LoopReads(engine)
    with TestClient(app) as client:
        _seed(client, admin)
    with Session(engine) as session, session.begin():
        # Representative 1 signs agreements 1 and 3.
        signatory = _bearer(session, Role.SIGNATORY, representative_id=1)
    found = Target(
        backend=backend,
        engine=engine,
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


@pytest.fixture(autouse=True)
def _public_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every webhook host resolves to a public address: this machine has no DNS, and a host
    the fuzzer names is valid for the document. The check of the addresses is the service's."""
    monkeypatch.setattr(
        webhooks_http, "_resolve", lambda host, port: [(socket.AF_INET, ("8.8.8.8", port))]
    )


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
    elif "kind" in body or "article" in body or "gender" in body:
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


def _seeded(case: Case) -> tuple[int, int] | None:
    """The parties of the seeded agreement the case's path names, if it names one."""
    named = str((case.path_parameters or {}).get("agreement_id", ""))
    return SEEDED_PARTIES.get(int(named)) if named.isdigit() else None


def _steer_agreement(body: dict[str, Any], seeded: tuple[int, int] | None) -> None:
    """A new agreement, or a seeded one changed (``seeded``: its parties)."""
    if isinstance(body.get("parties"), list) and body["parties"]:
        # Parties 1..3 with their own representatives, and roles that cannot collide. A
        # seeded agreement keeps its parties and signatories: later requests ask them to sign.
        links = body["parties"]
        ids = seeded or range(1, min(len(links), 3) + 1)
        body["parties"] = [{**links[min(i, len(links) - 1)]} for i in range(len(ids))]
        for i, (link, party_id) in enumerate(zip(body["parties"], ids, strict=True)):
            link["party_id"] = party_id
            keep = seeded or link.get("signatories")
            link["signatories"] = [{"representative_id": party_id}] if keep else []
            link["role"] = f"{i}{link['role']}"[:120]
            # Contributions must add up within the amount, in its currency: left out.
            link.pop("contributions", None)
    # A testigo named for a party stands for one of the agreement's.
    ours = [link["party_id"] for link in body.get("parties") or []] or list(seeded or ())
    for i, witness in enumerate(body.get("witnesses") or []):
        if witness.get("party_id") is not None:
            if ours:
                witness["party_id"] = ours[i % len(ours)]
            else:
                witness.pop("party_id")
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


def _steer_batch(body: dict[str, Any]) -> None:
    """A batch: its common content steered as an agreement's, for one municipio of the
    catalog that is none of the seeded parties, in a place among the parties it can take."""
    _steer_agreement(body, None)
    slot = body.get("municipios")
    if not isinstance(slot, dict):
        return
    slot.pop("state", None)
    slot["codes"] = ["03001"]
    slot.pop("contributions", None)  # within the amount, in its currency: left out
    slot["role"] = f"M{slot.get('role', '')}"[:120]
    # Text is taken stripped: a declaration of blanks alone is an empty one (the document's
    # `minLength` counts the blanks; the same holds for an agreement's).
    declarations = slot.get("declarations")
    if isinstance(declarations, list):
        slot["declarations"] = [d for d in declarations if not isinstance(d, str) or d.strip()]
    parties = body.get("parties") or []
    if isinstance(slot.get("position"), int | float):  # 5.0 is an integer to JSON
        slot["position"] = min(int(slot["position"]), len(parties))
    for name in ("title", "objective"):  # the catalog's name may not fit a text at its limit
        if isinstance(body.get(name), str):
            body[name] = body[name].replace("{municipio}", "") or "Convenio"


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


def _an_id(value: Any) -> bool:
    """Whether ``value`` is an id as JSON Schema counts integers (``3.0`` is one too)."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _one_of_its_own(body: dict[str, Any], name: str, seeded: tuple[int, int] | None) -> None:
    """``body[name]``, a party or its representative, one of the seeded agreement's."""
    if seeded and _an_id(body.get(name)):
        body[name] = seeded[int(body[name]) % 2]


def _steer_classification(body: dict[str, Any]) -> None:
    """Each part named by its own references: an annex by its document alone, any other part
    by its position, a declaration by its party too."""
    if body.get("part") == "annex":
        body["document_id"] = body.get("document_id") or 1
        body.pop("position", None)
        body.pop("party_id", None)
        return
    body["position"] = body.get("position") or 1
    body.pop("document_id", None)
    if body.get("part") == "declaration":
        body["party_id"] = body.get("party_id") or 1
    else:
        body.pop("party_id", None)


def _steer_template_version(body: dict[str, Any]) -> None:
    """Standard clauses under keys of their own."""
    for i, clause in enumerate(body.get("standard_clauses") or []):
        clause["key"] = f"{clause['key'][:36]}_{i}"


def _in_order(values: dict[str, Any], first: str, then: str) -> None:
    """Dates ``first`` and ``then``, when both are set, in that order (ISO dates sort as text)."""
    start, end = values.get(first), values.get(then)
    if start is not None and end is not None and end < start:
        values[first], values[then] = end, start


def _not_before(values: dict[str, Any], name: str, earliest: str | None) -> None:
    """Date ``values[name]``, when it and ``earliest`` are set, not before ``earliest``."""
    if values.get(name) is not None and earliest is not None:
        values[name] = max(values[name], earliest)  # ISO dates sort as text


def _blank_pdf() -> bytes:
    """A PDF of one blank page: what every upload route takes (each parses it; none asks for
    text). A PAdES signature is not among them: a signatory's operation, which the fuzzer's
    admin gets 403 for before the form is read."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BLANK_PDF = _blank_pdf()


def _own_form(case: Case) -> dict[str, Any]:
    """A copy of the case's form for it alone to steer. Schemathesis builds later cases on the
    form it generated (its coverage phase does), and judges an edited case again against the
    schema, which calls any form with a file's bytes invalid (it cannot validate bytes): so the
    copy is set past its tracking of edits, and the case stays positive, as it was generated."""
    form = copy.deepcopy(case.body)
    object.__setattr__(case, "body", form)
    case.freeze_metadata()
    return form


def _steer_files(case: Case, body: dict[str, Any]) -> None:
    """A PDF for each file the document says is one: `contentMediaType` cannot make a fuzzer
    write one, and the service parses every upload (415 for what is not a PDF)."""
    form = case.operation.get_body_for_media_type(case.media_type)
    for name, schema in (form.form_properties if form is not None else {}).items():
        if name not in body:
            continue
        if schema.get("contentMediaType") == "application/pdf":
            body[name] = BLANK_PDF
        elif schema.get("items", {}).get("contentMediaType") == "application/pdf":
            body[name] = [BLANK_PDF for _ in body[name]]


def _term(target: Target, case: Case) -> tuple[date, date | None] | None:
    """The term of the agreement the case's path names, as it is now: other cases change it."""
    named = str((case.path_parameters or {}).get("agreement_id", ""))
    if not named.isdigit():
        return None
    with Session(target.engine) as session:
        agreement = session.get(Agreement, int(named))
        return None if agreement is None else (agreement.effective_date, agreement.expiry_date)


def _steer_obligation(body: dict[str, Any], term: tuple[date, date | None] | None) -> None:
    """One deadline — a due date, which may recur, or a term in días hábiles, which does not —
    within the agreement's term, and a recurrence that ends within it and within a year (a
    bounded number of occurrences)."""
    if body.get("due_date") is not None:
        body.pop("due_in_business_days", None)
    elif body.get("due_in_business_days") is not None:
        body.pop("due_date", None)
        body.pop("recurrence", None)
    else:
        body["due_date"] = days_from_today(1)
    if term is None:
        return
    start, end = term
    last = end or LATEST_DATE
    business = body.get("due_in_business_days")
    if isinstance(business, dict):
        holidays = get_settings().extra_non_working_days
        try:
            after = date.fromisoformat(business["after"])
            first = add_business_days(after, int(business["days"]), holidays)
        except ValueError:  # past the calendar's end
            first = LATEST_DATE + timedelta(days=1)
        if start <= first <= last:
            return
        # A term in días hábiles that ends outside the agreement's: its first day instead.
        body["due_in_business_days"] = None
        body["due_date"] = start.isoformat()
    if body.get("due_date") is None:
        return
    due = min(max(date.fromisoformat(body["due_date"]), start), last)
    body["due_date"] = due.isoformat()
    recurrence = body.get("recurrence")
    if isinstance(recurrence, dict):
        until = date.fromisoformat(recurrence["until"]) if recurrence.get("until") else last
        recurrence["until"] = min(max(until, due), last, due + timedelta(days=365)).isoformat()


def _steer(case: Case, target: Target) -> None:
    """Bend a valid case toward the seeded rows and past the cross-field rules (see above)."""
    meta = case.meta
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return
    if meta.phase.name.value == "fuzzing" and case.path_parameters:
        # Boundary ids (coverage) are kept: the database must answer for the largest one too.
        # A new dict, never the generated one changed in place: schemathesis may build another
        # case — a negative one, whose id must stay out of range — on the same parameters.
        case.path_parameters = {
            name: 1 + value % 3 if isinstance(value, int) and value > 3 else value
            for name, value in case.path_parameters.items()
        }
    path = case.operation.path
    if path.endswith("/reports/transparency") and case.query:
        case.query = dict(case.query)  # a copy, as for the path's parameters above
        _in_order(case.query, "period_start", "period_end")
    if case.headers:
        for name in [n for n in case.headers if n.lower() == "if-match"]:
            del case.headers[name]  # a random ETag is a 412 before any work
        positive = case.meta is None or case.meta.generation.mode.is_positive
        for name in [n for n in case.headers if n.lower() == "idempotency-key"]:
            if positive:
                # A key names one request: sent again with another, it is refused by design
                # (422), and generated examples repeat keys across bodies.
                case.headers[name] = uuid.uuid4().hex
    body = case.body
    if not isinstance(body, dict):
        return
    if case.media_type == "multipart/form-data":
        body = _own_form(case)
        _steer_files(case, body)
    if path.endswith(("/parties", "/parties/{party_id}")):
        _steer_party(body)
    elif path.endswith(("/representatives", "/representatives/{representative_id}")):
        _steer_representative(body)
    elif path.endswith("/transitions"):
        # A signing date is a move to active's; a document to sign, a move to in_signature's.
        if body.get("to") != "active":
            body.pop("signed_on", None)
        if body.get("to") != "in_signature":
            body.pop("document_id", None)
    elif path.endswith(("/agreements", "/agreements/{agreement_id}")):
        _steer_agreement(body, _seeded(case))
    elif path.endswith("/batches"):
        _steer_batch(body)
    elif path.endswith("/authorization"):
        _steer_authorization(case, body)
    elif path.endswith("/agreements/{agreement_id}/signatures"):
        _one_of_its_own(body, "representative_id", _seeded(case))
    elif path.endswith("/templates/{key}/versions"):
        _steer_template_version(body)
    elif path.endswith("/agreements/{agreement_id}/classifications"):
        _steer_classification(body)
    # The Comité confirms a classification on or after the área makes it.
    elif path.endswith("/public-versions") and isinstance(body.get("committee"), dict):
        _not_before(body["committee"], "date", body.get("classified_on"))
    elif path.endswith("/public-versions/scan"):
        _not_before(body, "committee_date", body.get("classified_on"))
    elif path.endswith("/agreements/{agreement_id}/obligations"):
        _one_of_its_own(body, "party_id", _seeded(case))
        # Its cláusula must be one the agreement has now, which other cases keep changing.
        body.pop("clause", None)
        _steer_obligation(body, _term(target, case))
    elif path.endswith("/calendar-feeds") and _an_id(body.get("party_id")):
        body["party_id"] = 1 + int(body["party_id"]) % 3


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
    _steer(case, target)
    _call(target, case, "admin", target.admin)


@schema.include(method="GET").parametrize()
@FUZZ
def test_reads_as_viewer_and_signatory(case: Case, target: Target) -> None:
    _steer(case, target)
    _call(target, case, "viewer", target.viewer)
    _call(target, case, "signatory", target.signatory)
