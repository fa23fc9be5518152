"""HTML → PDF with WeasyPrint, with nothing a template names able to reach outside the service.

WeasyPrint gets a URL fetcher that serves only ``data:`` URLs and the files under
``templates/assets/``, reached through a base URL on a reserved domain that never resolves.
Anything else a template names — ``file://``, the network, a path out of the assets, a
redirect — stops the render with `ResourceRefused`. This module runs inside the workers
(`app.documents.workers`, which preload it), never in the API process: the jobs that call it
(`app.documents.rendering`) import it in their ``run``.
"""

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from app.documents.rendering import (
    TEMPLATES_ROOT,
    RenderedPdf,
    ResourceRefused,
    TooManyPages,
    render_html,
)

# `.invalid` is reserved (RFC 2606): the name never resolves, so nothing can leave through it.
ASSET_BASE = "https://assets.convenios.invalid/"
_ASSET_DIRECTORY = "assets"
_ASSET_TYPES = frozenset({".ttf", ".otf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".svg"})


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
