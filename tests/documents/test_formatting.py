"""es-MX formatting of dates, amounts and clause numbers, on the edge cases."""

from datetime import date
from decimal import Decimal

import pytest

from app.documents import formatting as fmt


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 1, 15), "15 de enero de 2026"),
        (date(2018, 10, 23), "23 de octubre de 2018"),
        (date(2027, 12, 1), "1 de diciembre de 2027"),
    ],
)
def test_long_dates(value: date, expected: str) -> None:
    assert fmt.long_date(value) == expected


def test_dates_in_words_for_the_closing_line() -> None:
    assert fmt.date_in_words(date(2026, 1, 15)) == (
        "a los quince días del mes de enero de dos mil veintiséis"
    )
    assert (
        fmt.date_in_words(date(2021, 3, 1)) == "al primer día del mes de marzo de dos mil veintiuno"
    )
    assert fmt.date_in_words(date(2030, 9, 21)) == (
        "a los veintiún días del mes de septiembre de dos mil treinta"
    )


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "cero"),
        (1, "uno"),
        (15, "quince"),
        (16, "dieciséis"),
        (21, "veintiuno"),
        (22, "veintidós"),
        (30, "treinta"),
        (31, "treinta y uno"),
        (100, "cien"),
        (101, "ciento uno"),
        (115, "ciento quince"),
        (500, "quinientos"),
        (999, "novecientos noventa y nueve"),
        (1_000, "mil"),
        (1_001, "mil uno"),
        (2_000, "dos mil"),
        (21_000, "veintiún mil"),
        (100_000, "cien mil"),
        (101_000, "ciento un mil"),
        (1_000_000, "un millón"),
        (1_500_000, "un millón quinientos mil"),
        (2_000_000, "dos millones"),
        (21_000_000, "veintiún millones"),
        (1_000_000_000, "mil millones"),
        (1_001_000_000, "mil un millones"),
        (1_000_000_000_000, "un billón"),
        (2_000_000_000_001, "dos billones uno"),
    ],
)
def test_numbers_in_words(number: int, words: str) -> None:
    assert fmt.number_in_words(number) == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (Decimal("0"), "CERO PESOS 00/100 M.N."),
        (Decimal("1"), "UN PESO 00/100 M.N."),
        (Decimal("0.50"), "CERO PESOS 50/100 M.N."),
        (Decimal("21"), "VEINTIÚN PESOS 00/100 M.N."),
        (Decimal("31.05"), "TREINTA Y UN PESOS 05/100 M.N."),
        (Decimal("100"), "CIEN PESOS 00/100 M.N."),
        (Decimal("1000"), "MIL PESOS 00/100 M.N."),
        (Decimal("1000000"), "UN MILLÓN DE PESOS 00/100 M.N."),
        (Decimal("1500000.50"), "UN MILLÓN QUINIENTOS MIL PESOS 50/100 M.N."),
        (Decimal("1000000000"), "MIL MILLONES DE PESOS 00/100 M.N."),
        (
            Decimal("9999999999999.99"),
            "NUEVE BILLONES NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE MILLONES "
            "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE PESOS 99/100 M.N.",
        ),
    ],
)
def test_amounts_in_words(amount: Decimal, words: str) -> None:
    assert fmt.amount_in_words(amount) == words


def test_amounts_in_figures_and_words() -> None:
    assert fmt.amount(Decimal("1500000.50")) == (
        "$1,500,000.50 (UN MILLÓN QUINIENTOS MIL PESOS 50/100 M.N.)"
    )
    assert fmt.amount("0.005") == "$0.01 (CERO PESOS 01/100 M.N.)"
    assert (
        fmt.amount(Decimal("2500"), "USD") == "US$2,500.00 (DOS MIL QUINIENTOS DÓLARES 00/100 USD)"
    )
    with pytest.raises(ValueError, match="negative"):
        fmt.amount(Decimal("-1"))


@pytest.mark.parametrize(
    ("number", "word"),
    [
        (1, "PRIMERA"),
        (2, "SEGUNDA"),
        (3, "TERCERA"),
        (7, "SÉPTIMA"),
        (10, "DÉCIMA"),
        (11, "DÉCIMA PRIMERA"),
        (19, "DÉCIMA NOVENA"),
        (20, "VIGÉSIMA"),
        (25, "VIGÉSIMA QUINTA"),
        (42, "CUADRAGÉSIMA SEGUNDA"),
        (99, "NONAGÉSIMA NOVENA"),
        (100, "CENTÉSIMA"),
    ],
)
def test_clause_ordinals(number: int, word: str) -> None:
    assert fmt.ordinal(number) == word


def test_ordinals_outside_the_range_are_refused() -> None:
    for number in (0, 101):
        with pytest.raises(ValueError):
            fmt.ordinal(number)


def test_names_and_cargos() -> None:
    assert fmt.upper("Municipio de Tlalnepantla de Baz, Estado de México") == (
        "MUNICIPIO DE TLALNEPANTLA DE BAZ, ESTADO DE MÉXICO"
    )
    assert fmt.upper("Señor Núñez") == "SEÑOR NÚÑEZ"
    assert fmt.title("PRESIDENTE MUNICIPAL CONSTITUCIONAL DE TLALNEPANTLA DE BAZ") == (
        "Presidente Municipal Constitucional de Tlalnepantla de Baz"
    )
    assert fmt.title("secretaría de seguridad y protección ciudadana") == (
        "Secretaría de Seguridad y Protección Ciudadana"
    )
