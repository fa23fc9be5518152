"""Figures for dashboards: agreements expiring soon, overdue obligations by party, counts by
status, kind, initiative and topic; and the rows of the transparency export."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Agreement, AgreementParty, AgreementTopic, Obligation, Party
from app.models.enums import SIGNED_STATUSES, AgreementKind, AgreementStatus, ObligationStatus

# Report lists are bounded like every other list.
MAX_ROWS = 1000


def expiring(session: Session, *, today: date, within_days: int) -> Sequence[Agreement]:
    """Agreements in force whose expiry date falls within ``within_days`` days, soonest first."""
    until = today + timedelta(days=within_days)
    query = (
        select(Agreement)
        .where(
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.expiry_date.is_not(None),
            Agreement.expiry_date >= today,
            Agreement.expiry_date <= until,
        )
        .order_by(Agreement.expiry_date, Agreement.id)
        .limit(MAX_ROWS)
        .options(selectinload(Agreement.parties).selectinload(AgreementParty.party))
    )
    return session.scalars(query).all()


@dataclass(frozen=True)
class OverdueByParty:
    party_id: int
    party: str
    overdue: int
    oldest_due_date: date


def overdue_by_party(session: Session) -> list[OverdueByParty]:
    query = (
        select(
            Party.id,
            Party.name,
            func.count(Obligation.id),
            func.min(Obligation.due_date),
        )
        .join(Obligation, Obligation.party_id == Party.id)
        .where(Obligation.status == ObligationStatus.OVERDUE)
        .group_by(Party.id, Party.name)
        .order_by(func.count(Obligation.id).desc(), Party.id)
        .limit(MAX_ROWS)
    )
    return [OverdueByParty(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class Counts:
    by_status: dict[str, int]
    by_kind: dict[str, int]
    by_initiative: dict[str, int]
    by_topic: dict[str, int]


def counts(session: Session) -> Counts:
    def grouped(column: Any) -> dict[str, int]:
        query = select(column, func.count(Agreement.id)).group_by(column).order_by(column)
        return {
            "none" if key is None else str(getattr(key, "value", key)): number
            for key, number in session.execute(query)
        }

    topics = select(AgreementTopic.topic, func.count()).group_by(AgreementTopic.topic)
    return Counts(
        by_status=grouped(Agreement.status),
        by_kind=grouped(Agreement.kind),
        by_initiative=grouped(Agreement.initiative),
        by_topic={topic: number for topic, number in session.execute(topics.order_by("topic"))},
    )


def _loaded(query: Any) -> Any:
    return query.options(
        selectinload(Agreement.parties).selectinload(AgreementParty.party),
        selectinload(Agreement.publications),
    )


def for_transparency(
    session: Session, *, start: date, end: date, party_id: int | None
) -> list[tuple[Agreement, list[Agreement]]]:
    """Signed convenios in force at some time in the period (start..end), oldest first, each
    with the convenios modificatorios that amend it (or amend one of those) signed by the
    period's end, in the order they were signed; only those ``party_id`` takes part in, when
    given. A modificatorio is reported with its principal, never as a convenio of its own."""
    query = (
        select(Agreement)
        .where(
            Agreement.status.in_(SIGNED_STATUSES),
            Agreement.kind != AgreementKind.MODIFICATORIO,
            Agreement.effective_date <= end,
            (Agreement.expiry_date.is_(None)) | (Agreement.expiry_date >= start),
        )
        .order_by(Agreement.effective_date, Agreement.id)
        .limit(MAX_ROWS)
    )
    if party_id is not None:
        query = query.where(
            Agreement.id.in_(
                select(AgreementParty.agreement_id).where(AgreementParty.party_id == party_id)
            )
        )
    principals = list(session.scalars(_loaded(query)).all())
    root = {principal.id: principal.id for principal in principals}
    modifications: dict[int, list[Agreement]] = {principal.id: [] for principal in principals}
    parents = set(root)
    while parents:
        children = session.scalars(
            _loaded(
                select(Agreement).where(
                    Agreement.parent_id.in_(parents),
                    Agreement.kind == AgreementKind.MODIFICATORIO,
                    Agreement.status.in_(SIGNED_STATUSES),
                    Agreement.signed_on <= end,
                )
            )
        ).all()
        for child in children:
            principal_id = root[child.parent_id or 0]
            root[child.id] = principal_id
            modifications[principal_id].append(child)
        parents = {child.id for child in children} - parents
    for amended in modifications.values():
        amended.sort(key=lambda m: (m.signed_on, m.id))
    return [(principal, modifications[principal.id]) for principal in principals]
