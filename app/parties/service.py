"""The rules for parties and representatives."""

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.agreements import search as agreement_search
from app.audit import service as audit
from app.auth.principal import Principal
from app.catalog import service as catalog
from app.errors import NotFound, Rules
from app.kit import changed_fields, searchable
from app.models import Party, Representative
from app.models.base import touch
from app.models.enums import Article, Gender, PartyKind
from app.parties import repository
from app.parties.schemas import (
    PartyCreate,
    PartyRead,
    PartyUpdate,
    RepresentativeCreate,
    RepresentativeRead,
    RepresentativeUpdate,
)

_NOT_AUDITED = {"version", "created_at", "updated_at"}


def snapshot_party(party: Party) -> dict[str, Any]:
    return PartyRead.model_validate(party).model_dump(mode="json", exclude=_NOT_AUDITED)


def snapshot_representative(representative: Representative) -> dict[str, Any]:
    return RepresentativeRead.model_validate(representative).model_dump(
        mode="json", exclude=_NOT_AUDITED
    )


def get_party(session: Session, party_id: int, *, for_update: bool = False) -> Party:
    party = repository.get_party(session, party_id, for_update=for_update)
    if party is None:
        raise NotFound(f"Party {party_id} does not exist.")
    return party


def get_representative(
    session: Session, representative_id: int, *, for_update: bool = False
) -> Representative:
    representative = repository.get_representative(
        session, representative_id, for_update=for_update
    )
    if representative is None:
        raise NotFound(f"Representative {representative_id} does not exist.")
    return representative


def _check_geography(
    session: Session,
    rules: Rules,
    *,
    kind: PartyKind,
    inegi_code: str | None,
    state_code: str | None,
) -> str | None:
    """The party's state, after checking its INEGI code against its kind and the catalog."""
    if kind is PartyKind.ESTADO:
        if inegi_code is None or len(inegi_code) != 2:
            raise rules.refuse("inegi_code", "an estado needs its 2-digit INEGI code", "kind")
        catalog.check_state(inegi_code)
        if state_code is not None and state_code != inegi_code:
            raise rules.refuse(
                "state_code", f"an estado's state is itself ({inegi_code})", "inegi_code"
            )
        return inegi_code
    if kind is PartyKind.MUNICIPIO:
        # Its length first: a code on record may be an estado's, which the catalog of
        # municipalities would call unknown rather than say that the kind changed.
        if inegi_code is None or len(inegi_code) != 5:
            raise rules.refuse("inegi_code", "a municipio needs its 5-digit INEGI code", "kind")
        municipality = catalog.check_municipality(session, inegi_code)
        if state_code is not None and state_code != municipality.state_code:
            raise rules.refuse(
                "state_code",
                f"municipio {inegi_code} ({municipality.name}) belongs to state "
                f"{municipality.state_code}, not {state_code}",
                "inegi_code",
            )
        return municipality.state_code
    if kind is PartyKind.ORGANISMO_DESCENTRALIZADO and inegi_code is not None:
        # The estado (2 digits) or municipio (5) whose administración pública it belongs to.
        owner = (
            catalog.check_state(inegi_code)
            if len(inegi_code) == 2
            else catalog.check_municipality(session, inegi_code).state_code
        )
        if state_code is not None and state_code != owner:
            raise rules.refuse(
                "state_code", f"INEGI code {inegi_code} belongs to state {owner}", "inegi_code"
            )
        return owner
    if inegi_code is not None:
        raise rules.refuse(
            "inegi_code",
            "only estados, municipios and organismos descentralizados have an INEGI code, "
            f"not a {kind.value}",
            "kind",
        )
    if state_code is not None:
        catalog.check_state(state_code, "body.state_code")
    return state_code


# The gender an article gives its denomination.
_ARTICLE_GENDER = {
    Article.EL: Gender.MASCULINE,
    Article.LOS: Gender.MASCULINE,
    Article.LA: Gender.FEMININE,
    Article.LAS: Gender.FEMININE,
}


def _denomination(
    rules: Rules, article: Article | None, gender: Gender | None, *, required: bool
) -> Gender | None:
    """The gender of the party's denomination: from its article, or as given for a name used
    without one. Never guessed: without either (when ``required``), refused."""
    if article is not None:
        implied = _ARTICLE_GENDER[article]
        if gender is not None and gender is not implied:
            raise rules.refuse(
                "gender", f"«{article.value}» names a {implied.value} denomination", "article"
            )
        return implied
    if gender is None and required:
        raise rules.refuse(
            "article",
            "say how the instrument names the party: its article (el, la, los, las), or, for a "
            "name used without one, its gender",
            "gender",
        )
    return gender


def _check_legal_facts(
    rules: Rules,
    *,
    kind: PartyKind,
    autonomous: bool,
    term_start: date | None,
    term_end: date | None,
) -> None:
    if autonomous and kind is not PartyKind.ACADEMICO_PUBLICO:
        raise rules.refuse(
            "autonomous",
            "autonomy by law is recorded for public universities (academico_publico); an "
            "organismo_autonomo is autonomous by its kind",
            "kind",
        )
    if (term_start is not None or term_end is not None) and kind is not PartyKind.MUNICIPIO:
        raise rules.refuse(
            "term_start",
            "only a municipio has an ayuntamiento's term (for another kind, term_start and "
            "term_end null)",
            "term_end",
            "kind",
        )
    if (term_start is None) != (term_end is None):
        raise rules.refuse(
            "term_end", "an ayuntamiento's term has both its first and its last day", "term_start"
        )
    if term_start is not None and term_end is not None and term_end <= term_start:
        raise rules.refuse("term_end", "must be after term_start", "term_start")


def create_party(*, session: Session, data: PartyCreate, actor: Principal) -> Party:
    rules = Rules()
    state_code = _check_geography(
        session, rules, kind=data.kind, inegi_code=data.inegi_code, state_code=data.state_code
    )
    gender = _denomination(rules, data.article, data.gender, required=True)
    _check_legal_facts(
        rules,
        kind=data.kind,
        autonomous=data.autonomous,
        term_start=data.term_start,
        term_end=data.term_end,
    )
    party = Party(
        **data.model_dump(exclude={"state_code", "gender"}), state_code=state_code, gender=gender
    )
    party.search_text = searchable(party.name, party.legal_name, party.rfc)
    session.add(party)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="party.created",
        entity=("party", party.id),
        changes=changed_fields({}, snapshot_party(party)),
    )
    return party


def update_party(*, session: Session, party: Party, data: PartyUpdate, actor: Principal) -> Party:
    before = snapshot_party(party)
    changes = data.changes()
    # A rule broken only against what is on record is a conflict (see Rules). A new article
    # replaces the gender on record, so with one the gender counts as the request's.
    rules = Rules({*changes, *(("gender",) if "article" in changes else ())})
    kind = changes.get("kind", party.kind)
    inegi_code = changes.get("inegi_code", party.inegi_code)
    # A state sent with the change is checked; otherwise an estado's or municipio's state
    # follows from its code and any other party keeps the one it had.
    if "state_code" in changes:
        state_code = changes["state_code"]
    elif kind in (PartyKind.ESTADO, PartyKind.MUNICIPIO):
        state_code = None
    else:
        state_code = party.state_code
    changes["state_code"] = _check_geography(
        session, rules, kind=kind, inegi_code=inegi_code, state_code=state_code
    )
    article = changes.get("article", party.article)
    # A new article brings its own gender unless the client sends one (then checked).
    gender = changes.get("gender", None if "article" in changes else party.gender)
    changes["gender"] = _denomination(
        rules,
        article,
        gender,
        # A party recorded before articles were kept may be edited without one until then.
        required=party.gender is not None or "article" in changes or "gender" in changes,
    )
    _check_legal_facts(
        rules,
        kind=kind,
        autonomous=changes.get("autonomous", party.autonomous),
        term_start=changes.get("term_start", party.term_start),
        term_end=changes.get("term_end", party.term_end),
    )
    for field, value in changes.items():
        setattr(party, field, value)
    party.search_text = searchable(party.name, party.legal_name, party.rfc)
    diff = changed_fields(before, snapshot_party(party))
    if diff:
        touch(party)
        session.flush()
        if {"name", "legal_name"} & diff.keys():
            agreement_search.refresh_for_party(session, party.id)
        audit.record(
            session, actor=actor, action="party.updated", entity=("party", party.id), changes=diff
        )
    return party


def create_representative(
    *, session: Session, party: Party, data: RepresentativeCreate, actor: Principal
) -> Representative:
    representative = Representative(party_id=party.id, **data.model_dump())
    session.add(representative)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="representative.created",
        entity=("representative", representative.id),
        changes=changed_fields({}, snapshot_representative(representative)),
    )
    return representative


def update_representative(
    *,
    session: Session,
    representative: Representative,
    data: RepresentativeUpdate,
    actor: Principal,
) -> Representative:
    before = snapshot_representative(representative)
    for field, value in data.changes().items():
        setattr(representative, field, value)
    diff = changed_fields(before, snapshot_representative(representative))
    if diff:
        touch(representative)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="representative.updated",
            entity=("representative", representative.id),
            changes=diff,
        )
    return representative
