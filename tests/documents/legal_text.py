"""The text of a convenio as a lawyer reads it: from its HTML preview, one paragraph a line;
from its PDF, the words of its body without the page furniture (header, QR, page numbers)."""

import io
import re
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.factories import API, ok

# Elements that start a paragraph of the text.
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "div", "section", "br", "li"})
# Page furniture and marks that are not the convenio's text.
_FURNITURE = frozenset(
    {"tipo-documento", "folio", "qr", "rubricas", "copia-prueba", "vista-previa"}
)
_FURNITURE_LINES = re.compile(
    r"^(Convenio .* Folio: \S+|Verifique la autenticidad de este documento en:|https?://\S+"
    r"|Página \d+ de \d+|Rúbricas|Copia de prueba sin validez legal:.*|COPIA DE PRUEBA.*)$"
)


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.skipping = 0  # depth inside furniture
        self.stack: list[bool] = []
        self.spans: list[bool] = []  # whether each open span is a number (I.1., PRIMERA.-)

    def _break(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.paragraphs.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "title", "script"):
            self.skipping += 1
            self.stack.append(True)
            return
        classes = set((dict(attrs).get("class") or "").split())
        furniture = bool(classes & _FURNITURE)
        if tag == "span":
            # A number is set apart from its text by its box, not by a space.
            self.spans.append("num" in classes)
        if tag in _BLOCKS:
            self._break()
        if furniture:
            self.skipping += 1
        if tag not in ("br", "img", "meta"):
            self.stack.append(furniture)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.spans and self.spans.pop():
            self.current.append(" ")
        if tag in ("br", "img", "meta") or not self.stack:
            return
        if self.stack.pop():
            self.skipping -= 1
        if tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)


def paragraphs(html: str) -> list[str]:
    """The paragraphs of a convenio's HTML, whitespace collapsed, without page furniture."""
    parser = _Paragraphs()
    parser.feed(html)
    parser.close()
    parser._break()
    return parser.paragraphs


def preview_text(client: TestClient, headers: dict[str, str], agreement_id: int) -> str:
    """The convenio's text from its preview: one paragraph a line."""
    response = client.get(f"{API}/agreements/{agreement_id}/preview", headers=headers)
    assert response.status_code == 200, response.text
    return "\n".join(paragraphs(response.text)) + "\n"


def generate(client: TestClient, headers: dict[str, str], agreement_id: int) -> dict[str, Any]:
    """The agreement's convenio PDF (generated now, or the one generated before)."""
    response = client.post(f"{API}/agreements/{agreement_id}/documents", json={}, headers=headers)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def download(client: TestClient, headers: dict[str, str], document: dict[str, Any]) -> bytes:
    response = client.get(f"{API}/documents/{document['id']}/pdf", headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def body_words(pdf: bytes) -> list[str]:
    """The words of the PDF's body, page after page, without header, footer and margins (the
    hoja de firmas legend, a page header that may wrap, included)."""
    words: list[str] = []
    for text in pdf_pages(pdf):
        in_legend = False
        for line in text.splitlines():
            line = " ".join(line.split())
            if line.startswith("Hoja de firmas"):
                in_legend = True
            if in_legend:
                in_legend = not line.endswith("fojas útiles.")
                continue
            if line and not _FURNITURE_LINES.match(line):
                words.extend(line.split())
    return words


def legal_words(text: str) -> list[str]:
    """The words of a preview's text, without the hoja de firmas legend (a page header in the
    PDF)."""
    return [
        word
        for line in text.splitlines()
        if not line.startswith("Hoja de firmas")
        for word in line.split()
    ]


def json_of(client: TestClient, headers: dict[str, str], path: str) -> dict[str, Any]:
    return ok(client.get(f"{API}{path}", headers=headers))
