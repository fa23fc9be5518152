"""The constancia de firmas laid out: who signed the convenio, in what capacity, how, when and
from where, in the order followed, with the QR code of its own verification address on every
page. Runs in the render workers, like every render (`app.signatures.constancia` plans it).

The times of the e.firma signatures are read here, from the signed convenio itself: each
signature is validated at its own time (`VerifyJob`, no "now"), so the same file and the same
trust roots always give the same times, and the same bytes."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.documents import formatting
from app.documents.rendering import RenderedPdf
from app.signatures.pades import SignatureError, SignatureReport, TrustStore, VerifyJob

# No article of any law is cited: the constancia states facts the service recorded, and what it
# is not (the convenio). Whoever adds a legal basis verifies it against the DOF first.
TEMPLATE = """<!DOCTYPE html>
<html lang="es-MX">
<head>
<meta charset="utf-8">
<title>Constancia de firmas — {{ c.folio }}</title>
</head>
<body>
<div class="tipo-documento">Constancia de firmas</div>
<div class="folio">Folio: {{ c.folio }}</div>
<div class="qr"><img src="{{ d.qr_data_uri }}" alt="Código QR de verificación"><span
class="texto-qr">
{%- if d.test_copy %}<span class="prueba">Copia de prueba sin validez legal: la generó un servicio
sin dirección pública.</span>
{%- else %}<span class="leyenda">Verifique la autenticidad de esta constancia en:</span>{% endif
%}<span class="url">{{ d.verification_url }}</span><span class="codigo">Código de verificación:
{{ d.verification_code }}</span></span></div>
{%- if d.test_copy %}
<div class="copia-prueba" aria-hidden="true">COPIA DE PRUEBA · SIN VALIDEZ LEGAL</div>
{%- endif %}

<h1>CONSTANCIA DE FIRMAS</h1>

<p>El sistema de convenios emite la presente constancia de manera automática, al haberse
recabado la totalidad de las firmas requeridas para el convenio que se identifica a
continuación. En ella se hace constar quiénes lo firmaron, en qué carácter, por qué medio, en
qué orden y en qué fecha y hora, conforme a los registros del propio sistema.</p>

<h2>I. DATOS DEL CONVENIO</h2>
<table class="datos">
<tr><th>Folio</th><td>{{ c.folio }}</td></tr>
<tr><th>Título</th><td>{{ c.title }}</td></tr>
{%- if c.signed_on %}
<tr><th>Fecha de firma</th><td>{{ c.signed_on|fecha }}</td></tr>
{%- endif %}
<tr><th>Documento sometido a firma (SHA-256)</th><td class="huella">{{ c.signing_sha256 }}</td></tr>
<tr><th>Convenio firmado (SHA-256)</th><td class="huella">{{ c.signed_sha256 }}</td></tr>
</table>
{%- if c.signed_sha256 == c.signing_sha256 %}
<p class="nota">Todas las firmas fueron aceptaciones electrónicas del documento sometido a firma,
de modo que el convenio firmado es ese mismo archivo.</p>
{%- endif %}

<h2>II. FIRMAS</h2>
{%- for s in signers %}
<div class="firma">
<h3>Firma {{ loop.index }} de {{ loop.length }}</h3>
<table>
<tr><th>Nombre</th><td>{{ s.name }}</td></tr>
<tr><th>Cargo</th><td>{{ s.position }}</td></tr>
<tr><th>Parte</th><td>{{ s.party }}{% if s.role %}, «{{ s.role }}»{% endif %}</td></tr>
{%- if s.capacity %}
<tr><th>Carácter</th><td>{{ s.capacity }}</td></tr>
{%- endif %}
<tr><th>Turno de firma</th><td>{{ s.order }}{% if s.parallel %} (en paralelo con {{ s.parallel
}}){% endif %}</td></tr>
<tr><th>Medio de firma</th><td>{{ s.method }}</td></tr>
{%- if s.signed_at %}
<tr><th>Fecha y hora de la firma</th><td>{{ s.signed_at }}<br><span class="fuente">Fuente:
{{ s.time_source }}</span></td></tr>
<tr><th>Registro en el sistema</th><td>{{ s.decided_at }}<br><span class="fuente">Fuente: reloj
del servidor</span></td></tr>
{%- else %}
<tr><th>Fecha y hora de la firma</th><td>{{ s.decided_at }}<br><span class="fuente">Fuente:
{{ s.time_source }}</span></td></tr>
{%- endif %}
{%- if s.certificate %}
<tr><th>Certificado (número de serie)</th><td>{{ s.certificate.sat_serial or
s.certificate.serial }}</td></tr>
<tr><th>Certificado (emisor)</th><td>{{ s.certificate.issuer }}</td></tr>
{%- endif %}
{%- if s.evidence_sha256 %}
<tr><th>{{ s.evidence_label }} (SHA-256)</th><td class="huella">{{ s.evidence_sha256 }}</td></tr>
{%- endif %}
<tr><th>Dirección IP</th><td>{{ s.ip or "No registrada" }}</td></tr>
<tr><th>Navegador o programa (agente de usuario)</th><td class="agente">{{ s.user_agent or
"No registrado" }}</td></tr>
</table>
</div>
{%- endfor %}

<h2>III. ORDEN DE FIRMA</h2>
<p>Las firmas se recabaron por turnos: cada turno comenzó cuando concluyó el anterior, y quienes
comparten turno firmaron en paralelo, sin esperar unos a otros.</p>
<ol class="turnos">
{%- for turn in turns %}
<li>Turno {{ turn.order }}: {{ turn.names }}.</li>
{%- endfor %}
</ol>

<h2>IV. ALCANCE Y VERIFICACIÓN</h2>
<ol class="notas">
<li>Esta constancia no sustituye al convenio firmado ni forma parte de él. El convenio firmado
es el archivo cuya huella digital (SHA-256) se indica en el apartado I; sus firmas electrónicas
avanzadas, en su caso, se verifican en ese mismo archivo.</li>
<li>Las fechas y horas se expresan en {{ zone }}. «Reloj del servidor» indica el momento en que
el sistema registró la firma. En una firma electrónica avanzada se indica además la hora que
consta en la propia firma y si la respalda un sello de tiempo (RFC 3161) de una autoridad de
confianza.</li>
<li>Para verificar esta constancia, escanee el código QR que aparece al pie de cada página o
consulte la dirección <span class="url">{{ d.verification_url }}</span>; también puede cargar
el archivo en <span class="url">{{ c.verify_url }}</span>. Para verificar el convenio firmado,
consulte <span class="url">{{ c.verify_url }}/{{ c.signed_sha256 }}</span>.</li>
<li>Esta constancia contiene datos personales de quienes firmaron: se entrega únicamente a
quienes tienen acceso al expediente del convenio, y la verificación pública no los muestra.</li>
</ol>
</body>
</html>
"""

STYLE = """
@font-face { font-family: "Liberation Serif"; font-weight: normal; font-style: normal;
  src: url(assets/fonts/LiberationSerif-Regular.ttf); }
@font-face { font-family: "Liberation Serif"; font-weight: bold; font-style: normal;
  src: url(assets/fonts/LiberationSerif-Bold.ttf); }
@font-face { font-family: "Liberation Serif"; font-weight: normal; font-style: italic;
  src: url(assets/fonts/LiberationSerif-Italic.ttf); }

@page {
  size: letter;
  margin: 2.4cm 2.3cm 3.6cm 2.3cm;
  @top-left { content: element(tipo); width: 55%; vertical-align: bottom;
    padding-bottom: 0.2cm; border-bottom: 0.5pt solid #555; }
  @top-right { content: element(folio); width: 45%; vertical-align: bottom;
    padding-bottom: 0.2cm; border-bottom: 0.5pt solid #555; }
  @bottom-left { content: element(qr); width: 78%; vertical-align: top; padding-top: 0.35cm; }
  @bottom-right { content: "Página " counter(page) " de " counter(pages); width: 22%;
    text-align: right; vertical-align: top; padding-top: 1.2cm;
    font-family: "Liberation Serif"; font-size: 9pt; }
}
.tipo-documento { position: running(tipo); font-family: "Liberation Serif"; font-size: 8.5pt;
  font-style: italic; color: #333; }
.folio { position: running(folio); font-family: "Liberation Serif"; font-size: 9pt;
  font-weight: bold; text-align: right; }
.qr { position: running(qr); font-family: "Liberation Serif"; font-size: 7pt; line-height: 1.25;
  color: #333; }
/* 2.2 cm with its four-module quiet zone (part of the image), as on the convenio. */
.qr img { display: inline-block; vertical-align: middle; width: 2.2cm; height: 2.2cm; }
.qr .texto-qr { display: inline-block; vertical-align: middle; width: 10.5cm;
  margin-left: 0.2cm; }
.qr .leyenda, .qr .prueba, .qr .url, .qr .codigo { display: block; text-align: left; }
.qr .prueba { font-weight: bold; color: #a00; }
.qr .url { font-size: 6.5pt; overflow-wrap: anywhere; word-break: break-all; }
.copia-prueba { position: fixed; top: 9cm; left: -2.5cm; width: 21cm; white-space: nowrap;
  transform: rotate(-35deg); font-family: "Liberation Serif"; font-size: 28pt;
  font-weight: bold; text-align: center; color: rgba(170, 0, 0, 0.16); }

html { font-family: "Liberation Serif"; font-size: 10.5pt; line-height: 1.35; color: #000; }
body { margin: 0; text-align: justify; hyphens: manual; widows: 2; orphans: 2; }
h1 { font-size: 14pt; text-align: center; letter-spacing: 0.08em; margin: 0 0 0.9em 0; }
h2 { font-size: 10.5pt; letter-spacing: 0.05em; margin: 1.1em 0 0.5em 0; break-after: avoid; }
p { margin: 0 0 0.5em 0; }
.nota { font-size: 9pt; font-style: italic; }
h3 { font-size: 9.5pt; margin: 0.7em 0 0.25em 0; }
table { width: 100%; border-collapse: collapse; font-size: 8.5pt; line-height: 1.25;
  margin-bottom: 0.4em; text-align: left; }
/* A signature is read whole: its heading and its table on one page. */
.firma { break-inside: avoid; }
th, td { border: 0.5pt solid #555; padding: 0.06cm 0.15cm; vertical-align: top; }
th { width: 30%; font-weight: bold; }
/* A digest stays on one line: it is compared character by character. */
.huella { white-space: nowrap; font-size: 8pt; letter-spacing: 0.01em; }
.agente { overflow-wrap: anywhere; word-break: break-all; }
.fuente { font-size: 8pt; font-style: italic; }
ol { margin: 0 0 0.5em 0; padding-left: 1.4em; }
/* Addresses break anywhere, so the lines around them keep their spacing. */
.notas { text-align: left; }
.notas .url { overflow-wrap: anywhere; word-break: break-all; }
li { margin-bottom: 0.3em; }
"""

# Part of every constancia's inputs: a change here is a new document, not the same one.
LAYOUT_SHA256 = hashlib.sha256((TEMPLATE + STYLE).encode()).hexdigest()

_ENVIRONMENT = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_ENVIRONMENT.filters["fecha"] = lambda value: formatting.long_date(date.fromisoformat(value))
_TEMPLATE = _ENVIRONMENT.from_string(TEMPLATE)

_METHODS = {
    "electronic": "Aceptación electrónica del documento sometido a firma",
    "autografa": "Firma autógrafa (copia firmada y digitalizada)",
    "pades": "Firma electrónica avanzada (e.firma)",
}
_EVIDENCE = {
    "autografa": "Copia con firma autógrafa",
    "pades": "Archivo con esta firma",
}
_CAPACITIES = {
    "represents": "Comparece en representación de la parte",
    "assists": "Asiste a quien representa a la parte",
    "attests": "Valida con su firma el instrumento",
}


def zone_name(timezone: str) -> str:
    """How the constancia names the time zone its times are in."""
    if timezone == "America/Mexico_City":
        return "hora del centro de México (America/Mexico_City)"
    return f"la hora de la zona {timezone}"


def _moment(value: datetime, timezone: str) -> str:
    local = value.astimezone(ZoneInfo(timezone))
    return f"{formatting.long_date(local.date())}, a las {local:%H:%M:%S} horas"


def _pades_time(report: SignatureReport | None) -> str:
    """Where the time a PAdES signature states comes from, and how far to believe it."""
    if report is None or report.signing_time is None:
        return "la firma no indica hora"
    if report.time_source == "timestamp" and report.timestamp_trusted:
        return "sello de tiempo (RFC 3161) de una autoridad de confianza, incluido en la firma"
    if report.timestamp:
        return (
            "hora que declara la firma; trae un sello de tiempo que no es de una autoridad de "
            "confianza"
        )
    return "hora que declara la firma (el equipo de quien firmó), sin sello de tiempo"


def _reports(pdf: bytes | None, trust: TrustStore) -> list[SignatureReport]:
    if pdf is None:
        return []
    try:
        return list(VerifyJob(pdf=pdf, trust=trust).run())
    except SignatureError:
        return []  # the service accepted them; should they not read now, no time is stated


def _signers(
    signers: list[dict[str, Any]], reports: list[SignatureReport], timezone: str
) -> list[dict[str, Any]]:
    unclaimed = list(reports)
    laid_out = []
    for signer in signers:
        certificate = signer["certificate"]
        entry = {
            **signer,
            "method": _METHODS[signer["method"]],
            "evidence_label": _EVIDENCE.get(signer["method"], ""),
            "capacity": _CAPACITIES.get(signer["capacity"] or "", ""),
            "decided_at": _moment(datetime.fromisoformat(signer["decided_at"]), timezone),
            "signed_at": None,
            "time_source": "reloj del servidor",
        }
        if certificate is not None:
            # The certificate's own signature in the file: by serial and issuer, as recorded.
            report = next(
                (
                    r
                    for r in unclaimed
                    if r.signer.serial == certificate["serial"]
                    and r.signer.issuer == certificate["issuer"]
                ),
                None,
            )
            if report is not None:
                unclaimed.remove(report)
            entry["time_source"] = _pades_time(report)
            entry["signed_at"] = (
                _moment(report.signing_time, timezone)
                if report is not None and report.signing_time is not None
                else "No consta en la firma"
            )
        laid_out.append(entry)
    return laid_out


def _turns(signers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    orders = sorted({signer["order"] for signer in signers})
    turns = []
    for order in orders:
        names = [signer["name"] for signer in signers if signer["order"] == order]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]
        turns.append(
            {"order": order, "names": joined + (" (en paralelo)" if len(names) > 1 else "")}
        )
    return turns


def constancia_html(
    content: dict[str, Any],
    document: dict[str, Any],
    reports: list[SignatureReport],
    timezone: str,
) -> str:
    """The constancia as HTML: ``content`` (the convenio and its signatures as recorded),
    ``document`` (its own verification address, code and QR code)."""
    signers = _signers(content["signers"], reports, timezone)
    for signer in signers:
        others = [
            other["name"]
            for other in signers
            if other["order"] == signer["order"] and other is not signer
        ]
        signer["parallel"] = ", ".join(others)
    return _TEMPLATE.render(
        c=content, d=document, signers=signers, turns=_turns(signers), zone=zone_name(timezone)
    )


@dataclass(frozen=True)
class ConstanciaJob:
    """One constancia to render, as a worker runs it (`app.documents.workers`): the times of
    its e.firma signatures read from ``signed_pdf`` (None when it carries none)."""

    content: dict[str, Any]
    document: dict[str, Any]
    timezone: str
    max_pages: int
    trust: TrustStore
    signed_pdf: bytes | None = field(default=None, repr=False)

    def run(self) -> RenderedPdf:
        # WeasyPrint is the workers' alone: they have it preloaded (`runners.WORKER_MODULES`).
        from app.documents.pdf import html_to_pdf

        reports = _reports(self.signed_pdf, self.trust)
        html = constancia_html(self.content, self.document, reports, self.timezone)
        return html_to_pdf(html, STYLE, max_pages=self.max_pages)
