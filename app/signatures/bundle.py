"""The scans of a convenio's hand-signed copies, bundled into one PDF once every party has
signed: the signed convenio is then one file to download and to verify."""

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class BundledPdf:
    pdf: bytes
    pages: int


@dataclass(frozen=True)
class BundleJob:
    """The pages of ``parts``, in order, as one PDF. The parts are uploads that were already
    parsed within limits; the limits apply again all the same."""

    parts: tuple[bytes, ...]

    def run(self) -> BundledPdf:
        # pypdf is the workers' alone: they have it preloaded (`runners.WORKER_MODULES`).
        from pypdf import PdfReader, PdfWriter, apply_configuration

        from app.documents.pdf_check import PYPDF_LIMITS

        writer = PdfWriter()
        with apply_configuration(PYPDF_LIMITS):
            for part in self.parts:
                writer.append(PdfReader(io.BytesIO(part)))
            writer.add_metadata({"/Title": "Copias firmadas del convenio"})
            out = io.BytesIO()
            writer.write(out)
        return BundledPdf(pdf=out.getvalue(), pages=len(writer.pages))
