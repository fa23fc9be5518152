"""The versión pública laid out: the convenio's template, filled with the redacted content
(`app.transparency.redaction`), each mark turned into "[Eliminado n]" with an anchor, "VERSIÓN
PÚBLICA" on every page, and the leyenda de clasificación on a page of its own, whose page
numbers the layout itself writes (CSS ``target-counter``), so they are always the pages the
removed parts fell on. Runs in the render workers, like every render."""

import hashlib
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from app.documents import formatting
from app.documents.rendering import RenderedPdf, render_html
from app.transparency.redaction import MARK_PATTERN

# Lineamientos generales en materia de clasificación y desclasificación de la información, así
# como para la elaboración de versiones públicas (DOF 15/04/2016, reformed 29/07/2016 and
# 18/11/2022): the leyenda names the área, the document, the parts removed and their pages,
# their legal basis, who classifies, and the Comité de Transparencia's session that confirmed
# it (the numbered lineamiento that lists them is not verified here); LGTAIP (DOF 20/03/2025)
# art. 109: a classified document carries a leyenda with its character, the date of the
# classification and its legal basis.
LEYENDA = """
<section class="leyenda-clasificacion">
<h2>LEYENDA DE CLASIFICACIÓN</h2>
<table>
<tr><th>Área</th><td>{{ l.area }}</td></tr>
<tr><th>Identificación del documento</th><td>Versión pública del {{ l.title }}, con folio
{{ l.folio }}{% if l.signed_on %}, firmado el {{ l.signed_on|long_date }}{% endif %}.</td></tr>
<tr><th>Partes o secciones clasificadas</th><td>
{%- if l.removals %}<ol class="eliminados">
{%- for r in l.removals %}
<li>{% if r.number %}[Eliminado {{ r.number }}], página
<a class="pagina" href="#eliminado-{{ r.number }}"></a>: {% endif %}{{ r.description }}
{%- if not r.number %} (anexo omitido en su totalidad){% endif %}.
Fundamento: {{ r.legal_basis.rstrip(".") }}.</li>
{%- endfor %}</ol>
{%- else %}Ninguna: el documento se publica íntegro.{% endif %}</td></tr>
<tr><th>Fecha de clasificación</th><td>{{ l.classified_on|long_date }}</td></tr>
<tr><th>Nombre y cargo de quien clasifica</th><td>{{ l.classified_by }},
{{ l.classified_by_position }}</td></tr>
<tr><th>Sesión del Comité de Transparencia</th><td>{{ l.committee_session }}, celebrada el
{{ l.committee_date|long_date }}, en la que se confirmó la clasificación mediante el acuerdo
{{ l.committee_resolution }}.</td></tr>
</table>
</section>
"""
STYLE = """
.version-publica {
  position: fixed; top: -2cm; left: 0; right: 0; text-align: center;
  font-family: "Liberation Serif"; font-size: 9pt; font-weight: bold; letter-spacing: 0.2em;
}
.eliminado { font-weight: bold; white-space: nowrap; }
.leyenda-clasificacion { page-break-before: always; font-family: "Liberation Serif"; }
.leyenda-clasificacion h2 { font-size: 12pt; text-align: center; }
.leyenda-clasificacion table { width: 100%; border-collapse: collapse; font-size: 9.5pt; }
.leyenda-clasificacion th, .leyenda-clasificacion td {
  border: 0.5pt solid #555; padding: 0.15cm 0.2cm; vertical-align: top; text-align: left;
}
.leyenda-clasificacion th { width: 30%; font-weight: bold; }
.leyenda-clasificacion ol { margin: 0; padding-left: 1.2em; }
a.pagina { color: inherit; text-decoration: none; }
a.pagina::after { content: target-counter(attr(href url), page); }
"""
MARK_ON_EVERY_PAGE = '<div class="version-publica">VERSIÓN PÚBLICA</div>'

_ENVIRONMENT = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_ENVIRONMENT.filters["long_date"] = formatting.long_date
_LEYENDA = _ENVIRONMENT.from_string(LEYENDA)
# Part of every versión pública's inputs: a change here is a new document, not the same one.
LAYOUT_SHA256 = hashlib.sha256((LEYENDA + STYLE + MARK_ON_EVERY_PAGE).encode()).hexdigest()


def _anchored(html: str) -> str:
    return MARK_PATTERN.sub(
        lambda found: str(
            Markup('<span class="eliminado" id="eliminado-{0}">[Eliminado {0}]</span>').format(
                int(found.group(1))
            )
        ),
        html,
    )


def public_html(source: str, context: dict[str, Any], leyenda: dict[str, Any]) -> str:
    """The template filled with the redacted content, marked, and closed by its leyenda."""
    html = _anchored(render_html(source, context))
    page = _LEYENDA.render(l=leyenda)
    closing = html.rfind("</body>")
    html = html[:closing] + page + html[closing:] if closing >= 0 else html + page
    opening = html.find("<body")
    at = html.find(">", opening) + 1 if opening >= 0 else 0
    return html[:at] + MARK_ON_EVERY_PAGE + html[at:]


@dataclass(frozen=True)
class PublicVersionJob:
    """One versión pública to render, as a worker runs it (`app.documents.workers`)."""

    source: str
    css: str
    context: dict[str, Any]
    leyenda: dict[str, Any]
    max_pages: int

    def run(self) -> RenderedPdf:
        # WeasyPrint is the workers' alone: they have it preloaded (`runners.WORKER_MODULES`).
        from app.documents.pdf import html_to_pdf

        html = public_html(self.source, self.context, self.leyenda)
        return html_to_pdf(html, self.css + STYLE, max_pages=self.max_pages)
