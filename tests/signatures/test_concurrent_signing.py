"""Real concurrency: three representatives whose turn is the same sign with PAdES at the same
moment, each request in its own committed transaction (see tests/agreements/test_concurrency.py
for how the application runs here). The agreement's row lock makes each signature extend the
one before it: the final PDF carries all three, each still covering the document."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.principal import operator
from app.catalog import service as catalog_service
from app.config import get_settings
from app.db import make_engine
from app.main import create_app
from app.models.enums import Role
from app.signatures.pades import VerifyJob
from app.templates import service as templates
from tests.agreements.test_concurrency import InFlight, concurrently
from tests.conftest import INEGI_CSV
from tests.databases import api_key, drop_database, new_database
from tests.factories import (
    API,
    agreement_payload,
    authorize_municipios,
    estado,
    move,
    municipio,
    ok,
    party,
)
from tests.signatures.pki import test_pki

# They measure the service under load: alone, after the others (Makefile).
pytestmark = [pytest.mark.slow, pytest.mark.serial]

PEOPLE = {
    "municipio": ("Teresa Hernández García", "HEGT7610034S2"),
    "estado": ("Luis Ramírez Ortega", "RAOL7005128K3"),
    "federacion": ("Ana Sofía Medina Cruz", "MECA8203217Q1"),
}


@pytest.fixture
def trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    pki = test_pki()
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(
        pki.root.certificate.public_bytes(Encoding.PEM)
        + pki.intermediate.certificate.public_bytes(Encoding.PEM)
    )
    monkeypatch.setenv("CONVENIOS_TRUST_ROOTS", str(bundle))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_parallel_pades_signatures_accumulate_in_one_pdf(
    backend: str, tmp_path_factory: pytest.TempPathFactory, trusted: None
) -> None:
    url = new_database(backend, tmp_path_factory.mktemp(f"signing-{backend}"))
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            catalog_service.import_catalog(
                session=session,
                text=INEGI_CSV.read_text(encoding="utf-8"),
                actor=operator("tests"),
            )
            templates.sync_shipped(session, operator("tests"))
        legal = api_key(engine, Role.LEGAL)
        in_flight = InFlight(create_app(engine))
        with TestClient(in_flight, raise_server_exceptions=False) as client:
            signers = []
            for who, builder in (
                ("municipio", municipio),
                ("estado", estado),
                ("federacion", party),
            ):
                created = builder(client, legal)
                name, rfc = PEOPLE[who]
                rep = ok(
                    client.post(
                        f"{API}/parties/{created['id']}/representatives",
                        json={
                            "full_name": name,
                            "gender": "feminine",
                            "position": "Titular",
                            "rfc": rfc,
                        },
                        headers=legal,
                    ),
                    201,
                )
                signers.append((created, rep))
            agreement = ok(
                client.post(f"{API}/agreements", json=agreement_payload(signers), headers=legal),
                201,
            )
            authorize_municipios(client, legal, agreement["id"])
            base = f"{API}/agreements/{agreement['id']}"
            ok(client.post(f"{base}/documents", json={}, headers=legal), 201)
            requests = [
                ok(
                    client.post(
                        f"{base}/signatures",
                        json={"representative_id": rep["id"], "order": 1},
                        headers=legal,
                    ),
                    201,
                )
                for _, rep in signers
            ]
            move(client, legal, agreement["id"], "in_review", "approved", "in_signature")

            pki = test_pki()

            def sign(index: int) -> Any:
                _, rep = signers[index]
                firma = pki.efirma(rep["full_name"], rep["rfc"], None, password="12345678a")
                headers = api_key(engine, Role.SIGNATORY, rep["id"])

                def call() -> httpx.Response:
                    return client.post(
                        f"{API}/signatures/{requests[index]['id']}/sign/pades",
                        files={"pkcs12": ("firma.p12", firma.p12, "application/x-pkcs12")},
                        data={"password": firma.password},
                        headers=headers,
                    )

                return call

            calls = [sign(i) for i in range(3)]
            in_flight.reset()
            responses = concurrently(calls)
            assert in_flight.peak > 1, "the requests did not overlap"
            assert [r.status_code for r in responses] == [200] * 3, [r.text for r in responses]

            final = ok(client.get(base, headers=legal))
            assert final["status"] == "active"
            signed = client.get(
                f"{API}/documents/{final['signed_document_id']}/pdf", headers=legal
            ).content
        reports = VerifyJob(pdf=signed, trust=pki.trust).run()
        assert sorted(r.signer.rfcs[-1] for r in reports) == sorted(
            rfc for _, rfc in PEOPLE.values()
        )
        assert all(r.intact and r.valid and r.trusted and r.covers_document for r in reports)
    finally:
        engine.dispose()
        drop_database(backend, url)
