"""Checking an uploaded PDF (an annex, a hand-signed scan) by parsing it, never by its name.

Uploads come from outside and are kept as evidence, so they are treated as hostile: a file
called ``firma.pdf`` may be a PNG, an HTML page, a truncated download, an encrypted copy we
could not open later, or a decompression bomb (a few kilobytes that inflate to gigabytes). The
only proof that it is a PDF worth keeping is to read it, which `app.documents.pdf_check` does
with pypdf, inflating every stream the file holds under explicit limits.

All of that runs in a worker (`InspectJob`, through `app.documents.workers.WorkerPool`): a
child process with its own memory cap and wall-clock timeout, so that a file that still manages
to loop or swell costs a worker, never the API process. This module is what the API process
needs of the check — the job, the facts it returns and the errors it refuses a file with — and
it does not import pypdf.
"""

from dataclasses import dataclass

from app.documents.workers import JobError

DEFAULT_MAX_PAGES = 2000

# Acrobat, and the PDF Reference's implementation notes after it, accept a header anywhere in
# the first 1024 bytes; one further in means the file is something else carrying a PDF inside.
HEADER_WINDOW = 1024


class PdfRejected(JobError):
    """An upload that is not a PDF the service can keep (a client error)."""


class NotAPdf(PdfRejected):
    """The content is not a PDF at all, whatever the file is called."""


class CorruptPdf(PdfRejected):
    """The content starts like a PDF but cannot be read as one."""


class EncryptedPdf(PdfRejected):
    """The PDF is encrypted: kept as evidence, it might not open later."""


class PdfTooComplex(PdfRejected):
    """The PDF is beyond the limits on pages, objects or inflated size."""


@dataclass(frozen=True)
class PdfFacts:
    """What the check learnt about an accepted PDF."""

    pages: int
    sha256: str
    size: int
    pdf_version: str
    # Signature fields that hold a signature (a /V value); unsigned placeholders do not count.
    signature_fields: int
    producer: str | None


@dataclass(frozen=True)
class InspectJob:
    """One check of an upload, as a worker runs it (`app.documents.workers`)."""

    data: bytes
    max_pages: int = DEFAULT_MAX_PAGES

    def run(self) -> PdfFacts:
        # pypdf is the workers' alone: they have it preloaded (`runners.WORKER_MODULES`).
        from app.documents.pdf_check import inspect_pdf

        return inspect_pdf(self.data, self.max_pages)
