"""The pages of a PDF as pictures, for the browsers of phones that do not show PDFs: the signer
reads the very document to sign, page by page, at a width a phone shows whole. Drawn by PDFium
in a worker process, from a PDF the service generated or already parsed within limits."""

import io
from dataclasses import dataclass

# Wide enough to read a convenio's 11-point text when the picture fills a phone's screen.
WIDTH_PX = 1100


@dataclass(frozen=True)
class PageImageJob:
    pdf: bytes
    page: int  # from 1

    def run(self) -> bytes:
        import pypdfium2

        document = pypdfium2.PdfDocument(self.pdf)
        try:
            page = document[self.page - 1]
            width, _ = page.get_size()
            image = page.render(scale=WIDTH_PX / width).to_pil()
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG", optimize=True)
            return out.getvalue()
        finally:
            document.close()
