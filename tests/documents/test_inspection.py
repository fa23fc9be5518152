"""Inspection: an upload is kept only when it parses as a PDF. Hostile files end as a clear
error within seconds, in a worker that goes on serving; the corpus is built here, byte by byte,
so that no binary file needs to be trusted or committed."""

import hashlib
import io
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator

import pytest
from pypdf import PdfWriter

from app.documents import pdf_check
from app.documents.inspection import (
    CorruptPdf,
    EncryptedPdf,
    InspectJob,
    NotAPdf,
    PdfFacts,
    PdfRejected,
    PdfTooComplex,
)
from app.documents.pdf_check import inspect_pdf
from app.documents.workers import JobError, JobOutOfMemory, WorkerPool

TIMEOUT = 5.0
# The most a hostile case may take through the pool, from sending to the answer.
CASE_SECONDS = 6.0


# --- A tiny PDF writer: every object of the corpus is visible in this file. -------------------


def _stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), dictionary, data)


def _pdf(*objects: bytes, header: bytes = b"%PDF-1.7", trailer: bytes = b"") -> bytes:
    """A PDF whose objects 1, 2, ... are ``objects`` (1 is the catalog), with a correct
    cross-reference table."""
    out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _one_page(
    contents: bytes, *more: bytes, count: int = 1, resources: bytes = b"", catalog: bytes = b""
) -> bytes:
    """Catalog (1), page tree (2), one page (3) whose content stream is object 4; ``more``
    objects follow from 5."""
    return _pdf(
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        b"/Encoding /WinAnsiEncoding >> >> %s >> >>" % resources,
        contents,
        *more,
    )


# "Convenio de colaboración ... Oaxaca de Juárez", in WinAnsi (ó is \363, á is \341).
SPANISH_TEXT = (
    b"BT /F1 14 Tf 72 720 Td (Convenio de colaboraci\\363n entre el Municipio de Oaxaca de "
    b"Ju\\341rez y el Gobierno del Estado) Tj ET"
)


def spanish_pdf() -> bytes:
    """A hand-made page of Spanish text in a Flate content stream, with a producer."""
    return _pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(zlib.compress(SPANISH_TEXT), b"/Filter /FlateDecode"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Producer (Esc\\341ner\\tmunicipal\\r\\n3000) >>",
        trailer=b"/Info 6 0 R",
    )


def written_pdf(pages: int = 1, password: str | None = None) -> bytes:
    """Blank A4 pages as pypdf writes them, encrypted when a password is given."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zeros_deflated(size: int) -> bytes:
    """A zlib stream of ``size`` zero bytes, built without compressing them all: after a full
    flush every 16 MiB block of zeros deflates to the same bytes, so one is repeated, and the
    Adler-32 of n zeros is (n mod 65521) << 16 | 1."""
    block = 16 * 1024 * 1024
    assert size % block == 0
    zeros = bytes(block)
    compressor = zlib.compressobj(9)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-4] + struct.pack(">I", (size % 65521) << 16 | 1)
    return first + again * (size // block - 1) + end


def bomb_pdf() -> bytes:
    """~1 MB that inflates to 1 GiB, as the page's content stream: twice the worker's cap."""
    return _one_page(_stream(zeros_deflated(1024**3), b"/Filter /FlateDecode"))


def xref_stream_pdf(entries: int) -> bytes:
    """A valid one-page PDF 1.5 whose cross-reference stream declares ``entries`` objects
    (the rest free): 600 000 entries fit in a few kilobytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    out = bytearray(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offset, 0) for offset in [*offsets, xref]]
    rows += [struct.pack(">BIH", 0, 0, 0)] * (entries - len(rows))
    out += b"4 0 obj\n%s\nendobj\n" % _stream(
        zlib.compress(b"".join(rows)),
        b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode" % entries,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def zip_with_pdf() -> bytes:
    """A ZIP that stores a PDF uncompressed: its %PDF- header is within the first kilobyte."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("anexo.pdf", spanish_pdf())
    return out.getvalue()


def aes_pdf() -> bytes:
    """Encrypted with AES-256 (revision 6), which pypdf cannot even try without a crypto
    library; the keys are zeros, the file never needs to open."""
    return _pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /O <%s> /U <%s> /OE <%s> /UE <%s> "
        b"/Perms <%s> /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >> "
        b"/StmF /StdCF /StrF /StdCF >>"
        % (b"00" * 48, b"00" * 48, b"00" * 32, b"00" * 32, b"00" * 16),
        trailer=b"/Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff> "
        b"<00112233445566778899aabbccddeeff>]",
    )


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + bytes(20)
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Convenio</h1></body></html>\n"


# --- Valid files: their facts. ----------------------------------------------------------------


def test_a_hand_made_pdf_yields_its_facts() -> None:
    data = spanish_pdf()
    facts = inspect_pdf(data)
    assert facts == PdfFacts(
        pages=1,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pdf_version="1.7",
        signature_fields=0,
        # Decoded from PDFDocEncoding, with its control characters (a tab, a line break) gone.
        producer="Escáner municipal 3000",
    )


def test_a_pdf_written_by_pypdf_yields_its_facts() -> None:
    data = written_pdf(pages=3)
    facts = inspect_pdf(data, max_pages=3)
    assert (facts.pages, facts.size, facts.pdf_version) == (3, len(data), "1.3")
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert facts.producer == "pypdf"


def test_signed_signature_fields_are_counted_and_empty_ones_are_not() -> None:
    signature = (
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
        b"/ByteRange [0 0 0 0] /Contents <00> >>"
    )
    data = _one_page(
        _stream(b"q Q"),
        b"<< /FT /Sig /T (Presidente municipal) /V 7 0 R >>",  # 5: signed
        b"<< /FT /Sig /T (Secretario) >>",  # 6: a placeholder, unsigned
        signature,  # 7
        b"<< /FT /Sig /T (Testigos) /Kids [9 0 R 10 0 R] >>",  # 8: the type is inherited
        b"<< /T (Primero) /Parent 8 0 R /V 7 0 R >>",  # 9: signed
        b"<< /T (Segundo) /Parent 8 0 R >>",  # 10: unsigned
        catalog=b"/AcroForm << /Fields [5 0 R 6 0 R 8 0 R] /SigFlags 3 >> /Version /2.0",
    )
    facts = inspect_pdf(data)
    assert facts.signature_fields == 2
    assert facts.pdf_version == "2.0"  # the catalog's /Version overrides the header's 1.7


def test_a_broken_cross_reference_table_that_pypdf_can_rebuild_is_accepted() -> None:
    good = spanish_pdf()
    at = good.rindex(b"startxref\n")
    wrong_startxref = good[:at] + b"startxref\n12345\n%%EOF\n"
    # Every offset in the table off by 3 bytes: objects are found by scanning for them.
    table = good.index(b"0000000000 65535 f \n")
    entries = good[table:at].split(b"\n")
    shifted = [b"%010d%s" % (int(e[:10]) + 3, e[10:]) if e.endswith(b" n ") else e for e in entries]
    wrong_offsets = good[:table] + b"\n".join(shifted) + good[at:]
    for data in (wrong_startxref, wrong_offsets):
        facts = inspect_pdf(data)
        assert (facts.pages, facts.size, facts.producer) == (
            1,
            len(data),
            "Escáner municipal 3000",
        )
        assert facts.sha256 == hashlib.sha256(data).hexdigest()


def test_bytes_before_the_header_are_tolerated_within_the_first_kilobyte() -> None:
    # Some producers (MacBinary, mail gateways) put a few bytes before %PDF-; readers allow
    # 1024. The facts still describe the bytes as uploaded.
    data = b"\x00" * 100 + b"junk from a mail gateway\n" + spanish_pdf()
    facts = inspect_pdf(data)
    assert (facts.pages, facts.size) == (1, len(data))
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert inspect_pdf(b" " * 1023 + spanish_pdf()).pages == 1
    with pytest.raises(NotAPdf, match="not within the first 1024 bytes"):
        inspect_pdf(b" " * 1024 + spanish_pdf())


def test_image_data_is_not_decoded() -> None:
    # The service never draws an upload: a JPEG is kept as it is, however odd its bytes.
    image = _stream(
        b"not really a JPEG",
        b"/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /DCTDecode",
    )
    data = _one_page(
        _stream(b"q 2 0 0 2 0 0 cm /Im1 Do Q"), image, resources=b"/XObject << /Im1 5 0 R >>"
    )
    assert inspect_pdf(data).pages == 1


# --- Refusals, in process. -------------------------------------------------------------------


def test_a_stream_with_an_unknown_filter_is_corrupt() -> None:
    with pytest.raises(CorruptPdf, match="/Bogus"):
        inspect_pdf(_one_page(_stream(b"x", b"/Filter /Bogus")))


def test_a_stream_behind_a_long_chain_of_filters_is_refused() -> None:
    data = b"x"
    for _ in range(9):
        data = zlib.compress(data)
    chain = b"/Filter [%s]" % (b"/FlateDecode " * 9)
    with pytest.raises(PdfTooComplex, match="9 filters"):
        inspect_pdf(_one_page(_stream(data, chain)))


def test_pages_are_counted_in_the_tree_not_taken_from_the_declared_count() -> None:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
    understated = _pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 1 >>",
        page,
        page,
        page,
    )
    assert inspect_pdf(understated).pages == 3
    with pytest.raises(PdfTooComplex, match="has 3 pages; the limit is 2"):
        inspect_pdf(understated, max_pages=2)


def test_a_cross_reference_stream_within_the_object_limit_is_fine() -> None:
    # The same construction as the "too many objects" case, with a sane size.
    assert inspect_pdf(xref_stream_pdf(10)).pdf_version == "1.5"


def test_a_pdf_without_pages_is_corrupt() -> None:
    data = _pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>")
    with pytest.raises(CorruptPdf, match="no pages"):
        inspect_pdf(data)


def test_a_header_without_a_version_is_corrupt() -> None:
    with pytest.raises(CorruptPdf, match="version"):
        inspect_pdf(_pdf(b"<< /Type /Catalog >>", header=b"%PDF-x"))


def test_streams_that_together_inflate_too_much_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each stream is within the per-stream limit; together they are not.
    monkeypatch.setattr(pdf_check, "TOTAL_INFLATED_LIMIT", 1000)
    chunk = _stream(zlib.compress(b" " * 600), b"/Filter /FlateDecode")
    with pytest.raises(PdfTooComplex, match="inflate to more than"):
        inspect_pdf(_one_page(chunk, chunk))


def test_every_refusal_is_a_job_error_the_pool_can_carry() -> None:
    for error in (NotAPdf, CorruptPdf, EncryptedPdf, PdfTooComplex):
        assert issubclass(error, PdfRejected) and issubclass(PdfRejected, JobError)


# --- The hostile corpus, through a real worker. -----------------------------------------------


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(
        size=1, timeout=TIMEOUT, memory_mb=512, preload=["app.documents.pdf_check"]
    )
    yield workers
    workers.close()


def _still_serves(pool: WorkerPool) -> None:
    data = spanish_pdf()
    facts = pool.run(InspectJob(data))
    assert facts == inspect_pdf(data)


def test_a_valid_pdf_is_inspected_in_a_worker(pool: WorkerPool) -> None:
    data = written_pdf(pages=2)
    facts = pool.run(InspectJob(data))
    assert isinstance(facts, PdfFacts)
    assert (facts.pages, facts.size) == (2, len(data))
    assert facts.sha256 == hashlib.sha256(data).hexdigest()


Case = tuple[Callable[[], bytes], int, tuple[type[JobError], ...], str | None]

HOSTILE: dict[str, Case] = {
    # Not a PDF, whatever the name says.
    "empty": (lambda: b"", 2000, (NotAPdf,), "empty"),
    "png": (lambda: PNG, 2000, (NotAPdf,), "PNG image"),
    "zip": (lambda: b"PK\x03\x04" + bytes(200), 2000, (NotAPdf,), "ZIP"),
    "zip holding a pdf": (zip_with_pdf, 2000, (NotAPdf,), "ZIP"),
    "html": (lambda: HTML_PAGE, 2000, (NotAPdf,), "HTML"),
    "text": (lambda: "Convenio de colaboración\n".encode(), 2000, (NotAPdf,), "no %PDF-"),
    # A polyglot: HTML that carries a PDF in its first kilobyte is refused as HTML...
    "html polyglot": (lambda: HTML_PAGE + spanish_pdf(), 2000, (NotAPdf,), "HTML"),
    # ... and a header after the first kilobyte is not a header.
    "late header": (
        lambda: b"\x00" * 2048 + spanish_pdf(),
        2000,
        (NotAPdf,),
        "not within the first 1024",
    ),
    # Starts like a PDF, cannot be read as one.
    "truncated": (
        lambda: spanish_pdf()[: len(spanish_pdf()) // 2],
        2000,
        (CorruptPdf,),
        "incomplete",
    ),
    "garbage": (
        lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8,
        2000,
        (CorruptPdf,),
        "incomplete",
    ),
    "garbage with an end marker": (
        lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n",
        2000,
        (CorruptPdf,),
        "cannot be read",
    ),
    # Encrypted, even when it opens without a password.
    "empty password": (lambda: written_pdf(password=""), 2000, (EncryptedPdf,), "encrypted"),
    "password": (lambda: written_pdf(password="s3creto"), 2000, (EncryptedPdf,), "encrypted"),
    "aes-256": (aes_pdf, 2000, (EncryptedPdf,), "encrypted"),
    # Too much: inflated size, pages, objects. The bomb may also meet the worker's cap first.
    "decompression bomb": (bomb_pdf, 2000, (PdfTooComplex, JobOutOfMemory), None),
    "page count lie": (
        lambda: _one_page(_stream(SPANISH_TEXT), count=1_000_000_000),
        2000,
        (PdfTooComplex,),
        "declares 1000000000 pages",
    ),
    "too many pages": (lambda: written_pdf(pages=30), 10, (PdfTooComplex,), "30 pages"),
    "too many objects": (
        lambda: xref_stream_pdf(600_000),
        2000,
        (PdfTooComplex,),
        "XRef stream entry limit",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_uploads_are_refused_quickly_and_the_worker_goes_on(
    pool: WorkerPool, case: str
) -> None:
    build, max_pages, expected, message = HOSTILE[case]
    job = InspectJob(build(), max_pages=max_pages)
    started = time.monotonic()
    with pytest.raises(expected, match=message):
        pool.run(job)
    assert time.monotonic() - started < CASE_SECONDS
    _still_serves(pool)


def test_the_bomb_is_defused_by_the_stream_limit_not_by_luck() -> None:
    # In process, with no memory cap: pypdf stops at the 64 MiB per-stream limit, fast.
    started = time.monotonic()
    with pytest.raises(PdfTooComplex, match="safety limit"):
        inspect_pdf(bomb_pdf())
    assert time.monotonic() - started < 3
