"""The whole path in a real browser — Debian's Chromium, headless, driven by Playwright:
invitation link → review → sign (electronically on a phone, with the scan of the hand-signed
copy, with e.firma in the browser) → the convenio in force → the constancia → the verification
page and its upload form. Also: a wrong e.firma password said on the page with nothing sent, no
request ever carrying the key or the password, and the pages refusing to live in a frame.

The service runs in this process (uvicorn in a thread) on a scratch SQLite database, so the
browser talks HTTP to it as a signer's phone would. The screenshots the README shows are taken
here (`docs/pagina-*.png`) when CONVENIOS_SCREENSHOTS is set.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.orm import Session

from app.pages import guard
from tests.conftest import Keys
from tests.documents.test_inspection import spanish_pdf
from tests.factories import API, ok
from tests.served import Served, served_keys, serving
from tests.signatures.pki import EFirma, Pki, test_pki
from tests.signatures.test_signing_api import PASSWORD, PEOPLE, Signing, _efirma, _prepare

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@dataclass
class Browsed:
    served: Served
    pki: Pki


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browsed]:
    """The service trusting the test PKI."""
    root = tmp_path_factory.mktemp("browser")
    pki = test_pki()
    trust = root / "trust.pem"
    trust.write_bytes(
        pki.root.certificate.public_bytes(Encoding.PEM)
        + pki.intermediate.certificate.public_bytes(Encoding.PEM)
    )
    with serving(root, trust_roots=str(trust)) as served:
        yield Browsed(served, pki)


@pytest.fixture
def signing(served: Browsed) -> tuple[Signing, Keys]:
    guard.attempts.clear()
    keys = served_keys(served.served.engine)
    with Session(served.served.engine) as db:
        order = {"municipio": 1, "estado": 2, "federacion": 3}
        return _prepare(served.served.client, keys, db, orders=order), keys


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _invite(served: Browsed, keys: Keys, signing: Signing, who: str) -> str:
    url = f"{API}/signatures/{signing.requests[who]['id']}/invitations"
    return str(ok(served.served.client.post(url, json={}, headers=keys.legal), 201)["url"])


def _screenshot(page: Any, name: str) -> None:
    if os.environ.get("CONVENIOS_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / name), full_page=True)


def _watch(page: Any) -> dict[str, list[Any]]:
    """Every request the page sends and every console message (a CSP refusal shows there)."""
    seen: dict[str, list[Any]] = {"requests": [], "console": []}
    page.on("request", lambda request: seen["requests"].append(request))
    page.on("console", lambda message: seen["console"].append(message.text))
    return seen


def _open(page: Any, link: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="Continuar a la página de firma").click()
    page.wait_for_url("**/firmar")


def test_three_signers_sign_from_their_browsers_and_anyone_checks_the_result(
    served: Browsed, signing: tuple[Signing, Keys], browser: Any
) -> None:
    prepared, keys = signing
    folio = prepared.agreement["folio"]

    # 1. The municipio's representative, on a phone, signs electronically with the keyboard.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    seen = _watch(page)
    _open(page, _invite(served, keys, prepared, "municipio"))
    assert page.get_by_role("heading", name=f"Firma del convenio {folio}").is_visible()
    assert page.get_by_text(prepared.document["sha256"]).first.is_visible()
    page.get_by_text("Leer el convenio aquí, página por página").click()
    first_page = page.get_by_alt_text(f"Página 1 de {prepared.document['pages']}", exact=False)
    first_page.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=first_page.element_handle()
    )
    page.get_by_text("Leer el convenio aquí, página por página").click()
    _screenshot(page, "pagina-firma.png")
    page.get_by_label("Escriba su nombre completo").fill(PEOPLE["municipio"][0])
    page.get_by_role("checkbox").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Firmar el convenio").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Su firma quedó registrada").wait_for()
    assert not [m for m in seen["console"] if "Content Security Policy" in m]
    phone.close()

    # 2. The estado's, with the scan of the copy signed by hand.
    desktop = browser.new_context()
    page = desktop.new_page()
    _open(page, _invite(served, keys, prepared, "estado"))
    page.get_by_label("Copia firmada (PDF)").set_input_files(
        files=[
            {"name": "copia-firmada.pdf", "mimeType": "application/pdf", "buffer": spanish_pdf()}
        ]
    )
    page.get_by_role("button", name="Entregar la copia firmada").click()
    page.get_by_role("heading", name="Su firma quedó registrada").wait_for()
    desktop.close()

    # 3. The federation's, with e.firma in the browser: first a wrong password.
    firma: EFirma = _efirma(served.pki, "federacion")
    cer = {"name": "firma.cer", "mimeType": "application/pkix-cert", "buffer": firma.cer}
    key = {"name": "firma.key", "mimeType": "application/octet-stream", "buffer": firma.key}
    context = browser.new_context()
    page = context.new_page()
    seen = _watch(page)
    _open(page, _invite(served, keys, prepared, "federacion"))
    page.get_by_role("link", name="Firmar con e.firma").click()
    page.wait_for_url("**/firmar/efirma")
    seen["requests"].clear()  # from here on, what the e.firma page sends
    page.get_by_label("Certificado (.cer)").set_input_files(files=[cer])
    page.get_by_label("Llave privada (.key)").set_input_files(files=[key])
    page.get_by_label("Contraseña de la llave privada").fill("no-es-la-contraseña")
    page.get_by_role("button", name="Firmar con e.firma").click()
    page.get_by_text("La contraseña no abre la llave privada").wait_for()
    assert not [r for r in seen["requests"] if r.method == "POST"], "nothing is sent"
    page.get_by_label("Contraseña de la llave privada").fill(PASSWORD)
    page.get_by_role("button", name="Firmar con e.firma").click()
    page.get_by_role("heading", name="Su firma quedó registrada").wait_for(timeout=60_000)
    posts = [r for r in seen["requests"] if r.method == "POST"]
    assert [p.url.rsplit("/", 1)[1] for p in posts] == ["preparar", "completar"]
    for post in posts:
        body = post.post_data_buffer or b""
        assert firma.key not in body and PASSWORD.encode() not in body
        assert all(PASSWORD not in value for value in post.headers.values())
    shown = " ".join(page.inner_text("main").split())
    assert "Con esta firma el convenio quedó firmado por todas las partes" in shown

    # 4. The convenio is in force; anyone checks it from the address its QR code opens.
    agreement = ok(
        served.served.client.get(f"{API}/agreements/{prepared.agreement['id']}", headers=keys.legal)
    )
    assert agreement["status"] == "active"
    page.get_by_role("link", name="/api/v1/verify/", exact=False).click()
    page.get_by_role("heading", name="Documento emitido por el sistema de convenios").wait_for()
    text = page.content()
    for name, rfc, curp in PEOPLE.values():
        assert name in text and rfc not in text and curp not in text
    _screenshot(page, "pagina-verificacion.png")
    context.close()


def test_the_pages_refuse_to_be_framed_by_another_site(served: Browsed, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    page.set_content(f'<iframe id="f" src="{served.served.url}/firmar/{"A" * 43}"></iframe>')
    page.wait_for_timeout(1000)
    framed = page.frames[1]
    # Chromium shows its own error page in the frame, not the service's.
    assert framed.url.startswith("chrome-error://") and "Enlace no válido" not in framed.content()
    assert any("frame-ancestors 'none'" in message for message in blocked), blocked
    context.close()
