"""What `q` finds an agreement by: the beginning of its folio; text anywhere in its title,
objective and parties' names — folded (lower case, no accents: "queretaro" finds "Querétaro")
into one column, the search text; or every word of ``q`` among theirs in any of its forms
("convenios municipales" finds "Convenio municipal"), compared by their Spanish stems
(`app.words`), kept in a second column, the search words.

One column for each, so that one index answers a search at any size. On PostgreSQL a trigram
index (pg_trgm, GIN) serves `LIKE '%…%'` on the search text — a word or part of one, a party's
name — without reading the table, and the folio, whose trigrams every folio shares, a B-tree
that serves its prefix (migration 3c8d5e7f9a12); a full-text GIN index on the search words,
indexed as they are (configuration `simple`: already stemmed, nothing left to leave out), on a
`tsvector` of them that a trigger keeps beside them, serves the words (migrations 6e1f0a2b3c4d
and a9c4e6f1b2d8). On SQLite the same comparisons read the table, which a single office's size
allows: a stem is one of the words between spaces. The parties' names
are copied in, so a party renamed rewrites both columns of its agreements (`refresh_for_party`).
"""

from collections.abc import Iterable
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    String,
    Table,
    and_,
    bindparam,
    false,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.kit import like_pattern, searchable
from app.models import Agreement, AgreementParty, Party
from app.words import WORD, stems

_BATCH = 1000


def text_of(title: str, objective: str | None, party_names: Iterable[str | None]) -> str:
    return searchable(title, objective, *party_names)


def words_of(title: str, objective: str | None, party_names: Iterable[str | None]) -> str:
    return " ".join(stems(title, objective, *party_names))


class _HasWords(FunctionElement[bool]):
    """Whether each stem given after the search words is one of them."""

    type = Boolean()
    inherit_cache = True
    name = "has_words"


@compiles(_HasWords, "postgresql")
def _HasWords_postgresql(element: _HasWords, compiler: SQLCompiler, **kw: Any) -> str:
    # The search words' vector, which a trigger keeps beside them and the full-text index is on
    # (migration a9c4e6f1b2d8): read, where computing it again cost every row looked at 10 µs.
    # plainto_tsquery reads its text as words, never as operators, so no `q` can make a
    # malformed query, and `simple` keeps each stem as it is: one lexeme each, all required.
    _, *words = (compiler.process(clause, **kw) for clause in element.clauses)
    query = " && ".join(f"plainto_tsquery('simple', {word})" for word in words)
    return f"{Agreement.__tablename__}.search_vector @@ ({query})"


@compiles(_HasWords)
def _HasWords_elsewhere(element: _HasWords, compiler: SQLCompiler, **kw: Any) -> str:
    # Stems hold only letters and digits: one is a word of the column where it stands between
    # spaces (a position rather than LIKE, whose wildcards would need escaping).
    column, *words = (compiler.process(clause, **kw) for clause in element.clauses)
    found = (f"instr(' ' || {column} || ' ', ' ' || {word} || ' ') > 0" for word in words)
    return "(" + " AND ".join(found) + ")"


class Search(NamedTuple):
    """What a ``q`` asks for: the shape of its condition (`condition`) and the values bound
    into it. Searches of one shape — the same comparisons, as many words — share one
    statement, made and prepared once."""

    shape: "SearchShape"
    values: dict[str, str]


class SearchShape(NamedTuple):
    folio: bool  # a folio that begins with it
    words: bool  # every word of it in any of its forms, the last one also as text
    head_words: int  # how many stems the words before the last one have
    last_words: int  # how many the last one has (none: a stop word)
    text: bool  # the last word, or the whole of a ``q`` of stop words, as text


def search_of(q: str) -> Search:
    """The agreements ``q`` finds: a folio that begins with it, or every word of it in any of
    its forms — the last one also as part of a word (a name being typed: "tlalnep", "catast"),
    which the search text finds. A ``q`` of stop words alone is looked for as it is, as text."""
    values: dict[str, str] = {}
    folio = q.strip().upper()
    if folio:
        values["q_folio"] = like_pattern(folio).removeprefix("%")
    words = WORD.findall(searchable(q))
    head: list[str] = []
    last: list[str] = []
    if stems(*words):
        # Only the last word is looked for as text too: every trigram of a phrase is an index
        # scan on PostgreSQL, and the words before the last are whole anyway (at a million
        # convenios, "padrones catastrales tlalnepantla" took 110 ms as text, 1 ms as words).
        # A stop word has no stem: it asks for nothing (`_has_words` of none is true).
        head, last = stems(*words[:-1]), stems(words[-1])
        values["q_text"] = like_pattern(words[-1])
    elif words:
        values["q_text"] = like_pattern(searchable(q))
    values.update({f"q_head_{i}": stem for i, stem in enumerate(head)})
    values.update({f"q_last_{i}": stem for i, stem in enumerate(last)})
    shape = SearchShape(bool(folio), bool(stems(*words)), len(head), len(last), "q_text" in values)
    return Search(shape, values)


def condition(shape: SearchShape) -> ColumnElement[bool]:
    """The condition of a search of ``shape``, its values as parameters named as `search_of`
    names them."""
    found: list[ColumnElement[bool]] = []
    if shape.folio:
        found.append(Agreement.folio.like(bindparam("q_folio"), escape="\\"))
    as_text = Agreement.search_text.like(bindparam("q_text"), escape="\\")
    if shape.words:
        head, last = _has_words("q_head", shape.head_words), _has_words("q_last", shape.last_words)
        found.append(and_(head, or_(last, as_text)))
    elif shape.text:
        found.append(as_text)
    return or_(*found) if found else false()


def _has_words(name: str, count: int) -> ColumnElement[bool]:
    """Whether an agreement's search words hold every one of the ``count`` stems bound as
    ``name_0``, ``name_1``… (true for none)."""
    if not count:
        return true()
    words = (bindparam(f"{name}_{i}", type_=String) for i in range(count))
    return _HasWords(Agreement.search_words, *words)


def refresh(agreement: Agreement, parties: Iterable[Party]) -> None:
    """``agreement``'s search text and words from its content and ``parties``, in their order."""
    names = [name for party in parties for name in (party.name, party.legal_name)]
    agreement.search_text = text_of(agreement.title, agreement.objective, names)
    agreement.search_words = words_of(agreement.title, agreement.objective, names)


def refresh_for_party(session: Session, party_id: int) -> None:
    """The search text and words of every agreement ``party_id`` is a party to, after a change
    of its names: a thousand agreements at a time, reading only the columns they are made of."""
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
        # Many at once on the table itself: no agreement is loaded, and the search text and
        # words are no content, so no version moves.
        table = cast(Table, Agreement.__table__)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(search_text=bindparam("text"), search_words=bindparam("words")),
            [
                {
                    "row_id": id_,
                    "text": text_of(title, objective, names.get(id_, [])),
                    "words": words_of(title, objective, names.get(id_, [])),
                }
                for id_, title, objective in rows
            ],
        )
