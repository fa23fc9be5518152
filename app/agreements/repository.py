"""Queries on agreements; every query a signatory makes goes through `visible_to`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Exists,
    Integer,
    Select,
    bindparam,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, load_only, selectinload

from app.agreements import search
from app.auth.principal import Principal
from app.models import (
    Agreement,
    AgreementParty,
    AgreementSignatory,
    AgreementTopic,
    FolioCounter,
    Party,
    Representative,
)
from app.models.enums import AgreementKind, AgreementStatus, RenewalMode

# Each collection in one query of its own, and what each of its rows names (a party, a
# representative) joined into that query: an agreement in five queries, a page of them in three.
_FULL = (
    selectinload(Agreement.parties).joinedload(AgreementParty.party, innerjoin=True),
    selectinload(Agreement.topics),
    selectinload(Agreement.parties)
    .selectinload(AgreementParty.signatories)
    .joinedload(AgreementSignatory.representative, innerjoin=True),
    selectinload(Agreement.publications),
)
# A list shows no legal content: only the columns of `AgreementSummary` are read — decoding the
# clauses, antecedents, declarations and contributions of every row was most of a page's cost.
# Anything else read from these rows raises, rather than loading row by row.
_SUMMARY = (
    load_only(
        *(Agreement.id, Agreement.folio, Agreement.title, Agreement.kind, Agreement.status),
        *(Agreement.initiative, Agreement.follow_up_unit, Agreement.amount, Agreement.currency),
        *(Agreement.effective_date, Agreement.expiry_date, Agreement.signed_on),
        *(Agreement.parent_id, Agreement.signing_document_id, Agreement.signed_document_id),
        *(Agreement.version, Agreement.created_at, Agreement.updated_at),
        raiseload=True,
    ),
    selectinload(Agreement.parties)
    .load_only(AgreementParty.agreement_id, AgreementParty.position, raiseload=True)
    .joinedload(AgreementParty.party, innerjoin=True)
    .load_only(Party.id, Party.kind, Party.name, Party.version, raiseload=True),
    selectinload(Agreement.topics),
)

# What an agreement shows but does not own is versioned apart: its parties (their names) and the
# people who sign for them (their names and positions). The sums of their versions grow with any
# change of one of them, since which ones an agreement links is part of its own version; with
# its folio and version they say whether an answer built before is still the agreement's
# (`agreements.reading`).
PARTIES_VERSION = (
    select(func.coalesce(func.sum(Party.version), 0))
    .join_from(AgreementParty, Party)
    .where(AgreementParty.agreement_id == Agreement.id)
    .scalar_subquery()
)
PEOPLE_VERSION = (
    select(func.coalesce(func.sum(Representative.version), 0))
    .join_from(AgreementSignatory, Representative)
    .where(AgreementSignatory.agreement_id == Agreement.id)
    .scalar_subquery()
)


Row = TypeVar("Row", bound=Any)


@dataclass(frozen=True)
class AgreementFilters:
    status: AgreementStatus | None = None
    kind: AgreementKind | None = None
    party_id: int | None = None
    topic: str | None = None
    initiative: int | None = None
    expiring_between: tuple[date, date] | None = None
    q: str | None = None


def visible_to(query: Select[Row], representative_id: int | None) -> Select[Row]:
    """Only the agreements where ``representative_id`` signs (all of them for None)."""
    if representative_id is None:
        return query
    return query.where(signed_by(representative_id))


def signed_by(
    representative: int | ColumnElement[int | None] | InstrumentedAttribute[int | None],
) -> Exists:
    """Whether ``representative`` (an id, or a column of one) signs the agreement in the
    enclosing query."""
    return exists().where(
        AgreementSignatory.agreement_id == Agreement.id,
        AgreementSignatory.representative_id == representative,
    )


def get(
    session: Session, agreement_id: int, *, signatory: int | None = None, for_update: bool = False
) -> Agreement | None:
    query = visible_to(select(Agreement).where(Agreement.id == agreement_id), signatory)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query.options(*_FULL)).one_or_none()


def is_visible(session: Session, agreement_id: int, representative_id: int) -> bool:
    """Whether the representative signs the agreement (the row alone, nothing related)."""
    query = visible_to(select(Agreement.id).where(Agreement.id == agreement_id), representative_id)
    return session.scalar(query) is not None


def sees(session: Session, actor: Principal, agreement_id: int) -> bool:
    """Whether ``actor`` may see the agreement and what hangs from it (documents, signatures,
    obligations): staff see all; a signatory only the agreements it signs."""
    if not actor.is_signatory:
        return True
    return actor.representative_id is not None and is_visible(
        session, agreement_id, actor.representative_id
    )


def exists_by_id(session: Session, agreement_id: int) -> Agreement | None:
    return session.get(Agreement, agreement_id)


def binding_terms(session: Session, agreement: Agreement) -> tuple[date | None, RenewalMode]:
    """Until when the agreement binds its parties, and how it renews: its own expiry and
    renewal, or — a modificatorio in force while its principal is — its principal's."""
    if agreement.expiry_date is None and agreement.parent_id is not None:
        parent = session.get(Agreement, agreement.parent_id)
        if parent is not None:
            return parent.expiry_date, parent.renewal_mode
    return agreement.expiry_date, agreement.renewal_mode


class PageShape(NamedTuple):
    """Which conditions a page of agreements has. Pages of one shape share one statement,
    made once (`page_statement`), their values bound: it is compiled and prepared once, and a
    page costs only its read."""

    status: bool = False
    kind: bool = False
    initiative: bool = False
    party: bool = False
    topic: bool = False
    expiring: bool = False
    q: search.SearchShape | None = None
    signatory: bool = False
    after: bool = False


def page_query(
    filters: AgreementFilters, *, signatory: int | None, after: int | None, limit: int
) -> tuple[Select[tuple[int, str, int, int]], dict[str, Any]]:
    """A page of the agreements that match, newest first: the statement of its shape and the
    values to bind. Its rows are the id, folio, version and parties' versions of each (what
    says whether its summary kept is still its own)."""
    values: dict[str, Any] = {"limit": limit}
    for name in ("status", "kind", "initiative", "party_id", "topic"):
        if getattr(filters, name) is not None:
            values[name] = getattr(filters, name)
    if filters.expiring_between is not None:
        values["expiring_from"], values["expiring_to"] = filters.expiring_between
    found = search.search_of(filters.q) if filters.q else None
    if found is not None:
        values.update(found.values)
    if signatory is not None:
        values["signatory"] = signatory
    if after is not None:
        values["after"] = after
    shape = PageShape(
        status="status" in values,
        kind="kind" in values,
        initiative="initiative" in values,
        party="party_id" in values,
        topic="topic" in values,
        expiring="expiring_from" in values,
        q=found.shape if found is not None else None,
        signatory=signatory is not None,
        after=after is not None,
    )
    return page_statement(shape), values


# The shapes asked for lately: the filters' 256 combinations fit, with searches of a few word
# counts each; a shape not kept is made again.
@lru_cache(maxsize=1024)
def page_statement(shape: PageShape) -> Select[tuple[int, str, int, int]]:
    query = select(Agreement.id, Agreement.folio, Agreement.version, PARTIES_VERSION)
    query = query.order_by(Agreement.id.desc()).limit(bindparam("limit", type_=Integer))
    if shape.signatory:
        query = query.where(signed_by(bindparam("signatory", type_=Integer)))
    if shape.after:
        query = query.where(Agreement.id < bindparam("after"))
    if shape.status:
        query = query.where(Agreement.status == bindparam("status"))
    if shape.kind:
        query = query.where(Agreement.kind == bindparam("kind"))
    if shape.initiative:
        query = query.where(Agreement.initiative == bindparam("initiative"))
    if shape.party:
        query = query.where(
            exists().where(
                AgreementParty.agreement_id == Agreement.id,
                AgreementParty.party_id == bindparam("party_id"),
            )
        )
    if shape.topic:
        query = query.where(
            exists().where(
                AgreementTopic.agreement_id == Agreement.id,
                AgreementTopic.topic == bindparam("topic"),
            )
        )
    if shape.expiring:
        query = query.where(
            Agreement.expiry_date >= bindparam("expiring_from"),
            Agreement.expiry_date <= bindparam("expiring_to"),
        )
    if shape.q is not None:
        query = query.where(search.condition(shape.q))
    return query


def summaries(session: Session, ids: Sequence[int]) -> Sequence[Agreement]:
    """The agreements ``ids`` with what their summaries show."""
    return session.scalars(select(Agreement).where(Agreement.id.in_(ids)).options(*_SUMMARY)).all()


def next_folio_number(session: Session, year: int) -> int:
    """The next number of ``year``, under the counter row's write lock until commit."""
    bump = (
        update(FolioCounter)
        .where(FolioCounter.year == year)
        .values(last_number=FolioCounter.last_number + 1)
        .returning(FolioCounter.last_number)
    )
    number = session.scalar(bump)
    if number is not None:
        return number
    try:
        with session.begin_nested():
            session.execute(insert(FolioCounter).values(year=year, last_number=1))
    except IntegrityError:
        # Another request started the year's counter first; take the next number after it.
        number = session.scalar(bump)
        assert number is not None
        return number
    return 1
