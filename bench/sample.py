"""A realistic convenio context (three levels of government), for benchmarks and the README page."""

from datetime import date
from decimal import Decimal
from typing import Any

from app.documents.context import qr_data_uri

VERIFY_URL = "https://convenios.tlalnepantla.gob.mx/verify/3f9a1c0e7b2d4a6f8e1c5b9d"

MUNICIPIO = {
    "role": "EL MUNICIPIO",
    "name": "Municipio de Tlalnepantla de Baz",
    "legal_name": None,
    "kind": "municipio",
    "rfc": "MTB850101AB1",
    "state_name": "Estado de México",
    "address": "Plaza Dr. Gustavo Baz s/n, Colonia Tlalnepantla Centro, C.P. 54000, "
    "Tlalnepantla de Baz, Estado de México",
    "declarations": [
        "Que el H. Ayuntamiento, en sesión ordinaria de Cabildo celebrada el 12 de diciembre "
        "de 2025, autorizó la celebración del presente convenio.",
    ],
    "signatories": [
        {
            "full_name": "Lic. Mariana Téllez Arriaga",
            "position": "Presidenta Municipal Constitucional",
            "legal_basis": "el artículo 48, fracción IV, de la Ley Orgánica Municipal del "
            "Estado de México",
        }
    ],
}
ESTADO = {
    "role": "EL ESTADO",
    "name": "Gobierno del Estado de México",
    "legal_name": "Estado Libre y Soberano de México",
    "kind": "estado",
    "rfc": "GEM850101BJ3",
    "state_name": "Estado de México",
    "address": "Avenida Sebastián Lerdo de Tejada Poniente 300, Colonia Centro, Toluca de Lerdo",
    "declarations": [
        "Que la seguridad pública es una función a cargo de la Federación, las entidades "
        "federativas y los municipios, en términos del artículo 21 constitucional.",
    ],
    "signatories": [
        {
            "full_name": "Dr. Joaquín Ibarra Solís",
            "position": "Secretario General de Gobierno",
            "legal_basis": None,
        }
    ],
}
FEDERACION = {
    "role": "LA SSPC",
    "name": "Secretaría de Seguridad y Protección Ciudadana",
    "legal_name": None,
    "kind": "federacion",
    "rfc": None,
    "state_name": None,
    "address": "Avenida Constituyentes 947, Colonia Belén de las Flores, Ciudad de México",
    "declarations": [
        "Que le corresponde coordinar con las entidades federativas y los municipios las "
        "acciones en materia de seguridad pública.",
    ],
    "signatories": [
        {
            "full_name": "Ing. Arturo Beltrán Quiñones",
            "position": "Subsecretario de Seguridad Pública",
            "legal_basis": None,
        }
    ],
}
_CLAUSE = (
    "LAS PARTES se comprometen a intercambiar la información necesaria para la operación del "
    "sistema de videovigilancia urbana, a designar enlaces técnicos y a reunirse en la comisión "
    "de seguimiento cada tres meses, levantando un acta de cada sesión en la que se harán constar "
    "los avances, los compromisos pendientes y las medidas para cumplirlos en tiempo y forma."
)


def context(clauses: int = 6, paragraphs: int = 1) -> dict[str, Any]:
    """The template context; more ``clauses``, each of more ``paragraphs``, make it longer."""
    return {
        "agreement": {
            "folio": "CONV-2026-0007",
            "title": "Convenio de coordinación para el fortalecimiento de la seguridad pública",
            "kind": "coordinacion",
            "objective": "Establecer las bases de coordinación entre LAS PARTES para la operación "
            "del sistema de videovigilancia urbana y su enlace con el C5 del Estado de México.",
            "antecedents": [
                "El 23 de octubre de 2018 se suscribió la Declaración de Tlalnepantla, cuya "
                "iniciativa 4 promueve los convenios entre los tres órdenes de gobierno.",
                "El Plan de Desarrollo Municipal 2025-2027 contempla la ampliación de la red de "
                "videovigilancia y su integración con el C5.",
            ],
            "clauses": [
                {"title": f"COMPROMISO {number}", "text": "\n".join([_CLAUSE] * paragraphs)}
                for number in range(1, clauses + 1)
            ],
            "amount": Decimal("1500000.50"),
            "currency": "MXN",
            "effective_date": date(2026, 1, 15),
            "expiry_date": date(2027, 9, 30),
            "signed_on": None,
            "renewal": {"mode": "automatic", "months": 12, "notice_days": 60},
            "parent": None,
            "parties": [FEDERACION, ESTADO, MUNICIPIO],
            "witnesses": [],
        },
        "document": {
            "place": "Tlalnepantla de Baz, Estado de México",
            "date": date(2026, 1, 15),
            "verification_url": VERIFY_URL,
            "qr_data_uri": qr_data_uri(VERIFY_URL),
        },
    }


def main() -> None:
    """Render the sample convenio to the PDF named on the command line (`make sample`)."""
    import sys
    from pathlib import Path

    from app.documents.rendering import render_pdf
    from app.templates.service import shipped

    source = shipped()["coordinacion"][1]
    result = render_pdf(source.html, source.css, context(), max_pages=50)
    Path(sys.argv[1]).write_bytes(result.pdf)
    print(f"{sys.argv[1]}: {result.pages} pages")


if __name__ == "__main__":
    main()
