"""iCalendar (RFC 5545) feeds of all-day events, written by hand: no database, no HTTP.

The output is deterministic: the same entries, name and stamp always give the same bytes.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PRODID = "-//convenios//Convenios municipales//ES"
TIMEZONE = "America/Mexico_City"
_LIMIT = 75  # octets per physical line, CRLF excluded (RFC 5545 §3.1)


@dataclass(frozen=True)
class CalendarEntry:
    """One all-day event. ``uid`` must be stable across feeds and runs."""

    uid: str
    day: date
    summary: str
    description: str
    url: str | None = None
    categories: tuple[str, ...] = ()


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newline escaped,
    carriage returns dropped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r", "")
        .replace("\n", "\\n")
    )


def fold(line: str) -> bytes:
    """``line`` in UTF-8, folded so that no physical line exceeds 75 octets (RFC 5545 §3.1),
    never inside a multi-byte character; every physical line ends with CRLF."""
    out, current, size = [], bytearray(), 0
    for char in line:
        encoded = char.encode("utf-8")
        if size + len(encoded) > _LIMIT:
            out.append(bytes(current) + b"\r\n")
            current, size = bytearray(b" "), 1
        current += encoded
        size += len(encoded)
    out.append(bytes(current) + b"\r\n")
    return b"".join(out)


def _event(entry: CalendarEntry, stamp: str) -> Iterator[str]:
    yield "BEGIN:VEVENT"
    yield f"UID:{escape(entry.uid)}"
    yield f"DTSTAMP:{stamp}"
    yield f"DTSTART;VALUE=DATE:{entry.day:%Y%m%d}"
    yield f"DTEND;VALUE=DATE:{entry.day + timedelta(days=1):%Y%m%d}"
    yield f"SUMMARY:{escape(entry.summary)}"
    yield f"DESCRIPTION:{escape(entry.description)}"
    if entry.url:
        yield f"URL:{entry.url}"
    if entry.categories:
        yield f"CATEGORIES:{','.join(escape(category) for category in entry.categories)}"
    yield "TRANSP:TRANSPARENT"
    yield "END:VEVENT"


def render(entries: Iterable[CalendarEntry], *, name: str, stamp: datetime) -> bytes:
    """The feed ``name`` with one VEVENT per entry, sorted by (day, uid); ``stamp`` (the
    DTSTAMP of every event) must be timezone-aware."""
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("stamp must be timezone-aware")
    dtstamp = f"{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
        f"X-WR-TIMEZONE:{TIMEZONE}",
    ]
    for entry in sorted(entries, key=lambda e: (e.day, e.uid)):
        lines.extend(_event(entry, dtstamp))
    lines.append("END:VCALENDAR")
    return b"".join(fold(line) for line in lines)
