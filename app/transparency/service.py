"""Classifying parts of a convenio, making its versión pública and publishing it: each an audit
event, each refused with a clear 4xx when the law or the convenio's state does not allow it.

A versión pública is of a signed convenio (active, expired or terminated): a draft is not yet
a document the public has a right to, and a cancelled one never was signed.
"""

from collections.abc import Collection, Sequence
from datetime import date

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.config import API_PREFIX, Settings
from app.documents.service import PublicInputs
from app.errors import Conflict, NotFound, Unprocessable
from app.kit import searchable
from app.models import Agreement, Classification, Document, PublicVersion
from app.models.enums import SIGNED_STATUSES, ClassifiedPart, DocumentKind
from app.transparency.redaction import Withheld
from app.transparency.schemas import (
    ClassificationCreate,
    Classifier,
    CommitteeSession,
    PublicVersionCreate,
)

# A clause on these subjects states the public resources the convenio delivers: public by law.
_MONEY_SUBJECTS = ("aportacion", "recurso", "monto", "financiamiento", "presupuest", "ministracion")
_ANNEX_KINDS = frozenset({DocumentKind.ANNEX})


def public_address(settings: Settings, folio: str) -> str:
    """Where anyone reads a convenio's published versión pública (the export's column 15)."""
    return f"{settings.public_url}{API_PREFIX}/public-versions/{folio}"


def _check_signed(agreement: Agreement, what: str) -> None:
    if agreement.status not in SIGNED_STATUSES:
        raise Conflict(
            f"Agreement {agreement.folio} is {agreement.status.value}: {what} is of a signed "
            "convenio (active, expired or terminated)."
        )


def classifications(session: Session, agreement_id: int) -> Sequence[Classification]:
    query = (
        select(Classification)
        .where(Classification.agreement_id == agreement_id)
        .order_by(Classification.id)
    )
    return session.scalars(query).all()


def _texts(agreement: Agreement, data: ClassificationCreate) -> list[str]:
    """The drafter's texts of the kind ``data`` names: cláusulas, antecedentes, or the
    declarations of its party."""
    if data.part is ClassifiedPart.CLAUSE:
        return [clause["text"] for clause in agreement.clauses]
    if data.part is ClassifiedPart.ANTECEDENT:
        return list(agreement.antecedents)
    link = next((p for p in agreement.parties if p.party_id == data.party_id), None)
    if link is None:
        raise Unprocessable.field(
            "body.party_id", f"party {data.party_id} is not a party to this convenio"
        )
    return list(link.declarations)


def _check_part(session: Session, agreement: Agreement, data: ClassificationCreate) -> None:
    """The part exists in this convenio, is not public by law, and is not classified yet."""
    if data.part is ClassifiedPart.ANNEX:
        document = session.get(Document, data.document_id)
        if (
            document is None
            or document.agreement_id != agreement.id
            or document.kind not in _ANNEX_KINDS
        ):
            raise Unprocessable.field(
                "body.document_id", f"document {data.document_id} is not an annex of this convenio"
            )
    else:
        assert data.position is not None  # the schema asks for it
        texts = _texts(agreement, data)
        if data.position > len(texts):
            raise Unprocessable.field(
                "body.position",
                f"the convenio has {len(texts)} {data.part.value}s; there is no {data.position}",
            )
        title = (
            agreement.clauses[data.position - 1]["title"]
            if data.part is ClassifiedPart.CLAUSE
            else ""
        )
        if any(subject in searchable(title) for subject in _MONEY_SUBJECTS):
            raise Unprocessable.field(
                "body.position",
                f"cláusula {data.position} ({title}) states the public resources the convenio "
                "delivers: they are public by law (Ley General de Transparencia y Acceso a la "
                "Información Pública, art. 122)",
            )
    for existing in classifications(session, agreement.id):
        if (existing.part, existing.position, existing.party_id, existing.document_id) == (
            data.part,
            data.position,
            data.party_id,
            data.document_id,
        ):
            raise Conflict(
                f"That {data.part.value} is classified already (classification {existing.id})."
            )


def classify(
    session: Session, agreement: Agreement, data: ClassificationCreate, *, actor: Principal
) -> Classification:
    _check_signed(agreement, "classifying its parts for a versión pública")
    _check_part(session, agreement, data)
    classification = Classification(
        agreement_id=agreement.id,
        part=data.part,
        position=data.position,
        party_id=data.party_id,
        document_id=data.document_id,
        description=data.description,
        legal_basis=data.legal_basis,
        created_by=actor.name,
    )
    session.add(classification)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="classification.added",
        entity=("classification", classification.id),
        agreement_id=agreement.id,
        changes={
            "part": [None, data.part.value],
            "position": [None, data.position],
            "party_id": [None, data.party_id],
            "document_id": [None, data.document_id],
            "description": [None, data.description],
            "legal_basis": [None, data.legal_basis],
        },
    )
    return classification


def declassify(
    session: Session, agreement: Agreement, classification_id: int, *, actor: Principal
) -> None:
    classification = session.get(Classification, classification_id)
    if classification is None or classification.agreement_id != agreement.id:
        raise NotFound(f"Classification {classification_id} not found.")
    audit.record(
        session,
        actor=actor,
        action="classification.removed",
        entity=("classification", classification.id),
        agreement_id=agreement.id,
        changes={
            "part": [classification.part.value, None],
            "position": [classification.position, None],
            "description": [classification.description, None],
        },
    )
    session.delete(classification)


def leyenda_from_form(
    *,
    area: str,
    classified_by: str,
    classified_by_position: str,
    classified_on: date,
    committee_session: str,
    committee_date: date,
    committee_resolution: str,
) -> PublicVersionCreate:
    """The leyenda of an uploaded scan, sent as form fields, held to the JSON body's rules."""
    try:
        return PublicVersionCreate(
            area=area,
            classified_by=Classifier(full_name=classified_by, position=classified_by_position),
            classified_on=classified_on,
            committee=CommitteeSession(
                session=committee_session, date=committee_date, resolution=committee_resolution
            ),
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise Unprocessable.field("body.committee_date", first["msg"]) from None


def public_inputs(
    session: Session,
    agreement: Agreement,
    data: PublicVersionCreate,
    *,
    withheld_by_data: bool = True,
) -> PublicInputs:
    """What the versión pública is made of besides the convenio: its classified parts, in the
    order they were classified (none for a scan, redacted by hand), and the leyenda's facts."""
    _check_signed(agreement, "a versión pública")
    places = {link.party_id: index for index, link in enumerate(agreement.parties)}
    withheld = tuple(
        Withheld(
            part=c.part,
            position=c.position,
            party_index=places.get(c.party_id) if c.party_id is not None else None,
            description=c.description,
            legal_basis=c.legal_basis,
        )
        for c in (classifications(session, agreement.id) if withheld_by_data else ())
    )
    return PublicInputs(
        withheld=withheld,
        leyenda={
            "area": data.area,
            "classified_by": data.classified_by.full_name,
            "classified_by_position": data.classified_by.position,
            "classified_on": data.classified_on,
            "committee_session": data.committee.session,
            "committee_date": data.committee.date,
            "committee_resolution": data.committee.resolution,
        },
    )


def check_redacted(document: Document) -> None:
    """A scan uploaded as a versión pública is a new document of its own kind: the same bytes
    as one the convenio already has (its signed scan, an annex) are that document, whole, and
    publishing them would publish what the versión pública exists to withhold."""
    if document.kind is not DocumentKind.VERSION_PUBLICA:
        raise Conflict(
            f"This file is already document {document.id} of the convenio ({document.kind.value}),"
            " unredacted: upload the redacted scan, with its leyenda de clasificación."
        )


def record_public_version(
    session: Session,
    agreement: Agreement,
    document: Document,
    public: PublicInputs,
    *,
    actor: Principal,
) -> tuple[PublicVersion, bool]:
    """The versión pública row of ``document`` (the one already there for the same inputs, or
    a new one with its audit event)."""
    existing = session.scalar(select(PublicVersion).where(PublicVersion.document_id == document.id))
    if existing is not None:
        return existing, False
    # The leyenda's facts are named as the columns that keep them.
    version = PublicVersion(
        agreement_id=agreement.id, document_id=document.id, created_by=actor.name, **public.leyenda
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="public_version.generated",
        entity=("public_version", version.id),
        agreement_id=agreement.id,
        changes={
            "document_id": [None, document.id],
            "sha256": [None, document.sha256],
            "parts_withheld": [None, len(public.withheld)],
            "committee_resolution": [None, version.committee_resolution],
        },
    )
    return version, True


def get_public_version(session: Session, agreement: Agreement, version_id: int) -> PublicVersion:
    version = session.get(PublicVersion, version_id)
    if version is None or version.agreement_id != agreement.id:
        raise NotFound(f"Versión pública {version_id} not found.")
    return version


def public_versions(session: Session, agreement_id: int) -> Sequence[PublicVersion]:
    query = (
        select(PublicVersion)
        .where(PublicVersion.agreement_id == agreement_id)
        .order_by(PublicVersion.id)
    )
    return session.scalars(query).all()


def publish(
    session: Session, agreement: Agreement, version: PublicVersion, *, actor: Principal
) -> PublicVersion:
    """Make ``version`` the convenio's public one (the newest published is what its public
    address serves). Publishing again changes nothing."""
    _check_signed(agreement, "publishing a versión pública")
    if version.published_at is not None:
        return version
    version.published_at = now()
    audit.record(
        session,
        actor=actor,
        action="public_version.published",
        entity=("public_version", version.id),
        agreement_id=agreement.id,
        changes={"published_at": [None, version.published_at.isoformat()]},
    )
    return version


def _published_where(*conditions: ColumnElement[bool]) -> Select[PublicVersion]:
    """Published versiones públicas of signed convenios (active, expired or terminated)."""
    return (
        select(PublicVersion)
        .join(Agreement, Agreement.id == PublicVersion.agreement_id)
        .where(
            PublicVersion.published_at.is_not(None),
            Agreement.status.in_(SIGNED_STATUSES),
            *conditions,
        )
    )


def published(session: Session, agreement_id: int) -> PublicVersion | None:
    """The versión pública the public reads: the newest published, while the convenio is
    signed."""
    query = _published_where(PublicVersion.agreement_id == agreement_id)
    newest = query.order_by(PublicVersion.published_at.desc(), PublicVersion.id.desc())
    return session.scalar(newest.limit(1))


def with_public_version(session: Session, agreement_ids: Collection[int]) -> set[int]:
    """Which of ``agreement_ids`` the public can read a versión pública of (one query)."""
    query = _published_where(PublicVersion.agreement_id.in_(agreement_ids))
    ids = query.with_only_columns(PublicVersion.agreement_id).distinct()
    return set(session.scalars(ids))


def by_folio(session: Session, folio: str) -> tuple[Agreement, PublicVersion, Document]:
    """The published versión pública of the convenio with ``folio`` (404 when there is none:
    unknown folio, not signed, cancelled, or nothing published yet — alike, so nothing leaks)."""
    agreement = session.scalar(select(Agreement).where(Agreement.folio == folio))
    version = published(session, agreement.id) if agreement is not None else None
    document = session.get(Document, version.document_id) if version is not None else None
    if agreement is None or version is None or document is None:
        raise NotFound(f"No versión pública of convenio {folio} is published.")
    return agreement, version, document
