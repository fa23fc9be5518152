"""From agreements to the rows of the transparency export: every column filled from the data,
and a note for each one the law lets stay empty (column by column: docs/transparencia.md).

A convenio modificatorio is not a row of its own: it is reported in its principal's row
(column 16, its sources and public resources, and the note), so the public resources a
modification adds are never counted as a second convenio.
"""

from collections.abc import Sequence
from decimal import Decimal

from app.documents.formatting import amount_in_figures
from app.models import Agreement, Party, Publication
from app.models.enums import PUBLIC_FUND_SOURCES, FundSource, PublicationMedium
from app.reports.transparency import ConvenioRow, Counterpart, tipo_de_convenio

SOURCES = {
    FundSource.FEDERAL: "Recursos federales",
    FundSource.ESTATAL: "Recursos estatales",
    FundSource.MUNICIPAL: "Recursos municipales",
    FundSource.PROPIOS: "Recursos propios",
    FundSource.PRIVADOS: "Recursos privados",
}
_SOURCE_WORDS = {
    FundSource.FEDERAL: "recursos federales",
    FundSource.ESTATAL: "recursos estatales",
    FundSource.MUNICIPAL: "recursos municipales",
    FundSource.PROPIOS: "recursos propios",
}
MEDIA = {
    PublicationMedium.DOF: "el Diario Oficial de la Federación",
    PublicationMedium.PERIODICO_OFICIAL: "el Periódico Oficial del Estado",
    PublicationMedium.GACETA_MUNICIPAL: "la Gaceta Municipal",
}


def _day(value: object) -> str:
    return f"{value:%d/%m/%Y}"


def _sources(agreements: Sequence[Agreement]) -> str:
    found = {
        FundSource(contribution["source"])
        for agreement in agreements
        for link in agreement.parties
        for contribution in link.contributions
    }
    return "; ".join(label for source, label in SOURCES.items() if source in found)


def _public_resources(agreement: Agreement) -> tuple[list[str], Decimal]:
    """Each public contribution in a sentence — who, how much, of which funds, for what — and
    their sum. Private money is a source (column 10), never a public resource (column 11)."""
    lines, total = [], Decimal(0)
    currency = agreement.currency or "MXN"
    for link in agreement.parties:
        name = link.party.legal_name or link.party.name
        for contribution in link.contributions:
            source = FundSource(contribution["source"])
            if source not in PUBLIC_FUND_SOURCES:
                continue
            money = Decimal(contribution["amount"])
            total += money
            lines.append(
                f"{name}: {amount_in_figures(money, currency)} {currency} de "
                f"{_SOURCE_WORDS[source]}, para {contribution['purpose'].rstrip('.')}"
            )
    return lines, total


def _resources(principal: Agreement, modifications: Sequence[Agreement]) -> str:
    lines, total = _public_resources(principal)
    text = lines[:]
    for modification in modifications:
        added, more = _public_resources(modification)
        total += more
        text += [
            f"Ampliación por el convenio modificatorio {modification.folio}: {line}"
            for line in added
        ]
    if not text:
        return ""
    currency = principal.currency or "MXN"
    if len(text) > 1:
        text.append(f"Total de recursos públicos: {amount_in_figures(total, currency)} {currency}")
    return ". ".join(text) + "."


def _published(publication: Publication) -> str:
    medium = publication.medium_name or MEDIA[publication.medium]
    number = f", número {publication.number}," if publication.number else ""
    return f"en {medium}{number} el {_day(publication.published_on)}"


def _counterparts(agreement: Agreement, party_id: int | None) -> tuple[Party, ...]:
    return tuple(link.party for link in agreement.parties if link.party_id != party_id)


def row(
    principal: Agreement,
    modifications: Sequence[Agreement],
    *,
    party_id: int | None,
    public_version_url: str | None,
    modification_url: str | None,
) -> ConvenioRow:
    """The row of ``principal``, with the convenios modificatorios signed by the period's end.

    ``party_id`` is the sujeto obligado whose report it is: the others are its counterparts.
    The links are the public addresses of the versiones públicas, if they exist."""
    counterparts = _counterparts(principal, party_id)
    notes = []
    if principal.follow_up_unit is None:
        notes.append("No se designó una unidad administrativa responsable del seguimiento.")
    sources = _sources([principal, *modifications])
    if not sources:
        notes.append("El convenio no prevé la aportación de recursos por las partes.")
    resources = _resources(principal, modifications)
    if sources and not resources:
        notes.append("El convenio no prevé la entrega de recursos públicos.")
    publication = principal.publications[0] if principal.publications else None
    if publication is None:
        notes.append("El convenio no se ha publicado en el DOF ni en otro medio oficial.")
    else:
        notes.append(f"Publicado {_published(publication)}.")
    if public_version_url is None:
        notes.append("La versión pública del convenio aún no se ha publicado.")
    for modification in modifications:
        signed = f", firmado el {_day(modification.signed_on)}" if modification.signed_on else ""
        published = (
            f" y publicado {_published(modification.publications[0])}"
            if modification.publications
            else ""
        )
        notes.append(
            f"Modificado por el convenio modificatorio {modification.folio} "
            f"({modification.title}){signed}{published}."
        )
    if modifications and modification_url is None:
        notes.append("La versión pública del convenio modificatorio aún no se ha publicado.")
    return ConvenioRow(
        folio=principal.folio,
        tipo=tipo_de_convenio(principal.kind.value, [party.kind.value for party in counterparts]),
        title=principal.title,
        signed_on=principal.signed_on,
        responsible_unit=principal.follow_up_unit or "",
        counterparts=tuple(
            Counterpart(organisation=party.legal_name or party.name) for party in counterparts
        ),
        objective=principal.objective,
        resources_source=sources,
        resources=resources,
        effective_date=principal.effective_date,
        expiry_date=principal.expiry_date,
        publication_date=publication.published_on if publication else None,
        document_url=public_version_url,
        modification_url=modification_url,
        note=" ".join(notes),
    )
