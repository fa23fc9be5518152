"""e.firma from the signing page, as the page's script speaks to the service: the certificate
goes up, the signed attributes come back, the signature value goes up. The signing a browser
does is done here with the same key in Python; every bad input gets a message in Spanish and
records nothing, and a preparation left behind is dropped once its session runs out."""

import base64
import hashlib
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.invitations.reminders import forget_stale_preparations
from app.models import DevicePreparation, Signature
from app.pages.efirma import FORGE_INTEGRITY
from app.pages.html import STATIC
from tests.clock import TestClock
from tests.conftest import Keys
from tests.pages.test_signing_pages import counts, fields, signed_in
from tests.signatures.pki import Pki
from tests.signatures.test_signing_api import (
    PASSWORD,
    Signing,
    _efirma,
    _prepare,
    _trust,
    pki,
)

__all__ = ["_trust", "pki"]  # the fixtures this module shares with the signing tests


def _signing(client: TestClient, keys: Keys, db: Session) -> Signing:
    # The federation's representative signs first here, with e.firma.
    return _prepare(client, keys, db, orders={"municipio": 2, "estado": 2, "federacion": 1})


def _prepare_with(page: TestClient, form: str, certificate: bytes) -> Any:
    return page.post(
        "/firmar/efirma/preparar",
        files={
            "formulario": (None, form),
            "certificado": ("firma.cer", certificate, "application/pkix-cert"),
        },
    )


def _sign(attributes_b64: str, key_der: bytes) -> str:
    key = serialization.load_der_private_key(key_der, password=PASSWORD.encode())
    assert isinstance(key, rsa.RSAPrivateKey)
    value = key.sign(base64.b64decode(attributes_b64), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(value).decode()


def test_the_browser_signs_what_the_service_prepared(
    client: TestClient, keys: Keys, db: Session, pki: Pki
) -> None:
    signing = _signing(client, keys, db)
    page, form = signed_in(client, keys, signing, "federacion")
    assert "Firmar con e.firma" in page.get("/firmar").text
    shown = page.get("/firmar/efirma")
    assert 'integrity="sha384-' in shown.text and "<script>" not in shown.text
    firma = _efirma(pki, "federacion")
    prepared = _prepare_with(page, form, firma.cer)
    assert prepared.status_code == 200, prepared.text
    value = _sign(prepared.json()["atributos"], firma.key)
    done = page.post("/firmar/efirma/completar", files=fields(formulario=form, firma=value))
    assert done.status_code == 200 and done.json() == {"siguiente": "/firmar"}, done.text
    signature = db.get(Signature, signing.requests["federacion"]["id"])
    db.refresh(signature)
    assert signature is not None and signature.method is not None
    assert signature.method.value == "pades"
    assert signature.certificate and "MECA8203217Q1" in signature.certificate["rfcs"]
    assert db.scalar(select(func.count()).select_from(DevicePreparation)) == 0


def test_bad_certificates_and_signatures_are_said_and_record_nothing(
    client: TestClient, keys: Keys, db: Session, pki: Pki
) -> None:
    signing = _signing(client, keys, db)
    page, form = signed_in(client, keys, signing, "federacion")
    before = counts(db)
    not_a_certificate = _prepare_with(page, form, b"MZ not a certificate")
    assert not_a_certificate.status_code == 422
    assert "no es un certificado" in not_a_certificate.json()["mensaje"]
    someone_else = _prepare_with(page, form, _efirma(pki, "municipio").cer)
    assert someone_else.status_code == 422
    assert "no es el suyo" in someone_else.json()["mensaje"]
    ended = _efirma(pki, "federacion", not_after=pki.now - timedelta(days=1))
    expired = _prepare_with(page, form, ended.cer)
    assert expired.status_code == 422 and "vencido" in expired.json()["mensaje"]
    # Completing with nothing prepared, with what is not base64, with another key's signature.
    nothing = page.post("/firmar/efirma/completar", files=fields(formulario=form, firma="AAAA"))
    assert nothing.status_code == 422 and "Prepare la firma" in nothing.json()["mensaje"]
    firma = _efirma(pki, "federacion")
    prepared = _prepare_with(page, form, firma.cer).json()
    garbage = page.post("/firmar/efirma/completar", files=fields(formulario=form, firma="%%%"))
    assert garbage.status_code == 422
    other_key = _sign(prepared["atributos"], _efirma(pki, "estado").key)
    forged = page.post("/firmar/efirma/completar", files=fields(formulario=form, firma=other_key))
    assert forged.status_code == 422 and "no corresponde" in forged.json()["mensaje"]
    # Another site's form gets nothing prepared.
    cross = _prepare_with(page, "0" * 64, firma.cer)
    assert cross.status_code == 403
    assert counts(db) == before


def test_a_preparation_left_behind_is_dropped_when_its_session_runs_out(
    client: TestClient,
    keys: Keys,
    db: Session,
    pki: Pki,
    clock: TestClock,
    sessions: sessionmaker[Session],
) -> None:
    signing = _signing(client, keys, db)
    page, form = signed_in(client, keys, signing, "federacion")
    assert _prepare_with(page, form, _efirma(pki, "federacion").cer).status_code == 200
    assert forget_stale_preparations(sessions) == 0
    clock.advance(timedelta(hours=2))
    assert forget_stale_preparations(sessions) == 1
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(DevicePreparation)) == 0


def test_the_shipped_forge_is_the_file_its_integrity_hash_names(client: TestClient) -> None:
    served = client.get("/paginas/recursos/node-forge/forge.min.js")
    assert served.status_code == 200 and served.headers["content-type"].startswith(
        "text/javascript"
    )
    digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
    assert f"sha384-{digest}" == FORGE_INTEGRITY
    assert (STATIC / "node-forge" / "forge.min.js").read_bytes() == served.content
    assert "BSD License" in (STATIC / "node-forge" / "LICENSE").read_text()
    # Nothing else of the disk is reachable through the assets' address.
    for name in ("../html.py", "node-forge/../../signing.py", "node-forge/README.md"):
        assert client.get(f"/paginas/recursos/{name}").status_code == 404
