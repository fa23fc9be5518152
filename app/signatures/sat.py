"""Reading X.509 certificates laid out like the SAT's e.firma, and the asn1crypto fix they need.

The SAT (Mexico's tax authority) issues the e.firma with the holder's RFC in the subject's
``x500UniqueIdentifier`` (OID 2.5.4.45) and the CURP in ``serialNumber`` (2.5.4.5)::

    x500UniqueIdentifier = "AAA010101AAA / HEGT7610034S2"  (an entity's RFC / its representative's)
    x500UniqueIdentifier = "HEGT7610034S2"       (a person; some certificates: "HEGT7610034S2 / ")
    serialNumber         = " / HEGT761003MDFRNN09"         (or just "HEGT761003MDFRNN09")

X.520 defines x500UniqueIdentifier as a BIT STRING, and asn1crypto (used by pyHanko and its
certificate validator) parses it as one; the SAT writes a PrintableString. asn1crypto parses
lazily, so such a certificate loads fine and then fails with "tag should have been 3, but 19
was found" wherever its names are read: ``.native``, name comparison and hashing (path
building matches an issuer to a subject, and the SAT's own CA certificates carry the attribute
too), and pyHanko's signing. Importing this module registers a spec that accepts either form;
asn1crypto consults its spec table when it parses a value, so the fix also applies to
certificates loaded before the import, as long as nobody tried to read their names yet.

The SAT also writes its "número de serie" (the 20 digits shown to the holder) as ASCII digits
inside the serial number integer: ``identity_of`` reports both.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import core, pem, x509  # type: ignore[import-untyped,unused-ignore]

__all__ = ["Identity", "UniqueIdentifier", "identity_of"]


class _BitStringIdentifier(core.BitString):  # type: ignore[misc,unused-ignore]
    """X.520's own form, read as the hex of its encoding.

    asn1crypto compares names through their values' text; a BIT STRING's usual native value (a
    tuple of bits) cannot be prepared as text, so it is given a textual one that keeps equality
    exact."""

    @property
    def native(self) -> str:
        return bytes(self.contents or b"").hex()


class UniqueIdentifier(core.Choice):  # type: ignore[misc,unused-ignore]
    """x500UniqueIdentifier as met in the wild: the standard BIT STRING or a directory string
    (PrintableString from the SAT; UTF8String and the other DirectoryString forms from others)."""

    _alternatives = [  # noqa: RUF012 (asn1crypto's declarative spec)
        ("bit_string", _BitStringIdentifier),
        ("printable_string", core.PrintableString),
        ("utf8_string", core.UTF8String),
        ("teletex_string", x509.NotReallyTeletexString),
        ("universal_string", core.UniversalString),
        ("bmp_string", core.BMPString),
        ("ia5_string", core.IA5String),
    ]


def _install() -> None:
    """Make asn1crypto read 2.5.4.45 with `UniqueIdentifier` (idempotent)."""
    x509.NameTypeAndValue._oid_specs["unique_identifier"] = UniqueIdentifier


_install()


@dataclass(frozen=True)
class Identity:
    """Who a certificate names, as a Mexican reader expects it."""

    name: str  # the subject's CN
    rfcs: tuple[str, ...]  # the entity's RFC first, then its legal representative's, if any
    curp: str | None
    serial: str  # the serial number integer in lowercase hex, an even number of digits
    sat_serial: str | None  # the same serial as the SAT writes it (its ASCII digits), if it is so
    issuer: str  # "CN=…, O=…" of the issuing CA
    not_before: datetime  # aware, UTC
    not_after: datetime  # aware, UTC


# 4 letters, birth date, sex (H, M, or X since 2022), state, 3 consonants, homoclave, check digit.
_CURP = re.compile(r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[0-9A-Z]\d")


def identity_of(certificate: x509.Certificate | bytes) -> Identity:
    """The `Identity` of a certificate (an asn1crypto object, or DER or PEM bytes).

    Raises ValueError if the bytes are not a certificate."""
    cert = _load(certificate) if isinstance(certificate, bytes) else certificate
    subject = cert.subject
    serial: int = cert.serial_number
    serial_bytes = serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big")
    curp = _parts(_attribute(subject, "serial_number"))
    return Identity(
        name=_attribute(subject, "common_name") or _attribute(subject, "name") or "",
        rfcs=_parts(_attribute(subject, "unique_identifier")),
        curp=curp[-1] if curp and _CURP.fullmatch(curp[-1]) else None,
        serial=serial_bytes.hex(),
        sat_serial=serial_bytes.decode("ascii") if serial_bytes.isdigit() else None,
        issuer=_short_dn(cert.issuer),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
    )


def _load(data: bytes) -> x509.Certificate:
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    try:
        cert = x509.Certificate.load(data)
        cert.native  # noqa: B018 (asn1crypto parses lazily: fail here, not later)
    except (ValueError, TypeError) as error:
        raise ValueError("not an X.509 certificate") from error
    return cert


def _attribute(name: x509.Name, type_: str) -> str | None:
    """The first value of attribute ``type_`` in ``name``, if it is text."""
    for rdn in name.chosen:
        for type_and_value in rdn:
            if type_and_value["type"].native == type_:
                value: Any = type_and_value["value"].native
                return value if isinstance(value, str) else None
    return None


def _parts(value: str | None) -> tuple[str, ...]:
    """SAT's "A / B" lists: the non-empty parts, stripped and upper-cased, in order."""
    if value is None:
        return ()
    return tuple(part.strip().upper() for part in value.split("/") if part.strip())


def _short_dn(name: x509.Name) -> str:
    """The issuer's CN and O (SAT's issuer names carry a dozen attributes, address included)."""
    labels = (("common_name", "CN"), ("organization_name", "O"))
    parts = [f"{label}={value}" for type_, label in labels if (value := _attribute(name, type_))]
    return ", ".join(parts) or str(name.human_friendly)
