"""Template → HTML → PDF, with nothing a template names able to reach outside the service.

Jinja2 runs in its immutable sandbox with autoescape and StrictUndefined; WeasyPrint gets a URL
fetcher that serves only ``data:`` URLs and the files under ``templates/assets/``, reached
through a base URL on a reserved domain that never resolves. Anything else a template names —
``file://``, the network, a path out of the assets, a redirect — stops the render with
`ResourceRefused`. This module runs inside the workers (`app.documents.workers`), never in
the API process.
"""

import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from app.config import PROJECT_ROOT
from app.documents import formatting
from app.documents.workers import JobError

TEMPLATES_ROOT = PROJECT_ROOT / "templates"
# `.invalid` is reserved (RFC 2606): the name never resolves, so nothing can leave through it.
ASSET_BASE = "https://assets.convenios.invalid/"
_ASSET_DIRECTORY = "assets"
_ASSET_TYPES = frozenset({".ttf", ".otf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".svg"})


def guillemets(text: str) -> Markup:
    """«LAS PARTES», kept whole on one line (a defined term is never split or hyphenated)."""
    return Markup('<span class="rol">«{}»</span>').format(text)


FILTERS = {
    "long_date": formatting.long_date,
    "date_in_words": formatting.date_in_words,
    "amount": formatting.amount,
    "amount_in_words": formatting.amount_in_words,
    "amount_in_figures": formatting.amount_in_figures,
    "ordinal": formatting.ordinal,
    "upper": formatting.upper,
    "title": formatting.title,
    "guillemets": guillemets,
}


class RenderError(JobError):
    """A render that cannot succeed with this template and data (a client error)."""


class MissingField(RenderError):
    """The template needs a value the agreement does not have."""


class TemplateInvalid(RenderError):
    """The template does not compile, or fails on this data."""


class TemplateForbidden(RenderError):
    """The template tried to reach outside the sandbox."""


class ResourceRefused(RenderError):
    """The template named a resource that is not one of its assets."""


class TooManyPages(RenderError):
    """The document would exceed the page cap."""


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int


def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters.update(FILTERS)
    return env


_ENVIRONMENT = environment()


@lru_cache(maxsize=32)
def _compiled(source: str) -> Template:
    # Compiling a convenio template costs about as much as a tenth of its layout; a worker
    # renders the same few template versions again and again, so it compiles each once.
    return _ENVIRONMENT.from_string(source)


def render_html(source: str, context: dict[str, Any]) -> str:
    """The template filled with ``context``; a missing field is an error, never a blank."""
    try:
        return _compiled(source).render(context)
    except SecurityError as error:
        raise TemplateForbidden(f"the template tried something unsafe: {error}") from None
    except UndefinedError as error:
        raise MissingField(
            f"the template needs a value the agreement does not have: {error}"
        ) from None
    except TemplateSyntaxError as error:
        raise TemplateInvalid(
            f"template syntax error on line {error.lineno}: {error.message}"
        ) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise TemplateInvalid(f"the template failed on this agreement: {error}") from None


class AssetFetcher(URLFetcher):  # type: ignore[misc]
    """Serves ``data:`` URLs and files under ``templates/assets``; refuses everything else."""

    def __init__(self, root: Path = TEMPLATES_ROOT) -> None:
        super().__init__(
            timeout=1, allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True
        )
        self.assets = (root / _ASSET_DIRECTORY).resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(ASSET_BASE):
            path = self._asset(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        raise ResourceRefused(f"{url[:200]} is not one of the service's template assets")

    def _asset(self, url: str) -> Path:
        parts = urlsplit(url)
        relative = unquote(parts.path).lstrip("/")
        path = (self.assets.parent / relative).resolve()
        if (
            parts.query
            or not path.is_relative_to(self.assets)
            or path.suffix.lower() not in _ASSET_TYPES
            or not path.is_file()
        ):
            raise ResourceRefused(f"{url[:200]} is not one of the service's template assets")
        return path


def html_to_pdf(
    html: str,
    css: str,
    *,
    max_pages: int,
    pdf_variant: str | None = None,
    fetcher: URLFetcher | None = None,
) -> RenderedPdf:
    """Lay out, count the pages (refusing more than ``max_pages``), then write the PDF."""
    fetcher = fetcher or AssetFetcher()
    # The template's @font-face rules load its fonts into this configuration only.
    fonts = FontConfiguration()
    try:
        stylesheet = CSS(string=css, base_url=ASSET_BASE, url_fetcher=fetcher, font_config=fonts)
        document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).render(
            stylesheets=[stylesheet], font_config=fonts
        )
        if len(document.pages) > max_pages:
            raise TooManyPages(
                f"the document would have {len(document.pages)} pages; the limit is {max_pages}"
            )
        pdf = document.write_pdf(pdf_variant=pdf_variant)
    except FatalURLFetchingError as error:
        cause = error.__cause__
        if isinstance(cause, ResourceRefused):
            raise cause from None
        raise ResourceRefused(str(error)) from None
    return RenderedPdf(pdf=pdf, pages=len(document.pages))


@dataclass(frozen=True)
class RenderJob:
    """One render, as a worker runs it (`app.documents.workers`)."""

    source: str
    css: str
    context: dict[str, Any]
    max_pages: int
    pdf_variant: str | None = None

    def run(self) -> RenderedPdf:
        return render_pdf(
            self.source,
            self.css,
            self.context,
            max_pages=self.max_pages,
            pdf_variant=self.pdf_variant,
        )


# What a preview adds to the template's page: its stylesheet inline, and a mark on top that it is
# a draft. Nothing else differs from the PDF's text.
_PREVIEW_STYLE = """
@media screen {
  body { max-width: 21.6cm; margin: 0 auto; padding: 1.5cm 2.5cm; background: #fff; }
  html { background: #e8e8e8; }
}
.vista-previa {
  position: sticky; top: 0; z-index: 1; margin: 0 0 1.2em 0; padding: 0.5em 1em;
  background: #fff3cd; border: 1pt solid #b58100; color: #5c4400;
  font: bold 10pt sans-serif; text-align: center; letter-spacing: 0.03em;
}
"""
_PREVIEW_MARK = (
    '<div class="vista-previa" role="note">BORRADOR · Vista previa del texto del convenio, sin '
    "validez legal; el documento para firma es el PDF que genera el servicio.</div>"
)


@dataclass(frozen=True)
class PreviewJob:
    """The convenio as an HTML page, without laying it out: what legal staff read before
    generating the PDF (`app.documents.workers` runs it like a render)."""

    source: str
    css: str
    context: dict[str, Any]

    def run(self) -> str:
        return preview_html(self.source, self.css, self.context)


def preview_html(source: str, css: str, context: dict[str, Any]) -> str:
    """The template's HTML with its stylesheet inline and the draft mark after ``<body>``."""
    html = render_html(source, context)
    style = f"<style>\n{escape_style(css)}\n{_PREVIEW_STYLE}</style>\n"
    html = html.replace("</head>", style + "</head>", 1) if "</head>" in html else style + html
    opening = re.search(r"<body[^>]*>", html)
    at = opening.end() if opening else 0
    return html[:at] + "\n" + _PREVIEW_MARK + html[at:]


def escape_style(css: str) -> str:
    """CSS as the content of a <style> element: it cannot close the element it is in."""
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def render_pdf(
    source: str,
    css: str,
    context: dict[str, Any],
    *,
    max_pages: int,
    pdf_variant: str | None = None,
) -> RenderedPdf:
    """The whole pipeline, as a render worker runs it."""
    return html_to_pdf(
        render_html(source, context), css, max_pages=max_pages, pdf_variant=pdf_variant
    )
