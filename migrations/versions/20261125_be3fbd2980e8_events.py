"""Events: the outbox of what happened (status changes, signatures, documents, obligations,
expiry, renewals, reminders), each written with its change; reminders kept unique by key.

Revision ID: be3fbd2980e8
Revises: 92dfb71ca8f8
Create Date: 2026-11-25 21:55:42.581971
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "be3fbd2980e8"
down_revision: str | None = "92dfb71ca8f8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "agreement.status_changed",
                "agreement.expiring",
                "agreement.expired",
                "agreement.renewed",
                "obligation.due_soon",
                "obligation.overdue",
                "obligation.fulfilled",
                "signature.signed",
                "document.generated",
                name="event_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_events_agreement_id_agreements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_events_dedupe_key")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_dispatched_at"), ["dispatched_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_type"), ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_type"))
        batch_op.drop_index(batch_op.f("ix_events_dispatched_at"))
        batch_op.drop_index(batch_op.f("ix_events_created_at"))
        batch_op.drop_index(batch_op.f("ix_events_agreement_id"))

    op.drop_table("events")
