"""Public verification: anyone holding a document — or its QR code — can ask whether convenios
knows it, and learn the public facts of its agreement. Nothing private is exposed: no amounts,
no contacts, no content, no internal ids, and nothing personal — the signatures a file carries
are reported by the signer's name and cargo, never by the RFC, CURP or serial number their
certificates hold: they are datos personales (Ley General de Protección de Datos Personales en
Posesión de Sujetos Obligados, DOF 20/03/2025, art. 3 fr. IX), and so confidential information
(Ley General de Transparencia y Acceso a la Información Pública, DOF 20/03/2025, art. 115)."""

import re
from collections.abc import Callable

from jinja2 import Environment, StrictUndefined
from sqlalchemy.orm import Session

from app.agreements import repository as agreements
from app.documents import repository
from app.documents.formatting import long_date
from app.documents.schemas import (
    PublicSignatureReport,
    PublicSigner,
    Verification,
    VerifiedAgreement,
    VerifiedDocument,
    VerifiedSignatory,
    VerifiedSignature,
)
from app.models import Agreement, Document
from app.models.enums import DocumentOrigin
from app.signatures import repository as signatures
from app.signatures.schemas import SignatureReportRead

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _code(reference: str) -> str:
    """A verification code as printed (``ABCD-EFGH-IJKL``), whatever case or dashes it came in."""
    letters = reference.replace("-", "").upper()
    return f"{letters[:4]}-{letters[4:8]}-{letters[8:]}"


def _agreement(session: Session, agreement: Agreement) -> VerifiedAgreement:
    parties = {link.party_id: link.party.name for link in agreement.parties}
    signed = (
        repository.get(session, agreement.signed_document_id)
        if agreement.signed_document_id
        else None
    )
    return VerifiedAgreement(
        folio=agreement.folio,
        title=agreement.title,
        kind=agreement.kind,
        status=agreement.status,
        effective_date=agreement.effective_date,
        expiry_date=agreement.expiry_date,
        signed_on=agreement.signed_on,
        parties=[link.party.name for link in agreement.parties],
        signatories=[
            VerifiedSignatory(
                full_name=signatory.representative.full_name,
                position=signatory.representative.position,
                party=link.party.name,
            )
            for link in agreement.parties
            for signatory in link.signatories
        ],
        signing=[
            VerifiedSignature(
                full_name=signature.representative.full_name,
                position=signature.representative.position,
                party=parties.get(signature.representative.party_id, ""),
                status=signature.status,
                method=signature.method,
                decided_at=signature.decided_at,
            )
            for signature in signatures.for_agreement(session, agreement.id)
        ],
        signed_document_sha256=signed.sha256 if signed else None,
    )


# The signatures a document carries, validated (the caller knows the workers and trust roots).
Embedded = Callable[[Document], list[SignatureReportRead]]


def _signers(agreement: Agreement | None) -> dict[str, tuple[str, str]]:
    """The cargo and party of each of the agreement's signatories, by RFC and CURP: what names
    a certificate's holder publicly without repeating the identifiers it was found by."""
    if agreement is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for link in agreement.parties:
        for signatory in link.signatories:
            person = signatory.representative
            for identifier in (person.rfc, person.curp):
                if identifier:
                    found[identifier.upper()] = (person.position, link.party.name)
    return found


def _public(
    reports: list[SignatureReportRead], agreement: Agreement | None
) -> list[PublicSignatureReport]:
    signers = _signers(agreement)
    public = []
    for report in reports:
        certificate = report.signer
        identifiers = [*certificate.rfcs, certificate.curp or ""]
        match = next((signers[i.upper()] for i in identifiers if i.upper() in signers), None)
        public.append(
            PublicSignatureReport(
                revision=report.revision,
                signer=PublicSigner(
                    name=certificate.name,
                    position=match[0] if match else None,
                    party=match[1] if match else None,
                    issuer=certificate.issuer,
                ),
                signing_time=report.signing_time,
                time_source=report.time_source,
                intact=report.intact,
                covers_document=report.covers_document,
                certificate_valid_at_signing=report.certificate_valid_at_signing,
                trusted=report.trusted,
                timestamp_trusted=report.timestamp_trusted,
                ok=report.ok,
            )
        )
    return public


def _answer(
    session: Session, document: Document | None, sha256: str | None, embedded: Embedded
) -> Verification:
    if document is None:
        return Verification(
            known=False, sha256=sha256, document=None, agreement=None, signatures=[]
        )
    agreement = agreements.get(session, document.agreement_id)
    return Verification(
        known=True,
        sha256=document.sha256,
        document=VerifiedDocument(
            kind=document.kind,
            origin=document.origin,
            issued_by_service=document.origin is DocumentOrigin.GENERATED,
            sha256=document.sha256,
            pages=document.pages,
            verification_code=document.verification_code,
            created_at=document.created_at,
        ),
        agreement=_agreement(session, agreement) if agreement is not None else None,
        signatures=_public(embedded(document), agreement),
    )


def by_sha256(session: Session, sha256: str, embedded: Embedded) -> Verification:
    sha256 = sha256.lower()
    found = repository.for_verification(session, sha256=sha256)
    return _answer(session, found, sha256, embedded)


def by_reference(session: Session, reference: str, embedded: Embedded) -> Verification:
    """By SHA-256 (64 hexadecimal characters) or by verification code."""
    if _SHA256.fullmatch(reference):
        return by_sha256(session, reference, embedded)
    found = repository.for_verification(session, code=_code(reference))
    return _answer(session, found, None, embedded)


# What a person who scans the QR code reads: the same facts, in Spanish, as a small page.
_STATUS = {
    "draft": "borrador",
    "in_review": "en revisión",
    "approved": "aprobado",
    "in_signature": "en firma",
    "active": "vigente",
    "expired": "vencido",
    "terminated": "terminado",
    "cancelled": "cancelado",
}
_KIND = {
    "colaboracion": "convenio de colaboración",
    "coordinacion": "convenio de coordinación",
    "concertacion": "convenio de concertación",
    "subsidiariedad": "convenio de subsidiariedad",
    "especifico": "convenio específico",
    "modificatorio": "convenio modificatorio",
}
_ENVIRONMENT = Environment(autoescape=True, undefined=StrictUndefined)
_ENVIRONMENT.filters["long_date"] = long_date
_PAGE = _ENVIRONMENT.from_string(
    """<!doctype html>
<html lang="es-MX"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verificación de documento — convenios</title>
<style>body{font-family:serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.si{color:#1b5e20}.no{color:#b71c1c}dt{font-weight:bold}code{word-break:break-all}</style>
</head><body>
{% if v.known %}
<h1 class="si">Documento {{ "emitido por" if v.document.issued_by_service
else "registrado en" }} el sistema de convenios</h1>
{% if v.document.kind.value == "version_publica" %}<p>Este archivo es la versión pública del
convenio: se omitieron las partes clasificadas y los datos personales que señala su leyenda de
clasificación, en su última página.</p>
{% elif v.document.origin.value == "signed" %}<p>Este archivo es el convenio firmado por las
partes: el documento que emitió el sistema con sus firmas electrónicas avanzadas, o las copias
con firma autógrafa que entregaron.</p>
{% elif not v.document.issued_by_service %}<p>Este archivo fue incorporado al expediente del
convenio (anexo, copia firmada o evidencia); no fue generado por el sistema.</p>{% endif %}
<dl>
<dt>Folio</dt><dd>{{ v.agreement.folio }}</dd>
<dt>Título</dt><dd>{{ v.agreement.title }}</dd>
<dt>Tipo</dt><dd>{{ kind }}</dd>
<dt>Estado</dt><dd>{{ status }}</dd>
<dt>Vigencia</dt><dd>del {{ v.agreement.effective_date|long_date }}{% if v.agreement.expiry_date
%} al {{ v.agreement.expiry_date|long_date }}{% endif %}</dd>
{% if v.agreement.signed_on %}<dt>Fecha de firma</dt>
<dd>{{ v.agreement.signed_on|long_date }}</dd>{% endif %}
<dt>Partes</dt><dd><ul>{% for p in v.agreement.parties %}<li>{{ p }}</li>{% endfor %}</ul></dd>
<dt>Firmantes</dt><dd><ul>{% for s in v.agreement.signatories %}<li>{{ s.full_name }},
{{ s.position }} ({{ s.party }})</li>{% endfor %}</ul></dd>
{% if v.agreement.signing %}<dt>Firmas</dt><dd><ul>{% for s in v.agreement.signing %}
<li>{{ s.full_name }} ({{ s.party }}): {{ signature_status[s.status.value] }}
{%- if s.method %}, {{ methods[s.method.value] }}{% endif %}
{%- if s.decided_at %}, el {{ s.decided_at.date()|long_date }}{% endif %}</li>
{%- endfor %}</ul></dd>{% endif %}
{% if v.agreement.signed_document_sha256 %}<dt>Convenio firmado (SHA-256)</dt>
<dd><code>{{ v.agreement.signed_document_sha256 }}</code></dd>{% endif %}
{% if v.signatures %}<dt>Firmas electrónicas avanzadas en este archivo</dt><dd><ul>
{% for s in v.signatures %}<li class="{{ 'si' if s.ok else 'no' }}">{{ s.signer.name }}
{%- if s.signer.position %}, {{ s.signer.position }} ({{ s.signer.party }}){% endif %}:
{{ "válida" if s.ok else "no válida" }}.
Íntegra: {{ yes_no(s.intact) }}; cubre el documento: {{ yes_no(s.covers_document) }};
certificado de confianza: {{ yes_no(s.trusted) }}; vigente al firmar:
{{ yes_no(s.certificate_valid_at_signing) }}; sello de tiempo confiable:
{{ yes_no(s.timestamp_trusted) }}.</li>{% endfor %}</ul></dd>{% endif %}
<dt>Páginas</dt><dd>{{ v.document.pages }}</dd>
<dt>SHA-256</dt><dd><code>{{ v.document.sha256 }}</code></dd>
</dl>
{% else %}
<h1 class="no">Documento no reconocido</h1>
<p>Ningún documento emitido o registrado por el sistema de convenios corresponde a esta
referencia. Revise el código o la dirección que aparece junto al código QR.</p>
{% endif %}
</body></html>
"""
)


_SIGNATURE_STATUS = {"pending": "pendiente", "signed": "firmó", "declined": "declinó"}
_METHODS = {
    "electronic": "aceptación electrónica",
    "autografa": "firma autógrafa",
    "pades": "firma electrónica avanzada",
}


def _yes_no(value: bool) -> str:
    return "sí" if value else "no"


def page(verification: Verification) -> str:
    """The verification as a page in Spanish, for people who open the QR code's address."""
    agreement = verification.agreement
    return _PAGE.render(
        v=verification,
        signature_status=_SIGNATURE_STATUS,
        methods=_METHODS,
        yes_no=_yes_no,
        status=_STATUS[agreement.status.value] if agreement else "",
        kind=_KIND[agreement.kind.value] if agreement else "",
    )
