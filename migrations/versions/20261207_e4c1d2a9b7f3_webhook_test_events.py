"""Webhook test events: `webhook.test`, sent on request to one webhook so its owner can check the
receiver before real events flow.

Revision ID: e4c1d2a9b7f3
Revises: 7b77c8549955
Create Date: 2026-12-07 09:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4c1d2a9b7f3"
down_revision: str | None = "7b77c8549955"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_EVENT_TYPES = (
    "agreement.status_changed",
    "agreement.expiring",
    "agreement.expired",
    "agreement.renewed",
    "obligation.due_soon",
    "obligation.overdue",
    "obligation.fulfilled",
    "signature.signed",
    "document.generated",
)
_NEW_EVENT_TYPES = (*_OLD_EVENT_TYPES, "webhook.test")


def _enum(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="event_type", native_enum=False, create_constraint=True)


def _event_types(old: Sequence[str], new: Sequence[str]) -> None:
    # The old CHECK constraint goes with the old type (batch mode rebuilds SQLite's table).
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column(
            "type", existing_type=_enum(old), type_=_enum(new), existing_nullable=False
        )


def upgrade() -> None:
    _event_types(_OLD_EVENT_TYPES, _NEW_EVENT_TYPES)


def downgrade() -> None:
    # A test event is only ever its own delivery's: both go.
    op.execute(
        "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT deliveries.id FROM "
        "deliveries JOIN events ON events.id = deliveries.event_id "
        "WHERE events.type = 'webhook.test')"
    )
    op.execute(
        "DELETE FROM deliveries WHERE event_id IN "
        "(SELECT id FROM events WHERE type = 'webhook.test')"
    )
    op.execute("DELETE FROM events WHERE type = 'webhook.test'")
    _event_types(_NEW_EVENT_TYPES, _OLD_EVENT_TYPES)
