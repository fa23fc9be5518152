"""Core schema: parties, representatives, agreements, API keys, audit trail, catalog.

Revision ID: 3769a7f10028
Revises:
Create Date: 2026-11-25 16:31:12.593955
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3769a7f10028"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folio", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "colaboracion",
                "coordinacion",
                "concertacion",
                "subsidiariedad",
                "especifico",
                "modificatorio",
                name="agreement_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "approved",
                "in_signature",
                "active",
                "expired",
                "terminated",
                "cancelled",
                name="agreement_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("initiative", sa.Integer(), nullable=True),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("antecedents", sa.JSON(), nullable=False),
        sa.Column("clauses", sa.JSON(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column(
            "renewal_mode",
            sa.Enum(
                "none",
                "automatic",
                "by_agreement",
                name="renewal_mode",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("renewal_months", sa.Integer(), nullable=True),
        sa.Column("renewal_notice_days", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "expiry_date IS NULL OR expiry_date > effective_date",
            name=op.f("ck_agreements_dates_order"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["agreements.id"], name=op.f("fk_agreements_parent_id_agreements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("folio", name=op.f("uq_agreements_folio")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_expiry_date"), ["expiry_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agreements_initiative"), ["initiative"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_status"), ["status"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_agreement_id"), ["agreement_id"], unique=False
        )

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The chain starts empty: its head points at the genesis hash.
    op.bulk_insert(audit_head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])
    op.create_table(
        "folio_counters",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_folio_counters")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint(
            "api_key_id", "key", name=op.f("uq_idempotency_records_api_key_id_key")
        ),
    )
    op.create_table(
        "municipalities",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("state_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_municipalities")),
    )
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_municipalities_state_code"), ["state_code"], unique=False
        )

    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "municipio",
                "estado",
                "federacion",
                "organismo_autonomo",
                "privado",
                "social",
                "academico",
                "internacional",
                name="party_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("legal_name", sa.String(length=400), nullable=True),
        sa.Column("rfc", sa.String(length=13), nullable=True),
        sa.Column("inegi_code", sa.String(length=5), nullable=True),
        sa.Column("state_code", sa.String(length=2), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parties_inegi_code"), ["inegi_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_rfc"), ["rfc"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_state_code"), ["state_code"], unique=False)

    op.create_table(
        "agreement_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=120), nullable=False),
        sa.Column("declarations", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_parties_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_agreement_parties_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_parties")),
        sa.UniqueConstraint(
            "agreement_id", "party_id", name=op.f("uq_agreement_parties_agreement_id_party_id")
        ),
    )
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_parties_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_parties_party_id"), ["party_id"], unique=False
        )

    op.create_table(
        "agreement_topics",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_topics_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "topic", name=op.f("pk_agreement_topics")),
    )
    with op.batch_alter_table("agreement_topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_topics_topic"), ["topic"], unique=False)

    op.create_table(
        "representatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=300), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("rfc", sa.String(length=13), nullable=True),
        sa.Column("curp", sa.String(length=18), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_representatives_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_representatives")),
    )
    with op.batch_alter_table("representatives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_representatives_party_id"), ["party_id"], unique=False)

    op.create_table(
        "agreement_signatories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_party_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_signatories_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_party_id"],
            ["agreement_parties.id"],
            name=op.f("fk_agreement_signatories_agreement_party_id_agreement_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representatives.id"],
            name=op.f("fk_agreement_signatories_representative_id_representatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signatories")),
        sa.UniqueConstraint(
            "agreement_party_id",
            "representative_id",
            name=op.f("uq_agreement_signatories_agreement_party_id_representative_id"),
        ),
    )
    with op.batch_alter_table("agreement_signatories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_signatories_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_signatories_agreement_party_id"),
            ["agreement_party_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_signatories_representative_id"),
            ["representative_id"],
            unique=False,
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "legal",
                "signatory",
                "viewer",
                name="api_key_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("representative_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representatives.id"],
            name=op.f("fk_api_keys_representative_id_representatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_keys_key_id")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_keys_representative_id"), ["representative_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_representative_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("agreement_signatories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_signatories_representative_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_signatories_agreement_party_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_signatories_agreement_id"))

    op.drop_table("agreement_signatories")
    with op.batch_alter_table("representatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_representatives_party_id"))

    op.drop_table("representatives")
    with op.batch_alter_table("agreement_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_topics_topic"))

    op.drop_table("agreement_topics")
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_parties_party_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_parties_agreement_id"))

    op.drop_table("agreement_parties")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parties_state_code"))
        batch_op.drop_index(batch_op.f("ix_parties_rfc"))
        batch_op.drop_index(batch_op.f("ix_parties_kind"))
        batch_op.drop_index(batch_op.f("ix_parties_inegi_code"))

    op.drop_table("parties")
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_municipalities_state_code"))

    op.drop_table("municipalities")
    op.drop_table("idempotency_records")
    op.drop_table("folio_counters")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_agreement_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_status"))
        batch_op.drop_index(batch_op.f("ix_agreements_parent_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_kind"))
        batch_op.drop_index(batch_op.f("ix_agreements_initiative"))
        batch_op.drop_index(batch_op.f("ix_agreements_expiry_date"))

    op.drop_table("agreements")
