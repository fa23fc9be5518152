"""Authorization, generated from the app's route table.

Function level: every operation by every caller (four roles and no key) against EXPECTED, which
must name every route the app has and nothing else. Object level: two signatory identities
against every ``{agreement_id}`` route, so a new agreement route is covered the day it appears.
"""

import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from pypdf import PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.batches import service as batches
from app.config import get_settings
from app.documents.runners import get_storage, render_runner
from app.errors import PROBLEM_MEDIA_TYPE
from app.events.dispatch import fan_out
from app.models import Delivery
from app.models.enums import DeliveryChannel, DeliveryStatus
from tests.clock import days_from_today
from tests.conftest import Keys
from tests.factories import (
    API,
    LEYENDA,
    agreement,
    agreement_payload,
    authorize_municipios,
    move,
    ok,
    party,
    representative,
)

ADMIN, LEGAL, SIGNATORY, VIEWER = "admin", "legal", "signatory", "viewer"
ROLES = (ADMIN, LEGAL, SIGNATORY, VIEWER)
CALLERS = (*ROLES, None)  # None: no key at all

ANY_ROLE = frozenset(ROLES)
READER = frozenset({ADMIN, LEGAL, VIEWER})
WRITER = frozenset({ADMIN, LEGAL})
ADMIN_ONLY = frozenset({ADMIN})

Operation = tuple[str, str]

# Routes anyone may call without a key.
PUBLIC: frozenset[Operation] = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", f"{API}/verify/{{reference}}"),
        ("POST", f"{API}/verify"),
        # A calendar program sends no key: the feed's secret address is the credential.
        ("GET", f"{API}/calendar/{{secret}}.ics"),
        # The published versión pública of a signed convenio, by its folio.
        ("GET", f"{API}/public-versions/{{folio}}"),
    }
)
# Routes whose body is a multipart upload rather than JSON.
UPLOADS: frozenset[Operation] = frozenset(
    {
        ("POST", f"{API}/agreements/{{agreement_id}}/documents/upload"),
        ("POST", f"{API}/verify"),
        ("POST", f"{API}/signatures/{{signature_id}}/sign/autografa"),
        ("POST", f"{API}/signatures/{{signature_id}}/sign/pades"),
        ("POST", f"{API}/obligations/{{obligation_id}}/fulfill"),
        ("POST", f"{API}/agreements/{{agreement_id}}/public-versions/scan"),
    }
)
SIGNATORY_ONLY = frozenset({SIGNATORY})

# Who may call each operation at function level. A new route fails the matrix until it is here.
EXPECTED: dict[Operation, frozenset[str]] = {
    ("GET", "/healthz"): ANY_ROLE,
    ("GET", "/readyz"): ANY_ROLE,
    ("GET", f"{API}/me"): ANY_ROLE,
    ("POST", f"{API}/parties"): WRITER,
    ("GET", f"{API}/parties"): READER,
    ("GET", f"{API}/parties/{{party_id}}"): READER,
    ("PATCH", f"{API}/parties/{{party_id}}"): WRITER,
    ("POST", f"{API}/parties/{{party_id}}/representatives"): WRITER,
    ("GET", f"{API}/parties/{{party_id}}/representatives"): READER,
    ("GET", f"{API}/representatives/{{representative_id}}"): READER,
    ("PATCH", f"{API}/representatives/{{representative_id}}"): WRITER,
    ("POST", f"{API}/agreements"): WRITER,
    # A signatory lists and reads only the agreements it signs (object level, below).
    ("GET", f"{API}/agreements"): ANY_ROLE,
    ("GET", f"{API}/agreements/{{agreement_id}}"): ANY_ROLE,
    ("PATCH", f"{API}/agreements/{{agreement_id}}"): WRITER,
    ("POST", f"{API}/agreements/{{agreement_id}}/transitions"): WRITER,
    ("PUT", f"{API}/agreements/{{agreement_id}}/parties/{{party_id}}/authorization"): WRITER,
    ("DELETE", f"{API}/agreements/{{agreement_id}}/parties/{{party_id}}/authorization"): WRITER,
    ("POST", f"{API}/agreements/{{agreement_id}}/publications"): WRITER,
    # A signatory reads the text of the agreements it signs before signing them.
    ("GET", f"{API}/agreements/{{agreement_id}}/preview"): ANY_ROLE,
    ("GET", f"{API}/audit"): READER,
    ("GET", f"{API}/audit/verify"): READER,
    ("GET", f"{API}/catalog/states"): READER,
    ("GET", f"{API}/catalog/municipalities"): READER,
    ("GET", f"{API}/templates"): READER,
    ("GET", f"{API}/templates/{{key}}/versions"): READER,
    ("GET", f"{API}/templates/{{key}}/versions/{{number}}"): READER,
    ("POST", f"{API}/templates/{{key}}/versions"): ADMIN_ONLY,
    ("POST", f"{API}/agreements/{{agreement_id}}/documents"): WRITER,
    ("GET", f"{API}/agreements/{{agreement_id}}/documents"): ANY_ROLE,
    ("POST", f"{API}/agreements/{{agreement_id}}/documents/upload"): WRITER,
    # A signatory reads only the documents of the agreements it signs (object level, below).
    ("GET", f"{API}/documents/{{document_id}}"): ANY_ROLE,
    ("GET", f"{API}/documents/{{document_id}}/pdf"): ANY_ROLE,
    ("GET", f"{API}/verify/{{reference}}"): ANY_ROLE,
    ("POST", f"{API}/verify"): ANY_ROLE,
    ("GET", f"{API}/documents/{{document_id}}/signatures"): ANY_ROLE,
    ("POST", f"{API}/agreements/{{agreement_id}}/signatures"): WRITER,
    ("GET", f"{API}/agreements/{{agreement_id}}/signatures"): ANY_ROLE,
    # A signatory lists its own signatures, and reads those of the agreements it signs.
    ("GET", f"{API}/signatures"): ANY_ROLE,
    ("GET", f"{API}/signatures/{{signature_id}}"): ANY_ROLE,
    ("DELETE", f"{API}/signatures/{{signature_id}}"): WRITER,
    # Invitations to sign are sent and followed by staff; the representative uses the link.
    ("POST", f"{API}/signatures/{{signature_id}}/invitations"): WRITER,
    ("GET", f"{API}/signatures/{{signature_id}}/invitations"): READER,
    ("GET", f"{API}/invitations/{{invitation_id}}"): READER,
    ("POST", f"{API}/invitations/{{invitation_id}}/resend"): WRITER,
    ("POST", f"{API}/invitations/{{invitation_id}}/revoke"): WRITER,
    # Only the representative it belongs to signs or declines (403 for a co-signer's request).
    ("POST", f"{API}/signatures/{{signature_id}}/sign"): SIGNATORY_ONLY,
    ("POST", f"{API}/signatures/{{signature_id}}/sign/autografa"): SIGNATORY_ONLY,
    ("POST", f"{API}/signatures/{{signature_id}}/sign/pades"): SIGNATORY_ONLY,
    ("POST", f"{API}/signatures/{{signature_id}}/decline"): SIGNATORY_ONLY,
    ("POST", f"{API}/agreements/{{agreement_id}}/obligations"): WRITER,
    ("GET", f"{API}/agreements/{{agreement_id}}/obligations"): ANY_ROLE,
    # A signatory lists and reads the obligations of the agreements it signs.
    ("GET", f"{API}/obligations"): ANY_ROLE,
    ("GET", f"{API}/obligations/{{obligation_id}}"): ANY_ROLE,
    # A signatory fulfils what its own party owes (the service checks the party).
    ("POST", f"{API}/obligations/{{obligation_id}}/fulfill"): WRITER | SIGNATORY_ONLY,
    ("POST", f"{API}/obligations/{{obligation_id}}/waive"): WRITER,
    ("POST", f"{API}/calendar-feeds"): WRITER,
    ("GET", f"{API}/calendar-feeds"): READER,
    ("DELETE", f"{API}/calendar-feeds/{{feed_id}}"): WRITER,
    ("GET", f"{API}/calendar/{{secret}}.ics"): ANY_ROLE,
    ("GET", f"{API}/reports/expiring"): READER,
    ("GET", f"{API}/reports/overdue-obligations"): READER,
    ("GET", f"{API}/reports/agreements"): READER,
    ("GET", f"{API}/reports/transparency"): READER,
    ("POST", f"{API}/agreements/{{agreement_id}}/classifications"): WRITER,
    ("GET", f"{API}/agreements/{{agreement_id}}/classifications"): READER,
    ("DELETE", f"{API}/agreements/{{agreement_id}}/classifications/{{classification_id}}"): WRITER,
    ("POST", f"{API}/agreements/{{agreement_id}}/public-versions"): WRITER,
    ("GET", f"{API}/agreements/{{agreement_id}}/public-versions"): READER,
    ("POST", f"{API}/agreements/{{agreement_id}}/public-versions/scan"): WRITER,
    ("POST", f"{API}/agreements/{{agreement_id}}/public-versions/{{version_id}}/publish"): WRITER,
    ("GET", f"{API}/public-versions/{{folio}}"): ANY_ROLE,
    ("POST", f"{API}/webhooks"): ADMIN_ONLY,
    ("GET", f"{API}/webhooks"): ADMIN_ONLY,
    ("GET", f"{API}/webhooks/{{webhook_id}}"): ADMIN_ONLY,
    ("DELETE", f"{API}/webhooks/{{webhook_id}}"): ADMIN_ONLY,
    ("GET", f"{API}/webhooks/{{webhook_id}}/deliveries"): ADMIN_ONLY,
    ("GET", f"{API}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}"): ADMIN_ONLY,
    ("POST", f"{API}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/resend"): ADMIN_ONLY,
    ("POST", f"{API}/webhooks/{{webhook_id}}/test"): ADMIN_ONLY,
    ("POST", f"{API}/batches"): WRITER,
    ("GET", f"{API}/batches"): READER,
    ("GET", f"{API}/batches/{{batch_id}}"): READER,
    ("GET", f"{API}/batches/{{batch_id}}/items"): READER,
    ("POST", f"{API}/batches/{{batch_id}}/retry"): WRITER,
    ("POST", f"{API}/batches/{{batch_id}}/cancel"): WRITER,
    ("GET", f"{API}/batches/{{batch_id}}/documents.zip"): READER,
    ("GET", f"{API}/email-deliveries"): ADMIN_ONLY,
    ("GET", f"{API}/email-deliveries/{{email_delivery_id}}"): ADMIN_ONLY,
    ("POST", f"{API}/email-deliveries/{{email_delivery_id}}/resend"): ADMIN_ONLY,
}

# Query parameters a route cannot answer without.
REQUIRED_QUERY = {f"{API}/reports/transparency": "?period_start=2026-01-01&period_end=2026-12-31"}

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PATH_PARAM = re.compile(r"{([^}]+)}")


def operations(app: FastAPI) -> list[Operation]:
    """Every (METHOD, path) of the app's OpenAPI document."""
    return sorted(
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    )


AGREEMENT = f"{API}/agreements/{{agreement_id}}"
ABSENT = 987654321  # an agreement id that does not exist


@dataclass
class World:
    """Two signatories, A and B, each signing its own agreement, and keys for every role."""

    headers: dict[str, dict[str, str]]  # role -> Authorization header; A's key for "signatory"
    signatory_b: dict[str, str]
    ids: dict[str, int | str]  # path parameter -> an object A may see (or that exists)
    ids_b: dict[str, int | str]  # path parameter -> an object of B's

    def url(self, path: str, ids: dict[str, int | str] | None = None) -> str:
        ids = self.ids if ids is None else ids
        missing = set(PATH_PARAM.findall(path)) - set(ids)
        assert not missing, f"{path}: teach World how to fill {sorted(missing)}"
        return PATH_PARAM.sub(lambda m: str(ids[m.group(1)]), path) + REQUIRED_QUERY.get(path, "")


@pytest.fixture
def world(client: TestClient, keys: Keys, db: Session, sessions: sessionmaker[Session]) -> World:
    created_a = agreement(client, keys.legal)
    created_b = agreement(client, keys.legal)
    # Their municipios' cabildos authorise them first: that is part of their text.
    for created in (created_a, created_b):
        authorize_municipios(client, keys.legal, created["id"])

    def first_signer(created: dict[str, Any]) -> tuple[int, int]:
        link = created["parties"][0]
        return link["party"]["id"], link["signatories"][0]["representative_id"]

    party_a, rep_a = first_signer(created_a)
    party_b, rep_b = first_signer(created_b)

    def document(created: dict[str, Any]) -> dict[str, Any]:
        url = f"{API}/agreements/{created['id']}/documents"
        return ok(client.post(url, json={}, headers=keys.legal), 201)

    document_a, document_b = document(created_a), document(created_b)

    def in_signature(created: dict[str, Any]) -> int:
        """Every signatory asked to sign, the agreement in signature; the first one's request.
        (In signature, requests can no longer be withdrawn: the matrix's DELETE changes
        nothing the later GETs need.)"""
        url = f"{API}/agreements/{created['id']}"
        requests = [
            ok(
                client.post(
                    f"{url}/signatures",
                    json={"representative_id": signatory["representative_id"], "order": 1},
                    headers=keys.legal,
                ),
                201,
            )
            for link in created["parties"]
            for signatory in link["signatories"]
        ]
        for state in ("in_review", "approved", "in_signature"):
            ok(client.post(f"{url}/transitions", json={"to": state}, headers=keys.legal))
        return int(requests[0]["id"])

    def obligation(created: dict[str, Any]) -> int:
        """An obligation of the first party (the signatory's own)."""
        body = {
            "party_id": created["parties"][0]["party"]["id"],
            "description": "Informe trimestral",
            "due_date": days_from_today(60),
        }
        url = f"{API}/agreements/{created['id']}/obligations"
        return int(ok(client.post(url, json=body, headers=keys.legal), 201)["items"][0]["id"])

    obligation_a, obligation_b = obligation(created_a), obligation(created_b)

    def feed() -> tuple[int, str]:
        body = {"name": "Jurídico"}
        created = ok(client.post(f"{API}/calendar-feeds", json=body, headers=keys.legal), 201)
        return int(created["id"]), str(created["url"]).rsplit("/", 1)[1].removesuffix(".ics")

    def public_version() -> str:
        """A convenio signed on paper whose versión pública is published: its folio."""
        signed = agreement(client, keys.legal)
        move(client, keys.legal, signed["id"], "in_review", "approved", "in_signature")
        move(client, keys.legal, signed["id"], "active", signed_on=signed["effective_date"])
        url = f"{API}/agreements/{signed['id']}/public-versions"
        made = ok(client.post(url, json=LEYENDA, headers=keys.legal), 201)
        ok(client.post(f"{url}/{made['id']}/publish", headers=keys.legal))
        return str(signed["folio"])

    def batch() -> int:
        """A finished batch: the convenio of A's estado with A's municipio."""
        link = created_a["parties"][1]
        body = {
            "title": "Convenio de colaboración con {municipio}",
            "kind": "colaboracion",
            "objective": "Colaborar en materia de gobierno digital.",
            "clauses": [{"title": "OBJETO", "text": "El presente convenio tiene por objeto…"}],
            "effective_date": days_from_today(0),
            "parties": [
                {
                    "party_id": link["party"]["id"],
                    "role": "EL ESTADO",
                    "signatories": [
                        {"representative_id": link["signatories"][0]["representative_id"]}
                    ],
                }
            ],
            "municipios": {"codes": ["15104"]},  # A's municipio (tests.factories)
        }
        made = ok(client.post(f"{API}/batches", json=body, headers=keys.legal), 202)
        settings = get_settings()
        batches.run_pending(
            sessions, settings=settings, storage=get_storage(settings), render=render_runner()
        )
        return int(made["id"])

    folio = public_version()
    batch_id = batch()
    # The matrix revokes one feed (DELETE) and reads the other (GET) with every caller.
    revoked, (_, secret) = feed()[0], feed()
    # A webhook (on a public address, never called) with the deliveries of what follows.
    hook = {"url": "https://8.8.8.8/hook", "event_types": ["agreement.status_changed"]}
    webhook = ok(client.post(f"{API}/webhooks", json=hook, headers=keys.admin), 201)["id"]
    signature_a, signature_b = in_signature(created_a), in_signature(created_b)
    invitation = ok(
        client.post(f"{API}/signatures/{signature_a}/invitations", json={}, headers=keys.legal),
        201,
    )["id"]
    fan_out(db, get_settings(), clock.now())
    db.flush()
    delivery = db.scalars(select(Delivery).where(Delivery.subscription_id == webhook)).first()
    assert delivery is not None
    # An email reminder the mail server refused (as if SMTP were set up).
    email = Delivery(
        event_id=delivery.event_id,
        channel=DeliveryChannel.EMAIL,
        target="email:presidencia@tlalnepantla.gob.mx",
        email="presidencia@tlalnepantla.gob.mx",
        status=DeliveryStatus.FAILED,
        attempts=1,
        next_attempt_at=clock.now(),
    )
    db.add(email)
    db.flush()
    return World(
        headers={
            ADMIN: keys.admin,
            LEGAL: keys.legal,
            VIEWER: keys.viewer,
            SIGNATORY: keys.signatory(db, rep_a),
        },
        signatory_b=keys.signatory(db, rep_b),
        ids={
            "agreement_id": created_a["id"],
            "party_id": party_a,
            "representative_id": rep_a,
            "key": "colaboracion",
            "number": 1,
            "document_id": document_a["id"],
            "reference": document_a["sha256"],
            "signature_id": signature_a,
            "invitation_id": invitation,
            "obligation_id": obligation_a,
            "feed_id": revoked,
            "secret": secret,
            "webhook_id": webhook,
            "delivery_id": delivery.id,
            "email_delivery_id": email.id,
            "classification_id": 1,
            "version_id": 1,
            "folio": folio,
            "batch_id": batch_id,
        },
        ids_b={
            "agreement_id": created_b["id"],
            "party_id": party_b,
            "representative_id": rep_b,
            "key": "coordinacion",
            "number": 1,
            "document_id": document_b["id"],
            "reference": document_b["verification_code"],
            "signature_id": signature_b,
            "invitation_id": invitation,
            "obligation_id": obligation_b,
            "feed_id": revoked,
            "secret": secret,
            "webhook_id": webhook,
            "delivery_id": delivery.id,
            "email_delivery_id": email.id,
            "classification_id": 1,
            "version_id": 1,
            "folio": folio,
            "batch_id": batch_id,
        },
    )


def _pdf() -> bytes:
    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=612, height=792)
    writer.write(out)
    return out.getvalue()


UPLOAD = {"files": {"file": ("anexo.pdf", _pdf(), "application/pdf")}, "data": {"kind": "annex"}}
# The public check of a file takes the file alone: any other field is refused (422).
VERIFY_UPLOAD = {"files": UPLOAD["files"]}


def call(
    client: TestClient, method: str, url: str, headers: dict[str, str], body: Any = None
) -> Response:
    if any(method == m and re.fullmatch(PATH_PARAM.sub("[^/]+", p), url) for m, p in UPLOADS):
        upload = VERIFY_UPLOAD if url == f"{API}/verify" else UPLOAD
        return client.request(method, url, headers=headers, **upload)
    if method in {"POST", "PUT", "PATCH"}:
        return client.request(method, url, headers=headers, json={} if body is None else body)
    return client.request(method, url, headers=headers)


def assert_problem(response: Response, status: int, context: object) -> None:
    assert response.status_code == status, (context, response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, (context, response.headers)
    assert response.json()["status"] == status, (context, response.text)


# --- Function level -----------------------------------------------------------------------------


def test_expected_names_exactly_the_routes_of_the_app(app: FastAPI) -> None:
    actual = set(operations(app))
    unlisted, stale = actual - EXPECTED.keys(), EXPECTED.keys() - actual
    assert not unlisted, f"routes missing from EXPECTED: {sorted(unlisted)}"
    assert not stale, f"EXPECTED names routes the app lacks: {sorted(stale)}"
    assert EXPECTED.keys() >= PUBLIC
    for operation, roles in EXPECTED.items():
        assert roles <= ANY_ROLE, operation


def cell_violation(operation: Operation, caller: str | None, response: Response) -> str | None:
    """What is wrong with ``response`` to ``caller`` on ``operation``, or None."""
    status, allowed = response.status_code, EXPECTED[operation]
    is_problem = response.headers.get("content-type") == PROBLEM_MEDIA_TYPE
    if status >= 500:
        return f"server error {status}: {response.text[:200]}"
    if operation in PUBLIC:
        return None if status == 200 else f"public route answered {status}"
    if caller is None:
        if status != 401 or not is_problem:
            return f"no key: expected a 401 problem, got {status} {response.text[:200]}"
        if not response.headers.get("www-authenticate", "").startswith("Bearer"):
            return "no key: 401 without a Bearer WWW-Authenticate challenge"
        return None
    if caller not in allowed:
        if status != 403 or not is_problem:
            return f"expected a 403 problem, got {status} {response.text[:200]}"
        return None
    if status in (401, 403):
        return f"allowed role refused with {status}: {response.text[:200]}"
    if operation[0] == "GET" and status != 200:
        # Path parameters name objects that exist and that the caller may see.
        return f"allowed GET answered {status}: {response.text[:200]}"
    return None


def test_every_route_admits_exactly_its_roles(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """The route x caller matrix, generated from the app's route table."""
    table = operations(app)
    unlisted = [operation for operation in table if operation not in EXPECTED]
    assert not unlisted, f"routes missing from EXPECTED: {unlisted}"
    violations: list[str] = []
    for method, path in table:
        url = world.url(path)
        for caller in CALLERS:
            response = call(client, method, url, world.headers[caller] if caller else {})
            violation = cell_violation((method, path), caller, response)
            if violation:
                violations.append(f"{method} {path} as {caller or 'no key'}: {violation}")
    cells = len(table) * len(CALLERS)
    print(f"\nauthorization matrix: {len(table)} operations x {len(CALLERS)} callers = {cells}")
    assert not violations, f"{len(violations)} of {cells} cells wrong:\n" + "\n".join(violations)


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_documentation_is_public(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


# --- Object level -------------------------------------------------------------------------------

# Bodies a legal user could send, so the signatory is refused for who it is, not for its input.
PLAUSIBLE_BODIES: dict[Operation, dict[str, Any]] = {
    ("PATCH", f"{API}/agreements/{{agreement_id}}"): {"title": "Convenio modificado"},
    ("POST", f"{API}/agreements/{{agreement_id}}/transitions"): {"to": "in_review"},
}


def test_a_signatory_gets_404_for_agreements_it_does_not_sign(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """Every ``{agreement_id}`` route and method, each signatory against the other's agreement."""
    routes = [op for op in operations(app) if "{agreement_id}" in op[1]]
    assert ("GET", AGREEMENT) in routes
    for method, path in routes:
        check_not_found(client, world, method, path)


def check_not_found(client: TestClient, world: World, method: str, path: str) -> None:
    a, b = world.headers[SIGNATORY], world.signatory_b
    body = PLAUSIBLE_BODIES.get((method, path))
    read_b = world.url(AGREEMENT, world.ids_b)
    before = ok(client.get(read_b, headers=world.headers[ADMIN]))
    for caller, headers, other in (("A", a, world.ids_b), ("B", b, world.ids)):
        response = call(client, method, world.url(path, other), headers, body)
        assert_problem(response, 404, (method, path, caller))
        # Indistinguishable from an agreement that does not exist: existence does not leak.
        absent_url = world.url(path, {**other, "agreement_id": ABSENT})
        absent = call(client, method, absent_url, headers, body)
        assert_problem(absent, 404, (method, path, caller, "absent"))
        assert response.json()["type"] == absent.json()["type"]
        detail = response.json()["detail"].replace(str(other["agreement_id"]), "N")
        assert detail == absent.json()["detail"].replace(str(ABSENT), "N")
    assert ok(client.get(read_b, headers=world.headers[ADMIN])) == before  # nothing changed


def test_each_signatory_reads_its_own_agreement(client: TestClient, world: World) -> None:
    for headers, ids in ((world.headers[SIGNATORY], world.ids), (world.signatory_b, world.ids_b)):
        read = ok(client.get(world.url(AGREEMENT, ids), headers=headers))
        assert read["id"] == ids["agreement_id"]


def test_a_signatory_never_reaches_another_signatorys_objects(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """Every ``{id}`` route: A against B's object is refused (404 for agreements and their
    documents, signatures and obligations, 403 elsewhere); public routes answer anyone alike."""
    routes = [op for op in operations(app) if PATH_PARAM.search(op[1]) and op not in PUBLIC]
    assert len(routes) >= 3
    for method, path in routes:
        response = call(client, method, world.url(path, world.ids_b), world.headers[SIGNATORY])
        expected = (
            404
            if {"{agreement_id}", "{document_id}", "{signature_id}", "{obligation_id}"}
            & set(re.findall("{[^}]+}", path))
            else 403
        )
        assert_problem(response, expected, (method, path))


def test_a_signatory_lists_only_the_agreements_it_signs(
    client: TestClient, world: World, keys: Keys
) -> None:
    own = world.ids["agreement_id"]
    # A second agreement A signs, with a new partner; and one between strangers.
    party_a = ok(client.get(f"{API}/parties/{world.ids['party_id']}", headers=keys.viewer))
    rep_a = {"id": world.ids["representative_id"]}
    partner = party(client, keys.legal, kind="privado", name="Empresa Socia S.A. de C.V.")
    partner_rep = representative(client, keys.legal, partner["id"], full_name="Juan López")
    second = ok(
        client.post(
            f"{API}/agreements",
            json=agreement_payload([(party_a, rep_a), (partner, partner_rep)]),
            headers=keys.legal,
        ),
        201,
    )
    stranger = agreement(client, keys.legal)
    everything_url = f"{API}/agreements?limit=100"
    listed_all = ok(client.get(everything_url, headers=keys.admin))["items"]
    everything = {a["id"] for a in listed_all}
    published = {a["id"] for a in listed_all if a["folio"] == world.ids["folio"]}
    batch_items = f"{API}/batches/{world.ids['batch_id']}/items"
    # The batch's agreement names A's municipio, for which nobody signs yet.
    batched = {i["agreement_id"] for i in ok(client.get(batch_items, headers=keys.admin))["items"]}
    assert everything == {
        *batched,
        own,
        second["id"],
        world.ids_b["agreement_id"],
        stranger["id"],
        *published,
    }

    listed = ok(client.get(everything_url, headers=world.headers[SIGNATORY]))
    assert {a["id"] for a in listed["items"]} == {own, second["id"]}
    assert listed["next_cursor"] is None

    # Paging and filters narrow A's view; they never widen it.
    seen: list[int] = []
    cursor: str | None = ""
    while cursor is not None:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(f"{API}/agreements", params=params, headers=world.headers[SIGNATORY]))
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen, reverse=True) == seen and set(seen) == {own, second["id"]}
    for query, expected in (
        (f"party_id={world.ids_b['party_id']}", set()),
        (f"party_id={partner['id']}", {second["id"]}),
        ("q=Convenio", {own, second["id"]}),
    ):
        found = ok(client.get(f"{API}/agreements?{query}", headers=world.headers[SIGNATORY]))
        assert {a["id"] for a in found["items"]} == expected, query

    listed_b = ok(client.get(f"{API}/agreements", headers=world.signatory_b))
    assert [a["id"] for a in listed_b["items"]] == [world.ids_b["agreement_id"]]


def test_a_signatory_who_signs_nothing_sees_nothing(
    client: TestClient, world: World, keys: Keys, db: Session
) -> None:
    loner = party(client, keys.legal, kind="social", name="Asociación Civil Sin Convenios")
    headers = keys.signatory(db, representative(client, keys.legal, loner["id"])["id"])
    listed = ok(client.get(f"{API}/agreements", headers=headers))
    assert listed == {"items": [], "next_cursor": None}
    for ids in (world.ids, world.ids_b):
        response = client.get(world.url(AGREEMENT, ids), headers=headers)
        assert_problem(response, 404, ids)
