"""A throwaway PKI shaped like the SAT's, to try PAdES signing without real credentials —
`convenios demo-pki` writes one — and for the tests. Never for real convenios: anybody can make
these certificates.

- "AC Raíz de Pruebas de convenios", the root the service is told to trust;
- "AC de Pruebas del SAT", an intermediate under it that issues e.firma certificates, the way
  the SAT's own CAs hang below their root (its subject carries an x500UniqueIdentifier as a
  PrintableString too, like the SAT's: path building compares it);
- a TSA certificate under the root (critical EKU timeStamping), for a test timestamp authority;
- "AC Ajena de Pruebas", an unrelated root nobody trusts, issuing look-alike certificates.

E.firma leaves have RSA 2048 keys, a 20-ASCII-digit serial, the RFC(s) in x500UniqueIdentifier
as a PrintableString, the CURP in serialNumber, and come as the SAT hands them out: a DER
``.cer`` and a ``.key`` that is an encrypted PKCS#8 DER (PBES2, PBKDF2-HMAC-SHA1, DES-EDE3-CBC),
plus the PKCS#12 some holders export. Validity is counted from the moment the PKI is built for
(the service's clock by default): the authorities ten years either side, leaves from a year
before to three years after, like the SAT's four.

Key generation is slow: leaves are cached by their arguments.
"""

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import algos, keys  # type: ignore[import-untyped,unused-ignore]
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app import clock
from app.signatures.pades import TrustStore

DEMO_PASSWORD = "12345678a"  # noqa: S105  (the demo's, printed by `convenios demo-pki`)
_CA_YEARS = timedelta(days=3650)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True, eq=False)
class Authority:
    """A CA of the test PKI: its certificate, key and the chain above it (root last)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def der(self) -> bytes:
        return _der(self.certificate)


@dataclass(frozen=True)
class EFirma:
    """A holder's credentials as the SAT issues them."""

    cer: bytes  # DER certificate
    key: bytes  # encrypted PKCS#8 DER, PBES2 with DES-EDE3-CBC
    p12: bytes  # PKCS#12 with the key, the certificate and its chain, same password
    password: str = field(repr=False)
    certificate: x509.Certificate


def _ca(
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer: Authority | None,
    *,
    now: datetime,
    unique_identifier: str | None = None,
    path_length: int | None = None,
) -> Authority:
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pruebas de convenios"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
    ]
    if unique_identifier is not None:
        attributes.append(_printable(NameOID.X500_UNIQUE_IDENTIFIER, unique_identifier))
    subject = x509.Name(attributes)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CA_YEARS)
        .not_valid_after(now + _CA_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    certificate = builder.sign(signer_key, hashes.SHA256())
    chain = (issuer.certificate, *issuer.chain) if issuer else ()
    return Authority(certificate, key, chain)


def _key_usage(*, cert_sign: bool = False, signing: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=signing,
        key_agreement=signing,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _printable(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute[str]:
    """An attribute encoded as PrintableString (tag 0x13), as the SAT writes 2.5.4.45."""
    return x509.NameAttribute(oid, value, _type=_ASN1Type.PrintableString)


def sat_encrypted_pkcs8(key: rsa.RSAPrivateKey, password: str, *, iterations: int = 2048) -> bytes:
    """The private key as the SAT's ``.key``: PKCS#8 encrypted with PBES2, PBKDF2-HMAC-SHA1 and
    DES-EDE3-CBC (`cryptography` only writes AES, so the structure is built by hand)."""
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, iv = os.urandom(8), os.urandom(8)
    kdf = PBKDF2HMAC(algorithm=hashes.SHA1(), length=24, salt=salt, iterations=iterations)  # noqa: S303
    secret = kdf.derive(password.encode())
    padder = padding.PKCS7(64).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(TripleDES(secret), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    algorithm = algos.EncryptionAlgorithm(
        {
            "algorithm": "pbes2",
            "parameters": {
                "key_derivation_func": {
                    "algorithm": "pbkdf2",
                    "parameters": {
                        "salt": algos.Pbkdf2Salt({"specified": salt}),
                        "iteration_count": iterations,
                        "prf": {"algorithm": "sha1"},
                    },
                },
                "encryption_scheme": {"algorithm": "tripledes_3key", "parameters": iv},
            },
        }
    )
    info = keys.EncryptedPrivateKeyInfo(
        {"encryption_algorithm": algorithm, "encrypted_data": encrypted}
    )
    return bytes(info.dump())


class Pki:
    """The demo PKI (see the module docstring), valid around ``now``."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = (now or clock.now()).replace(microsecond=0)
        self.root = _ca(
            "AC Raíz de Pruebas de convenios", _key(), None, now=self.now, path_length=1
        )
        self.intermediate = _ca(
            "AC de Pruebas del SAT",
            _key(),
            self.root,
            now=self.now,
            unique_identifier="SAT970701NN3",
            path_length=0,
        )
        self.other_root = _ca("AC Ajena de Pruebas", _key(), None, now=self.now, path_length=0)
        self.root_der = self.root.der
        self.intermediate_der = self.intermediate.der
        self.trust = TrustStore(roots=(self.root_der,), intermediates=(self.intermediate_der,))
        self.tsa_key = _key()
        self.tsa_cert = self._tsa_certificate()
        self._serials = itertools.count(1)
        self._issued: dict[tuple[object, ...], EFirma] = {}

    def _tsa_certificate(self) -> x509.Certificate:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "TSA de Pruebas de convenios"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pruebas de convenios"),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            ]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.root.certificate.subject)
            .public_key(self.tsa_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - _CA_YEARS)
            .not_valid_after(self.now + _CA_YEARS)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .sign(self.root.key, hashes.SHA256())
        )

    @property
    def tsa_der(self) -> bytes:
        return _der(self.tsa_cert)

    def efirma(
        self,
        name: str,
        rfc_attr: str,
        curp_attr: str | None,
        *,
        password: str,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        issuer: Authority | None = None,
        email: str | None = None,
    ) -> EFirma:
        """An e.firma for ``name`` (cached: the same arguments give the same credentials),
        valid from a year before the PKI's moment to three years after unless told otherwise."""
        issuer = issuer or self.intermediate
        not_before = not_before or self.now - timedelta(days=365)
        not_after = not_after or self.now + timedelta(days=3 * 365)
        cache_key = (name, rfc_attr, curp_attr, password, not_before, not_after, id(issuer), email)
        if cache_key not in self._issued:
            self._issued[cache_key] = self._issue(
                name, rfc_attr, curp_attr, password, not_before, not_after, issuer, email
            )
        return self._issued[cache_key]

    def _issue(
        self,
        name: str,
        rfc_attr: str,
        curp_attr: str | None,
        password: str,
        not_before: datetime,
        not_after: datetime,
        issuer: Authority,
        email: str | None,
    ) -> EFirma:
        key = _key()
        attributes = [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.41"), name),  # "name", as SAT
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        ]
        if email is not None:
            attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
        attributes.append(_printable(NameOID.X500_UNIQUE_IDENTIFIER, rfc_attr))
        if curp_attr is not None:
            attributes.append(_printable(NameOID.SERIAL_NUMBER, curp_attr))
        # SAT's "número de serie": 20 ASCII digits, stored as the bytes of the serial integer.
        sat_serial = f"3000100000050{next(self._serials):07d}"
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attributes))
            .issuer_name(issuer.certificate.subject)
            .public_key(key.public_key())
            .serial_number(int.from_bytes(sat_serial.encode("ascii"), "big"))
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(
                # What SAT e.firma certificates carry; pyHanko must not refuse them for it.
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                critical=False,
            )
            .sign(issuer.key, hashes.SHA256())
        )
        p12 = pkcs12.serialize_key_and_certificates(
            name=name.encode(),
            key=key,
            cert=certificate,
            cas=[issuer.certificate, *issuer.chain],
            encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
        )
        return EFirma(
            cer=_der(certificate),
            key=sat_encrypted_pkcs8(key, password),
            p12=p12,
            password=password,
            certificate=certificate,
        )


def write_demo(out: Path, people: dict[str, str]) -> Path:
    """A demo PKI in ``out``: ``trust.pem`` (root and intermediate, for
    `CONVENIOS_TRUST_ROOTS`) and, for each RFC → name in ``people``, ``RFC.cer``, ``RFC.key``
    and ``RFC.p12``, all with the password `DEMO_PASSWORD`. Returns the trust file."""
    out.mkdir(parents=True, exist_ok=True)
    pki = Pki()
    trust = out / "trust.pem"
    trust.write_bytes(
        pki.root.certificate.public_bytes(serialization.Encoding.PEM)
        + pki.intermediate.certificate.public_bytes(serialization.Encoding.PEM)
    )
    for rfc, name in people.items():
        firma = pki.efirma(name, rfc.upper(), None, password=DEMO_PASSWORD)
        for suffix, data in ((".cer", firma.cer), (".key", firma.key), (".p12", firma.p12)):
            (out / f"{rfc.upper()}{suffix}").write_bytes(data)
    return trust
