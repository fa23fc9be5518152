"""The service's vocabulary as the pages say it, in Spanish."""

from app.models.enums import SignatureMethod

STATUSES = {
    "draft": "borrador",
    "in_review": "en revisión",
    "approved": "aprobado",
    "in_signature": "en firma",
    "active": "vigente",
    "expired": "vencido",
    "terminated": "terminado",
    "cancelled": "cancelado",
}

KINDS = {
    "colaboracion": "convenio de colaboración",
    "coordinacion": "convenio de coordinación",
    "concertacion": "convenio de concertación",
    "subsidiariedad": "convenio de subsidiariedad",
    "especifico": "convenio específico",
    "modificatorio": "convenio modificatorio",
}

DOCUMENT_KINDS = {
    "convenio": "convenio",
    "annex": "anexo",
    "signed_copy": "copia firmada",
    "evidence": "evidencia",
    "cabildo_acta": "acta certificada de cabildo",
    "version_publica": "versión pública",
    "constancia": "constancia de firmas",
}

SIGNATURE_STATUS = {"pending": "pendiente", "signed": "firmó", "declined": "declinó"}

SOURCES = {
    "federal": "recursos federales",
    "estatal": "recursos estatales",
    "municipal": "recursos municipales",
    "propios": "ingresos propios",
    "privados": "recursos privados",
}

METHODS = {
    SignatureMethod.ELECTRONIC: "aceptación electrónica",
    SignatureMethod.AUTOGRAFA: "firma autógrafa",
    SignatureMethod.PADES: "e.firma (firma electrónica avanzada)",
}
