"""The renderer cannot be turned against the server (SECURITY.md, "Rendering")."""

import hashlib
import http.server
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from pypdf import PdfReader

from app.documents.pdf import ASSET_BASE, render_pdf
from app.documents.rendering import (
    MissingField,
    ResourceRefused,
    TemplateForbidden,
    TemplateInvalid,
    TooManyPages,
    render_html,
)

FONT_CSS = """
@font-face { font-family: "Liberation Serif"; src: url(assets/fonts/LiberationSerif-Regular.ttf); }
body { font-family: "Liberation Serif"; }
"""
CANARY = b"CANARY-7f3a9c-do-not-leak"


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ self._TemplateReference__context }}",
        "{% set x = [].append(1) %}",
        "{{ {}.update(a=1) }}",
        "{{ config.items() }}",
    ],
)
def test_template_injection_payloads_are_refused(payload: str) -> None:
    with pytest.raises((TemplateForbidden, MissingField)):
        render_html(payload, {})


def test_a_missing_field_is_named_not_left_blank() -> None:
    with pytest.raises(MissingField, match="expiry_date"):
        render_html("{{ agreement.expiry_date }}", {"agreement": {"title": "x"}})
    with pytest.raises(TemplateInvalid, match="line 1"):
        render_html("{% if %}", {})


def test_user_data_is_escaped() -> None:
    hostile = "<img src='file:///etc/passwd'> & \" ' <script>"
    html = render_html("<p>{{ text }}</p>", {"text": hostile})
    assert "<img" not in html and "&lt;img src=&#39;file:///etc/passwd&#39;&gt; &amp;" in html


def test_filters_speak_spanish() -> None:
    html = render_html("{{ 1|ordinal }} {{ amount|amount }}", {"amount": "21"})
    assert html == "PRIMERA $21.00 (VEINTIÚN PESOS 00/100 M.N.)"


class _Listener(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Listener)
    _Listener.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    path = tmp_path / "canary.css"
    path.write_bytes(CANARY)
    return path


def _channels(url: str) -> list[tuple[str, str]]:
    """(html, css) pairs that each try to pull ``url`` through one resource channel."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10"><image xlink:href="{url}" width="10" height="10"/></svg>'
    )
    return [
        (f'<img src="{url}">', ""),
        (f'<link rel="stylesheet" href="{url}"><p>x</p>', ""),
        ("<p>x</p>", f'@import url("{url}");'),
        ("<p>x</p>", f'body {{ background: url("{url}") }}'),
        ("<p>x</p>", f'@font-face {{ font-family: x; src: url("{url}") }} p {{ font-family: x }}'),
        (f'<object data="{url}"></object><embed src="{url}">', ""),
        (svg, ""),
        (f'<a rel="attachment" href="{url}">anexo</a>', ""),
        (f'<base href="{url}"><img src="x.png">', ""),
        (f'<iframe src="{url}"></iframe>', ""),
        ("<p>x</p>", f'@page {{ @top-center {{ content: url("{url}") }} }}'),
    ]


def _attempt(html: str, css: str) -> bytes | None:
    try:
        return render_pdf(f"<html><body>{html}</body></html>", css, {}, max_pages=5).pdf
    except ResourceRefused:
        return None


def test_no_channel_reads_a_local_file(canary: Path) -> None:
    urls = [
        canary.as_uri(),
        f"{ASSET_BASE}../..{canary}",
        f"{ASSET_BASE}assets/../../../..{canary}",
        f"{ASSET_BASE}assets/fonts/%2e%2e/%2e%2e/%2e%2e/app/config.py",
    ]
    outcomes = []
    for url in urls:
        for html, css in _channels(url):
            pdf = _attempt(html, css)
            outcomes.append(pdf is None)
            assert pdf is None or CANARY not in pdf
    assert len(outcomes) == 44 and any(outcomes)


def test_no_channel_reaches_the_network(listener: str) -> None:
    for html, css in _channels(f"{listener}/x.css"):
        _attempt(html, css)
    assert _Listener.hits == []


def test_assets_are_served_from_templates_only() -> None:
    pdf = render_pdf("<p>Convenio de colaboración — México</p>", FONT_CSS, {}, max_pages=5).pdf
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = [str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]
    assert fonts and all("Liberation-Serif" in font for font in fonts), fonts
    assert "Convenio de colaboración — México" in page.extract_text()


def test_the_page_cap_is_checked_before_writing() -> None:
    source = '<p style="break-after: page">x</p>' * 12
    with pytest.raises(TooManyPages, match="12 pages; the limit is 10"):
        render_pdf(source, "", {}, max_pages=10)


_RENDER_ONCE = """
import hashlib, sys
from app.documents.pdf import render_pdf
css = sys.argv[1]
html = "<html lang='es-MX'><body>{% for i in range(1, 26) %}<h2>{{ i|ordinal }}</h2>"\\
       "<p>{{ text }}</p>{% endfor %}</body></html>"
text = "Las partes convienen en colaborar… Ñandú, México."
pdf = render_pdf(html, css, {"text": text}, max_pages=50).pdf
print(hashlib.sha256(pdf).hexdigest())
"""


def test_the_same_inputs_give_the_same_bytes_in_another_process() -> None:
    digests = {
        subprocess.run(
            [sys.executable, "-c", _RENDER_ONCE, FONT_CSS],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64
    here = render_pdf(
        "<html lang='es-MX'><body>{% for i in range(1, 26) %}<h2>{{ i|ordinal }}</h2>"
        "<p>{{ text }}</p>{% endfor %}</body></html>",
        FONT_CSS,
        {"text": "Las partes convienen en colaborar… Ñandú, México."},
        max_pages=50,
    ).pdf
    assert {hashlib.sha256(here).hexdigest()} == digests
