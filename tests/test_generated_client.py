"""An integrator's client, generated from the OpenAPI document by openapi-python-client — no
patch of the document, no generator override, no warning — drives the service over HTTP through
its own code only: parties and representatives, an agreement, its PDF generated and downloaded,
an annex uploaded, its lifecycle to `active`, and its audit trail."""

import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.clock import days_from_today
from tests.documents.test_inspection import spanish_pdf
from tests.served import Served, served_keys, serving

BIN = Path(sys.executable).parent
PACKAGE = "convenios_client"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("generated-client")) as running:
        yield running


@pytest.fixture(scope="module")
def generated(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated from the document the service serves."""
    root = tmp_path_factory.mktemp("client")
    document = root / "openapi.json"
    document.write_text(json.dumps(served.client.get("/openapi.json").json()))
    run = subprocess.run(
        [
            BIN / "openapi-python-client",
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        # Its post-generation hooks (ruff) come from the same environment.
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=300,
        check=False,
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "Warning" not in said and "warning" not in said, said
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _created(response: Any, model: str) -> Any:
    assert response.status_code in (200, 201), response.content
    assert type(response.parsed).__name__ == model, response.parsed
    return response.parsed


def test_an_integrator_works_a_convenio_through_the_generated_client(
    served: Served, generated: ModuleType
) -> None:
    legal = served_keys(served.engine).legal["Authorization"].removeprefix("Bearer ")
    client = generated.AuthenticatedClient(base_url=served.url, token=legal)
    models, types = _module("models"), _module("types")

    def create_party(body: dict[str, Any]) -> Any:
        response = _module("api.parties.create_party").sync_detailed(
            client=client, body=models.PartyCreate.from_dict(body)
        )
        return _created(response, "PartyRead")

    def create_representative(party_id: int, body: dict[str, Any]) -> Any:
        response = _module("api.parties.create_representative").sync_detailed(
            party_id, client=client, body=models.RepresentativeCreate.from_dict(body)
        )
        return _created(response, "RepresentativeRead")

    agency = create_party(
        {"kind": "federacion", "name": "Secretaría de Gobernación", "article": "la"}
    )
    company = create_party(
        {"kind": "privado", "name": "Datos Abiertos, S.A. de C.V.", "gender": "feminine"}
    )
    signers = [
        create_representative(
            agency.id,
            {
                "full_name": "Ana Sofía Medina Cruz",
                "gender": "feminine",
                "position": "Titular de la Unidad de Gobierno Digital",
            },
        ),
        create_representative(
            company.id,
            {
                "full_name": "Luis Ramírez Ortega",
                "gender": "masculine",
                "position": "Apoderado legal",
            },
        ),
    ]
    body = {
        "title": "Convenio de colaboración en materia de datos abiertos",
        "kind": "colaboracion",
        "objective": "Establecer las bases de colaboración para publicar datos abiertos.",
        "parties": [
            {
                "party_id": party.id,
                "role": role,
                "signatories": [{"representative_id": person.id}],
            }
            for party, role, person in zip(
                (agency, company), ("LA SECRETARÍA", "LA EMPRESA"), signers, strict=True
            )
        ],
        "clauses": [{"title": "OBJETO", "text": "El presente convenio tiene por objeto…"}],
        "effective_date": days_from_today(-1),
        "expiry_date": days_from_today(365),
    }
    agreement = _created(
        _module("api.agreements.create_agreement").sync_detailed(
            client=client, body=models.AgreementCreate.from_dict(body)
        ),
        "AgreementRead",
    )
    assert agreement.status.value == "draft" and agreement.folio

    # The convenio's PDF, generated and downloaded as bytes.
    document = _created(
        _module("api.documents.generate_document").sync_detailed(
            agreement.id, client=client, body=models.DocumentGenerate.from_dict({})
        ),
        "DocumentRead",
    )
    pdf = _module("api.documents.download_document").sync_detailed(document.id, client=client)
    assert pdf.status_code == 200 and type(pdf.parsed).__name__ == "File"
    assert pdf.parsed.payload.read().startswith(b"%PDF-")

    # An annex, uploaded as a file (multipart), not as text.
    annex = _created(
        _module("api.documents.upload_document").sync_detailed(
            agreement.id,
            client=client,
            body=models.BodyUploadDocument(
                file=types.File(
                    payload=io.BytesIO(spanish_pdf()),
                    file_name="anexo-tecnico.pdf",
                    mime_type="application/pdf",
                ),
                kind=models.BodyUploadDocumentKind("annex"),
                title="Anexo técnico",
            ),
        ),
        "DocumentRead",
    )
    assert annex.origin.value == "uploaded" and annex.pages == 1

    # Through its lifecycle: review, approval, signature, and in force once signed on paper.
    for state, extra in (
        ("in_review", {}),
        ("approved", {}),
        ("in_signature", {}),
        ("active", {"signed_on": days_from_today(0)}),
    ):
        moved = _module("api.agreements.transition_agreement").sync_detailed(
            agreement.id,
            client=client,
            body=models.TransitionRequest.from_dict({"to": state, **extra}),
        )
        assert _created(moved, "AgreementRead").status.value == state

    # A refusal is a parsed problem, not an exception.
    refused = _module("api.agreements.transition_agreement").sync_detailed(
        agreement.id, client=client, body=models.TransitionRequest.from_dict({"to": "draft"})
    )
    assert refused.status_code == 409 and type(refused.parsed).__name__ == "Problem"
    assert refused.parsed.type_ == "urn:convenios:problem:invalid-transition"

    trail = _created(
        _module("api.audit.list_audit_events").sync_detailed(
            client=client, agreement_id=agreement.id
        ),
        "PageAuditEventRead",
    )
    actions = [event.action for event in trail.items]
    assert "agreement.created" in actions and "agreement.status_changed" in actions
    assert all(event.actor.type_.value == "api_key" for event in trail.items)
