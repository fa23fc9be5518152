"""Template → HTML, and the jobs that turn it into a PDF, with nothing a template names able to
reach outside the service.

Jinja2 runs in its immutable sandbox with autoescape and StrictUndefined. The layout itself —
WeasyPrint, with a URL fetcher that serves only the service's own assets — is
`app.documents.pdf`, which only the workers import (`app.documents.workers`): this module is
what the API process needs to describe a render, its result and its errors, and it stays light.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from app.config import PROJECT_ROOT
from app.documents import formatting
from app.documents.workers import JobError

TEMPLATES_ROOT = PROJECT_ROOT / "templates"


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


@dataclass(frozen=True)
class RenderJob:
    """One render, as a worker runs it (`app.documents.workers`)."""

    source: str
    css: str
    context: dict[str, Any]
    max_pages: int
    pdf_variant: str | None = None

    def run(self) -> RenderedPdf:
        # WeasyPrint is the workers' alone: they have it preloaded (`runners.WORKER_MODULES`).
        from app.documents.pdf import render_pdf

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
