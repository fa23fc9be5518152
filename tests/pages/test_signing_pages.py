"""Invitations to sign and the signing page, through HTTP as a browser sends it: the link,
its session, each way of deciding, and every bad input — a made-up, spent, expired or revoked
link, a forged or replayed form, another person's link, a flood of wrong tokens, a file that is
not a PDF — answered with a page in Spanish and nothing recorded."""

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import AuditEvent, Document, Invitation, Signature
from app.pages import guard
from app.pages.html import CONTENT_SECURITY_POLICY
from app.pages.logs import HIDE_LINKS
from tests.clock import TestClock
from tests.conftest import Keys
from tests.documents.test_inspection import spanish_pdf
from tests.factories import API, ok
from tests.signatures.test_signing_api import ORDER, PEOPLE, Signing, _prepare
from tests.test_input_rules import _api_routes

FORM = re.compile(r'name="formulario" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    guard.attempts.clear()


@pytest.fixture
def signing(client: TestClient, keys: Keys, db: Session) -> Signing:
    return _prepare(client, keys, db, orders=ORDER)


def invite(client: TestClient, keys: Keys, signing: Signing, who: str, **body: Any) -> Any:
    url = f"{API}/signatures/{signing.requests[who]['id']}/invitations"
    return client.post(url, json=body, headers=keys.legal)


def browser(client: TestClient) -> TestClient:
    """A browser of its own: its cookies, no API key."""
    return TestClient(client.app, base_url="http://testserver")


def open_link(page: TestClient, url: str) -> Any:
    """Open an invitation's link and press «Continuar»: the signing page's answer."""
    path = url.removeprefix(get_settings().public_url)
    landing = page.get(path)
    assert landing.status_code == 200, landing.text
    token = path.rsplit("/", 1)[1]
    form = FORM.search(landing.text)
    assert form is not None
    return page.post(
        "/firmar",
        files={"formulario": (None, form.group(1)), "token": (None, token)},
        follow_redirects=False,
    )


def signed_in(client: TestClient, keys: Keys, signing: Signing, who: str) -> tuple[TestClient, str]:
    """A browser holding ``who``'s signing session, and the page's form token."""
    page = browser(client)
    link = ok(invite(client, keys, signing, who), 201)["url"]
    opened = open_link(page, link)
    assert opened.status_code == 303 and opened.headers["location"] == "/firmar"
    shown = page.get("/firmar")
    assert shown.status_code == 200, shown.text
    form = FORM.search(shown.text)
    assert form is not None
    return page, form.group(1)


def counts(db: Session) -> tuple[int, int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        db.scalar(select(func.count()).select_from(Document)) or 0,
        db.scalar(select(func.count()).select_from(Signature).where(Signature.status != "pending"))
        or 0,
    )


def fields(**values: str) -> dict[str, tuple[None, str]]:
    return {name: (None, value) for name, value in values.items()}


def test_an_invitation_without_smtp_hands_back_a_link_kept_only_as_its_hash(
    client: TestClient, keys: Keys, signing: Signing, db: Session
) -> None:
    created = invite(client, keys, signing, "municipio")
    body = ok(created, 201)
    assert created.headers["location"] == f"{API}/invitations/{body['id']}"
    assert body["delivery"] == "link" and body["state"] == "sent" and body["sends"] == 1
    token = body["url"].rsplit("/", 1)[1]
    assert body["url"] == f"{get_settings().public_url}/firmar/{token}"
    # Read back, the link is gone: it is kept nowhere.
    again = ok(client.get(f"{API}/invitations/{body['id']}", headers=keys.viewer))
    assert again["url"] is None
    assert token not in str(db.execute(select(Invitation.__table__)).all())
    assert token not in str(db.execute(select(AuditEvent.__table__)).all())
    # An email address needs a mail server.
    refused = invite(client, keys, signing, "municipio", email="alguien@municipio.gob.mx")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.email"


def test_the_signing_page_shows_the_convenio_and_an_electronic_signature_is_recorded(
    client: TestClient, keys: Keys, signing: Signing, db: Session
) -> None:
    page, form = signed_in(client, keys, signing, "municipio")
    shown = page.get("/firmar")
    for header, value in {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
    }.items():
        assert shown.headers[header] == value
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "<script" not in shown.text and "style=" not in shown.text
    html = shown.text
    assert signing.agreement["folio"] in html and signing.document["sha256"] in html
    assert PEOPLE["municipio"][0] in html and PEOPLE["estado"][0] in html
    # Names and cargos; never an RFC or a CURP, not even the signer's own.
    assert not [d for _, rfc, curp in PEOPLE.values() for d in (rfc, curp) if d in html]
    # The document, as a PDF and page by page.
    pdf = page.get("/firmar/documento.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    picture = page.get("/firmar/paginas/1.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert page.get(f"/firmar/paginas/{signing.document['pages'] + 1}.png").status_code == 404

    before = counts(db)
    wrong_name = page.post(
        "/firmar/electronica",
        files=fields(
            formulario=form, nombre="Otra Persona", sha256=signing.document["sha256"], acepto="si"
        ),
    )
    assert wrong_name.status_code == 422 and "nombre completo" in wrong_name.text
    assert counts(db) == before
    # Typed without accents, in capitals: the same name.
    name = "TERESA HERNANDEZ GARCIA"
    done = page.post(
        "/firmar/electronica",
        files=fields(formulario=form, nombre=name, sha256=signing.document["sha256"], acepto="si"),
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    signature = db.get(Signature, signing.requests["municipio"]["id"])
    db.refresh(signature)
    assert signature is not None and signature.status.value == "signed"
    assert signature.method is not None and signature.method.value == "electronic"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "signature.signed")).one()
    assert event.actor["type"] == "invitation" and event.actor["invitation_id"]
    outcome = page.get("/firmar")
    assert "Su firma quedó registrada" in outcome.text
    # The same form again: refused, nothing recorded.
    before = counts(db)
    replay = page.post(
        "/firmar/electronica",
        files=fields(formulario=form, nombre=name, sha256=signing.document["sha256"], acepto="si"),
    )
    assert replay.status_code in (403, 409) and "<html" in replay.text
    assert counts(db) == before


def test_a_link_opens_once_and_not_after_it_expires_or_is_revoked(
    client: TestClient, keys: Keys, signing: Signing, db: Session, clock: TestClock
) -> None:
    link = ok(invite(client, keys, signing, "municipio"), 201)["url"]
    path = link.removeprefix(get_settings().public_url)
    # Opening the address alone spends nothing (mail scanners open links too).
    assert browser(client).get(path).status_code == 200
    assert open_link(browser(client), link).status_code == 303
    used = browser(client).get(path)
    assert used.status_code == 410 and "ya se utilizó" in used.text

    expiring = ok(invite(client, keys, signing, "municipio", valid_hours=1), 201)
    clock.advance(timedelta(hours=2))
    expired = browser(client).get(expiring["url"].removeprefix(get_settings().public_url))
    assert expired.status_code == 410 and "vencido" in expired.text

    revoked = ok(invite(client, keys, signing, "municipio"), 201)
    ok(client.post(f"{API}/invitations/{revoked['id']}/revoke", headers=keys.legal))
    gone = browser(client).get(revoked["url"].removeprefix(get_settings().public_url))
    assert gone.status_code == 410 and "cancelada" in gone.text

    made_up = browser(client).get("/firmar/" + "A" * 43)
    assert made_up.status_code == 404 and "no corresponde" in made_up.text
    assert browser(client).get("/firmar/../../etc/passwd").status_code == 404


def test_a_resend_replaces_the_link_and_ends_its_session(
    client: TestClient, keys: Keys, signing: Signing
) -> None:
    page, _form = signed_in(client, keys, signing, "municipio")
    invitation = ok(
        client.get(
            f"{API}/signatures/{signing.requests['municipio']['id']}/invitations",
            headers=keys.legal,
        )
    )[0]
    assert invitation["state"] == "opened"
    resent = ok(client.post(f"{API}/invitations/{invitation['id']}/resend", headers=keys.legal))
    assert resent["sends"] == 2 and resent["url"] and resent["state"] == "sent"
    # The session the old link opened is over; the new link opens a new one.
    assert "Sesión concluida" in page.get("/firmar").text
    assert open_link(browser(client), resent["url"]).status_code == 303


def test_out_of_turn_the_link_is_not_spent(
    client: TestClient, keys: Keys, signing: Signing
) -> None:
    link = ok(invite(client, keys, signing, "estado"), 201)["url"]
    landing = browser(client).get(link.removeprefix(get_settings().public_url))
    assert landing.status_code == 409 and "Aún no es su turno" in landing.text
    assert PEOPLE["municipio"][0] in landing.text
    # Once the municipio has signed, the same link opens.
    page, form = signed_in(client, keys, signing, "municipio")
    page.post(
        "/firmar/electronica",
        files=fields(
            formulario=form,
            nombre=PEOPLE["municipio"][0],
            sha256=signing.document["sha256"],
            acepto="si",
        ),
    )
    assert open_link(browser(client), link).status_code == 303


def test_declining_sends_the_convenio_back_to_review(
    client: TestClient, keys: Keys, signing: Signing
) -> None:
    page, form = signed_in(client, keys, signing, "municipio")
    empty = page.post("/firmar/declinar", files=fields(formulario=form, motivo="   "))
    assert empty.status_code == 422 and "motivo" in empty.text
    control = page.post("/firmar/declinar", files=fields(formulario=form, motivo="a\x00b"))
    assert control.status_code == 422
    done = page.post(
        "/firmar/declinar",
        files=fields(formulario=form, motivo="La cláusula cuarta no refleja lo acordado."),
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Declinó firmar" in page.get("/firmar").text
    agreement = ok(client.get(f"{API}/agreements/{signing.agreement['id']}", headers=keys.legal))
    assert agreement["status"] == "in_review"


def test_a_scan_that_is_not_a_pdf_is_refused_with_nothing_kept(
    client: TestClient, keys: Keys, signing: Signing, db: Session
) -> None:
    page, form = signed_in(client, keys, signing, "municipio")
    before = counts(db)
    fake = page.post(
        "/firmar/autografa",
        files={
            "formulario": (None, form),
            "archivo": ("copia.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
        },
    )
    assert fake.status_code == 415 and "no es un PDF" in fake.text
    assert counts(db) == before
    scan = page.post(
        "/firmar/autografa",
        files={
            "formulario": (None, form),
            "archivo": ("copia.pdf", spanish_pdf(), "application/pdf"),
        },
        follow_redirects=False,
    )
    assert scan.status_code == 303, scan.text
    assert counts(db)[1] == before[1] + 1


def test_forged_forms_and_another_persons_link_are_refused(
    client: TestClient, keys: Keys, signing: Signing, db: Session
) -> None:
    link = ok(invite(client, keys, signing, "municipio"), 201)["url"]
    token = link.rsplit("/", 1)[1]
    # Another site's form: no form cookie, or a token that is not the session's.
    forged = browser(client).post(
        "/firmar", files=fields(formulario="x" * 43, token=token), follow_redirects=False
    )
    assert forged.status_code == 403 and "Formulario no válido" in forged.text
    page, form = signed_in(client, keys, signing, "municipio")
    before = counts(db)
    cross = page.post(
        "/firmar/declinar", files=fields(formulario="0" * 64, motivo="No."), follow_redirects=False
    )
    assert cross.status_code == 403 and counts(db) == before
    # The estado's link, opened where the municipio's session is open: not spent.
    estado = ok(invite(client, keys, signing, "estado"), 201)["url"]
    other = page.get(estado.removeprefix(get_settings().public_url))
    assert other.status_code == 409 and "otra persona" in other.text
    # Leaving ends the session; the municipio needs a new link.
    left = page.post("/firmar/salir", files=fields(formulario=form))
    assert left.status_code == 200 and "Sesión cerrada" in left.text
    assert page.get("/firmar").status_code == 403


def test_a_thousand_wrong_tokens_from_one_address_are_stopped(client: TestClient) -> None:
    page = browser(client)
    limit = get_settings().token_attempts
    answers = [page.get(f"/firmar/{i:043d}").status_code for i in range(limit + 5)]
    assert answers[:limit] == [404] * limit
    assert set(answers[limit:]) == {429}
    stopped = page.get("/firmar/" + "B" * 43)
    assert stopped.status_code == 429 and int(stopped.headers["retry-after"]) > 0


def test_page_errors_are_pages_not_problem_documents(client: TestClient) -> None:
    page = browser(client)
    # Refused at the door (the pages' forms are multipart, of a bounded size) or past it: a
    # page in Spanish with no internals.
    not_multipart = page.post("/firmar/declinar", data={"motivo": "x"})
    assert not_multipart.status_code == 415
    assert not_multipart.headers["content-type"].startswith("text/html")
    unknown = page.get("/firmar/x/y/z")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    assert "Página no encontrada" in unknown.text and "Traceback" not in unknown.text
    too_large = page.post(
        "/firmar/autografa",
        files={"archivo": ("c.pdf", b"%PDF-" + b"0" * get_settings().max_upload_bytes)},
    )
    assert too_large.status_code == 413 and too_large.headers["content-type"].startswith(
        "text/html"
    )


def test_the_access_log_never_shows_a_link(client: TestClient) -> None:
    token = "Zx9" + "a" * 40
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/firmar/{token}", "1.1", 200),
        None,
    )
    HIDE_LINKS.filter(record)
    assert token not in record.getMessage() and "/firmar/…" in record.getMessage()
    # The served application installs the filter on uvicorn's access log when it starts.
    assert HIDE_LINKS in logging.getLogger("uvicorn.access").filters


BAD_TEXT = ("\x00", "a\x00b", "\x01\x7f", "ñ" * 3, "\u202e", "x" * 100_000, "%00", "' OR 1=1 --")


def _page_forms(app: Any) -> list[tuple[str, list[str]]]:
    """Every page route that takes a form, with its fields: found from the app, so a form
    added later is covered."""
    return [
        (route.path, [param.alias for param in route.dependant.body_params])
        for route in _api_routes(app.routes)
        if not route.include_in_schema and route.body_field is not None
    ]


def test_every_page_form_answers_any_text_with_a_page_and_stores_no_control_character(
    client: TestClient, keys: Keys, signing: Signing, db: Session
) -> None:
    forms = _page_forms(client.app)
    assert {path for path, _ in forms} >= {
        "/firmar",
        "/firmar/electronica",
        "/firmar/autografa",
        "/firmar/declinar",
        "/firmar/salir",
        "/firmar/efirma/preparar",
        "/firmar/efirma/completar",
        "/verificar",
    }
    page, form = signed_in(client, keys, signing, "municipio")
    # The forms that end the session last, so the others meet an open one.
    for path, names in sorted(forms, key=lambda f: f[0] in ("/firmar/declinar", "/firmar/salir")):
        for name in names:
            for bad in BAD_TEXT:
                values = {n: (None, form) if n == "formulario" else (None, "x") for n in names}
                values[name] = (None, bad)
                answer = page.post(path, files=values, follow_redirects=False)
                assert answer.status_code < 500, (path, name, bad[:10], answer.text[:300])
                if answer.status_code != 303:  # else a reason that is text after all
                    kind = answer.headers.get("content-type", "")
                    assert kind.startswith(("text/html", "application/json")), (path, name)
                    assert "Traceback" not in answer.text
    db.expire_all()
    for signature in db.scalars(select(Signature)):
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", signature.reason or "")
