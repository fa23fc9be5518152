"""The check of an uploaded PDF (`app.documents.inspection`), with pypdf: find the ``%PDF-``
header within the first 1024 bytes (where readers look for it), parse the cross-reference table
and the page tree, and inflate every stream the file holds, so that a bomb goes off *here* —
against pypdf's per-stream output limits, set explicitly below, and the total budget of this
module — rather than later in whatever reads the document.

Only the workers import this module (they preload it); `inspect_pdf` is the check run in the
current process, for `InspectJob` and for quick tests. The input may be hostile.
"""

import hashlib
import io
import re
from collections.abc import Callable, Iterator

from pypdf import Configuration, PdfReader, apply_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError
from pypdf.filters import (
    ASCII85Decode,
    ASCIIHexDecode,
    BrotliDecode,
    LZWDecode,
    RunLengthDecode,
    decompress,
)
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    is_null_or_none,
)

from app.documents.inspection import (
    DEFAULT_MAX_PAGES,
    HEADER_WINDOW,
    CorruptPdf,
    EncryptedPdf,
    NotAPdf,
    PdfFacts,
    PdfRejected,
    PdfTooComplex,
)

# A complete file ends with %%EOF; its absence near the end means the upload was cut short.
TRAILER_WINDOW = 1024
_MAGIC = b"%PDF-"
_EOF_MARKER = b"%%EOF"

# Most a single stream may inflate to. A page of an A4 scan at 300 dpi in colour is ~26 MB
# uncompressed; a bomb is caught here long before the worker's memory cap.
STREAM_LIMIT = 64 * 1024 * 1024
# Most all the streams of one file may inflate to together: a 25 MB upload made of many
# streams just under STREAM_LIMIT would otherwise only end at the worker's timeout.
TOTAL_INFLATED_LIMIT = 1024 * 1024 * 1024
# Most indirect objects a file may have; a 2000-page scan has a few tens of thousands.
MAX_OBJECTS = 500_000
# Most nodes of the form-field tree walked when counting signature fields.
MAX_FORM_FIELDS = 100_000
_PRODUCER_LENGTH = 200

# pypdf's limits, stated in full here so that the check does not change with the library's
# defaults. They are applied per call (a context variable), never process-wide.
PYPDF_LIMITS = Configuration(
    maximum_declared_stream_length=STREAM_LIMIT,
    array_based_stream_maximum_output_length=STREAM_LIMIT,
    array_maximum_element_count=100_000,
    dictionary_maximum_element_count=100_000,
    zlib_maximum_output_length=STREAM_LIMIT,
    # Recovering a damaged Flate stream goes byte by byte in Python: keep it to ~a second.
    zlib_maximum_recovery_input_length=1024 * 1024,
    lzw_maximum_output_length=STREAM_LIMIT,
    run_length_maximum_output_length=STREAM_LIMIT,
    brotli_maximum_output_length=STREAM_LIMIT,
    jbig2_maximum_output_length=STREAM_LIMIT,
    image_maximum_buffer_size=STREAM_LIMIT,
    stream_filters_maximum_length=8,
    stream_decoding_work_maximum_length=4 * STREAM_LIMIT,
    stream_parsing_work_maximum_count=2_000_000,
    xmp_maximum_input_length=5_000_000,
    xmp_maximum_element_count=100_000,
    outline_maximum_entries=100_000,
    outline_maximum_depth=100,
    page_tree_maximum_entries=100_000,
    page_tree_maximum_depth=100,
    page_tree_maximum_page_entries=2_000_000,
    form_fields_maximum_entries=MAX_FORM_FIELDS,
    form_fields_maximum_depth=100,
    named_destinations_maximum_entries=100_000,
    named_destinations_maximum_depth=100,
    # JBIG2 would be decoded by running an external program: never from an upload check.
    jbig2dec_binary=None,
)

# Filters that only compress: inflating them is what a bomb abuses, so each is run (through
# pypdf, under the limits above). Flate's predictors are left out on purpose: they never make
# data larger, and pypdf applies them byte by byte in Python (seconds for one scanned page).
_INFLATERS: dict[str, Callable[[bytes], bytes]] = {
    "/FlateDecode": decompress,
    "/Fl": decompress,
    "/LZWDecode": LZWDecode.decode,
    "/LZW": LZWDecode.decode,
    "/ASCII85Decode": ASCII85Decode.decode,
    "/A85": ASCII85Decode.decode,
    "/ASCIIHexDecode": ASCIIHexDecode.decode,
    "/AHx": ASCIIHexDecode.decode,
    "/RunLengthDecode": RunLengthDecode.decode,
    "/RL": RunLengthDecode.decode,
    "/BrotliDecode": BrotliDecode.decode,
}
# Image codecs: their data stays encoded (the service never draws an upload), so the chain
# stops at them.
_IMAGE_CODECS = frozenset(
    {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"}
)

# What a non-PDF upload most often is, to tell the client what they sent instead.
_LOOKALIKES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Excel document)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"{\\rtf", "an RTF document"),
)
_MARKUP = re.compile(
    rb"(\xef\xbb\xbf)?\s*<(!doctype html|html|head|body|script|svg|\?xml)", re.IGNORECASE
)
_VERSION = re.compile(rb"%PDF-(\d)\.(\d)")
_NAME_VERSION = re.compile(r"/(\d)\.(\d)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def inspect_pdf(data: bytes, max_pages: int = DEFAULT_MAX_PAGES) -> PdfFacts:
    """The facts of ``data`` if it is a readable, unencrypted PDF within the limits; otherwise
    a `PdfRejected` that says why. Run it in a worker: the input may be hostile."""
    start = _header_offset(data)
    # Offsets inside a PDF count from its header, so junk before the header is cut off.
    body = data[start:]
    version = _header_version(body)
    if _EOF_MARKER not in body[-TRAILER_WINDOW:]:
        raise CorruptPdf("the PDF is incomplete: it has no %%EOF end marker (truncated upload?)")
    try:
        with apply_configuration(PYPDF_LIMITS):
            reader = _open(body)
            pages = _count_pages(reader, max_pages)
            _inflate_all(reader)
            version = max(version, _catalog_version(reader))
            signatures = _signature_fields(reader)
            producer = _producer(reader)
    except PdfRejected:
        raise
    except MemoryError:
        raise  # the worker reports it as JobOutOfMemory and starts afresh
    except LimitReachedError as error:
        raise PdfTooComplex(f"the PDF exceeds a safety limit: {_brief(error)}") from None
    except RecursionError:
        raise PdfTooComplex("the PDF's objects are nested too deeply") from None
    except FileNotDecryptedError:
        raise EncryptedPdf(_ENCRYPTED) from None
    except Exception as error:
        limit = _limit_behind(error)
        if limit is not None:
            raise PdfTooComplex(f"the PDF exceeds a safety limit: {_brief(limit)}") from None
        # pypdf warns that broken files may raise anything (KeyError, ValueError, ...): all of
        # them mean the same thing here, a file we cannot read.
        raise CorruptPdf(f"the PDF cannot be read: {_brief(error)}") from None
    return PdfFacts(
        pages=pages,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pdf_version=f"{version[0]}.{version[1]}",
        signature_fields=signatures,
        producer=producer,
    )


_ENCRYPTED = (
    "the PDF is encrypted (a password or permission restrictions); "
    "save a copy without protection and upload that"
)


def _header_offset(data: bytes) -> int:
    if not data:
        raise NotAPdf("the file is empty")
    if not data.startswith(_MAGIC):
        # A file that opens as another format is that format, even with a PDF inside its first
        # kilobyte: such polyglots (HTML above all) are refused rather than kept as evidence.
        for signature, what in _LOOKALIKES:
            if data.startswith(signature):
                raise NotAPdf(f"the file is {what}, not a PDF")
        if _MARKUP.match(data[:HEADER_WINDOW]):
            raise NotAPdf("the file is an HTML or XML document, not a PDF")
    start = data.find(_MAGIC, 0, HEADER_WINDOW + len(_MAGIC) - 1)
    if start >= 0:
        return start
    if _MAGIC in data:
        raise NotAPdf(
            f"the file is not a PDF: its %PDF- header is not within the first {HEADER_WINDOW} bytes"
        )
    raise NotAPdf("the file is not a PDF: it has no %PDF- header")


def _header_version(body: bytes) -> tuple[int, int]:
    match = _VERSION.match(body)
    if match is None:
        raise CorruptPdf("the PDF header has no version number (expected e.g. %PDF-1.7)")
    return int(match[1]), int(match[2])


def _open(body: bytes) -> PdfReader:
    try:
        reader = PdfReader(
            io.BytesIO(body),
            strict=False,
            root_object_recovery_limit=10_000,
            xref_stream_maximum_entries=MAX_OBJECTS,
        )
    except DependencyError:
        # pypdf tries the empty password at once, and AES needs a crypto library we do not
        # install: a file that asks for one is encrypted, which we refuse anyway.
        if b"/Encrypt" in body:
            raise EncryptedPdf(_ENCRYPTED) from None
        raise
    # Refused even when the user password is empty: the file opens today, but it carries
    # restrictions and depends on decryption we may not be able to do later.
    if reader.is_encrypted:
        raise EncryptedPdf(_ENCRYPTED)
    objects = sum(len(entries) for entries in reader.xref.values()) + len(reader.xref_objStm)
    if objects > MAX_OBJECTS:
        raise PdfTooComplex(f"the PDF has {objects} objects; the limit is {MAX_OBJECTS}")
    return reader


def _count_pages(reader: PdfReader, max_pages: int) -> int:
    # Viewers trust the declared /Count and may reserve room for every page it claims, so a
    # huge claim is refused even when the real tree is small.
    tree = reader.root_object["/Pages"].get_object()
    declared = tree.get("/Count") if isinstance(tree, DictionaryObject) else None
    if isinstance(declared, int) and declared > max_pages:
        raise PdfTooComplex(f"the PDF declares {declared} pages; the limit is {max_pages}")
    pages = len(reader.pages)  # walks the real tree, under pypdf's page-tree limits
    if pages > max_pages:
        raise PdfTooComplex(f"the PDF has {pages} pages; the limit is {max_pages}")
    if pages == 0:
        raise CorruptPdf("the PDF has no pages")
    return pages


def _inflate_all(reader: PdfReader) -> None:
    """Inflate every stream: first each page's content and images, then every other object the
    cross-reference table lists (fonts, forms, attachments, metadata)."""
    seen: set[tuple[int, int]] = set()
    budget = [TOTAL_INFLATED_LIMIT]

    def visit(candidate: PdfObject | None) -> None:
        if candidate is None:
            return
        stream = candidate.get_object()
        if not isinstance(stream, StreamObject):
            return
        reference = stream.indirect_reference
        if reference is not None:
            key = (reference.idnum, reference.generation)
            if key in seen:
                return
            seen.add(key)
        budget[0] -= _inflate(stream)
        if budget[0] < 0:
            raise PdfTooComplex(
                f"the PDF's streams inflate to more than {TOTAL_INFLATED_LIMIT // 2**20} MiB"
            )

    for page in reader.pages:
        for stream in _page_streams(page):
            visit(stream)
    for generation, entries in list(reader.xref.items()):
        for number in list(entries):
            visit(reader.get_object(IndirectObject(number, generation, reader)))


def _page_streams(page: DictionaryObject) -> Iterator[PdfObject]:
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if isinstance(contents, ArrayObject):
        yield from contents
    elif contents is not None:
        yield contents
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if isinstance(resources, DictionaryObject):
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        if isinstance(xobjects, DictionaryObject):
            yield from xobjects.values()


def _inflate(stream: StreamObject) -> int:
    """How many bytes the stream's compression filters produce; pypdf's limits stop a bomb."""
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    names = list(filters) if isinstance(filters, ArrayObject) else [filters]
    if len(names) > PYPDF_LIMITS.stream_filters_maximum_length:
        # Each filter is bounded on its own; a long chain of them would only add up the work.
        raise PdfTooComplex(f"a stream is encoded with {len(names)} filters in a row")
    # The raw bytes: pypdf's own `decode_stream_data` starts from this attribute too, but
    # would also apply Flate predictors (see `_INFLATERS`).
    data = stream._data
    for name in names:
        name = name.get_object() if name is not None else None
        if name is None:
            continue
        if not isinstance(name, NameObject):
            raise CorruptPdf(f"a stream names its filter with {type(name).__name__}")
        if name in _IMAGE_CODECS:
            break
        inflater = _INFLATERS.get(name)
        if inflater is None:
            raise CorruptPdf(f"a stream uses the filter {name}, which no PDF reader knows")
        data = inflater(data)
        if len(data) > STREAM_LIMIT:
            raise PdfTooComplex(f"a stream inflates to more than {STREAM_LIMIT // 2**20} MiB")
    return len(data)


def _catalog_version(reader: PdfReader) -> tuple[int, int]:
    # Since PDF 1.4 an incremental update may raise the version in the catalog's /Version.
    match = _NAME_VERSION.fullmatch(str(reader.root_object.get("/Version", "")))
    return (int(match[1]), int(match[2])) if match else (0, 0)


def _signature_fields(reader: PdfReader) -> int:
    """Signature fields holding a value, found by walking the AcroForm field tree."""
    form = reader.root_object.get("/AcroForm")
    form = form.get_object() if form is not None else None
    if not isinstance(form, DictionaryObject):
        return 0
    fields = form.get("/Fields")
    fields = fields.get_object() if fields is not None else None
    if not isinstance(fields, ArrayObject):
        return 0
    # (node, field type inherited from its parent); the field type is inheritable.
    pending: list[tuple[PdfObject, object]] = [(field, None) for field in fields]
    visited: set[int] = set()
    signed = 0
    while pending:
        candidate, inherited = pending.pop()
        node = candidate.get_object()
        if not isinstance(node, DictionaryObject) or id(node) in visited:
            continue  # a cycle, or a broken entry: neither is a signature
        visited.add(id(node))
        if len(visited) > MAX_FORM_FIELDS:
            raise PdfTooComplex(f"the PDF has more than {MAX_FORM_FIELDS} form fields")
        field_type = node.get("/FT", inherited)
        value = node.get("/V")
        if field_type == "/Sig" and not is_null_or_none(value):
            signed += 1
        kids = node.get("/Kids")
        kids = kids.get_object() if kids is not None else None
        if isinstance(kids, ArrayObject):
            pending.extend((kid, field_type) for kid in kids)
    return signed


def _producer(reader: PdfReader) -> str | None:
    metadata = reader.metadata  # a broken /Info is as unreadable as any other object
    producer = metadata.producer if metadata is not None else None
    if not producer:
        return None
    # Stored and shown later: no control characters (PostgreSQL refuses NUL), bounded length.
    cleaned = " ".join(_CONTROL.sub(" ", str(producer)).split())[:_PRODUCER_LENGTH]
    return cleaned or None


def _limit_behind(error: BaseException) -> LimitReachedError | None:
    """The limit that caused ``error``: pypdf wraps some (a cross-reference stream with too many
    entries comes out as "Trailer cannot be read")."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, LimitReachedError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _brief(error: Exception) -> str:
    text = " ".join(str(error).split())[:200]
    return text or type(error).__name__
