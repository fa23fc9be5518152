"""es-MX formatting for convenio documents: dates, amounts in figures and words, ordinals, names.

Pure functions, registered as template filters. Spanish as Mexican legal documents write it:
"15 de enero de 2026", "$1,500,000.50 (UN MILLÓN QUINIENTOS MIL PESOS 50/100 M.N.)",
cláusulas PRIMERA … VIGÉSIMA QUINTA, "POR EL MUNICIPIO DE TLALNEPANTLA DE BAZ".
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip

_UNITS = (
    "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
    "diez", "once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete",
    "dieciocho", "diecinueve", "veinte", "veintiuno", "veintidós", "veintitrés",
    "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho", "veintinueve",
)  # fmt: skip
_TENS = ("", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa")
_HUNDREDS = (
    "", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos",
    "seiscientos", "setecientos", "ochocientos", "novecientos",
)  # fmt: skip
# Long scale, as in Spanish: a billón is a million millions.
_SCALES = ((10**12, "billón", "billones"), (10**6, "millón", "millones"))
MAX_NUMBER = 10**18 - 1

_ORDINAL_UNITS = (
    "", "primera", "segunda", "tercera", "cuarta", "quinta",
    "sexta", "séptima", "octava", "novena",
)  # fmt: skip
_ORDINAL_TENS = (
    "", "décima", "vigésima", "trigésima", "cuadragésima", "quincuagésima",
    "sexagésima", "septuagésima", "octogésima", "nonagésima",
)  # fmt: skip

CURRENCIES = {
    # code: (singular, plural, suffix after the cents, symbol)
    "MXN": ("peso", "pesos", "M.N.", "$"),
    "USD": ("dólar", "dólares", "USD", "US$"),
    "EUR": ("euro", "euros", "EUR", "€"),
}

# Words that stay lower-case inside a name or a cargo written with initial capitals.
_MINOR_WORDS = frozenset(
    {"a", "al", "de", "del", "e", "el", "en", "la", "las", "los", "o", "para", "por", "u", "y"}
)


def long_date(value: date) -> str:
    """15 de enero de 2026"""
    return f"{value.day} de {MONTHS[value.month - 1]} de {value.year}"


def date_in_words(value: date) -> str:
    """a los quince días del mes de enero de dos mil veintiséis (for the closing line)."""
    day = (
        "al primer día"
        if value.day == 1
        else f"a los {number_in_words(value.day, apocope=True)} días"
    )
    return f"{day} del mes de {MONTHS[value.month - 1]} de {number_in_words(value.year)}"


def number_in_words(number: int, *, apocope: bool = False) -> str:
    """Cardinal in Spanish words, lower case: 21 → veintiuno (veintiún with ``apocope``,
    as before a noun: "veintiún pesos")."""
    if number < 0 or number > MAX_NUMBER:
        raise ValueError(f"{number} is outside 0..{MAX_NUMBER}")
    if number == 0:
        return "cero"
    words = _words(number)
    if apocope:
        words = _apocopate(words)
    return words


def _apocopate(words: str) -> str:
    """uno → un, veintiuno → veintiún, at the end of the number (before the noun)."""
    if words.endswith("veintiuno"):
        return words[: -len("veintiuno")] + "veintiún"
    if words == "uno" or words.endswith(" uno"):
        return words[:-1]
    return words


def _words(number: int) -> str:
    for scale, singular, plural in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            head = "un " + singular if high == 1 else _apocopate(_words(high)) + " " + plural
            return head + (" " + _words(rest) if rest else "")
    if number >= 1000:
        high, rest = divmod(number, 1000)
        head = "mil" if high == 1 else _apocopate(_below_thousand(high)) + " mil"
        return head + (" " + _below_thousand(rest) if rest else "")
    return _below_thousand(number)


def _below_thousand(number: int) -> str:
    if number == 100:
        return "cien"
    hundreds, rest = divmod(number, 100)
    parts = [_HUNDREDS[hundreds]] if hundreds else []
    if rest:
        if rest < 30:
            parts.append(_UNITS[rest])
        else:
            tens, units = divmod(rest, 10)
            parts.append(_TENS[tens] + (f" y {_UNITS[units]}" if units else ""))
    return " ".join(parts)


def _quantize(amount: Decimal | int | str) -> Decimal:
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("amounts in a convenio are not negative")
    return value


def amount_in_words(amount: Decimal | int | str, currency: str = "MXN") -> str:
    """UN MILLÓN QUINIENTOS MIL PESOS 50/100 M.N."""
    value = _quantize(amount)
    whole = int(value)
    cents = int((value - whole) * 100)
    singular, plural, suffix, _ = CURRENCIES.get(currency, (currency, currency, currency, ""))
    words = number_in_words(whole, apocope=True)
    if whole == 1:
        noun = singular
    elif whole and whole % 1_000_000 == 0:
        # "un millón de pesos", "dos mil millones de pesos"
        noun = "de " + plural
    else:
        noun = plural
    return f"{words} {noun} {cents:02d}/100 {suffix}".upper()


def amount_in_figures(amount: Decimal | int | str, currency: str = "MXN") -> str:
    """$1,500,000.50"""
    value = _quantize(amount)
    symbol = CURRENCIES.get(currency, ("", "", "", ""))[3] or f"{currency} "
    return f"{symbol}{value:,.2f}"


def amount(amount: Decimal | int | str, currency: str = "MXN") -> str:
    """$1,500,000.50 (UN MILLÓN QUINIENTOS MIL PESOS 50/100 M.N.)"""
    return f"{amount_in_figures(amount, currency)} ({amount_in_words(amount, currency)})"


def ordinal(number: int) -> str:
    """PRIMERA, SEGUNDA, … DÉCIMA PRIMERA, … VIGÉSIMA QUINTA, … CENTÉSIMA (cláusulas)."""
    if not 1 <= number <= 100:
        raise ValueError("cláusulas are numbered 1 to 100")
    if number == 100:
        return "CENTÉSIMA"
    tens, units = divmod(number, 10)
    words = " ".join(part for part in (_ORDINAL_TENS[tens], _ORDINAL_UNITS[units]) if part)
    return words.upper()


def upper(text: str) -> str:
    """POR EL MUNICIPIO DE TLALNEPANTLA DE BAZ (accents kept: "México" → "MÉXICO")."""
    return text.upper()


def title(text: str) -> str:
    """Presidente Municipal Constitucional del Ayuntamiento de Tlalnepantla de Baz."""
    words = text.split()
    return " ".join(
        word.lower() if i and word.lower() in _MINOR_WORDS else word[:1].upper() + word[1:].lower()
        for i, word in enumerate(words)
    )
