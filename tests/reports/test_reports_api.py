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
from tests.factories import API, agreement, agreement_payload, move, ok, party, representative


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


def test_the_transparency_export_opens_back(client: TestClient, keys: Keys, db: Session) -> None:
    municipio = party(client, keys.legal, kind="federacion", name="Secretaría de Bienestar")
    empresa = party(
        client,
        keys.legal,
        kind="privado",
        name="Constructora del Valle",
        legal_name="Constructora del Valle, S.A. de C.V.",
    )
    signers = [
        (municipio, representative(client, keys.legal, municipio["id"])),
        (empresa, representative(client, keys.legal, empresa["id"], full_name="Juan López")),
    ]
    created = ok(
        client.post(
            f"{API}/agreements",
            json=agreement_payload(
                signers, kind="concertacion", title="=Convenio de obra", **TERM_2026_2027
            ),
            headers=keys.legal,
        ),
        201,
    )
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    move(client, keys.legal, created["id"], "active", signed_on="2026-01-20")
    period = {"period_start": "2026-01-01", "period_end": "2026-03-31", "party_id": municipio["id"]}

    main = _rows(
        client.get(f"{API}/reports/transparency", params=period, headers=keys.viewer).content
    )
    assert tuple(main[0]) == COLUMNS
    row = next(r for r in main[1:] if r[4].endswith("Convenio de obra"))
    assert row[0] == "2026" and row[1] == "01/01/2026" and row[2] == "31/03/2026"
    assert row[3] == "De concertación con el sector privado"
    assert row[4] == "'=Convenio de obra"  # never a formula in a spreadsheet
    assert row[5] == "20/01/2026" and row[11] == "15/01/2026" and row[12] == "31/12/2027"
    counterparts = _rows(
        client.get(
            f"{API}/reports/transparency",
            params={**period, "format": "counterparts.csv"},
            headers=keys.viewer,
        ).content
    )
    assert tuple(counterparts[0]) == COUNTERPART_COLUMNS
    linked = [c for c in counterparts[1:] if c[0] == row[7]]
    assert [c[-1] for c in linked] == ["Constructora del Valle, S.A. de C.V."]

    xlsx = client.get(
        f"{API}/reports/transparency", params={**period, "format": "xlsx"}, headers=keys.viewer
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[0]
    assert "artículo 70, fracción XXXIII" in str(sheet["A1"].value)
    assert tuple(cell.value for cell in sheet[2]) == COLUMNS

    bad = client.get(
        f"{API}/reports/transparency",
        params={"period_start": "2026-03-31", "period_end": "2026-01-01"},
        headers=keys.viewer,
    )
    assert bad.status_code == 422
