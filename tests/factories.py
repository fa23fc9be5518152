"""Builders of parties, representatives and agreements through the API, as a client would."""

from typing import Any

from fastapi.testclient import TestClient

from app.documents.samples import one_page_pdf
from tests.clock import days_from_today

API = "/api/v1"
# The source of the money each kind of party contributes in the default agreement.
SOURCES = {
    "municipio": "municipal",
    "estado": "estatal",
    "federacion": "federal",
    "organismo_autonomo": "propios",
    "organismo_descentralizado": "propios",
    "academico_publico": "propios",
}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


# How the instrument names a party of each kind unless a test says otherwise: «EL MUNICIPIO
# DE …», «LA SECRETARÍA DE …», a company's razón social without an article.
ARTICLES = {
    "municipio": "el",
    "estado": "el",
    "organismo_autonomo": "el",
    "organismo_descentralizado": "el",
    "internacional": "el",
}


def party(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    payload = {"kind": "federacion", "name": "Secretaría de Gobernación", **fields}
    if "article" not in payload and "gender" not in payload:
        if payload["kind"] == "privado":
            payload["gender"] = "feminine"
        else:
            payload["article"] = ARTICLES.get(payload["kind"], "la")
    if payload["kind"] == "municipio":
        # An ayuntamiento in the middle of its three years, whatever day the tests run.
        payload.setdefault("term_start", days_from_today(-365))
        payload.setdefault("term_end", days_from_today(730))
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
        **{
            "kind": "estado",
            "name": "Gobierno del Estado de México",
            "inegi_code": "15",
            **fields,
        },
    )


def representative(
    client: TestClient, headers: dict[str, str], party_id: int, **fields: Any
) -> dict[str, Any]:
    payload = {
        "full_name": "María Pérez Hernández",
        "gender": "feminine",
        "position": "Presidenta Municipal",
        **fields,
    }
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


def municipio_and_estado(
    client: TestClient, headers: dict[str, str]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Tlalnepantla and the Estado de México, each with the person who signs for it."""
    mun, est = municipio(client, headers), estado(client, headers)
    return [
        (mun, representative(client, headers, mun["id"])),
        (
            est,
            representative(client, headers, est["id"], full_name="José Ruiz", gender="masculine"),
        ),
    ]


def agreement_payload(
    signers: list[tuple[dict[str, Any], dict[str, Any]]], **fields: Any
) -> dict[str, Any]:
    roles = ["EL MUNICIPIO", "EL ESTADO", "LA FEDERACIÓN", "LA UNIVERSIDAD", "LA EMPRESA"]
    first = signers[0][0]
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
                "signatories": [{"representative_id": r["id"]}],
                # The first party puts in the whole amount.
                "contributions": (
                    [
                        {
                            "amount": fields.get("amount", "1500000.50"),
                            "purpose": "las acciones del convenio",
                            "source": SOURCES.get(first["kind"], "privados"),
                        }
                    ]
                    if i == 0 and fields.get("amount", "1500000.50") is not None
                    else []
                ),
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
        # Signed through the service: electronic acceptances or e.firma.
        "signing": {"method": "electronica"},
        **fields,
    }


def agreement(
    client: TestClient, headers: dict[str, str], parties: int = 2, **fields: Any
) -> dict[str, Any]:
    """A draft agreement between ``parties`` new signing parties."""
    kinds = ["municipio", "estado", "federacion", "academico_publico", "privado"]
    signers = [signing_party(client, headers, kinds[i]) for i in range(parties)]
    payload = agreement_payload(signers, **fields)
    return ok(client.post(f"{API}/agreements", json=payload, headers=headers), 201)


def acta_pdf(number: str = "1") -> bytes:
    """A one-page PDF standing for the certified acta of a sesión de cabildo."""
    return one_page_pdf(f"Acta de cabildo {number}")


def authorize(
    client: TestClient, headers: dict[str, str], agreement_id: int, party_id: int, **vote: Any
) -> dict[str, Any]:
    """The municipio's cabildo authorises the agreement unanimously today, and its certified
    acta is uploaded."""
    acta = ok(
        client.post(
            f"{API}/agreements/{agreement_id}/documents/upload",
            files={
                "kind": (None, "cabildo_acta"),
                "file": ("acta.pdf", acta_pdf(f"{agreement_id}-{party_id}"), "application/pdf"),
            },
            headers=headers,
        ),
        201,
    )
    body = {
        "session": "ordinaria",
        "date": days_from_today(0),
        "acta_number": f"{agreement_id}-{party_id}",
        "members": 11,
        "votes_for": 11,
        "certified_acta_document_id": acta["id"],
        **vote,
    }
    return ok(
        client.put(
            f"{API}/agreements/{agreement_id}/parties/{party_id}/authorization",
            json=body,
            headers=headers,
        )
    )


def authorize_municipios(client: TestClient, headers: dict[str, str], agreement_id: int) -> None:
    """Every municipio party's cabildo authorises the agreement (if it has not yet)."""
    found = ok(client.get(f"{API}/agreements/{agreement_id}", headers=headers))
    for link in found["parties"]:
        if link["party"]["kind"] == "municipio" and link["authorization"] is None:
            authorize(client, headers, agreement_id, link["party"]["id"])


def move(
    client: TestClient, headers: dict[str, str], agreement_id: int, *states: str, **extra: Any
) -> dict[str, Any]:
    """Walk an agreement through ``states``; each step must succeed. Before signing starts, the
    cabildo of each municipio party authorises it (while it can still be edited)."""
    if "in_signature" in states:
        authorize_municipios(client, headers, agreement_id)
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


# The leyenda de clasificación of a versión pública, as a transparency unit fills it in.
LEYENDA = {
    "area": "Dirección Jurídica",
    "classified_by": {"full_name": "Lic. Ana Torres", "position": "Directora Jurídica"},
    "classified_on": "2026-11-20",
    "committee": {
        "session": "Décima Sesión Extraordinaria del Comité de Transparencia",
        "date": "2026-11-25",
        "resolution": "CT/EXT/10/2026-03",
    },
}
