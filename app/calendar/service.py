"""Calendar feeds: created with a secret shown once, revoked at will, and the dates they carry —
expiry dates and renewal notice deadlines of agreements in force, and open obligations' due
dates — for every agreement or for one party."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import service as audit
from app.auth.principal import Principal
from app.calendar.ics import CalendarEntry
from app.config import API_PREFIX
from app.errors import Conflict, NotFound, Unprocessable
from app.models import Agreement, AgreementParty, CalendarFeed, Obligation, Party
from app.models.enums import OPEN_OBLIGATIONS, AgreementStatus, ObligationStatus, RenewalMode

# A feed is read by calendar programs every few hours: enough for years of dates.
MAX_ENTRIES = 5000


def _hash(secret: str) -> str:
    # 256 random bits: a fast hash suffices, there is nothing to guess.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewFeed:
    feed: CalendarFeed
    secret: str


def create_feed(*, session: Session, name: str, party_id: int | None, actor: Principal) -> NewFeed:
    if party_id is not None and session.get(Party, party_id) is None:
        raise Unprocessable.field("body.party_id", "no such party")
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        name=name, party_id=party_id, secret_hash=_hash(secret), created_by=actor.as_actor()
    )
    session.add(feed)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar_feed.created",
        entity=("calendar_feed", feed.id),
        changes={"name": [None, name], "party_id": [None, party_id]},
    )
    return NewFeed(feed, secret)


def revoke_feed(*, session: Session, feed_id: int, actor: Principal) -> None:
    feed = session.get(CalendarFeed, feed_id, with_for_update=True)
    if feed is None:
        raise NotFound(f"Calendar feed {feed_id} does not exist.")
    if feed.revoked_at is not None:
        raise Conflict(f"Calendar feed {feed_id} was already revoked.")
    feed.revoked_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar_feed.revoked",
        entity=("calendar_feed", feed.id),
        changes={"revoked_at": [None, feed.revoked_at.isoformat()]},
    )


def by_secret(session: Session, secret: str) -> CalendarFeed:
    """The live feed whose address holds ``secret``; 404 for any other, revoked included."""
    feed = session.scalars(
        select(CalendarFeed).where(CalendarFeed.secret_hash == _hash(secret))
    ).one_or_none()
    if feed is None or feed.revoked_at is not None:
        raise NotFound("No calendar feed has this address (it may have been revoked).")
    return feed


def feeds(session: Session, *, after: int | None, limit: int) -> Sequence[CalendarFeed]:
    query = select(CalendarFeed).order_by(CalendarFeed.id).limit(limit)
    if after is not None:
        query = query.where(CalendarFeed.id > after)
    return session.scalars(query).all()


def entries(session: Session, feed: CalendarFeed, public_url: str) -> list[CalendarEntry]:
    """The feed's dates: agreements in force (expiry, renewal notice) and open obligations."""
    query = select(Agreement).where(
        Agreement.status == AgreementStatus.ACTIVE, Agreement.expiry_date.is_not(None)
    )
    if feed.party_id is not None:
        query = query.where(
            exists().where(
                AgreementParty.agreement_id == Agreement.id,
                AgreementParty.party_id == feed.party_id,
            )
        )
    found: list[CalendarEntry] = []
    for agreement in session.scalars(query.order_by(Agreement.id).limit(MAX_ENTRIES)):
        found.extend(_agreement_dates(agreement, public_url))
    obligations = (
        select(Obligation, Agreement.folio)
        .join(Agreement, Agreement.id == Obligation.agreement_id)
        .where(Obligation.status.in_(OPEN_OBLIGATIONS), Agreement.status == AgreementStatus.ACTIVE)
    )
    if feed.party_id is not None:
        obligations = obligations.where(Obligation.party_id == feed.party_id)
    names = {party.id: party.name for party in session.scalars(select(Party))}
    for obligation, folio in session.execute(
        obligations.order_by(Obligation.due_date, Obligation.id).limit(MAX_ENTRIES)
    ):
        found.append(_obligation_date(obligation, folio, names, public_url))
    return found[:MAX_ENTRIES]


def _agreement_dates(agreement: Agreement, public_url: str) -> list[CalendarEntry]:
    assert agreement.expiry_date is not None
    url = f"{public_url}{API_PREFIX}/agreements/{agreement.id}"
    dates = [
        CalendarEntry(
            uid=f"agreement-{agreement.id}-expiry@convenios",
            day=agreement.expiry_date,
            summary=f"Vence el convenio {agreement.folio}",
            description=f"{agreement.title}\nÚltimo día de vigencia del convenio "
            f"{agreement.folio}.",
            url=url,
            categories=("Vencimiento",),
        )
    ]
    notice = agreement.renewal_notice_days
    if notice and agreement.renewal_mode is not RenewalMode.NONE:
        what = (
            "avisar por escrito si no se desea la renovación automática"
            if agreement.renewal_mode is RenewalMode.AUTOMATIC
            else "acordar por escrito la renovación"
        )
        dates.append(
            CalendarEntry(
                uid=f"agreement-{agreement.id}-renewal-notice@convenios",
                day=agreement.expiry_date - timedelta(days=notice),
                summary=f"Aviso de renovación del convenio {agreement.folio}",
                description=f"{agreement.title}\nÚltimo día para {what} ({notice} días antes "
                "del vencimiento).",
                url=url,
                categories=("Renovación",),
            )
        )
    return dates


def _obligation_date(
    obligation: Obligation, folio: str, names: dict[int, str], public_url: str
) -> CalendarEntry:
    clause = f", cláusula {obligation.clause}" if obligation.clause else ""
    party = names.get(obligation.party_id, "")
    late = " (vencida)" if obligation.status is ObligationStatus.OVERDUE else ""
    return CalendarEntry(
        uid=f"obligation-{obligation.id}@convenios",
        day=obligation.due_date,
        summary=f"{folio}: {obligation.description[:80]}{late}",
        description=f"{obligation.description}\nResponsable: {party}\nConvenio {folio}{clause}.",
        url=f"{public_url}{API_PREFIX}/obligations/{obligation.id}",
        categories=("Obligación",),
    )
