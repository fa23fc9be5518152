"""The transparency export of convenios: the Plataforma Nacional de Transparencia (SIPOT) format
of the Ley General de Transparencia y Acceso a la Información Pública (DOF 20/03/2025),
artículo 65, fracción XXXI (the 2015 law's art. 70, fr. XXXIII), as CSV and XLSX.

Pure: it turns plain rows into bytes; reading the database and serving the files is the caller's
job. Text cells that a spreadsheet would run as a formula are neutralised (CSV: a leading
apostrophe; XLSX: stored as a quoted string, never as a formula).
"""

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from app.models.enums import PartyKind

TIPOS_DE_CONVENIO: tuple[str, ...] = (
    "De concertación con el sector privado",
    "De concertación con el sector social",
    "De coordinación con el sector público",
    "De colaboración con el sector público",
)
PRIVADO, SOCIAL, COORDINACION, COLABORACION = TIPOS_DE_CONVENIO
AGREEMENT_KINDS = frozenset(
    {
        "colaboracion",
        "coordinacion",
        "concertacion",
        "subsidiariedad",
        "especifico",
        "modificatorio",
    }
)
PARTY_KINDS = frozenset(kind.value for kind in PartyKind)
COLUMNS: tuple[str, ...] = (
    "Ejercicio",
    "Fecha de inicio del periodo que se informa",
    "Fecha de término del periodo que se informa",
    "Tipo de convenio (catálogo)",
    "Denominación del convenio",
    "Fecha de firma del convenio",
    "Unidad Administrativa responsable seguimiento",
    "Persona(s) con quien se celebra el convenio",
    "Objetivo(s) del convenio",
    "Fuente de los recursos que se emplearán",
    "Descripción y/o monto de los recursos públicos entregados",
    "Inicio del periodo de vigencia del convenio",
    "Término del periodo de vigencia del convenio",
    "Fecha de publicación en DOF u otro medio oficial",
    "Hipervínculo al documento, en su caso, a la versión pública",
    "Hipervínculo al documento con modificaciones, en su caso",
    "Área(s) responsable(s) que genera(n), posee(n), publica(n) y actualizan la información",
    "Fecha de actualización",
    "Nota",
)
COUNTERPART_COLUMNS: tuple[str, ...] = (
    "ID",
    "Nombre(s) con quien se celebra el convenio",
    "Primer apellido con quien se celebra el convenio",
    "Segundo apellido con quien se celebra el convenio",
    "Denominación o razón social con quien se celebra",
)
MAIN_SHEET, COUNTERPART_SHEET, CATALOG_SHEET = "Reporte de Formatos", "Tabla_personas", "Hidden_1"
DATE_FORMAT = "DD/MM/YYYY"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | date | None


@dataclass(frozen=True)
class Counterpart:
    """One row of the counterparts sub-table; the names are blank for organisations."""

    organisation: str
    given_names: str = ""
    first_surname: str = ""
    second_surname: str = ""


@dataclass(frozen=True)
class ConvenioRow:
    """One convenio, public fields only."""

    folio: str
    tipo: str
    title: str
    signed_on: date | None
    responsible_unit: str
    counterparts: tuple[Counterpart, ...]
    objective: str
    resources_source: str
    resources: str
    effective_date: date
    expiry_date: date | None
    publication_date: date | None
    document_url: str | None
    modification_url: str | None
    note: str = ""

    def __post_init__(self) -> None:
        if self.tipo not in TIPOS_DE_CONVENIO:
            raise ValueError(f"{self.folio}: tipo {self.tipo!r} is not in the catalog")


@dataclass(frozen=True)
class Export:
    """One report: the convenios of a period (Ejercicio = the year the period starts)."""

    period_start: date
    period_end: date
    rows: tuple[ConvenioRow, ...]
    legal_reference: str
    responsible_areas: str
    updated_on: date

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValueError("the period ends before it starts")


def tipo_de_convenio(agreement_kind: str, counterpart_kinds: Collection[str]) -> str:
    """The catalog value of a convenio, from its kind and the kinds of its counterparts.

    The first rule that applies wins:
    1. any counterpart "privado" -> "De concertación con el sector privado";
    2. any counterpart "social" -> "De concertación con el sector social";
    3. agreement kind "concertacion" -> "De concertación con el sector social";
    4. agreement kind "coordinacion" -> "De coordinación con el sector público";
    5. anything else -> "De colaboración con el sector público".
    Unknown agreement or party kinds raise ValueError rather than fall through silently.
    """
    if agreement_kind not in AGREEMENT_KINDS:
        raise ValueError(f"unknown agreement kind {agreement_kind!r}")
    if unknown := set(counterpart_kinds) - PARTY_KINDS:
        raise ValueError(f"unknown party kinds {sorted(unknown)}")
    if "privado" in counterpart_kinds:
        return PRIVADO
    if "social" in counterpart_kinds or agreement_kind == "concertacion":
        return SOCIAL
    return COORDINACION if agreement_kind == "coordinacion" else COLABORACION


def _counterparts_id(index: int, row: ConvenioRow) -> int | None:
    """The ID linking a convenio to its rows of the sub-table (its 1-based position)."""
    return index + 1 if row.counterparts else None


def _main_rows(export: Export) -> list[tuple[Cell, ...]]:
    """The 19 columns of each convenio, in the order of COLUMNS."""
    start, end = export.period_start, export.period_end
    return [
        (
            start.year,
            start,
            end,
            row.tipo,
            row.title,
            row.signed_on,
            row.responsible_unit,
            _counterparts_id(index, row),
            row.objective,
            row.resources_source,
            row.resources,
            row.effective_date,
            row.expiry_date,
            row.publication_date,
            row.document_url,
            row.modification_url,
            export.responsible_areas,
            export.updated_on,
            row.note,
        )
        for index, row in enumerate(export.rows)
    ]


def _counterpart_rows(export: Export) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for index, row in enumerate(export.rows):
        key = _counterparts_id(index, row)
        for c in row.counterparts:
            rows.append((key, c.given_names, c.first_surname, c.second_surname, c.organisation))
    return rows


def _is_formula_like(value: Cell) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_STARTS)


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return f"'{value}" if _is_formula_like(value) else str(value)


def table_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """Any table as this module writes CSV: UTF-8 with BOM, CRLF, dd/mm/yyyy, injection-safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_text(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_csv(export: Export) -> bytes:
    """The main table: UTF-8 with BOM, CRLF, dates dd/mm/yyyy, empty cells for None."""
    return table_csv(COLUMNS, _main_rows(export))


def counterparts_csv(export: Export) -> bytes:
    """The counterparts sub-table, ID first, in the same encoding as to_csv."""
    return table_csv(COUNTERPART_COLUMNS, _counterpart_rows(export))


def _append(sheet: Any, rows: Iterable[Sequence[Cell]]) -> None:
    for values in rows:
        sheet.append(list(values))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif _is_formula_like(cell.value):  # openpyxl took it for a formula
                cell.data_type, cell.quotePrefix = "s", True


def to_xlsx(export: Export) -> bytes:
    """The workbook as SIPOT lays it out: the report, the counterparts and the hidden catalog.

    The bytes are deterministic: document properties and zip timestamps are export.updated_on.
    """
    # Imported by the request that asks for a workbook: openpyxl (with lxml and Pillow) would
    # add some 12 MB to every API process that never writes one.
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.worksheet.datavalidation import (  # type: ignore[import-untyped, unused-ignore]
        DataValidation,
    )
    from openpyxl.xml.functions import tostring  # type: ignore[import-untyped, unused-ignore]

    workbook = Workbook()
    main = workbook.active
    main.title = MAIN_SHEET
    _append(main, [[export.legal_reference], COLUMNS])
    _append(main, _main_rows(export))
    _append(workbook.create_sheet(COUNTERPART_SHEET), [COUNTERPART_COLUMNS])
    _append(workbook[COUNTERPART_SHEET], _counterpart_rows(export))
    catalog = workbook.create_sheet(CATALOG_SHEET)
    _append(catalog, [[tipo] for tipo in TIPOS_DE_CONVENIO])
    catalog.sheet_state = "hidden"
    if export.rows:
        validation = DataValidation(
            type="list", formula1=f"{CATALOG_SHEET}!$A$1:$A${len(TIPOS_DE_CONVENIO)}"
        )
        validation.add(f"D3:D{len(export.rows) + 2}")
        main.add_data_validation(validation)

    stamp = datetime.combine(export.updated_on, time())
    raw = io.BytesIO()
    workbook.save(raw)  # stamps "modified" with the clock; both are rewritten below
    workbook.properties.created = workbook.properties.modified = stamp
    core = tostring(workbook.properties.to_tree())
    out = io.BytesIO()
    with ZipFile(raw) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = ZipInfo(info.filename, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
            data = core if info.filename == "docProps/core.xml" else source.read(info)
            target.writestr(entry, data, compress_type=ZIP_DEFLATED)
    return out.getvalue()
