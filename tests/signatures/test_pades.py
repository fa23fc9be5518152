"""PAdES signing and validation with SAT-shaped certificates: identities, the asn1crypto fix,
signing (three parties into one PDF, with and without a timestamp), every refusal, tampering,
and acceptance of PDFs signed elsewhere.

Jobs run in-process (``job.run()``) except in the last test, which proves they and their errors
cross a real worker pool. The PKI and the signed PDFs are shared per module: keys are slow."""

import hashlib
import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from asn1crypto import core  # type: ignore[import-untyped,unused-ignore]
from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped,unused-ignore]
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfWriter
from pypdf.annotations import FreeText

from app.documents.workers import WorkerPool
from app.signatures.pades import (
    AcceptJob,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateUntrusted,
    Credentials,
    CredentialsUnreadable,
    DocumentChanged,
    FieldInUse,
    KeyMismatch,
    NotIncremental,
    NotOneNewSignature,
    SignatureError,
    SignatureInvalid,
    SignatureReport,
    SignaturesUnreadable,
    SignedPdf,
    SignJob,
    TimestampFailed,
    TrustStore,
    VerifyJob,
    WrongPassword,
)
from app.signatures.sat import identity_of
from tests.clock import RUN_STARTED
from tests.signatures.pki import EFirma, Pki, test_pki
from tests.signatures.tsa import local_tsa

PASSWORD = "Secreto-de-prueba-1"
NOW = RUN_STARTED  # the moment every test starts at, and the test PKI is valid around

# The municipio's representative signs with the municipio's certificate (persona moral: the
# entity's RFC, then its representative's); the others with their own (persona física), one of
# them in the "RFC / " variant some SAT certificates carry.
PEOPLE = {
    "municipio": (
        "Teresa Hernández García",
        "MTB850101AB1 / HEGT7610034S2",
        " / HEGT761003MDFRNN09",
    ),
    "estado": ("Luis Ramírez Ortega", "RAOL7005128K3", "RAOL700512HMCMRS04"),
    "federacion": ("Ana Sofía Medina Cruz", "MECA8203217Q1 / ", " / MECA820321MDFDRN02"),
}


@pytest.fixture(scope="module")
def pki() -> Pki:
    return test_pki()


def _firma(pki: Pki, who: str, **kwargs: object) -> EFirma:
    name, rfc_attr, curp_attr = PEOPLE[who]
    return pki.efirma(name, rfc_attr, curp_attr, password=PASSWORD, **kwargs)  # type: ignore[arg-type]


def _keys(firma: EFirma, password: str = PASSWORD) -> Credentials:
    return Credentials(password=password, certificate=firma.cer, private_key=firma.key)


def _pyhanko_context(pki: Pki, *, intermediates: bool = True) -> ValidationContext:
    """A context for pyHanko's own validator. pyhanko-certvalidator 0.33 documents DER bytes as
    accepted, but only takes asn1crypto certificates."""
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root_der)],
        other_certs=[asn1_x509.Certificate.load(pki.intermediate_der)] if intermediates else [],
    )


def _blank_pdf(text: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if text:
        writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _sign(
    pdf: bytes,
    credentials: Credentials,
    trust: TrustStore,
    field: str,
    *,
    at: datetime = NOW,
    tsa_url: str | None = None,
) -> SignedPdf:
    return SignJob(
        pdf=pdf,
        credentials=credentials,
        trust=trust,
        at=at,
        field_name=field,
        reason="Firma del convenio CONV-2026-0001",
        location="Oaxaca de Juárez",
        tsa_url=tsa_url,
        timeout=5,
    ).run()


def _edit(pdf: bytes, how: str) -> bytes:
    """An incremental update by pypdf, the way a PDF editor would add one."""
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    if how == "info":
        writer.add_metadata({"/Title": "Convenio modificado"})
    else:
        writer.add_annotation(0, FreeText(text="Cláusula añadida", rect=(50, 50, 300, 100)))
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(pdf)
    return out.getvalue()


@dataclass(frozen=True)
class Round:
    """A blank convenio and the PDF after each of three signatures."""

    base: bytes
    stages: tuple[SignedPdf, ...]

    @property
    def final(self) -> bytes:
        return self.stages[-1].pdf


@pytest.fixture(scope="module")
def three(pki: Pki) -> Round:
    base = _blank_pdf("Convenio de colaboración")
    stages: list[SignedPdf] = []
    pdf = base
    for who in PEOPLE:
        signed = _sign(pdf, _keys(_firma(pki, who)), pki.trust, f"Firma-{who}")
        stages.append(signed)
        pdf = signed.pdf
    return Round(base, tuple(stages))


@pytest.fixture(scope="module")
def expired_since(pki: Pki) -> EFirma:
    """A certificate that was valid until yesterday."""
    return _firma(pki, "estado", not_before=NOW - timedelta(days=800), not_after=NOW - timedelta(1))


# --- Identity and the asn1crypto fix -----------------------------------------------------------


def test_identity_reads_an_entity_certificate_in_the_sat_layout(pki: Pki) -> None:
    firma = pki.efirma(
        "Municipio de Santa Lucía del Camino",
        "AAA010101AAA / HEGT7610034S2",
        " / HEGT761003MDFRNN09",
        password=PASSWORD,
        email="tesoreria@example.org",
    )
    identity = identity_of(firma.cer)
    assert identity.name == "Municipio de Santa Lucía del Camino"
    assert identity.rfcs == ("AAA010101AAA", "HEGT7610034S2")
    assert identity.curp == "HEGT761003MDFRNN09"
    assert identity.issuer == "CN=AC de Pruebas del SAT, O=Pruebas de convenios"
    assert identity.sat_serial is not None and len(identity.sat_serial) == 20
    assert identity.sat_serial.isdigit()
    assert identity.serial == identity.sat_serial.encode().hex()
    assert identity.serial == f"{firma.certificate.serial_number:x}"
    assert identity.not_before.tzinfo is not None and identity.not_after.utcoffset() == timedelta(0)
    assert identity.not_before == firma.certificate.not_valid_before_utc
    # The same from PEM, and from an asn1crypto object.
    pem = firma.certificate.public_bytes(serialization.Encoding.PEM)
    assert identity_of(pem) == identity == identity_of(asn1_x509.Certificate.load(firma.cer))


@pytest.mark.parametrize(
    ("rfc_attr", "curp_attr", "rfcs", "curp"),
    [
        ("HEGT7610034S2", "HEGT761003MDFRNN09", ("HEGT7610034S2",), "HEGT761003MDFRNN09"),
        ("HEGT7610034S2 / ", " / HEGT761003MDFRNN09", ("HEGT7610034S2",), "HEGT761003MDFRNN09"),
        (" hegt7610034s2 ", None, ("HEGT7610034S2",), None),
        ("HEGT7610034S2", "SERIE-DE-EQUIPO-1", ("HEGT7610034S2",), None),  # not a CURP
    ],
)
def test_identity_reads_a_persons_certificate(
    pki: Pki, rfc_attr: str, curp_attr: str | None, rfcs: tuple[str, ...], curp: str | None
) -> None:
    identity = identity_of(pki.efirma("Teresa", rfc_attr, curp_attr, password=PASSWORD).cer)
    assert (identity.rfcs, identity.curp) == (rfcs, curp)


def test_identity_refuses_what_is_not_a_certificate() -> None:
    with pytest.raises(ValueError, match=r"not an X\.509 certificate"):
        identity_of(b"no soy un certificado")


def test_the_test_pki_writes_the_rfc_as_a_printable_string(pki: Pki) -> None:
    """Raw DER: the OID 2.5.4.45 (06 03 55 04 2d) is followed by a PrintableString (tag 0x13),
    in the leaf's subject and in the intermediate's, as in SAT certificates."""
    rfc_as_printable = bytes.fromhex("060355042d13")
    assert rfc_as_printable in _firma(pki, "municipio").cer
    assert rfc_as_printable in pki.intermediate_der


def test_asn1crypto_fails_on_sat_names_without_the_fix(
    pki: Pki, three: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Put back asn1crypto's own spec (a BIT STRING) for the test, and read certificates that
    were never parsed: names fail, and so does pyHanko's validation of a good signature."""
    cer = _firma(pki, "municipio").cer
    fixed = asn1_x509.NameTypeAndValue._oid_specs["unique_identifier"]
    monkeypatch.setitem(
        asn1_x509.NameTypeAndValue._oid_specs, "unique_identifier", core.OctetBitString
    )
    broken = "tag should have been 3, but 19 was found"
    with pytest.raises(ValueError, match=broken):
        asn1_x509.Certificate.load(cer).subject.native  # noqa: B018
    with pytest.raises(ValueError, match=broken):
        assert asn1_x509.Certificate.load(cer).subject == asn1_x509.Certificate.load(cer).subject
    with pytest.raises(ValueError, match=broken):
        # (Even registering the SAT-like intermediate in a validation context fails.)
        context = _pyhanko_context(pki)
        embedded = PdfFileReader(io.BytesIO(three.final)).embedded_regular_signatures[0]
        validate_pdf_signature(embedded, context)

    # With the fix (what importing app.signatures.sat installs), the same bytes read fine.
    monkeypatch.setitem(asn1_x509.NameTypeAndValue._oid_specs, "unique_identifier", fixed)
    subject = asn1_x509.Certificate.load(cer).subject
    assert subject.native["unique_identifier"] == "MTB850101AB1 / HEGT7610034S2"
    assert subject == asn1_x509.Certificate.load(cer).subject
    embedded = PdfFileReader(io.BytesIO(three.final)).embedded_regular_signatures[0]
    assert validate_pdf_signature(embedded, _pyhanko_context(pki)).bottom_line


def test_the_standard_bit_string_form_still_reads() -> None:
    """X.520's own BIT STRING form keeps working, and compares by value."""
    value = asn1_x509.NameTypeAndValue.load(
        asn1_x509.NameTypeAndValue(
            {"type": "unique_identifier", "value": core.OctetBitString(b"\x01\x02")}
        ).dump()
    )
    assert value["value"].native == "000102"
    assert value == asn1_x509.NameTypeAndValue.load(value.dump())


# --- Signing -----------------------------------------------------------------------------------


def _assert_sound(report: SignatureReport) -> None:
    assert report.intact and report.valid and report.trusted and report.covers_document
    assert report.certificate_valid_at_signing and report.trust_problem is None


def test_sign_with_cer_key_and_password(pki: Pki, three: Round) -> None:
    signed = three.stages[0]
    assert signed.pdf.startswith(three.base)  # incremental: the input, then the signature
    report = signed.report
    _assert_sound(report)
    assert (report.field, report.revision) == ("Firma-municipio", 1)
    assert report.signer.rfcs == ("MTB850101AB1", "HEGT7610034S2")
    assert report.signer.curp == "HEGT761003MDFRNN09"
    assert report.signing_time == NOW and report.time_source == "signer"
    assert report.coverage == "entire_file" and report.modification_level == "none"
    assert not report.timestamp and not report.timestamp_trusted
    assert report.signed_sha256 == hashlib.sha256(signed.pdf).hexdigest()


def test_the_signature_is_pades_baseline_with_its_chain(pki: Pki, three: Round) -> None:
    embedded = PdfFileReader(io.BytesIO(three.stages[0].pdf)).embedded_regular_signatures[0]
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.md_algorithm == "sha256"
    assert embedded.sig_object["/Reason"] == "Firma del convenio CONV-2026-0001"
    assert embedded.sig_field["/Rect"] == [0, 0, 0, 0]  # invisible
    embedded_certs = {c.dump() for c in embedded.other_embedded_certs}
    assert embedded_certs == {pki.intermediate_der}  # the intermediate, not the root
    # No trust store knowing the intermediate is needed: the signature carries it.
    context = _pyhanko_context(pki, intermediates=False)
    assert validate_pdf_signature(embedded, context).bottom_line


def test_sign_with_pkcs12(pki: Pki) -> None:
    firma = _firma(pki, "federacion")
    # The PKCS#12 carries the chain, so a trust store without intermediates will do.
    trust = TrustStore(roots=(pki.root_der,))
    signed = _sign(_blank_pdf(), Credentials(password=PASSWORD, pkcs12=firma.p12), trust, "F")
    _assert_sound(signed.report)
    assert signed.report.signer.rfcs == ("MECA8203217Q1",)


def test_sign_with_pem_credentials(pki: Pki) -> None:
    firma = _firma(pki, "estado")
    key = serialization.load_der_private_key(firma.key, PASSWORD.encode())
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSWORD.encode()),
    )
    pem_cer = firma.certificate.public_bytes(serialization.Encoding.PEM)
    credentials = Credentials(password=PASSWORD, certificate=pem_cer, private_key=pem_key)
    _assert_sound(_sign(_blank_pdf(), credentials, pki.trust, "F").report)


def test_three_signers_accumulate_in_one_pdf(pki: Pki, three: Round) -> None:
    for earlier, later in zip(three.stages, three.stages[1:], strict=False):
        assert later.pdf.startswith(earlier.pdf)
    # pyHanko's own validator, directly: three signatures, each intact, valid and trusted.
    reader = PdfFileReader(io.BytesIO(three.final))
    embedded = reader.embedded_regular_signatures
    assert [e.field_name for e in embedded] == [
        "Firma-municipio",
        "Firma-estado",
        "Firma-federacion",
    ]
    for signature in embedded:
        context = _pyhanko_context(pki)
        status = validate_pdf_signature(signature, context)
        assert status.intact and status.valid and status.trusted and status.bottom_line
    # Ours: all three still cover the document; the earlier two through the later signatures.
    reports = VerifyJob(three.final, pki.trust).run()
    assert [r.field for r in reports] == [e.field_name for e in embedded]
    assert [r.revision for r in reports] == [1, 2, 3]
    for report in reports:
        _assert_sound(report)
    assert [r.coverage for r in reports] == ["entire_revision", "entire_revision", "entire_file"]
    assert [r.modification_level for r in reports] == ["form_filling", "form_filling", "none"]
    assert [r.signer.rfcs[-1] for r in reports] == [
        "HEGT7610034S2",
        "RAOL7005128K3",
        "MECA8203217Q1",
    ]
    # Each reports the hash of the revision it signed: the file as that signer left it.
    assert [r.signed_sha256 for r in reports] == [
        hashlib.sha256(stage.pdf).hexdigest() for stage in three.stages
    ]
    assert reports[-1] == three.stages[-1].report


def test_an_unsigned_pdf_has_no_signatures(pki: Pki) -> None:
    assert VerifyJob(_blank_pdf(), pki.trust).run() == ()


def test_a_timestamp_from_the_tsa_is_embedded_and_trusted(pki: Pki) -> None:
    with local_tsa(pki) as url:
        signed = _sign(_blank_pdf(), _keys(_firma(pki, "municipio")), pki.trust, "F", tsa_url=url)
    report = signed.report
    _assert_sound(report)
    assert report.timestamp and report.timestamp_trusted and report.time_source == "timestamp"
    assert report.signing_time is not None
    assert report.signing_time == NOW  # the TSA's time: the service's clock, as here
    (verified,) = VerifyJob(signed.pdf, pki.trust).run()
    assert verified.time_source == "timestamp" and verified.timestamp_trusted
    # Trusting nothing of this PKI: neither the signer nor the timestamp is trusted.
    (foreign,) = VerifyJob(signed.pdf, TrustStore(roots=(pki.other_root.der,))).run()
    assert foreign.timestamp and not foreign.timestamp_trusted and foreign.time_source == "signer"
    assert not foreign.trusted and foreign.intact and foreign.valid
    assert foreign.trust_problem == "The signer's certificate does not chain to a trusted root."


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"


@pytest.mark.parametrize("answer", ["closed", "error", "garbage"])
def test_a_failing_tsa_is_a_timestamp_failure(pki: Pki, answer: str) -> None:
    credentials = _keys(_firma(pki, "municipio"))
    with pytest.raises(TimestampFailed, match="timestamp authority"):
        if answer == "closed":
            _sign(_blank_pdf(), credentials, pki.trust, "F", tsa_url=_closed_port_url())
        else:
            with local_tsa(pki, answer=answer) as url:  # type: ignore[arg-type]
                _sign(_blank_pdf(), credentials, pki.trust, "F", tsa_url=url)


# --- Refusals before signing -----------------------------------------------------------------


def _refusal_cases(pki: Pki) -> dict[str, tuple[Credentials, type[SignatureError], str]]:
    good = _firma(pki, "municipio")
    other = _firma(pki, "estado")
    name, rfc_attr, curp_attr = PEOPLE["municipio"]
    expired = _firma(
        pki, "municipio", not_before=NOW - timedelta(800), not_after=NOW - timedelta(1)
    )
    future = _firma(
        pki, "municipio", not_before=NOW + timedelta(30), not_after=NOW + timedelta(800)
    )
    stranger = pki.efirma(name, rfc_attr, curp_attr, password=PASSWORD, issuer=pki.other_root)
    return {
        "wrong password (.key)": (_keys(good, "otra-clave"), WrongPassword, "password"),
        "wrong password (.p12)": (
            Credentials(password="otra-clave", pkcs12=good.p12),
            WrongPassword,
            "PKCS#12",
        ),
        "key of another certificate": (
            Credentials(password=PASSWORD, certificate=good.cer, private_key=other.key),
            KeyMismatch,
            "does not belong",
        ),
        "expired": (_keys(expired), CertificateExpired, "expired on"),
        "not yet valid": (_keys(future), CertificateNotYetValid, "valid only from"),
        "untrusted CA": (_keys(stranger), CertificateUntrusted, "not issued by a trusted"),
        "garbage .cer": (
            Credentials(password=PASSWORD, certificate=b"\x30\x03garbage", private_key=good.key),
            CredentialsUnreadable,
            "not an X.509 certificate",
        ),
        "garbage .key": (
            Credentials(password=PASSWORD, certificate=good.cer, private_key=b"garbage"),
            CredentialsUnreadable,
            "is not a private key",
        ),
        ".cer sent as .key": (
            Credentials(password=PASSWORD, certificate=good.cer, private_key=good.cer),
            CredentialsUnreadable,
            "is not a private key",
        ),
        "garbage .p12": (
            Credentials(password=PASSWORD, pkcs12=b"garbage"),
            CredentialsUnreadable,
            "not a PKCS#12",
        ),
        "only a .cer": (
            Credentials(password=PASSWORD, certificate=good.cer),
            CredentialsUnreadable,
            "Send the certificate",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong password (.key)",
        "wrong password (.p12)",
        "key of another certificate",
        "expired",
        "not yet valid",
        "untrusted CA",
        "garbage .cer",
        "garbage .key",
        ".cer sent as .key",
        "garbage .p12",
        "only a .cer",
    ],
)
def test_bad_credentials_are_refused_before_signing(pki: Pki, case: str) -> None:
    credentials, error, message = _refusal_cases(pki)[case]
    with pytest.raises(error, match=message) as raised:
        _sign(_blank_pdf(), credentials, pki.trust, "F")
    assert credentials.password not in str(raised.value)


def test_credentials_never_show_their_secrets(pki: Pki) -> None:
    firma = _firma(pki, "municipio")
    credentials = _keys(firma)
    shown = repr(credentials) + repr(
        SignJob(_blank_pdf(), credentials, pki.trust, NOW, "F", reason="r")
    )
    assert PASSWORD not in shown
    assert firma.key.hex()[:32] not in shown and repr(firma.key)[:40] not in shown
    assert "private_key=<" in shown


def test_a_taken_field_and_an_unreadable_pdf_are_refused(pki: Pki, three: Round) -> None:
    credentials = _keys(_firma(pki, "municipio"))
    with pytest.raises(FieldInUse, match="Firma-estado"):
        _sign(three.final, credentials, pki.trust, "Firma-estado")
    with pytest.raises(SignaturesUnreadable):
        _sign(b"%PDF-1.7\nno es un PDF", credentials, pki.trust, "F")
    with pytest.raises(SignaturesUnreadable):
        VerifyJob(b"no es un PDF", pki.trust).run()


# --- Tampering -------------------------------------------------------------------------------


def test_a_flipped_byte_inside_the_signed_range_breaks_intact(pki: Pki, three: Round) -> None:
    # A byte of the last signature's /Reason: inside its signed range only.
    tampered = bytearray(three.final)
    tampered[three.final.rindex(b"convenio")] = ord("C")
    reports = VerifyJob(bytes(tampered), pki.trust).run()
    assert [r.intact for r in reports] == [True, True, False]
    assert reports[-1].trust_problem == (
        "The signed bytes changed after signing: the digest does not match."
    )
    # ... and the earlier two no longer cover the document: what follows them is not sound.
    assert [r.covers_document for r in reports[:2]] == [False, False]
    # A byte of the first revision (pypdf's binary comment): inside every signature's range.
    tampered = bytearray(three.final)
    tampered[10] ^= 0x01
    assert [r.intact for r in VerifyJob(bytes(tampered), pki.trust).run()] == [False] * 3


@pytest.mark.parametrize("how", ["info", "annotation"])
def test_an_incremental_edit_after_signing_uncovers_the_document(
    pki: Pki, three: Round, how: str
) -> None:
    reports = VerifyJob(_edit(three.final, how), pki.trust).run()
    assert len(reports) == 3
    assert all(r.intact and r.valid and r.trusted for r in reports)
    assert not any(r.covers_document for r in reports)
    assert reports[-1].coverage == "entire_revision"
    # pyHanko files an /Info change under LTA updates; the rule here refuses it all the same.
    assert reports[-1].modification_level == ("lta_updates" if how == "info" else "other")


def test_bytes_appended_after_eof_uncover_the_document(pki: Pki, three: Round) -> None:
    reports = VerifyJob(three.final + b"\n% appended\n", pki.trust).run()
    assert all(r.intact and r.valid for r in reports)
    assert not any(r.covers_document for r in reports)


def test_validation_time_defaults_to_the_signing_time(pki: Pki, expired_since: EFirma) -> None:
    """Signed 100 days ago with a certificate that expired yesterday: valid then, not now."""
    then = NOW - timedelta(days=100)
    signed = _sign(_blank_pdf(), _keys(expired_since), pki.trust, "F", at=then)
    (report,) = VerifyJob(signed.pdf, pki.trust).run()
    assert report.signing_time == then and report.time_source == "signer"
    assert report.trusted and report.certificate_valid_at_signing and report.covers_document
    (today,) = VerifyJob(signed.pdf, pki.trust, at=NOW).run()
    assert not today.trusted and not today.certificate_valid_at_signing
    assert today.trust_problem is not None and "expired" in today.trust_problem


# --- Acceptance of PDFs signed elsewhere -------------------------------------------------------


def test_a_pdf_signed_elsewhere_is_accepted(pki: Pki, three: Round) -> None:
    # The estado signs the municipio-signed PDF "on its own machine".
    base = three.stages[0].pdf
    signed = _sign(base, _keys(_firma(pki, "estado")), pki.trust, "Firma-estado").pdf
    report = AcceptJob(base=base, signed=signed, trust=pki.trust, at=NOW).run()
    _assert_sound(report)
    assert report.field == "Firma-estado" and report.signer.rfcs == ("RAOL7005128K3",)
    # And the first signatory, on a document without signatures.
    first = AcceptJob(base=three.base, signed=base, trust=pki.trust, at=NOW).run()
    assert first == three.stages[0].report


def _changed_with_signature(pki: Pki, base: bytes) -> bytes:
    """A signature revision that also rotates the page: one revision, one signature."""
    writer = IncrementalPdfFileWriter(io.BytesIO(base))
    page = writer.find_page_for_modification(0)[1].get_object()  # type: ignore[no-untyped-call]
    page[generic.pdf_name("/Rotate")] = generic.NumberObject(90)  # type: ignore[no-untyped-call]
    writer.update_container(page)
    firma = _firma(pki, "estado")
    signer = signers.SimpleSigner.load_pkcs12_data(firma.p12, [], PASSWORD.encode())
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="Firma-estado", subfilter=fields.SigSeedSubFilter.PADES
        ),
        signer,
    )
    return bytes(pdf_signer.sign_pdf(writer).getvalue())


@pytest.mark.parametrize(
    "case",
    [
        "not a prefix",
        "edit, then signature",
        "two new signatures",
        "unsigned edit",
        "unchanged",
        "changed while signing",
        "tampered signature",
        "expired signer",
        "untrusted signer",
    ],
)
def test_acceptance_refusals(pki: Pki, three: Round, expired_since: EFirma, case: str) -> None:
    base = three.stages[0].pdf
    estado = _keys(_firma(pki, "estado"))
    error: type[SignatureError]
    match case:
        case "not a prefix":
            signed = _sign(_blank_pdf("otro"), estado, pki.trust, "E").pdf
            error, message = NotIncremental, "first bytes differ"
        case "edit, then signature":
            signed = _sign(_edit(base, "annotation"), estado, pki.trust, "E").pdf
            error, message = NotIncremental, "exactly one revision"
        case "two new signatures":
            signed = _sign(_sign(base, estado, pki.trust, "E1").pdf, estado, pki.trust, "E2").pdf
            error, message = NotOneNewSignature, "it adds 2"
        case "unsigned edit":
            signed = _edit(base, "info")
            error, message = NotOneNewSignature, "it adds 0"
        case "unchanged":
            signed = base
            error, message = NotOneNewSignature, "it adds 0"
        case "changed while signing":
            base = three.base  # no earlier signature would notice
            signed = _changed_with_signature(pki, base)
            error, message = DocumentChanged, "besides adding the signature"
        case "tampered signature":
            signed = _sign(base, estado, pki.trust, "E").pdf
            where = signed.rindex(b"convenio")
            signed = signed[:where] + b"C" + signed[where + 1 :]
            error, message = SignatureInvalid, "digest does not match"
        case "expired signer":
            signed = _sign(base, _keys(expired_since), pki.trust, "E", at=NOW - timedelta(100)).pdf
            error, message = CertificateExpired, "expired on"
        case "untrusted signer":
            name, rfc_attr, curp_attr = PEOPLE["estado"]
            stranger = pki.efirma(
                name, rfc_attr, curp_attr, password=PASSWORD, issuer=pki.other_root
            )
            elsewhere = TrustStore(roots=(pki.other_root.der,))
            signed = _sign(base, _keys(stranger), elsewhere, "E").pdf
            error, message = CertificateUntrusted, "does not chain to a trusted root"
    with pytest.raises(error, match=message):
        AcceptJob(base=base, signed=signed, trust=pki.trust, at=NOW).run()


# --- Through a real worker pool --------------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(
        size=1, timeout=60, memory_mb=1024, preload=["app.signatures.pades_engine"]
    )
    yield workers
    workers.close()


def test_jobs_and_their_errors_cross_a_worker_pool(
    pki: Pki, three: Round, pool: WorkerPool
) -> None:
    firma = _firma(pki, "federacion")
    with local_tsa(pki) as url:
        job = SignJob(
            pdf=three.stages[1].pdf,
            credentials=_keys(firma),
            trust=pki.trust,
            at=NOW,
            field_name="Firma-federacion",
            reason="Firma del convenio CONV-2026-0001",
            tsa_url=url,
        )
        signed = pool.run(job)
    assert isinstance(signed, SignedPdf) and signed.report.timestamp_trusted
    reports = pool.run(VerifyJob(signed.pdf, pki.trust))
    assert [r.covers_document for r in reports] == [True, True, True]
    assert reports[-1] == signed.report
    with pytest.raises(WrongPassword, match="does not open the private key"):
        pool.run(SignJob(three.base, _keys(firma, "mala"), pki.trust, NOW, "F", reason="r"))
    with pytest.raises(NotIncremental):
        pool.run(AcceptJob(three.base, _blank_pdf("otro"), pki.trust, NOW))
