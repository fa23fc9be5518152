"""Six sample convenios, one of each situation the shipped templates write for, built through
the HTTP API as legal staff would: a colaboración between a municipio and a public
university, one between a municipio and a company, a coordinación among the federation, a state
and a municipio, one between a state and a municipio, an intermunicipal one, and a modificatorio
of the federal coordinación once it is signed and published.

They serve the legal reading in the suite (each rendered, its text compared with an expected
text a lawyer can review), the README's pages and `make sample`. The institutions are real, so
that the laws the declarations cite are the ones that govern them; every person, number, amount
and date is made up. Dates are fixed: build them with the service's clock at `AS_OF`.
"""

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from pypdf import PdfWriter

API = "/api/v1"
# The moment the samples are drafted: the service's clock must read it while they are built.
AS_OF = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
# Where the service is reached: a real address, so the documents are not test copies.
PUBLIC_URL = "https://convenios.tlalnepantla.gob.mx"
# The term of the ayuntamientos of the Estado de México, Jalisco and Guanajuato elected in 2024.
TERM_2025_2027 = {"term_start": "2025-01-01", "term_end": "2027-12-31"}
TERM_GUANAJUATO = {"term_start": "2024-10-10", "term_end": "2027-10-09"}
TERM_JALISCO = {"term_start": "2024-10-01", "term_end": "2027-09-30"}

NAMES = (
    "colaboracion_universidad",
    "colaboracion_empresa",
    "coordinacion_federal",
    "coordinacion_estatal",
    "intermunicipal",
    "modificatorio",
)


class Client(Protocol):
    """What the samples need of an HTTP client (Starlette's TestClient, httpx)."""

    def post(self, url: str, **kwargs: Any) -> Any: ...

    def put(self, url: str, **kwargs: Any) -> Any: ...


class SampleError(RuntimeError):
    """The service refused a step of a sample: the sample no longer fits the service."""


def one_page_pdf(title: str) -> bytes:
    """A blank letter-size page titled ``title``: what stands for a scanned document (the
    certified acta of a sesión de cabildo, an annex) in the samples and the tests."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _Builder:
    def __init__(self, client: Client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def _ok(self, response: Any, *statuses: int) -> dict[str, Any]:
        if response.status_code not in (statuses or (200, 201)):
            raise SampleError(f"{response.request.url}: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.client.post(f"{API}{path}", json=body, headers=self.headers))

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.client.put(f"{API}{path}", json=body, headers=self.headers))

    def party(self, **fields: Any) -> int:
        return int(self.post("/parties", fields)["id"])

    def person(self, party_id: int, **fields: Any) -> int:
        return int(self.post(f"/parties/{party_id}/representatives", fields)["id"])

    def agreement(self, body: dict[str, Any]) -> int:
        return int(self.post("/agreements", body)["id"])

    def authorize(self, agreement_id: int, party_id: int, acta: str, **vote: Any) -> None:
        """The municipio's cabildo authorises it, and its certified acta is uploaded."""
        uploaded = self._ok(
            self.client.post(
                f"{API}/agreements/{agreement_id}/documents/upload",
                files={
                    "kind": (None, "cabildo_acta"),
                    "title": (None, f"Certificación del acta de cabildo {acta}"),
                    "file": (
                        f"acta-{acta}.pdf",
                        one_page_pdf(f"Certificación del acta de cabildo {acta}"),
                        "application/pdf",
                    ),
                },
                headers=self.headers,
            )
        )
        self.put(
            f"/agreements/{agreement_id}/parties/{party_id}/authorization",
            {"acta_number": acta, "certified_acta_document_id": uploaded["id"], **vote},
        )

    def move(self, agreement_id: int, *states: str, **extra: Any) -> None:
        for state in states:
            self.post(f"/agreements/{agreement_id}/transitions", {"to": state, **extra})


def _tlalnepantla(b: _Builder) -> tuple[int, int, int, int]:
    """The Municipio de Tlalnepantla de Baz with its presidenta, síndica and secretario."""
    municipio = b.party(
        kind="municipio",
        name="Municipio de Tlalnepantla de Baz",
        article="el",
        inegi_code="15104",
        legal_framework="la Ley Orgánica Municipal del Estado de México",
        rfc="MTB850101AB1",
        address="Plaza Dr. Gustavo Baz sin número, Colonia Tlalnepantla Centro, C.P. 54000, "
        "Tlalnepantla de Baz, Estado de México",
        **TERM_2025_2027,
    )
    presidenta = b.person(
        municipio,
        honorific="Lic.",
        full_name="Mariana Téllez Arriaga",
        gender="feminine",
        position="Presidenta Municipal Constitucional",
        legal_basis="la Ley Orgánica Municipal del Estado de México",
        appointment="la constancia de mayoría y validez expedida por el Consejo Municipal "
        "Electoral de Tlalnepantla de Baz el 5 de junio de 2024",
    )
    sindica = b.person(
        municipio,
        honorific="Mtra.",
        full_name="Laura Ibáñez Soto",
        gender="feminine",
        position="Síndica Municipal",
        legal_basis="la Ley Orgánica Municipal del Estado de México",
    )
    secretario = b.person(
        municipio,
        honorific="Lic.",
        full_name="Roberto Cárdenas Villalobos",
        gender="masculine",
        position="Secretario del Ayuntamiento",
        legal_basis="la Ley Orgánica Municipal del Estado de México",
        appointment="el nombramiento expedido por el Ayuntamiento en su sesión de instalación "
        "del 1 de enero de 2025",
    )
    return municipio, presidenta, sindica, secretario


def _municipio_signers(presidenta: int, sindica: int, secretario: int) -> list[dict[str, Any]]:
    return [
        {"representative_id": presidenta, "capacity": "represents"},
        {"representative_id": sindica, "capacity": "assists"},
        {"representative_id": secretario, "capacity": "attests"},
    ]


def _vote(acta: str, members: int, for_: int, date: str, **extra: Any) -> dict[str, Any]:
    return {
        "session": "ordinaria",
        "date": date,
        "members": members,
        "votes_for": for_,
        "votes_against": members - for_,
        "abstentions": 0,
        "agreement_number": f"{acta}/03",
        **extra,
    }


def colaboracion_universidad(b: _Builder) -> int:
    municipio, presidenta, sindica, secretario = _tlalnepantla(b)
    uaem = b.party(
        kind="academico_publico",
        name="UAEMéx",
        legal_name="Universidad Autónoma del Estado de México",
        article="la",
        autonomous=True,
        state_code="15",
        legal_framework="la Ley de la Universidad Autónoma del Estado de México",
        rfc="UAE560322QJ1",
        address="Avenida Instituto Literario 100 Oriente, Colonia Centro, C.P. 50000, Toluca "
        "de Lerdo, Estado de México",
    )
    rector = b.person(
        uaem,
        honorific="Dr.",
        full_name="Carlos Eduardo Barrera Díaz",
        gender="masculine",
        position="Rector",
        legal_basis="la Ley de la Universidad Autónoma del Estado de México y el Estatuto "
        "Universitario",
    )
    agreement = b.agreement(
        {
            "title": "Convenio de colaboración en materia de servicio social y prácticas "
            "profesionales",
            "kind": "colaboracion",
            "initiative": 6,
            "topics": ["educacion", "gobernanza"],
            "objective": "Establecer las bases de colaboración para que estudiantes de «LA "
            "UNIVERSIDAD» presten su servicio social y realicen prácticas profesionales en las "
            "dependencias de «EL MUNICIPIO».",
            "parties": [
                {
                    "party_id": municipio,
                    "role": "EL MUNICIPIO",
                    "signatories": _municipio_signers(presidenta, sindica, secretario),
                    "contributions": [
                        {
                            "amount": "360000.00",
                            "purpose": "el otorgamiento de apoyos económicos a los estudiantes "
                            "que presten su servicio social en sus dependencias",
                            "source": "municipal",
                            "budget_item": "4421",
                            "schedule": [
                                {"date": "2026-04-15", "amount": "180000.00"},
                                {"date": "2026-09-15", "amount": "180000.00"},
                            ],
                        }
                    ],
                },
                {
                    "party_id": uaem,
                    "role": "LA UNIVERSIDAD",
                    "signatories": [{"representative_id": rector}],
                    "declarations": [
                        "Que cuenta con los programas de servicio social y de prácticas "
                        "profesionales a que se refiere el presente convenio."
                    ],
                },
            ],
            "antecedents": [
                "El Plan de Desarrollo Municipal de Tlalnepantla de Baz 2025-2027 prevé la "
                "vinculación con las instituciones de educación superior de la entidad.",
            ],
            "clauses": [
                {
                    "title": "OBJETO",
                    "text": "El presente convenio tiene por objeto establecer las bases de "
                    "colaboración para que estudiantes de «LA UNIVERSIDAD» presten su servicio "
                    "social y realicen prácticas profesionales en las dependencias de «EL "
                    "MUNICIPIO».",
                },
                {
                    "title": "COMPROMISOS DEL MUNICIPIO",
                    "text": "«EL MUNICIPIO» asignará a cada estudiante un responsable de su "
                    "programa y expedirá las constancias correspondientes.",
                },
                {
                    "title": "COMPROMISOS DE LA UNIVERSIDAD",
                    "text": "«LA UNIVERSIDAD» difundirá los programas entre sus estudiantes y "
                    "validará el servicio social prestado conforme a su normatividad.",
                },
            ],
            "amount": "360000.00",
            "effective_date": "2026-03-16",
            "expiry_date": "2027-12-31",
            "signing": {"method": "autografa", "date": "2026-03-16"},
        }
    )
    b.authorize(
        agreement,
        municipio,
        "45",
        **_vote("45", 11, 11, "2026-02-26", session_number="Cuadragésima Quinta"),
    )
    return agreement


def colaboracion_empresa(b: _Builder) -> int:
    zapopan = b.party(
        kind="municipio",
        name="Municipio de Zapopan",
        article="el",
        inegi_code="14120",
        legal_framework="la Ley del Gobierno y la Administración Pública Municipal del Estado "
        "de Jalisco",
        **TERM_JALISCO,
    )
    presidente = b.person(
        zapopan,
        honorific="Mtro.",
        full_name="Andrés Ruvalcaba Ortiz",
        gender="masculine",
        position="Presidente Municipal",
        legal_basis="la Ley del Gobierno y la Administración Pública Municipal del Estado de "
        "Jalisco",
    )
    sindica = b.person(
        zapopan,
        honorific="Lic.",
        full_name="Patricia Arellano Gómez",
        gender="feminine",
        position="Síndica Municipal",
        legal_basis="la Ley del Gobierno y la Administración Pública Municipal del Estado de "
        "Jalisco",
    )
    empresa = b.party(
        kind="privado",
        name="Tecnologías Urbanas del Occidente",
        legal_name="Tecnologías Urbanas del Occidente, S.A. de C.V.",
        gender="feminine",
        legal_framework="la escritura pública número 45,678, otorgada el 3 de mayo de 2011 "
        "ante la fe del Notario Público número 12 de Guadalajara, Jalisco, inscrita en el "
        "Registro Público de Comercio",
        rfc="TUO110503KR7",
        address="Avenida Patria 1500, Colonia Jardines Universidad, C.P. 45110, Zapopan, Jalisco",
    )
    apoderado = b.person(
        empresa,
        honorific="Ing.",
        full_name="Héctor Manuel Quiroz Lara",
        gender="masculine",
        position="Apoderado Legal",
        appointment="la escritura pública número 51,902, otorgada el 8 de enero de 2024 ante la "
        "fe del Notario Público número 12 de Guadalajara, Jalisco",
    )
    agreement = b.agreement(
        {
            "title": "Convenio de colaboración para la donación e instalación de luminarias "
            "solares en espacios públicos",
            "kind": "concertacion",
            "topics": ["servicios_publicos"],
            "objective": "Establecer las bases conforme a las cuales «LA EMPRESA» donará e "
            "instalará luminarias solares en parques y plazas de «EL MUNICIPIO».",
            "parties": [
                {
                    "party_id": zapopan,
                    "role": "EL MUNICIPIO",
                    "signatories": [
                        {"representative_id": presidente},
                        {"representative_id": sindica, "capacity": "assists"},
                    ],
                },
                {
                    "party_id": empresa,
                    "role": "LA EMPRESA",
                    "signatories": [{"representative_id": apoderado}],
                    "contributions": [
                        {
                            "amount": "2450000.00",
                            "purpose": "la adquisición e instalación de ciento veinte "
                            "luminarias solares",
                            "source": "privados",
                        }
                    ],
                },
            ],
            "clauses": [
                {
                    "title": "OBJETO",
                    "text": "«LA EMPRESA» donará a «EL MUNICIPIO» e instalará ciento veinte "
                    "luminarias solares en los parques y plazas que se señalan en el Anexo "
                    "Técnico.",
                },
                {
                    "title": "PROPIEDAD DE LOS BIENES",
                    "text": "Las luminarias pasarán a formar parte del patrimonio de «EL "
                    "MUNICIPIO» una vez recibidas a su satisfacción.",
                },
            ],
            "amount": "2450000.00",
            "effective_date": "2026-03-09",
            "expiry_date": "2026-12-31",
            "signing": {"method": "electronica"},
        }
    )
    b.authorize(agreement, zapopan, "18", **_vote("18", 18, 15, "2026-02-20"))
    return agreement


def _federal_parties(b: _Builder) -> dict[str, int]:
    sspc = b.party(
        kind="federacion",
        name="SSPC",
        legal_name="Secretaría de Seguridad y Protección Ciudadana",
        article="la",
        address="Avenida Constituyentes 947, Colonia Belén de las Flores, C.P. 01110, Ciudad de "
        "México",
    )
    subsecretario = b.person(
        sspc,
        honorific="Ing.",
        full_name="Arturo Beltrán Quiñones",
        gender="masculine",
        position="Subsecretario de Seguridad Pública",
        legal_basis="el Reglamento Interior de la Secretaría de Seguridad y Protección Ciudadana",
    )
    estado = b.party(
        kind="estado",
        name="Gobierno del Estado de México",
        legal_name="Poder Ejecutivo del Estado Libre y Soberano de México",
        article="el",
        inegi_code="15",
        legal_framework="la Ley Orgánica de la Administración Pública del Estado de México",
        address="Avenida Sebastián Lerdo de Tejada Poniente 300, Colonia Centro, C.P. 50000, "
        "Toluca de Lerdo, Estado de México",
    )
    secretario_general = b.person(
        estado,
        honorific="Dr.",
        full_name="Joaquín Ibarra Solís",
        gender="masculine",
        position="Secretario General de Gobierno",
        legal_basis="la Ley Orgánica de la Administración Pública del Estado de México",
    )
    secretaria_finanzas = b.person(
        estado,
        honorific="Mtra.",
        full_name="Andrea Vargas Núñez",
        gender="feminine",
        position="Secretaria de Finanzas",
        legal_basis="la Ley Orgánica de la Administración Pública del Estado de México",
    )
    municipio, presidenta, sindica, secretario = _tlalnepantla(b)
    return {
        "sspc": sspc,
        "subsecretario": subsecretario,
        "estado": estado,
        "secretario_general": secretario_general,
        "secretaria_finanzas": secretaria_finanzas,
        "municipio": municipio,
        "presidenta": presidenta,
        "sindica": sindica,
        "secretario": secretario,
    }


def coordinacion_federal(b: _Builder) -> int:
    p = _federal_parties(b)
    return _coordinacion_federal(b, p)


def _coordinacion_federal(b: _Builder, p: dict[str, int]) -> int:
    agreement = b.agreement(
        {
            "title": "Convenio de coordinación para el fortalecimiento de la videovigilancia "
            "urbana",
            "kind": "coordinacion",
            "initiative": 4,
            "topics": ["seguridad_publica"],
            "objective": "Coordinar las acciones de «LAS PARTES» para ampliar el sistema de "
            "videovigilancia urbana de «EL MUNICIPIO» y enlazarlo con el Centro de Control, "
            "Comando, Comunicación, Cómputo y Calidad del Estado de México.",
            "parties": [
                {
                    "party_id": p["sspc"],
                    "role": "LA SECRETARÍA",
                    "signatories": [{"representative_id": p["subsecretario"]}],
                    "contributions": [
                        {
                            "amount": "3000000.00",
                            "purpose": "la adquisición de cámaras de videovigilancia y su "
                            "equipo de transmisión",
                            "source": "federal",
                            "budget_item": "43801",
                            "schedule": [{"date": "2026-04-30", "amount": "3000000.00"}],
                        }
                    ],
                },
                {
                    "party_id": p["estado"],
                    "role": "EL ESTADO",
                    "signatories": [
                        {"representative_id": p["secretario_general"]},
                        {"representative_id": p["secretaria_finanzas"], "capacity": "assists"},
                    ],
                    "contributions": [
                        {
                            "amount": "1500000.00",
                            "purpose": "el enlace de las cámaras con el Centro de Control del "
                            "Estado de México",
                            "source": "estatal",
                        }
                    ],
                },
                {
                    "party_id": p["municipio"],
                    "role": "EL MUNICIPIO",
                    "signatories": _municipio_signers(
                        p["presidenta"], p["sindica"], p["secretario"]
                    ),
                    "contributions": [
                        {
                            "amount": "500000.50",
                            "purpose": "la obra civil y la energía eléctrica de los puntos de "
                            "monitoreo",
                            "source": "municipal",
                        }
                    ],
                },
            ],
            "antecedents": [
                "El 23 de octubre de 2018 los municipios reunidos en el II Congreso Nacional de "
                "Municipios y Ciudades Inteligentes suscribieron la Declaración de "
                "Tlalnepantla, cuya iniciativa 4 promueve los convenios de coordinación entre "
                "los tres órdenes de gobierno.",
            ],
            "clauses": [
                {
                    "title": "OBJETO",
                    "text": "El presente convenio tiene por objeto coordinar las acciones de «LAS "
                    "PARTES» para ampliar el sistema de videovigilancia urbana de «EL MUNICIPIO» y "
                    "enlazarlo con el Centro de Control del Estado de México.",
                },
                {
                    "title": "COMPROMISOS DE LAS PARTES",
                    "text": "«LA SECRETARÍA» entregará el equipo; «EL ESTADO» realizará el enlace; "
                    "«EL MUNICIPIO» ejecutará la obra civil y cubrirá la energía eléctrica.",
                },
                {
                    "title": "ENLACES",
                    "text": "Cada una de «LAS PARTES» designará un enlace para el seguimiento del "
                    "presente convenio dentro de los diez días hábiles siguientes a su firma.",
                },
            ],
            "amount": "5000000.50",
            "effective_date": "2026-03-02",
            "expiry_date": "2027-12-31",
            "renewal": {"mode": "by_agreement", "notice_days": 60},
            # The municipio's contralora witnesses its signatures.
            "witnesses": [
                {
                    "full_name": "Sofía Ramírez Ávila",
                    "position": "Contralora Municipal",
                    "party_id": p["municipio"],
                }
            ],
        }
    )
    b.authorize(
        agreement,
        p["municipio"],
        "44",
        **_vote("44", 11, 10, "2026-02-19", session_number="Cuadragésima Cuarta"),
    )
    return agreement


def coordinacion_estatal(b: _Builder) -> int:
    estado = b.party(
        kind="estado",
        name="Gobierno del Estado de Guanajuato",
        legal_name="Poder Ejecutivo del Estado de Guanajuato",
        article="el",
        inegi_code="11",
        legal_framework="la Ley Orgánica del Poder Ejecutivo para el Estado de Guanajuato",
    )
    secretario = b.person(
        estado,
        honorific="Arq.",
        full_name="Ramiro Solórzano Pineda",
        gender="masculine",
        position="Secretario de Infraestructura, Conectividad y Movilidad",
        legal_basis="la Ley Orgánica del Poder Ejecutivo para el Estado de Guanajuato",
    )
    leon = b.party(
        kind="municipio",
        name="Municipio de León",
        article="el",
        inegi_code="11020",
        legal_framework="la Ley para el Gobierno y Administración de los Municipios del Estado "
        "de Guanajuato",
        **TERM_GUANAJUATO,
    )
    presidente = b.person(
        leon,
        honorific="Lic.",
        full_name="Gerardo Mendoza Ruelas",
        gender="masculine",
        position="Presidente Municipal",
        legal_basis="la Ley para el Gobierno y Administración de los Municipios del Estado de "
        "Guanajuato",
    )
    secretaria = b.person(
        leon,
        honorific="Lic.",
        full_name="Diana Olvera Castañeda",
        gender="feminine",
        position="Secretaria del Ayuntamiento",
        legal_basis="la Ley para el Gobierno y Administración de los Municipios del Estado de "
        "Guanajuato",
    )
    agreement = b.agreement(
        {
            "title": "Convenio de coordinación para la rehabilitación del Bulevar Aeropuerto",
            "kind": "coordinacion",
            "topics": ["infraestructura"],
            "objective": "Coordinar la ejecución y el financiamiento de la rehabilitación del "
            "Bulevar Aeropuerto en el tramo urbano de la ciudad de León.",
            "parties": [
                {
                    "party_id": estado,
                    "role": "EL ESTADO",
                    "signatories": [{"representative_id": secretario}],
                    "contributions": [
                        {
                            "amount": "18000000.00",
                            "purpose": "la ejecución de la obra",
                            "source": "estatal",
                            "budget_item": "6141",
                        }
                    ],
                },
                {
                    "party_id": leon,
                    "role": "EL MUNICIPIO",
                    "signatories": [
                        {"representative_id": presidente},
                        {"representative_id": secretaria, "capacity": "attests"},
                    ],
                    "contributions": [
                        {
                            "amount": "6000000.00",
                            "purpose": "los estudios, el proyecto ejecutivo y la señalización",
                            "source": "municipal",
                            "budget_item": "6141",
                        }
                    ],
                },
            ],
            "clauses": [
                {
                    "title": "OBJETO",
                    "text": "El presente convenio tiene por objeto coordinar la ejecución y el "
                    "financiamiento de la rehabilitación del Bulevar Aeropuerto.",
                },
                {
                    "title": "EJECUCIÓN DE LA OBRA",
                    "text": "«EL ESTADO» contratará y supervisará la obra conforme a la "
                    "legislación estatal de obra pública; «EL MUNICIPIO» entregará el proyecto "
                    "ejecutivo y otorgará los permisos de su competencia.",
                },
            ],
            "amount": "24000000.00",
            "effective_date": "2026-03-23",
            "expiry_date": "2027-06-30",
            "signing": {"method": "autografa", "date": "2026-03-23", "copies": 2},
        }
    )
    b.authorize(agreement, leon, "112", **_vote("112", 15, 14, "2026-02-12"))
    return agreement


def intermunicipal(b: _Builder) -> int:
    tlalnepantla, presidenta, sindica, secretario = _tlalnepantla(b)
    naucalpan = b.party(
        kind="municipio",
        name="Municipio de Naucalpan de Juárez",
        article="el",
        inegi_code="15057",
        legal_framework="la Ley Orgánica Municipal del Estado de México",
        **TERM_2025_2027,
    )
    presidente = b.person(
        naucalpan,
        honorific="C.",
        full_name="Isaac Montoya Márquez",
        gender="masculine",
        position="Presidente Municipal Constitucional",
        legal_basis="la Ley Orgánica Municipal del Estado de México",
    )
    secretaria = b.person(
        naucalpan,
        honorific="Lic.",
        full_name="Verónica Salgado Ríos",
        gender="feminine",
        position="Secretaria del Ayuntamiento",
        legal_basis="la Ley Orgánica Municipal del Estado de México",
    )
    agreement = b.agreement(
        {
            "title": "Convenio de coordinación intermunicipal para la gestión de los residuos "
            "sólidos urbanos",
            "kind": "coordinacion",
            "topics": ["medio_ambiente", "servicios_publicos"],
            "objective": "Coordinar la recolección, el traslado y la disposición final de los "
            "residuos sólidos urbanos en la zona limítrofe de ambos municipios.",
            "parties": [
                {
                    "party_id": tlalnepantla,
                    "role": "TLALNEPANTLA",
                    "signatories": _municipio_signers(presidenta, sindica, secretario),
                    "contributions": [
                        {
                            "amount": "1200000.00",
                            "purpose": "la operación de las rutas de recolección compartidas",
                            "source": "municipal",
                        }
                    ],
                },
                {
                    "party_id": naucalpan,
                    "role": "NAUCALPAN",
                    "signatories": [
                        {"representative_id": presidente},
                        {"representative_id": secretaria, "capacity": "attests"},
                    ],
                    "contributions": [
                        {
                            "amount": "1200000.00",
                            "purpose": "la operación de la estación de transferencia",
                            "source": "municipal",
                        }
                    ],
                },
            ],
            "clauses": [
                {
                    "title": "OBJETO",
                    "text": "El presente convenio tiene por objeto coordinar la recolección, el "
                    "traslado y la disposición final de los residuos sólidos urbanos en la zona "
                    "limítrofe de ambos municipios.",
                },
                {
                    "title": "COMISIÓN INTERMUNICIPAL",
                    "text": "«LAS PARTES» integran una comisión con dos representantes de cada "
                    "una, que sesionará cada mes.",
                },
            ],
            "amount": "2400000.00",
            "effective_date": "2026-04-01",
            "expiry_date": "2027-03-31",
            "renewal": {"mode": "automatic", "months": 12, "notice_days": 90},
            "signing": {"method": "autografa", "place": "Tlalnepantla de Baz, Estado de México"},
            "witnesses": [
                {
                    "full_name": "Ernesto Valdés Luna",
                    "position": "Secretario de Desarrollo Urbano y Obra del Estado de México",
                }
            ],
        }
    )
    # It renews by itself, beyond the ayuntamientos' term: two thirds of each cabildo.
    b.authorize(agreement, tlalnepantla, "46", **_vote("46", 11, 9, "2026-02-26"))
    b.authorize(agreement, naucalpan, "73", **_vote("73", 19, 14, "2026-02-25"))
    return agreement


def modificatorio(b: _Builder) -> int:
    p = _federal_parties(b)
    principal = _coordinacion_federal(b, p)
    # Signed on paper outside the service, then published in the DOF.
    b.move(principal, "in_review", "approved", "in_signature")
    b.move(principal, "active", signed_on="2026-02-20")
    b.post(
        f"/agreements/{principal}/publications",
        {
            "medium": "dof",
            "published_on": "2026-02-27",
            "number": "Edición Vespertina, Tomo DCCLXI, número 19",
            "url": "https://www.dof.gob.mx/nota_detalle.php?codigo=5000001&fecha=27/02/2026",
        },
    )
    agreement = b.agreement(
        {
            "title": "Primer convenio modificatorio al convenio de coordinación para el "
            "fortalecimiento de la videovigilancia urbana",
            "kind": "modificatorio",
            "parent_id": principal,
            "topics": ["seguridad_publica"],
            "objective": "Ampliar el número de cámaras de videovigilancia y los recursos "
            "destinados a ellas.",
            "parties": [
                {
                    "party_id": p["sspc"],
                    "role": "LA SECRETARÍA",
                    "signatories": [{"representative_id": p["subsecretario"]}],
                    "contributions": [
                        {
                            "amount": "800000.00",
                            "purpose": "la adquisición de cuarenta cámaras adicionales",
                            "source": "federal",
                        }
                    ],
                },
                {
                    "party_id": p["estado"],
                    "role": "EL ESTADO",
                    "signatories": [
                        {"representative_id": p["secretario_general"]},
                        {"representative_id": p["secretaria_finanzas"], "capacity": "assists"},
                    ],
                },
                {
                    "party_id": p["municipio"],
                    "role": "EL MUNICIPIO",
                    "signatories": _municipio_signers(
                        p["presidenta"], p["sindica"], p["secretario"]
                    ),
                    "contributions": [
                        {
                            "amount": "200000.00",
                            "purpose": "la obra civil de los puntos de monitoreo adicionales",
                            "source": "municipal",
                        }
                    ],
                },
            ],
            "clauses": [
                {
                    "title": "MODIFICACIÓN DE LA CLÁUSULA SEGUNDA",
                    "text": "Se modifica la cláusula SEGUNDA de «EL CONVENIO PRINCIPAL» para "
                    "quedar como sigue: “SEGUNDA.- COMPROMISOS DE LAS PARTES. «LA SECRETARÍA» "
                    "entregará el equipo, incluidas cuarenta cámaras adicionales; «EL ESTADO» "
                    "realizará el enlace; «EL MUNICIPIO» ejecutará la obra civil y cubrirá la "
                    "energía eléctrica.”",
                },
            ],
            "amount": "1000000.00",
            "effective_date": "2026-03-30",
            "signing": {"method": "autografa", "date": "2026-03-30"},
        }
    )
    b.authorize(agreement, p["municipio"], "47", **_vote("47", 11, 11, "2026-02-26"))
    return agreement


_BUILDERS: dict[str, Callable[[_Builder], int]] = {
    "colaboracion_universidad": colaboracion_universidad,
    "colaboracion_empresa": colaboracion_empresa,
    "coordinacion_federal": coordinacion_federal,
    "coordinacion_estatal": coordinacion_estatal,
    "intermunicipal": intermunicipal,
    "modificatorio": modificatorio,
}


def build(client: Client, headers: dict[str, str], name: str) -> int:
    """Draft the sample ``name`` (one of `NAMES`) through the API; returns its agreement id."""
    return _BUILDERS[name](_Builder(client, headers))
