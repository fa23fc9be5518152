"""Reports through the API: expiring agreements, overdue obligations by party, counts, and the
transparency export opened back (CSV and XLSX)."""

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.clock import today
from app.config import get_settings
from app.obligations.scheduled import sweep
from app.reports.transparency import COLUMNS, COUNTERPART_COLUMNS
from tests.clock import FEBRUARY_2026, TERM_2026_2027, TestClock
from tests.conftest import Keys
from tests.factories import (
    API,
    agreement,
    agreement_payload,
    move,
    municipio,
    ok,
    party,
    representative,
)


@pytest.fixture(autouse=True)
def _february_2026(clock: TestClock) -> None:
    """These tests are written around the calendar of early 2026."""
    clock.set(FEBRUARY_2026)


def _active(client: TestClient, keys: Keys, **fields: Any) -> dict[str, Any]:
    created = agreement(client, keys.legal, **{**TERM_2026_2027, **fields})
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    return move(client, keys.legal, created["id"], "active", signed_on="2026-01-20")


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_expiring_overdue_and_counts(
    app: FastAPI, client: TestClient, keys: Keys, db: Session
) -> None:
    app.dependency_overrides[today] = lambda: date(2026, 4, 1)
    soon = _active(client, keys, expiry_date="2026-05-31")
    _active(client, keys, expiry_date="2027-12-31")
    party_id = soon["parties"][0]["party"]["id"]
    ok(
        client.post(
            f"{API}/agreements/{soon['id']}/obligations",
            json={"party_id": party_id, "description": "Informe", "due_date": "2026-03-31"},
            headers=keys.legal,
        ),
        201,
    )
    sweep(db, today=date(2026, 4, 1), settings=get_settings())
    db.flush()

    params = {"within_days": 3650}
    expiring = ok(client.get(f"{API}/reports/expiring", params=params, headers=keys.viewer))
    mine = [row for row in expiring if row["id"] == soon["id"]]
    assert mine and mine[0]["expiry_date"] == "2026-05-31"
    dates = [row["expiry_date"] for row in expiring]
    assert dates == sorted(dates)
    as_csv = client.get(
        f"{API}/reports/expiring", params={**params, "format": "csv"}, headers=keys.viewer
    )
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows = _rows(as_csv.content)
    assert rows[0] == ["Folio", "Convenio", "Vence", "Días restantes", "Renovación", "Partes"]
    assert soon["folio"] in [row[0] for row in rows[1:]]

    overdue = ok(client.get(f"{API}/reports/overdue-obligations", headers=keys.viewer))
    theirs = next(row for row in overdue if row["party_id"] == party_id)
    assert (theirs["overdue"], theirs["oldest_due_date"]) == (1, "2026-03-31")
    overdue_csv = _rows(
        client.get(
            f"{API}/reports/overdue-obligations", params={"format": "csv"}, headers=keys.viewer
        ).content
    )
    assert overdue_csv[0] == ["Parte", "Obligaciones vencidas", "La más antigua"]
    assert [theirs["party"], "1", "31/03/2026"] in overdue_csv[
        1:
    ]  # as spreadsheets in Mexico read it

    counts = ok(client.get(f"{API}/reports/agreements", headers=keys.viewer))
    assert counts["by_status"]["active"] >= 2 and counts["by_topic"]["gobernanza"] >= 2
    assert counts["by_initiative"]["4"] >= 2
    table = _rows(
        client.get(
            f"{API}/reports/agreements", params={"format": "csv"}, headers=keys.viewer
        ).content
    )
    assert table[0] == ["Dimensión", "Valor", "Convenios"]
    assert (
        client.get(
            f"{API}/reports/agreements",
            headers=keys.signatory(db, soon["parties"][0]["signatories"][0]["representative_id"]),
        ).status_code
        == 403
    )


def _contributions(payload: dict[str, Any], *shares: list[dict[str, str]]) -> dict[str, Any]:
    """``payload`` with each party putting in what ``shares`` says, in order."""
    for link, share in zip(payload["parties"], shares, strict=True):
        link["contributions"] = share
    return payload


def _signed(client: TestClient, keys: Keys, payload: dict[str, Any], on: str) -> dict[str, Any]:
    created = ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    return move(client, keys.legal, created["id"], "active", signed_on=on)


def test_a_period_exported_reads_as_the_format_asks(
    client: TestClient, keys: Keys, db: Session
) -> None:
    """A coordinación with the federation (published in the DOF), its convenio modificatorio and
    a colaboración with a company, reported by the municipio: every column from the data or
    explained in the note, the modificatorio in its principal's row."""
    mun = municipio(client, keys.legal)
    seguridad = party(
        client,
        keys.legal,
        kind="federacion",
        name="Secretaría de Seguridad",
        legal_name="Secretaría de Seguridad y Protección Ciudadana",
    )
    empresa = party(
        client,
        keys.legal,
        kind="privado",
        name="Luminarias del Valle",
        legal_name="Luminarias del Valle, S.A. de C.V.",
    )
    alcaldesa = representative(client, keys.legal, mun["id"])
    coordination_signers = [
        (mun, alcaldesa),
        (seguridad, representative(client, keys.legal, seguridad["id"], full_name="Ana Cruz")),
    ]
    federal = {"source": "federal", "purpose": "la adquisición de patrullas."}
    coordinacion = _signed(
        client,
        keys,
        _contributions(
            agreement_payload(
                coordination_signers,
                kind="coordinacion",
                title="Convenio de coordinación en materia de seguridad pública",
                amount="2500000.00",
                follow_up_unit="Dirección de Seguridad Pública",
                **TERM_2026_2027,
            ),
            [{"amount": "500000.00", "source": "municipal", "purpose": "el mantenimiento"}],
            [{"amount": "2000000.00", **federal}],
        ),
        "2026-01-20",
    )
    ok(
        client.post(
            f"{API}/agreements/{coordinacion['id']}/publications",
            json={"medium": "dof", "published_on": "2026-01-26", "number": "18"},
            headers=keys.legal,
        ),
        201,
    )
    comparecencias = [
        (link["party"], {"id": s["representative_id"]})
        for link in coordinacion["parties"]
        for s in link["signatories"]
    ]
    modificatorio = _signed(
        client,
        keys,
        _contributions(
            agreement_payload(
                comparecencias,
                kind="modificatorio",
                parent_id=coordinacion["id"],
                title="Primer convenio modificatorio",
                amount="300000.00",
                **TERM_2026_2027,
            ),
            [],
            [{"amount": "300000.00", "source": "federal", "purpose": "equipo de radio"}],
        ),
        "2026-01-30",
    )
    concertacion = _signed(
        client,
        keys,
        _contributions(
            agreement_payload(
                [(mun, alcaldesa), (empresa, representative(client, keys.legal, empresa["id"]))],
                title="=Convenio de alumbrado",
                amount="800000.00",
                **TERM_2026_2027,
            ),
            [],
            [{"amount": "800000.00", "source": "privados", "purpose": "la donación de luminarias"}],
        ),
        "2026-01-22",
    )
    period = {"period_start": "2026-01-01", "period_end": "2026-03-31", "party_id": mun["id"]}

    main = _rows(
        client.get(f"{API}/reports/transparency", params=period, headers=keys.viewer).content
    )
    assert tuple(main[0]) == COLUMNS
    rows = {row[4]: row for row in main[1:]}
    assert modificatorio["title"] not in rows and len(main) == 3  # under its principal
    row = rows[coordinacion["title"]]
    assert row[:3] == ["2026", "01/01/2026", "31/03/2026"]
    assert row[3] == "De coordinación con el sector público"
    assert row[5] == "20/01/2026" and row[6] == "Dirección de Seguridad Pública"
    assert row[8] == coordinacion["objective"]
    assert row[9] == "Recursos federales; Recursos municipales"
    assert row[10] == (
        "Municipio de Tlalnepantla de Baz: $500,000.00 MXN de recursos municipales, para el "
        "mantenimiento. Secretaría de Seguridad y Protección Ciudadana: $2,000,000.00 MXN de "
        "recursos federales, para la adquisición de patrullas. Ampliación por el convenio "
        f"modificatorio {modificatorio['folio']}: Secretaría de Seguridad y Protección "
        "Ciudadana: $300,000.00 MXN de recursos federales, para equipo de radio. Total de "
        "recursos públicos: $2,800,000.00 MXN."
    )
    assert row[11:14] == ["15/01/2026", "31/12/2027", "26/01/2026"]
    assert row[16] == get_settings().transparency_responsible_areas and row[17] == "01/02/2026"
    assert "Publicado en el Diario Oficial de la Federación, número 18, el 26/01/2026." in row[18]
    assert (
        f"Modificado por el convenio modificatorio {modificatorio['folio']} (Primer convenio "
        "modificatorio), firmado el 30/01/2026." in row[18]
    )

    row = rows["'=Convenio de alumbrado"]  # never a formula in a spreadsheet
    assert row[3] == "De concertación con el sector privado"
    assert row[6] == "" and "No se designó una unidad administrativa" in row[18]
    assert row[9] == "Recursos privados"
    assert row[10] == "" and "no prevé la entrega de recursos públicos" in row[18]
    assert row[13] == "" and "no se ha publicado en el DOF ni en otro medio oficial" in row[18]
    assert concertacion["folio"] not in row[18]

    counterparts = _rows(
        client.get(
            f"{API}/reports/transparency",
            params={**period, "format": "counterparts.csv"},
            headers=keys.viewer,
        ).content
    )
    assert tuple(counterparts[0]) == COUNTERPART_COLUMNS
    named = {c[0]: c[-1] for c in counterparts[1:]}
    assert named[rows[coordinacion["title"]][7]] == "Secretaría de Seguridad y Protección Ciudadana"
    assert named[rows["'=Convenio de alumbrado"][7]] == "Luminarias del Valle, S.A. de C.V."

    xlsx = client.get(
        f"{API}/reports/transparency", params={**period, "format": "xlsx"}, headers=keys.viewer
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[0]
    assert "artículo 65, fracción XXXI" in str(sheet["A1"].value)
    assert tuple(cell.value for cell in sheet[2]) == COLUMNS
    assert sheet.max_row == 4

    bad = client.get(
        f"{API}/reports/transparency",
        params={"period_start": "2026-03-31", "period_end": "2026-01-01"},
        headers=keys.viewer,
    )
    assert bad.status_code == 422
