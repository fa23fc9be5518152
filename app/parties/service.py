"""The rules for parties and representatives."""

from typing import Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.catalog import service as catalog
from app.errors import NotFound, Unprocessable
from app.kit import changed_fields, searchable
from app.models import Party, Representative
from app.models.base import touch
from app.models.enums import PartyKind
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
    session: Session, *, kind: PartyKind, inegi_code: str | None, state_code: str | None
) -> str | None:
    """The party's state, after checking its INEGI code against its kind and the catalog."""
    if kind is PartyKind.ESTADO:
        if inegi_code is None or len(inegi_code) != 2:
            raise Unprocessable.field("body.inegi_code", "an estado needs its 2-digit INEGI code")
        catalog.check_state(inegi_code)
        if state_code is not None and state_code != inegi_code:
            raise Unprocessable.field(
                "body.state_code", f"an estado's state is itself ({inegi_code})"
            )
        return inegi_code
    if kind is PartyKind.MUNICIPIO:
        if inegi_code is None:
            raise Unprocessable.field("body.inegi_code", "a municipio needs its 5-digit INEGI code")
        municipality = catalog.check_municipality(session, inegi_code)
        if state_code is not None and state_code != municipality.state_code:
            raise Unprocessable.field(
                "body.state_code",
                f"municipio {inegi_code} ({municipality.name}) belongs to state "
                f"{municipality.state_code}, not {state_code}",
            )
        return municipality.state_code
    if inegi_code is not None:
        raise Unprocessable.field(
            "body.inegi_code", f"only estados and municipios have an INEGI code, not a {kind.value}"
        )
    if state_code is not None:
        catalog.check_state(state_code, "body.state_code")
    return state_code


def create_party(*, session: Session, data: PartyCreate, actor: Principal) -> Party:
    state_code = _check_geography(
        session, kind=data.kind, inegi_code=data.inegi_code, state_code=data.state_code
    )
    party = Party(**data.model_dump(exclude={"state_code"}), state_code=state_code)
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
        session, kind=kind, inegi_code=inegi_code, state_code=state_code
    )
    for field, value in changes.items():
        setattr(party, field, value)
    party.search_text = searchable(party.name, party.legal_name, party.rfc)
    diff = changed_fields(before, snapshot_party(party))
    if diff:
        touch(party)
        session.flush()
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
