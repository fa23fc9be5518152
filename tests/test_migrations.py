"""The schema comes only from Alembic: no drift from the models, and downgrade works."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app import migrations
from app.db import make_engine
from app.models import Agreement, AgreementParty, Party
from app.models.enums import AgreementKind, AgreementStatus, PartyKind, RenewalMode
from tests.databases import drop_database, new_database


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    url = new_database(backend, tmp_path)
    yield url
    drop_database(backend, url)


def test_models_and_migrations_agree(database: str) -> None:
    # Raises when autogenerate would find anything to add, drop or alter.
    command.check(migrations.alembic_config(database))


def test_downgrade_to_base_and_back(database: str) -> None:
    config = migrations.alembic_config(database)
    command.downgrade(config, "base")
    engine = make_engine(database)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    command.upgrade(config, "head")
    assert {"agreements", "parties", "audit_events"} <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        assert migrations.current_revisions(connection) == migrations.head_revisions()
    engine.dispose()


def test_alembic_reads_the_service_settings(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVENIOS_DATABASE_URL", database)
    from app.config import get_settings

    get_settings.cache_clear()
    # No URL passed: env.py must find the database in CONVENIOS_DATABASE_URL.
    command.check(migrations.alembic_config())


def test_the_academic_parties_of_before_become_private_ones(database: str) -> None:
    """Parties of the old kind "academico" were written about as private institutions: they
    become "academico_privado", and a public university is recorded as such by hand."""
    config = migrations.alembic_config(database)
    command.downgrade(config, "8b25db490650")
    engine = make_engine(database)
    moment = "2026-01-01 00:00:00+00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO parties (kind, name, search_text, version, created_at, updated_at) "
                "VALUES ('academico', 'Universidad del Valle', 'universidad del valle', 1, "
                ":moment, :moment)"
            ),
            {"moment": moment},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT kind, autonomous, article FROM parties")).one()
    assert tuple(row) == ("academico_privado", False, None)
    engine.dispose()


def test_the_search_words_are_written_for_agreements_of_before(database: str) -> None:
    """Migration 6e1f0a2b3c4d adds each agreement's search words — from its title, objective
    and parties' names — and its downgrade drops them (and, on PostgreSQL, their index); on
    PostgreSQL, a9c4e6f1b2d8 keeps them as a vector too."""
    config = migrations.alembic_config(database)
    engine = make_engine(database)
    with Session(engine) as session, session.begin():
        city = Party(kind=PartyKind.MUNICIPIO, name="Municipio de Tlalnepantla de Baz")
        session.add(city)
        session.flush()
        convenio = Agreement(
            folio="CONV-2026-0001",
            title="Convenios municipales",
            kind=AgreementKind.COORDINACION,
            status=AgreementStatus.DRAFT,
            objective="Colaborar en la atención de emergencias.",
            effective_date=date(2026, 1, 15),
            renewal_mode=RenewalMode.NONE,
        )
        session.add(convenio)
        session.flush()
        session.add(
            AgreementParty(agreement_id=convenio.id, party_id=city.id, position=0, role="EL MUN")
        )

    def columns() -> set[str]:
        return {column["name"] for column in inspect(engine).get_columns("agreements")}

    def indexes() -> set[str]:
        return {str(index["name"]) for index in inspect(engine).get_indexes("agreements")}

    command.downgrade(config, "3c8d5e7f9a12")
    assert "search_words" not in columns()
    assert "ix_agreements_search_words" not in indexes()
    command.upgrade(config, "head")
    with engine.connect() as connection:
        words = connection.execute(text("SELECT search_words FROM agreements")).scalar_one()
    assert words == "conveni municipal colabor atencion emergent municipi tlalnepantl baz"
    if engine.dialect.name == "postgresql":
        # Migration a9c4e6f1b2d8: the vector of the words, indexed, filled for the rows of
        # before and kept by a trigger for every row written since.
        assert "ix_agreements_search_vector" in indexes()
        assert "ix_agreements_search_words" not in indexes()
        same = text("SELECT search_vector = to_tsvector('simple', search_words) FROM agreements")
        with engine.begin() as connection:
            assert connection.execute(same).scalar_one()
            connection.execute(text("UPDATE agreements SET search_words = 'padron catastral'"))
            vector = connection.execute(text("SELECT search_vector::text FROM agreements"))
            assert vector.scalar_one() == "'catastral':2 'padron':1"
        # A run stopped after its first steps committed (the column, the trigger) runs again.
        command.stamp(config, "f7d2e9a1c3b5")
        command.upgrade(config, "head")
        command.downgrade(config, "f7d2e9a1c3b5")
        assert "search_vector" not in columns()
        assert "ix_agreements_search_words" in indexes()
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert connection.execute(same).scalar_one()
    else:
        assert "search_vector" not in columns()
    engine.dispose()
