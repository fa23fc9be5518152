"""`q` by the forms of its words (app.agreements.search, app.words): "convenios municipales"
finds "Convenio municipal". Every test runs on both databases against one table of what each
query finds, so SQLite and PostgreSQL give the same answers."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.kit import searchable
from app.words import stems
from app.words.stop_words import SPANISH_STOP_WORDS
from tests.conftest import Keys
from tests.factories import API, agreement_payload, ok, signing_party

ALL = {"seguridad", "salud", "catastro"}
# What each query finds among the three convenios of `convenios`, on either database.
FOUND = [
    ("convenios municipales", {"seguridad"}),  # plural and singular
    ("CONVENIÓ MUNICIPAL", {"seguridad"}),  # case and accents
    ("seguridad convenio", {"seguridad"}),  # several words, in any order
    ("municipal catastro", set()),  # every word, not any
    ("colaboración", {"salud"}),  # "colaborar": one stem
    ("Jornadas de vacunación", {"salud"}),
    ("padrones catastrales", {"catastro"}),
    ("padron catastral", {"catastro"}),  # the text itself, as before
    ("tlalnepantla", ALL),  # a party's name
    ("TLALNEPANTLA DE BAZ", ALL),
    ("catast", {"catastro"}),  # part of a word: the search text
    # As it is being typed: the words before the last whole, the last one also in part.
    ("convenio munic", {"seguridad"}),
    ("tlalnepantla de b", ALL),
    ("padrones catas", {"catastro"}),
    ("catast padrones", set()),  # only the last word may be a part
    ("agua potable", set()),
    # Stop words alone have no stem: the text decides ("Gobierno del Estado de México").
    ("y de los", set()),
    ("del", ALL),
    ("estados", set()),  # a stop word too; "Estado" is found as text
    ("estado", ALL),
    # What a text-search query would read as operators is taken as text.
    ("seguridad & | ! : * ( ) ' \\", {"seguridad"}),
    ("!convenio", {"seguridad"}),
    ("salud:*", {"salud"}),
    ("'; drop table agreements; --", set()),
    ("\\'\\", set()),
    ("&", set()),
    ("(", set()),
]


Signer = tuple[dict[str, Any], dict[str, Any]]


@pytest.fixture
def signers(client: TestClient, keys: Keys) -> list[Signer]:
    """Tlalnepantla and the Estado de México, each with its representative."""
    return [
        signing_party(client, keys.legal, "municipio", name="Municipio de Tlalnepantla de Baz"),
        signing_party(client, keys.legal, "estado", name="Gobierno del Estado de México"),
    ]


@pytest.fixture
def convenios(client: TestClient, keys: Keys, signers: list[Signer]) -> dict[str, int]:
    """Three convenios between the same municipio and estado, by subject."""
    subjects = {
        "seguridad": ("Convenio municipal de seguridad", "Coordinar las policías preventivas."),
        "salud": ("Acuerdo para colaborar en salud", "Las jornadas de vacunación del año."),
        "catastro": ("Modernización catastral", "Actualizar el padrón catastral del municipio."),
    }
    return {
        subject: ok(
            client.post(
                f"{API}/agreements",
                json=agreement_payload(signers, title=title, objective=objective),
                headers=keys.legal,
            ),
            201,
        )["id"]
        for subject, (title, objective) in subjects.items()
    }


def _found(client: TestClient, keys: Keys, convenios: dict[str, int], q: str) -> set[str]:
    response = client.get(f"{API}/agreements", params={"q": q}, headers=keys.viewer)
    ids = {item["id"] for item in ok(response)["items"]}
    return {subject for subject, id_ in convenios.items() if id_ in ids}


@pytest.mark.parametrize(("q", "expected"), FOUND, ids=[q for q, _ in FOUND])
def test_what_each_query_finds(
    client: TestClient, keys: Keys, convenios: dict[str, int], q: str, expected: set[str]
) -> None:
    assert _found(client, keys, convenios, q) == expected


def test_a_party_renamed_is_found_by_the_forms_of_its_new_name(
    client: TestClient, keys: Keys, signers: list[Signer], convenios: dict[str, int]
) -> None:
    city = signers[0][0]["id"]
    assert _found(client, keys, convenios, "comunidad indigena unida") == set()
    renamed = client.patch(
        f"{API}/parties/{city}",
        json={"name": "Comunidades Indígenas Unidas"},
        headers=keys.legal,
    )
    assert renamed.status_code == 200, renamed.text
    # Found only by its words: the text says "comunidades indigenas unidas".
    assert _found(client, keys, convenios, "comunidad indigena unida") == ALL


def test_the_words_are_those_of_postgresqls_spanish_configuration(db: Session) -> None:
    """A word's stem is the one PostgreSQL's Spanish dictionary gives the word as written,
    without accents (which PostgreSQL's older Snowball cannot stem: "colaboracion" stays whole
    there), and the stop words are its own."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's dictionaries are PostgreSQL's")
    words = [
        *("convenios", "convenio", "municipales", "colaboración", "colaborar", "jornadas"),
        *("vacunación", "padrones", "catastrales", "modernización", "tlalnepantla", "año"),
        *("coordinación", "estatales", "ayuntamiento", "desarrollo", "protección", "2026"),
    ]

    def lexemes(word: str) -> list[str]:
        found = db.scalar(text("SELECT ts_lexize('spanish_stem', :word)"), {"word": word})
        return [searchable(lexeme) for lexeme in found or []]

    assert {word: stems(word) for word in words} == {word: lexemes(word) for word in words}
    assert {word for word in SPANISH_STOP_WORDS if lexemes(word)} == set()


def test_a_long_query_of_many_words_is_answered(client: TestClient, keys: Keys) -> None:
    params: dict[str, Any] = {"q": " ".join(f"palabra{n}s" for n in range(15))}
    assert ok(client.get(f"{API}/agreements", params=params, headers=keys.viewer))["items"] == []
