"""The transparency export (art. 70 fr. XXXIII): written as CSV and XLSX, then read back."""

import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from app.models.enums import AgreementKind, PartyKind
from app.reports import transparency as t
from app.reports.transparency import ConvenioRow, Counterpart, Export

# The 2015 numbering (the service takes it from CONVENIOS_TRANSPARENCY_LEGAL_REFERENCE).
LEGAL_REFERENCE = (
    "Ley General de Transparencia y Acceso a la Información Pública, artículo 70, fracción XXXIII"
)

PRIVADO, SOCIAL, COORDINACION, COLABORACION = t.TIPOS_DE_CONVENIO
INJECTED_TITLE = '=HYPERLINK("https://example.com/x","clic")'


def _export() -> Export:
    lights = ConvenioRow(
        folio="QRO-2026-001",
        tipo=t.tipo_de_convenio("concertacion", ["privado"]),
        title=INJECTED_TITLE,
        signed_on=date(2026, 2, 3),
        responsible_unit="Dirección de Servicios Públicos",
        counterparts=(Counterpart("", "José Ángel", "Muñoz", "Peña"),),
        objective="Mantenimiento del alumbrado público",
        resources_source="Recursos propios",
        resources="-1500 pesos de penalización",
        effective_date=date(2026, 2, 3),
        expiry_date=date(2026, 12, 31),
        publication_date=date(2026, 2, 20),
        document_url="https://municipio.gob.mx/convenios/001.pdf",
        modification_url=None,
    )
    water = ConvenioRow(
        folio="QRO-2026-002",
        tipo=t.tipo_de_convenio("coordinacion", ["estado", "academico_publico"]),
        title="Convenio de coordinación para el saneamiento del río Querétaro",
        signed_on=date(2026, 3, 9),
        responsible_unit="Secretaría de Obras Públicas",
        counterparts=(
            Counterpart("Gobierno del Estado de Querétaro"),
            Counterpart("Universidad Autónoma de Querétaro"),
        ),
        objective="Estudios de calidad del agua",
        resources_source="Federales",
        resources="$2,500,000.00",
        effective_date=date(2026, 3, 9),
        expiry_date=date(2027, 3, 8),
        publication_date=None,
        document_url="https://municipio.gob.mx/convenios/002.pdf",
        modification_url="https://municipio.gob.mx/convenios/002-mod.pdf",
        note="Publicación en la Gaceta pendiente",
    )
    pending = ConvenioRow(
        folio="QRO-2026-003",
        tipo=t.tipo_de_convenio("colaboracion", ["municipio"]),
        title="Colaboración intermunicipal en protección civil",
        signed_on=None,
        responsible_unit="Coordinación de Protección Civil",
        counterparts=(Counterpart("Municipio de Corregidora"),),
        objective="Atención conjunta de emergencias",
        resources_source="",
        resources="",
        effective_date=date(2026, 3, 15),
        expiry_date=None,
        publication_date=None,
        document_url=None,
        modification_url=None,
    )
    return Export(
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        rows=(lights, water, pending),
        legal_reference=LEGAL_REFERENCE,
        responsible_areas="Secretaría del Ayuntamiento; Unidad de Transparencia",
        updated_on=date(2026, 4, 10),
    )


def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _column(name: str) -> int:
    return t.COLUMNS.index(name)


@pytest.mark.parametrize(
    ("agreement_kind", "counterpart_kinds", "expected"),
    [
        ("concertacion", ["privado"], PRIVADO),
        ("coordinacion", ["estado", "privado"], PRIVADO),
        ("colaboracion", ["social", "municipio"], SOCIAL),
        ("concertacion", ["academico_privado"], SOCIAL),
        ("coordinacion", ["estado", "academico_publico"], COORDINACION),
        ("colaboracion", ["municipio"], COLABORACION),
        ("subsidiariedad", ["federacion"], COLABORACION),
        ("modificatorio", [], COLABORACION),
        (AgreementKind.ESPECIFICO, {PartyKind.INTERNACIONAL}, COLABORACION),
    ],
)
def test_tipo_de_convenio(agreement_kind: str, counterpart_kinds: list[str], expected: str) -> None:
    assert t.tipo_de_convenio(agreement_kind, counterpart_kinds) == expected


def test_tipo_rejects_unknown_kinds_and_knows_every_enum_value() -> None:
    with pytest.raises(ValueError, match="agreement kind"):
        t.tipo_de_convenio("convenio", [])
    with pytest.raises(ValueError, match="party kinds"):
        t.tipo_de_convenio("colaboracion", ["empresa"])
    assert {kind.value for kind in AgreementKind} == t.AGREEMENT_KINDS
    assert {kind.value for kind in PartyKind} == t.PARTY_KINDS
    with pytest.raises(ValueError, match="catalog"):
        ConvenioRow(**{**_export().rows[0].__dict__, "tipo": "De colaboración"})


def test_csv_main_table() -> None:
    data = t.to_csv(_export())
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 4 and b"\n" not in data.replace(b"\r\n", b"")
    header, lights, water, pending = _read_csv(data)
    assert tuple(header) == t.COLUMNS and len(t.COLUMNS) == 19
    for row in (lights, water, pending):
        assert len(row) == 19
        assert row[:3] == ["2026", "01/01/2026", "31/03/2026"]
        assert row[_column("Fecha de actualización")] == "10/04/2026"
    assert [row[3] for row in (lights, water, pending)] == [PRIVADO, COORDINACION, COLABORACION]
    assert lights[_column("Denominación del convenio")] == "'" + INJECTED_TITLE
    assert lights[_column("Descripción y/o monto de los recursos públicos entregados")] == (
        "'-1500 pesos de penalización"
    )
    assert lights[_column("Fecha de firma del convenio")] == "03/02/2026"
    assert water[_column("Término del periodo de vigencia del convenio")] == "08/03/2027"
    assert water[_column("Unidad Administrativa responsable seguimiento")] == (
        "Secretaría de Obras Públicas"
    )
    assert pending[_column("Fecha de firma del convenio")] == ""
    assert pending[_column("Término del periodo de vigencia del convenio")] == ""
    assert pending[_column("Hipervínculo al documento, en su caso, a la versión pública")] == ""


def test_counterparts_csv_links_by_id() -> None:
    export = _export()
    ids = [row[7] for row in _read_csv(t.to_csv(export))[1:]]
    header, *people = _read_csv(t.counterparts_csv(export))
    assert tuple(header) == t.COUNTERPART_COLUMNS
    by_id: dict[str, list[list[str]]] = {}
    for person in people:
        by_id.setdefault(person[0], []).append(person[1:])
    assert list(by_id) == ids == ["1", "2", "3"]
    assert by_id[ids[0]] == [["José Ángel", "Muñoz", "Peña", ""]]
    assert [p[3] for p in by_id[ids[1]]] == [
        "Gobierno del Estado de Querétaro",
        "Universidad Autónoma de Querétaro",
    ]
    assert by_id[ids[2]] == [["", "", "", "Municipio de Corregidora"]]


def test_table_csv_for_any_table() -> None:
    header = ("Parte", "Vencidas", "La más antigua")
    data = t.table_csv(header, [("@Peña", 2, date(2026, 1, 5))])
    assert _read_csv(data) == [list(header), ["'@Peña", "2", "05/01/2026"]]


def test_xlsx_round_trip() -> None:
    workbook = load_workbook(io.BytesIO(t.to_xlsx(_export())))
    assert workbook.sheetnames == ["Reporte de Formatos", "Tabla_personas", "Hidden_1"]
    sheet = workbook["Reporte de Formatos"]
    assert sheet["A1"].value == LEGAL_REFERENCE
    assert tuple(cell.value for cell in sheet[2]) == t.COLUMNS
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert len(rows) == 3
    for row in rows:
        assert row[:3] == [2026, datetime(2026, 1, 1), datetime(2026, 3, 31)]
    assert [row[3] for row in rows] == [PRIVADO, COORDINACION, COLABORACION]
    assert [row[7] for row in rows] == [1, 2, 3]
    assert sheet["F3"].value == datetime(2026, 2, 3)
    assert sheet["F3"].number_format == "DD/MM/YYYY" == sheet["B3"].number_format
    assert sheet["F5"].value is None and sheet["M5"].value is None and sheet["O5"].value is None
    assert sheet["E4"].value == "Convenio de coordinación para el saneamiento del río Querétaro"

    title = sheet["E3"]
    assert title.value == INJECTED_TITLE and title.data_type == "s" and title.quotePrefix

    (validation,) = sheet.data_validations.dataValidation
    assert validation.formula1 == "Hidden_1!$A$1:$A$4" and str(validation.sqref) == "D3:D5"

    people = workbook["Tabla_personas"]
    assert tuple(cell.value for cell in people[1]) == t.COUNTERPART_COLUMNS
    linked = [(row[0].value, row[4].value or row[1].value) for row in people.iter_rows(min_row=2)]
    assert linked == [
        (1, "José Ángel"),
        (2, "Gobierno del Estado de Querétaro"),
        (2, "Universidad Autónoma de Querétaro"),
        (3, "Municipio de Corregidora"),
    ]

    catalog = workbook["Hidden_1"]
    assert catalog.sheet_state == "hidden"
    assert tuple(row[0].value for row in catalog.iter_rows()) == t.TIPOS_DE_CONVENIO


def test_xlsx_is_deterministic() -> None:
    data = t.to_xlsx(_export())
    assert data == t.to_xlsx(_export())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 4, 10, 0, 0, 0)}
    properties = load_workbook(io.BytesIO(data)).properties
    assert properties.created == properties.modified == datetime(2026, 4, 10)
