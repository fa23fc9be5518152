"""Builders of parties, representatives and agreements through the API, as a client would."""

from typing import Any

from fastapi.testclient import TestClient

from tests.clock import days_from_today

API = "/api/v1"


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def party(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    payload = {"kind": "federacion", "name": "Secretaría de Gobernación", **fields}
    return ok(client.post(f"{API}/parties", json=payload, headers=headers), 201)


def municipio(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    return party(
        client,
        headers,
        **{
            "kind": "municipio",
            "name": "Municipio de Tlalnepantla de Baz",
            "inegi_code": "15104",
            **fields,
        },
    )


def estado(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    return party(
        client,
        headers,
        **{"kind": "estado", "name": "Gobierno del Estado de México", "inegi_code": "15", **fields},
    )


def representative(
    client: TestClient, headers: dict[str, str], party_id: int, **fields: Any
) -> dict[str, Any]:
    payload = {"full_name": "María Pérez Hernández", "position": "Presidenta Municipal", **fields}
    return ok(
        client.post(f"{API}/parties/{party_id}/representatives", json=payload, headers=headers),
        201,
    )


def signing_party(
    client: TestClient, headers: dict[str, str], kind: str = "federacion", **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A party of ``kind`` with one representative."""
    builders = {"municipio": municipio, "estado": estado}
    created = builders.get(kind, party)(client, headers, **fields)
    return created, representative(client, headers, created["id"])


def agreement_payload(
    signers: list[tuple[dict[str, Any], dict[str, Any]]], **fields: Any
) -> dict[str, Any]:
    roles = ["EL MUNICIPIO", "EL ESTADO", "LA FEDERACIÓN", "LA UNIVERSIDAD", "LA EMPRESA"]
    return {
        "title": "Convenio de colaboración en materia de gobierno digital",
        "kind": "colaboracion",
        "initiative": 4,
        "topics": ["gobernanza"],
        "objective": "Establecer las bases de colaboración entre las partes.",
        "parties": [
            {
                "party_id": p["id"],
                "role": roles[i],
                "declarations": [f"Que {p['name']} tiene personalidad jurídica propia."],
                "signatory_ids": [r["id"]],
            }
            for i, (p, r) in enumerate(signers)
        ],
        "antecedents": ["El 23 de octubre de 2018 se firmó la Declaración de Tlalnepantla."],
        "clauses": [
            {"title": "OBJETO", "text": "El presente convenio tiene por objeto…"},
            {"title": "VIGENCIA", "text": "El presente convenio estará vigente…"},
        ],
        "amount": "1500000.50",
        # In force from a month ago for two years, whatever day the tests run.
        "effective_date": days_from_today(-30),
        "expiry_date": days_from_today(730),
        **fields,
    }


def agreement(
    client: TestClient, headers: dict[str, str], parties: int = 2, **fields: Any
) -> dict[str, Any]:
    """A draft agreement between ``parties`` new signing parties."""
    kinds = ["municipio", "estado", "federacion", "academico", "privado"]
    signers = [signing_party(client, headers, kinds[i]) for i in range(parties)]
    payload = agreement_payload(signers, **fields)
    return ok(client.post(f"{API}/agreements", json=payload, headers=headers), 201)


def move(
    client: TestClient, headers: dict[str, str], agreement_id: int, *states: str, **extra: Any
) -> dict[str, Any]:
    """Walk an agreement through ``states``; each step must succeed."""
    body: dict[str, Any] = {}
    for state in states:
        body = ok(
            client.post(
                f"{API}/agreements/{agreement_id}/transitions",
                json={"to": state, **extra},
                headers=headers,
            )
        )
    return body
