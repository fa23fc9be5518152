"""Alembic environment: the database comes from the service's own settings."""

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from app.config import get_settings
from app.db import make_engine
from app.models import Base
from app.models.base import UTCDateTime

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the service's column types as plain SQLAlchemy ones: migrations stand alone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Indexes of kinds only PostgreSQL has (trigram and full-text GIN, an operator class), and the
# column of type only it has that a trigger keeps (an agreement's search vector), made by
# migrations alone: the models, which both databases share, do not declare them, and comparing
# must not drop them.
POSTGRESQL_ONLY_INDEXES = {
    "ix_agreements_search_trgm",
    "ix_parties_search_trgm",
    "ix_agreements_folio_pattern",
    "ix_agreements_search_words",
    "ix_agreements_search_vector",
}
POSTGRESQL_ONLY_COLUMNS = {("agreements", "search_vector")}


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if not reflected or compare_to is not None:
        return True
    if type_ == "index":
        return name not in POSTGRESQL_ONLY_INDEXES
    if type_ == "column":
        return (obj.table.name, name) not in POSTGRESQL_ONLY_COLUMNS
    return True


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; the same scripts then run on both databases.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("convenios migrations run online only: set CONVENIOS_DATABASE_URL")
run_migrations_online()
