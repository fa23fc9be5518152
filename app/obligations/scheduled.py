"""The sweep: overdue obligations, expired and renewed agreements, reminders, the constancias
de firmas still missing, and reminders to sign.

It runs from `convenios sweep` and periodically inside `convenios serve`, with "today" passed in
(tests drive it with any date). It is idempotent: every change is decided on rows locked and
read afresh, so a second run — or two at once — finds nothing left to change, and every
reminder carries a key that the database keeps unique, so none is written twice. The
constancias are rendered after its transaction, never inside it (`issue_constancias`).
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import anyio
from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.orm import Session

from app import periodic
from app.agreements import service as agreements
from app.agreements.schemas import TransitionRequest
from app.audit import service as audit
from app.auth.principal import Principal, operator
from app.clock import today
from app.config import Settings
from app.db import Writes, session_factory
from app.documents.runners import get_storage, render_runner
from app.events.service import emit
from app.invitations.reminders import forget_stale_preparations, send_reminders
from app.models import Agreement, Obligation
from app.models.base import touch
from app.models.enums import AgreementStatus, EventType, ObligationStatus, RenewalMode
from app.obligations.recurrence import add_months
from app.obligations.service import event_payload
from app.signatures import constancia

logger = logging.getLogger("convenios")


@dataclass
class SweepReport:
    overdue: int = 0
    expired: int = 0
    renewed: int = 0
    reminders: int = 0
    constancias: int = 0
    invitation_reminders: int = 0
    problems: list[str] = field(default_factory=list)


def _lead(days_left: int, leads: list[int]) -> int | None:
    """The reminder due ``days_left`` days ahead: the smallest lead time it is within (a sweep
    that missed a day still reminds, once, with the lead it is now in)."""
    within = [lead for lead in leads if 0 <= days_left <= lead]
    return min(within) if within else None


def _locked_agreements(session: Session, *where: ColumnElement[bool]) -> list[Agreement]:
    query = select(Agreement).where(*where).order_by(Agreement.id).with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)).all())


def sweep(session: Session, *, today: date, settings: Settings) -> SweepReport:
    """Everything that is due on ``today``, in the caller's transaction."""
    actor = operator("sweep")
    report = SweepReport()
    _expire_or_renew(session, today, actor, report)
    _overdue(session, today, actor, report)
    _remind(session, today, settings, report)
    return report


def _expire_or_renew(session: Session, today: date, actor: Principal, report: SweepReport) -> None:
    past = _locked_agreements(
        session,
        Agreement.status == AgreementStatus.ACTIVE,
        Agreement.expiry_date.is_not(None),
        Agreement.expiry_date < today,
    )
    for row in past:
        assert row.expiry_date is not None
        if row.renewal_mode is RenewalMode.AUTOMATIC and row.renewal_months:
            _renew(session, row, today, actor)
            report.renewed += 1
            continue
        agreement = agreements.get_agreement(session, row.id, actor, for_update=True)
        agreements.transition(
            session=session,
            agreement=agreement,
            request=TransitionRequest(to=AgreementStatus.EXPIRED),
            actor=actor,
            today=today,
        )
        emit(
            session,
            EventType.AGREEMENT_EXPIRED,
            agreement_id=agreement.id,
            payload={"folio": agreement.folio, "expiry_date": agreement.expiry_date},
            dedupe_key=f"agreement.expired:{agreement.id}:{agreement.expiry_date}",
        )
        report.expired += 1


def _renew(session: Session, agreement: Agreement, today: date, actor: Principal) -> None:
    """Move the expiry date on by the renewal period, as often as it takes to pass today (a
    service that was down for a whole period still renews once per period)."""
    assert agreement.expiry_date is not None and agreement.renewal_months
    old = agreement.expiry_date
    periods = 0
    new = old
    while new < today:
        periods += 1
        new = add_months(old, periods * agreement.renewal_months)
    agreement.expiry_date = new
    touch(agreement)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agreement.renewed",
        entity=("agreement", agreement.id),
        agreement_id=agreement.id,
        changes={"expiry_date": [old.isoformat(), new.isoformat()], "periods": [None, periods]},
    )
    emit(
        session,
        EventType.AGREEMENT_RENEWED,
        agreement_id=agreement.id,
        payload={"folio": agreement.folio, "previous_expiry_date": old, "expiry_date": new},
        dedupe_key=f"agreement.renewed:{agreement.id}:{old}",
    )


def _overdue(session: Session, today: date, actor: Principal, report: SweepReport) -> None:
    query = (
        select(Obligation)
        .join(Agreement, Agreement.id == Obligation.agreement_id)
        .where(
            Obligation.status == ObligationStatus.PENDING,
            Obligation.due_date < today,
            Agreement.status == AgreementStatus.ACTIVE,
        )
        .order_by(Obligation.id)
        .with_for_update(of=Obligation)
        .execution_options(populate_existing=True)
    )
    for obligation in session.scalars(query).all():
        obligation.status = ObligationStatus.OVERDUE
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="obligation.overdue",
            entity=("obligation", obligation.id),
            agreement_id=obligation.agreement_id,
            changes={"status": [ObligationStatus.PENDING.value, ObligationStatus.OVERDUE.value]},
        )
        emit(
            session,
            EventType.OBLIGATION_OVERDUE,
            agreement_id=obligation.agreement_id,
            payload=event_payload(obligation),
            dedupe_key=f"obligation.overdue:{obligation.id}:{obligation.due_date}",
        )
        report.overdue += 1


def _remind(session: Session, today: date, settings: Settings, report: SweepReport) -> None:
    active = session.scalars(
        select(Agreement).where(
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.expiry_date.is_not(None),
            Agreement.expiry_date >= today,
        )
    ).all()
    for agreement in active:
        assert agreement.expiry_date is not None
        days_left = (agreement.expiry_date - today).days
        lead = _lead(days_left, settings.expiry_reminder_days)
        if lead is not None and emit(
            session,
            EventType.AGREEMENT_EXPIRING,
            agreement_id=agreement.id,
            payload={
                "folio": agreement.folio,
                "title": agreement.title,
                "expiry_date": agreement.expiry_date,
                "days_left": days_left,
                "renewal_mode": agreement.renewal_mode.value,
            },
            dedupe_key=f"agreement.expiring:{agreement.id}:{agreement.expiry_date}:{lead}",
        ):
            report.reminders += 1
    due = session.scalars(
        select(Obligation)
        .join(Agreement, Agreement.id == Obligation.agreement_id)
        .where(
            Obligation.status == ObligationStatus.PENDING,
            Obligation.due_date >= today,
            Agreement.status == AgreementStatus.ACTIVE,
        )
    ).all()
    for obligation in due:
        days_left = (obligation.due_date - today).days
        lead = _lead(days_left, settings.obligation_reminder_days)
        if lead is not None and emit(
            session,
            EventType.OBLIGATION_DUE_SOON,
            agreement_id=obligation.agreement_id,
            payload=event_payload(obligation, days_left=days_left),
            dedupe_key=f"obligation.due_soon:{obligation.id}:{obligation.due_date}:{lead}",
        ):
            report.reminders += 1


def issue_constancias(engine: Engine, settings: Settings) -> int:
    """The constancias de firmas missing (`constancia.issue_missing`), a bounded number per
    sweep: each rendered with no transaction open, then recorded in a short one."""
    return constancia.issue_missing(
        session_factory(engine, write=False),
        Writes(session_factory(engine, write=True)),
        actor=operator("sweep"),
        settings=settings,
        storage=get_storage(settings),
        # The pool only when there is something to render: most sweeps have nothing.
        render=lambda job: render_runner()(job),
    )


def after_sweep(engine: Engine, settings: Settings, report: SweepReport) -> None:
    """What follows the sweep's transaction, each step in short transactions of its own: the
    constancias missing, and reminders to sign with new links (emails wait on no lock)."""
    report.constancias = issue_constancias(engine, settings)
    writes = session_factory(engine, write=True)
    report.invitation_reminders = send_reminders(writes, settings)
    forget_stale_preparations(writes)


def sweep_now(engine: Engine, settings: Settings) -> SweepReport:
    """One sweep for today, in its own transaction; then what follows it."""
    with session_factory(engine, write=True)() as session, session.begin():
        report = sweep(session, today=today(), settings=settings)
    after_sweep(engine, settings, report)
    return report


def sweep_if_due(engine: Engine, settings: Settings) -> SweepReport | None:
    """The sweep, if no process (another replica, a worker) has run it this period."""
    period = timedelta(minutes=settings.sweep_interval_minutes)
    if not periodic.claim(session_factory(engine, write=True), "sweep", period):
        return None
    return sweep_now(engine, settings)


async def sweep_periodically(engine: Engine, settings: Settings) -> None:
    """Inside `convenios serve`: sweep at start-up and then every `sweep_interval_minutes`,
    once per period across all the replicas. A failed sweep is logged and tried again next
    time; it never stops the server."""
    while True:
        try:
            report = await anyio.to_thread.run_sync(sweep_if_due, engine, settings)
            if report is None:
                await anyio.sleep(settings.sweep_interval_minutes * 60)
                continue
            logger.info(
                "sweep: %d overdue, %d expired, %d renewed, %d reminders, %d constancias, "
                "%d reminders to sign",
                report.overdue,
                report.expired,
                report.renewed,
                report.reminders,
                report.constancias,
                report.invitation_reminders,
            )
        except Exception:
            logger.exception(
                "sweep failed; trying again in %d minutes", settings.sweep_interval_minutes
            )
        await anyio.sleep(settings.sweep_interval_minutes * 60)
