"""HTTP routes for reports: expiring agreements, overdue obligations by party, counts, and the
transparency export — each as JSON or CSV (the export as CSV or XLSX)."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.auth.dependencies import Reader
from app.clock import Today
from app.config import get_settings
from app.db import SessionDep
from app.errors import Unprocessable, problem_responses
from app.models import Agreement
from app.models.enums import RenewalMode
from app.reports import convenio_rows, service, transparency
from app.schemas import Date, Id
from app.transparency import service as transparency_service

router = APIRouter(prefix="/reports", tags=["reports"], responses=problem_responses(401, 403, 422))

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


FormatQuery = Annotated[Format, Query(description="json, or csv (UTF-8, for spreadsheets).")]
_BOTH: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def _csv(body: bytes, name: str) -> Response:
    return Response(
        body, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class ExpiringAgreement(BaseModel):
    id: int
    folio: str
    title: str
    expiry_date: date
    days_left: int
    renewal_mode: RenewalMode
    parties: list[str]


@router.get("/expiring", response_model=list[ExpiringAgreement], responses=_BOTH)
def expiring_agreements(
    _: Reader,
    session: SessionDep,
    today: Today,
    within_days: Annotated[int, Query(ge=0, le=3650, description="Days from today.")] = 90,
    format: FormatQuery = Format.JSON,
) -> list[ExpiringAgreement] | Response:
    """Agreements in force that expire within N days, soonest first (at most 1,000)."""
    rows = [
        ExpiringAgreement(
            id=a.id,
            folio=a.folio,
            title=a.title,
            expiry_date=a.expiry_date,
            days_left=(a.expiry_date - today).days,
            renewal_mode=a.renewal_mode,
            parties=[link.party.name for link in a.parties],
        )
        for a in service.expiring(session, today=today, within_days=within_days)
        if a.expiry_date is not None
    ]
    if format is Format.CSV:
        return _csv(
            transparency.table_csv(
                ("Folio", "Convenio", "Vence", "Días restantes", "Renovación", "Partes"),
                [
                    (
                        r.folio,
                        r.title,
                        r.expiry_date,
                        r.days_left,
                        r.renewal_mode.value,
                        "; ".join(r.parties),
                    )
                    for r in rows
                ],
            ),
            f"convenios-por-vencer-{today.isoformat()}.csv",
        )
    return rows


class PartyOverdue(BaseModel):
    party_id: int
    party: str
    overdue: int
    oldest_due_date: date


@router.get("/overdue-obligations", response_model=list[PartyOverdue], responses=_BOTH)
def overdue_obligations(
    _: Reader, session: SessionDep, format: FormatQuery = Format.JSON
) -> list[PartyOverdue] | Response:
    """Overdue obligations by responsible party, most first."""
    rows = [PartyOverdue(**vars(row)) for row in service.overdue_by_party(session)]
    if format is Format.CSV:
        return _csv(
            transparency.table_csv(
                ("Parte", "Obligaciones vencidas", "La más antigua"),
                [(r.party, r.overdue, r.oldest_due_date) for r in rows],
            ),
            "obligaciones-vencidas.csv",
        )
    return rows


class AgreementCounts(BaseModel):
    by_status: dict[str, int]
    by_kind: dict[str, int]
    by_initiative: dict[str, int]
    by_topic: dict[str, int]


@router.get("/agreements", response_model=AgreementCounts, responses=_BOTH)
def agreement_counts(
    _: Reader, session: SessionDep, format: FormatQuery = Format.JSON
) -> AgreementCounts | Response:
    """How many agreements there are by status, kind, initiative and topic."""
    counts = AgreementCounts(**vars(service.counts(session)))
    if format is Format.CSV:
        rows = [
            (dimension, value, number)
            for dimension, table in (
                ("estado", counts.by_status),
                ("tipo", counts.by_kind),
                ("iniciativa", counts.by_initiative),
                ("tema", counts.by_topic),
            )
            for value, number in table.items()
        ]
        return _csv(
            transparency.table_csv(("Dimensión", "Valor", "Convenios"), rows),
            "convenios-por-categoria.csv",
        )
    return counts


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    COUNTERPARTS_CSV = "counterparts.csv"


@router.get(
    "/transparency",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, XLSX: {}},
            "description": "The table for the Plataforma Nacional de Transparencia.",
        }
    },
)
def transparency_export(
    _: Reader,
    session: SessionDep,
    today: Today,
    period_start: Annotated[Date, Query(description="First day of the period reported.")],
    period_end: Annotated[Date, Query(description="Last day of the period reported.")],
    party_id: Annotated[
        Id | None,
        Query(description="The sujeto obligado: its convenios, the others as counterparts."),
    ] = None,
    format: Annotated[ExportFormat, Query()] = ExportFormat.CSV,
) -> Response:
    """The convenios in force during a period, in the format a sujeto obligado publishes for
    its convenios de coordinación y de concertación (Ley General de Transparencia y Acceso a la
    Información Pública, DOF 20/03/2025, art. 65, fr. XXXI; a state whose own law differs sets
    `CONVENIOS_TRANSPARENCY_LEGAL_REFERENCE`): public fields only, every column filled from the
    data or explained in the note, each convenio modificatorio in its principal's row; as CSV
    (with the counterparts sub-table as `counterparts.csv`) or XLSX."""
    if period_end < period_start:
        raise Unprocessable.field("query.period_end", "is before period_start")
    settings = get_settings()
    convenios = service.for_transparency(
        session, start=period_start, end=period_end, party_id=party_id
    )
    # Which of them the public can read: one query for the whole period, not one per row.
    public = transparency_service.with_public_version(
        session,
        [a.id for principal, modifications in convenios for a in (principal, *modifications)],
    )

    def address(agreement: Agreement) -> str | None:
        if agreement.id not in public:
            return None
        return transparency_service.public_address(settings, agreement.folio)

    export = transparency.Export(
        period_start=period_start,
        period_end=period_end,
        rows=tuple(
            convenio_rows.row(
                principal,
                modifications,
                party_id=party_id,
                public_version_url=address(principal),
                # The newest modificatorio's versión pública that the public can read.
                modification_url=next(
                    (found for m in reversed(modifications) if (found := address(m))), None
                ),
            )
            for principal, modifications in convenios
        ),
        legal_reference=settings.transparency_legal_reference,
        responsible_areas=settings.transparency_responsible_areas,
        updated_on=today,
    )
    name = f"convenios-transparencia-{period_start.isoformat()}-{period_end.isoformat()}"
    if format is ExportFormat.XLSX:
        return Response(
            transparency.to_xlsx(export),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    if format is ExportFormat.COUNTERPARTS_CSV:
        return _csv(transparency.counterparts_csv(export), f"{name}-contrapartes.csv")
    return _csv(transparency.to_csv(export), f"{name}.csv")
