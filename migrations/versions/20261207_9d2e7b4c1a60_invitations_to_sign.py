"""Invitations to sign and the sessions their links open: a representative signs from a
browser with no account and no API key. Tokens and cookies are kept as their SHA-256 only.
And the PAdES signatures prepared for a signer's device (e.firma in the browser).

Revision ID: 9d2e7b4c1a60
Revises: 5f3a9c21d8e4
Create Date: 2026-12-07 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d2e7b4c1a60"
down_revision: str | None = "5f3a9c21d8e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature_id"], ["signatures.id"], name=op.f("fk_invitations_signature_id_signatures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_invitations_token_sha256")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitations_signature_id"), ["signature_id"], unique=False
        )

    op.create_table(
        "signing_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("cookie_sha256", sa.String(length=64), nullable=False),
        sa.Column("form_nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_signing_sessions_invitation_id_invitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_sessions")),
        sa.UniqueConstraint("cookie_sha256", name=op.f("uq_signing_sessions_cookie_sha256")),
    )
    with op.batch_alter_table("signing_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signing_sessions_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "device_preparations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signing_session_id", sa.Integer(), nullable=False),
        sa.Column("prepared_pdf", sa.LargeBinary(), nullable=False),
        sa.Column("reserved_start", sa.Integer(), nullable=False),
        sa.Column("reserved_end", sa.Integer(), nullable=False),
        sa.Column("document_digest", sa.LargeBinary(), nullable=False),
        sa.Column("signed_attributes", sa.LargeBinary(), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["signing_session_id"],
            ["signing_sessions.id"],
            name=op.f("fk_device_preparations_signing_session_id_signing_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_preparations")),
        sa.UniqueConstraint(
            "signing_session_id", name=op.f("uq_device_preparations_signing_session_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("device_preparations")
    with op.batch_alter_table("signing_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_sessions_invitation_id"))
    op.drop_table("signing_sessions")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_signature_id"))
    op.drop_table("invitations")
