"""What `q` finds an agreement by: the beginning of its folio, or text anywhere in its title,
objective and parties' names — folded (lower case, no accents: "queretaro" finds "Querétaro")
into one column, the search text.

One column, so that one index answers a search at any size: on PostgreSQL a trigram index
(pg_trgm, GIN), which serves `LIKE '%…%'` — a word or part of one, a party's name — without
reading the table; the folio, whose trigrams every folio shares, by a B-tree that serves its
prefix (migration 3c8d5e7f9a12). On SQLite the same `LIKE`s read the table, which a single
office's size allows. The parties' names are copied in, so a party renamed rewrites the search
text of its agreements (`refresh_for_party`).
"""

from collections.abc import Iterable
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, select, update
from sqlalchemy.orm import Session

from app.kit import like_pattern, searchable
from app.models import Agreement, AgreementParty, Party

_BATCH = 1000


def text_of(title: str, objective: str | None, party_names: Iterable[str | None]) -> str:
    return searchable(title, objective, *party_names)


def matches(q: str) -> ColumnElement[bool]:
    """The agreements ``q`` finds: a folio that begins with it, or a search text holding it."""
    text = Agreement.search_text.like(like_pattern(searchable(q)), escape="\\")
    folio = q.strip().upper()
    if not folio:
        return text
    return text | Agreement.folio.like(like_pattern(folio).removeprefix("%"), escape="\\")


def refresh(agreement: Agreement, parties: Iterable[Party]) -> None:
    """``agreement``'s search text from its content and ``parties``, in their order."""
    names = [name for party in parties for name in (party.name, party.legal_name)]
    agreement.search_text = text_of(agreement.title, agreement.objective, names)


def refresh_for_party(session: Session, party_id: int) -> None:
    """The search text of every agreement ``party_id`` is a party to, after a change of its
    names: a thousand agreements at a time, reading only the columns it is made of."""
    ids = session.scalars(
        select(AgreementParty.agreement_id)
        .where(AgreementParty.party_id == party_id)
        .order_by(AgreementParty.agreement_id)
    ).all()
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        names: dict[int, list[str | None]] = {}
        for agreement_id, name, legal_name in session.execute(
            select(AgreementParty.agreement_id, Party.name, Party.legal_name)
            .join(Party, Party.id == AgreementParty.party_id)
            .where(AgreementParty.agreement_id.in_(batch))
            .order_by(AgreementParty.agreement_id, AgreementParty.position)
        ):
            names.setdefault(agreement_id, []).extend((name, legal_name))
        rows = session.execute(
            select(Agreement.id, Agreement.title, Agreement.objective).where(
                Agreement.id.in_(batch)
            )
        )
        # Many at once on the table itself: no agreement is loaded, and the search text is no
        # content, so no version moves.
        table = cast(Table, Agreement.__table__)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(search_text=bindparam("text")),
            [
                {"row_id": id_, "text": text_of(title, objective, names.get(id_, []))}
                for id_, title, objective in rows
            ],
        )
