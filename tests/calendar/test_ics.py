"""The hand-written iCalendar feed, read back by the icalendar package."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from app.calendar.ics import CalendarEntry, escape, fold, render

STAMP = datetime(2026, 3, 5, 18, 30, 15, tzinfo=timezone(timedelta(hours=-6)))

# 73 ASCII octets, then "ñ" (2 octets) would end exactly at octet 75, and "€" (3 octets)
# would straddle the fold: both must stay whole.
LONG = (
    "Convenio de colaboración entre el Municipio de Santa María del Río y la Secretaría; "
    "cláusulas: primera, segunda\\tercera.\nSegunda línea con acentos: áéíóú ÁÉÍÓÚ ñÑ üÜ — "
    "y más texto para pasar de setenta y cinco octetos varias veces, con € y 𝄞 también."
)
ENTRIES = [
    CalendarEntry(
        uid="agreement-12-expiry@convenios",
        day=date(2026, 12, 31),
        summary="Vence el convenio CONV-2026-0007",
        description=LONG,
        url="https://convenios.example.mx/agreements/12?tab=resumen,fechas",
        categories=("Vencimiento", "Convenios; municipales", "a,b\\c"),
    ),
    CalendarEntry(
        uid="agreement-12-notice@convenios",
        day=date(2026, 10, 31),
        summary="Último día para avisar la no renovación: Ñuñoa, Tlaxcala",
        description="Línea 1\r\nLínea 2\nLínea 3",
    ),
    CalendarEntry(
        uid="obligation-3-due@convenios",
        day=date(2026, 2, 28),
        summary="x" * 73 + "ñ€" + "y" * 200,
        description="a" * 74 + "€" + "b" * 73 + "𝄞",
        categories=("Obligación",),
    ),
]


def events(data: bytes) -> list[Calendar]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_every_field_round_trips() -> None:
    data = render(ENTRIES, name="Convenios, Municipio; de prueba", stamp=STAMP)
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//convenios//Convenios municipales//ES"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    # icalendar keeps an X- property verbatim; clients read X-WR-CALNAME as (escaped) TEXT.
    assert str(calendar["X-WR-CALNAME"]) == r"Convenios\, Municipio\; de prueba"
    parsed = events(data)
    expected = sorted(ENTRIES, key=lambda e: (e.day, e.uid))
    assert [str(event["UID"]) for event in parsed] == [entry.uid for entry in expected]
    for event, entry in zip(parsed, expected, strict=True):
        assert str(event["SUMMARY"]) == entry.summary
        assert str(event["DESCRIPTION"]) == entry.description.replace("\r", "")
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert type(start) is date and start == entry.day
        assert type(end) is date and end == entry.day + timedelta(days=1)
        assert event["DTSTAMP"].dt == datetime(2026, 3, 6, 0, 30, 15, tzinfo=UTC)
        assert str(event["TRANSP"]) == "TRANSPARENT"
        assert (str(event["URL"]) if "URL" in event else None) == entry.url
        categories = event.get("CATEGORIES")
        assert (tuple(categories.cats) if categories else ()) == entry.categories


def test_lines_are_crlf_terminated_and_folded_at_75_octets() -> None:
    data = render(ENTRIES, name="Convenios", stamp=STAMP)
    assert data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert max(len(line) for line in lines) == 75
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # no multi-byte character is split across a fold
    assert b"DTSTAMP:20260306T003015Z\r\n" in data
    assert b"DTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270101\r\n" in data


def test_fold_keeps_multibyte_characters_whole() -> None:
    assert fold("x" * 73 + "ñ") == b"x" * 73 + "ñ".encode() + b"\r\n"  # exactly 75 octets
    assert fold("x" * 73 + "€") == b"x" * 73 + b"\r\n " + "€".encode() + b"\r\n"
    assert fold("x" * 74 + "𝄞") == b"x" * 74 + b"\r\n " + "𝄞".encode() + b"\r\n"
    folded = fold("é" * 200)
    assert all(len(line) <= 75 for line in folded.split(b"\r\n"))
    assert folded.replace(b"\r\n ", b"").decode() == "é" * 200 + "\r\n"


def test_escape() -> None:
    assert escape("a\\b;c,d\r\ne\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_bytes_are_deterministic_whatever_the_input_order() -> None:
    first = render(ENTRIES, name="Convenios", stamp=STAMP)
    assert render(reversed(ENTRIES), name="Convenios", stamp=STAMP) == first
    assert render(iter(ENTRIES), name="Convenios", stamp=STAMP.astimezone(UTC)) == first


def test_empty_feed_is_a_valid_calendar() -> None:
    data = render([], name="Sin eventos", stamp=STAMP)
    assert data.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    calendar = Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Sin eventos"
    assert events(data) == []


def test_naive_stamp_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render(ENTRIES, name="Convenios", stamp=datetime(2026, 3, 5, 12, 0))


texts = st.text(st.characters(exclude_categories=("Cs",)))


@settings(max_examples=200, deadline=None)
@given(summary=texts, description=texts)
def test_any_text_round_trips(summary: str, description: str) -> None:
    entry = CalendarEntry(
        uid="x@convenios", day=date(2026, 1, 1), summary=summary, description=description
    )
    data = render([entry], name="Convenios", stamp=STAMP)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    (event,) = events(data)
    assert str(event["SUMMARY"]) == summary.replace("\r", "")
    assert str(event["DESCRIPTION"]) == description.replace("\r", "")
