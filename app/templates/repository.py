"""Queries on templates and their versions."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Template, TemplateVersion


def by_key(session: Session, key: str) -> Template | None:
    return session.scalars(select(Template).where(Template.key == key)).one_or_none()


def latest_version(session: Session, template: Template) -> TemplateVersion | None:
    return session.scalars(
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template.id)
        .order_by(TemplateVersion.number.desc())
        .limit(1)
    ).one_or_none()


def version(session: Session, template: Template, number: int) -> TemplateVersion | None:
    return session.scalars(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template.id, TemplateVersion.number == number
        )
    ).one_or_none()


def page(session: Session, *, after: int | None, limit: int) -> Sequence[Template]:
    query = select(Template).order_by(Template.id).limit(limit)
    if after is not None:
        query = query.where(Template.id > after)
    return session.scalars(query).all()


def versions_page(
    session: Session, template: Template, *, after: int | None, limit: int
) -> Sequence[TemplateVersion]:
    query = (
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template.id)
        .order_by(TemplateVersion.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(TemplateVersion.id > after)
    return session.scalars(query).all()


def latest_numbers(session: Session, template_ids: list[int]) -> dict[int, int]:
    """template id → number of its newest version."""
    rows = session.execute(
        select(TemplateVersion.template_id, func.max(TemplateVersion.number))
        .where(TemplateVersion.template_id.in_(template_ids))
        .group_by(TemplateVersion.template_id)
    )
    return {template_id: number for template_id, number in rows}
