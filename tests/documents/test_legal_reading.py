"""What a Consejería Jurídica reads first, fault by fault: who signs and as what, who pays what,
the clauses the drafter controls, the variants of the coordinación, the cabildo's authority,
dates and copies, the signature pages, print, and the modificatorio. Text checks read the
preview (the same text as the PDF, without laying it out); layout checks read the PDF.
"""

import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream
from sqlalchemy.orm import Session

from app.config import get_settings
from app.documents import samples
from app.documents.context import is_test_address
from tests.clock import TestClock, days_from_today
from tests.conftest import Keys
from tests.databases import ONE_DATABASE
from tests.documents.legal_text import download, generate, pdf_pages, preview_text
from tests.factories import (
    API,
    acta_pdf,
    agreement_payload,
    authorize_municipios,
    estado,
    move,
    municipio,
    municipio_and_estado,
    ok,
    party,
    representative,
)

# The text and the layout do not depend on the database (tests/databases.py).
pytestmark = ONE_DATABASE


def _sample(client: TestClient, keys: Keys, name: str) -> tuple[int, str]:
    agreement_id = samples.build(client, keys.legal, name)
    return agreement_id, preview_text(client, keys.legal, agreement_id)


def _create(client: TestClient, keys: Keys, payload: dict[str, Any]) -> dict[str, Any]:
    return ok(client.post(f"{API}/agreements", json=payload, headers=keys.legal), 201)


def _text(client: TestClient, keys: Keys, payload: dict[str, Any]) -> str:
    return preview_text(client, keys.legal, int(_create(client, keys, payload)["id"]))


# --- Who signs, and as what ---------------------------------------------------------------------


def test_each_signer_appears_in_the_capacity_they_sign_in(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, "colaboracion_universidad")
    proemio = text.splitlines()[0]
    assert (
        "REPRESENTADO EN ESTE ACTO POR LA LIC. MARIANA TÉLLEZ ARRIAGA, EN SU CARÁCTER DE "
        "PRESIDENTA MUNICIPAL CONSTITUCIONAL, ASISTIDA POR LA MTRA. LAURA IBÁÑEZ SOTO, EN SU "
        "CARÁCTER DE SÍNDICA MUNICIPAL, Y CON LA PARTICIPACIÓN DEL LIC. ROBERTO CÁRDENAS "
        "VILLALOBOS, EN SU CARÁCTER DE SECRETARIO DEL AYUNTAMIENTO, QUIEN VALIDA CON SU FIRMA"
    ) in proemio
    # Only who represents declares powers to sign; who assists or validates says so.
    assert text.count("cuenta con facultades para suscribir") == 2  # presidenta and rector
    assert "Laura Ibáñez Soto, en su carácter de Síndica Municipal, asiste a la Lic." in text
    assert (
        "Roberto Cárdenas Villalobos, en su carácter de Secretario del Ayuntamiento, valida" in text
    )
    assert "facultades suficientes" not in text


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        # Articles are the data's, never guessed from the first word.
        (
            {"kind": "federacion", "name": "CONAGUA", "legal_name": "Comisión Nacional del Agua"}
            | {"article": "la"},
            "EL EJECUTIVO FEDERAL, POR CONDUCTO DE LA COMISIÓN NACIONAL DEL AGUA, A QUIEN EN LO "
            "SUCESIVO SE LE DENOMINARÁ «LA OTRA», REPRESENTADA",
        ),
        (
            {"kind": "organismo_descentralizado", "article": "el"}
            | {"name": "Secretariado Ejecutivo del Sistema Nacional de Seguridad Pública"},
            "EL SECRETARIADO EJECUTIVO DEL SISTEMA NACIONAL DE SEGURIDAD PÚBLICA, A QUIEN EN LO "
            "SUCESIVO SE LE DENOMINARÁ «LA OTRA», REPRESENTADO",
        ),
        (
            {"kind": "academico_privado", "name": "Tecnológico de Monterrey", "article": "el"}
            | {"legal_name": "Instituto Tecnológico y de Estudios Superiores de Monterrey"},
            "EL INSTITUTO TECNOLÓGICO Y DE ESTUDIOS SUPERIORES DE MONTERREY, A QUIEN EN LO "
            "SUCESIVO SE LE DENOMINARÁ «LA OTRA», REPRESENTADO",
        ),
        (
            {"kind": "estado", "name": "Gobierno del Estado de México", "inegi_code": "15"}
            | {"legal_name": "Poder Ejecutivo del Estado Libre y Soberano de México"}
            | {"article": "el"},
            "EL PODER EJECUTIVO DEL ESTADO LIBRE Y SOBERANO DE MÉXICO, A QUIEN EN LO SUCESIVO SE "
            "LE DENOMINARÁ «LA OTRA», REPRESENTADO",
        ),
        (
            {"kind": "privado", "name": "Grupo Constructor del Centro", "gender": "masculine"}
            | {"legal_name": "Grupo Constructor del Centro, S.A. de C.V."},
            "; Y POR LA OTRA, GRUPO CONSTRUCTOR DEL CENTRO, S.A. DE C.V., A QUIEN EN LO SUCESIVO "
            "SE LE DENOMINARÁ «LA OTRA», REPRESENTADO",
        ),
    ],
)
def test_a_party_is_named_as_its_data_says(
    client: TestClient, keys: Keys, fields: dict[str, Any], named: str
) -> None:
    mun = municipio(client, keys.legal)
    other = party(client, keys.legal, **fields)
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (other, representative(client, keys.legal, other["id"])),
    ]
    payload = agreement_payload(signers, amount=None)
    payload["parties"][1]["role"] = "LA OTRA"
    assert named in _text(client, keys, payload).splitlines()[0]


def test_the_modificatorio_names_each_party_as_its_principal(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    agreement_id, text = _sample(client, keys, "modificatorio")
    found = ok(client.get(f"{API}/agreements/{agreement_id}", headers=keys.legal))
    principal = preview_text(client, keys.legal, int(found["parent_id"]))

    def comparecencias(proemio: str) -> str:
        return proemio[proemio.index("CELEBRAN") :]

    assert comparecencias(text.splitlines()[0]) == comparecencias(principal.splitlines()[0])


# --- Who pays what ------------------------------------------------------------------------------


def test_a_company_that_pays_everything_is_not_subject_to_a_public_budget(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, "colaboracion_empresa")
    assert "«LA EMPRESA» aportará la cantidad de $2,450,000.00" in text
    for absent in ("disponibilidad presupuestaria", "Tesorería de la Federación", "destinarán"):
        assert absent not in text
    assert "«LA EMPRESA» renuncia al fuero" in text
    assert "Ley Federal de Protección de Datos Personales en Posesión de los Particulares" in text


def test_each_public_contributor_is_named_and_federal_funds_go_back_to_the_tesofe(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, "coordinacion_federal")
    assert "«LA SECRETARÍA» aportará la cantidad de $3,000,000.00" in text
    assert "de recursos federales, con cargo a la partida presupuestal 43801" in text
    assert "el 30 de abril de 2026, $3,000,000.00 (TRES MILLONES DE PESOS 00/100 M.N.)" in text
    assert "Lo que aportan «LA SECRETARÍA», «EL ESTADO» y «EL MUNICIPIO» se sujeta" in text
    assert (
        "a más tardar el 15 de enero del ejercicio siguiente, en términos del artículo 17 de la "
        "Ley de Disciplina Financiera de las Entidades Federativas y los Municipios"
    ) in text
    assert "renuncia al fuero" not in text  # public bodies only


def test_amounts_are_set_without_boxes_that_stretch_their_line(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    agreement_id, _ = _sample(client, keys, "coordinacion_federal")
    html = client.get(f"{API}/agreements/{agreement_id}/preview", headers=keys.legal).text
    assert '<span class="cifra">$3,000,000.00</span>' in html
    assert 'class="monto"' not in html and "inline-block;\n  text-align: left" not in html


# --- Clauses nobody asked for -------------------------------------------------------------------

SEVEN = [
    ("OBJETO", "El presente convenio tiene por objeto la colaboración."),
    ("COMPROMISOS", "«LAS PARTES» se comprometen a lo pactado."),
    ("VIGENCIA", "Estará vigente dos años a partir de su firma."),
    ("RELACIÓN LABORAL", "Cada parte responde de su personal."),
    ("CONFIDENCIALIDAD", "La información intercambiada es reservada."),
    ("INTERPRETACIÓN Y CUMPLIMIENTO", "Las dudas se resolverán de común acuerdo."),
    (
        "JURISDICCIÓN",
        "Las partes se someten a los juzgados federales con residencia en la Ciudad de México.",
    ),
]


def test_the_template_never_repeats_a_clause_the_drafter_wrote(
    client: TestClient, keys: Keys
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    clauses = [{"title": title, "text": text} for title, text in SEVEN]
    text = _text(client, keys, agreement_payload(signers, clauses=clauses, amount=None))
    titles = [
        line.split(".-", 1)[1].split(".", 1)[0].strip()
        for line in text.splitlines()
        if ".-" in line
    ]
    assert len(titles) == len(set(titles)), titles
    # The drafter's jurisdiction stands alone: no Suprema Corte beside it.
    assert "Suprema Corte" not in text and "juzgados federales" in text
    for standard in ("VIGENCIA", "RELACIÓN LABORAL", "TRANSPARENCIA", "INTERPRETACIÓN"):
        assert sum(title.startswith(standard) for title in titles) <= 1, standard
    assert titles[:7] == [title for title, _ in SEVEN]


def test_standard_clauses_are_included_omitted_or_replaced_by_key(
    client: TestClient, keys: Keys
) -> None:
    version = ok(client.get(f"{API}/templates/colaboracion/versions/1", headers=keys.legal))
    keys_listed = [clause["key"] for clause in version["standard_clauses"]]
    assert {"vigencia", "relacion_laboral", "jurisdiccion", "aportaciones"} <= set(keys_listed)
    signers = municipio_and_estado(client, keys.legal)
    payload = agreement_payload(
        signers,
        amount=None,
        standard_clauses={
            "caso_fortuito": {"mode": "omit"},
            "relacion_laboral": {
                "mode": "replace",
                "title": "PERSONAL",
                "text": "Cada parte designará a su personal y responderá de él.",
            },
        },
    )
    created = _create(client, keys, payload)
    assert created["standard_clauses"]["caso_fortuito"]["mode"] == "omit"
    text = preview_text(client, keys.legal, int(created["id"]))
    assert "FUERZA MAYOR" not in text and "RELACIÓN LABORAL" not in text
    assert "PERSONAL. Cada parte designará a su personal y responderá de él." in text


@pytest.mark.parametrize(
    ("choices", "field"),
    [
        ({"no_existe": {"mode": "omit"}}, "body.standard_clauses.no_existe"),
        ({"vigencia": {"mode": "replace", "title": "VIGENCIA"}}, "body.standard_clauses.vigencia"),
        ({"vigencia": {"mode": "omit", "text": "x"}}, "body.standard_clauses.vigencia"),
        ({"Vigencia": {"mode": "omit"}}, "body.standard_clauses.Vigencia"),
    ],
)
def test_a_standard_clause_choice_that_makes_no_sense_is_refused(
    client: TestClient, keys: Keys, choices: dict[str, Any], field: str
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    response = client.post(
        f"{API}/agreements",
        json=agreement_payload(signers, amount=None, standard_clauses=choices),
        headers=keys.legal,
    )
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text


# --- Coordinación follows who the parties are ---------------------------------------------------

FEDERAL_ONLY = ("26, apartado A", "Ley de Planeación", "Plan Nacional de Desarrollo", "Tesorería")


@pytest.mark.parametrize("name", ["coordinacion_estatal", "intermunicipal"])
def test_a_coordinacion_without_the_federation_cites_none_of_its_laws(
    name: str, client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, name)
    for citation in FEDERAL_ONLY:
        assert citation not in text, (name, citation)
    assert "artículo 115, fracción III" in text
    if name == "coordinacion_estatal":
        assert "116, fracción VII" in text
        assert "Constitución Política para el Estado de Guanajuato" in text
    else:
        assert "coordinarse y asociarse" in text


def test_a_coordinacion_with_the_federation_cites_the_ley_de_planeacion(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, "coordinacion_federal")
    for citation in ("26, apartado A", "33 y 34 de la Ley de Planeación", "Plan Nacional"):
        assert citation in text
    assert "De conformidad con el artículo 36 de la Ley de Planeación" in text
    assert "artículo 44 de la Ley de Planeación" in text


@pytest.mark.parametrize(
    ("state", "code", "constitution"),
    [
        ("Jalisco", "14039", "Constitución Política del Estado de Jalisco"),
        ("Guanajuato", "11020", "Constitución Política para el Estado de Guanajuato"),
        ("Coahuila", "05030", "Constitución Política del Estado de Coahuila de Zaragoza"),
        ("Ciudad de México", "09015", "Constitución Política de la Ciudad de México"),
    ],
)
def test_each_state_constitution_has_its_official_title(
    client: TestClient, keys: Keys, state: str, code: str, constitution: str
) -> None:
    mun = municipio(client, keys.legal, name=f"Municipio de {state}", inegi_code=code)
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (e := estado(client, keys.legal), representative(client, keys.legal, e["id"])),
    ]
    text = _text(client, keys, agreement_payload(signers, amount=None))
    assert constitution in text
    if state != "Ciudad de México":
        assert "Libre y Soberano de" not in text.split(constitution)[0].rsplit("I.1.", 1)[-1]


def test_a_public_university_is_a_public_body_and_a_private_one_is_not(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, public = _sample(client, keys, "colaboracion_universidad")
    assert "artículo 3o., fracción VII" in public
    assert "Particulares" not in public and "renuncia al fuero" not in public
    mun = municipio(client, keys.legal)
    private = party(
        client,
        keys.legal,
        kind="academico_privado",
        name="Universidad del Valle",
        article="la",
        legal_framework="la escritura pública número 1,234, otorgada ante la fe del Notario "
        "Público número 5 de Toluca",
    )
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (private, representative(client, keys.legal, private["id"])),
    ]
    payload = agreement_payload(signers, amount=None)
    payload["parties"][1]["role"] = "LA UNIVERSIDAD"
    text = _text(client, keys, payload)
    assert "Que es una institución particular de educación" in text
    assert "Ley Federal de Protección de Datos Personales en Posesión de los Particulares" in text
    assert "«LA UNIVERSIDAD» renuncia al fuero" in text


def test_an_organismo_descentralizado_declares_where_it_belongs(
    client: TestClient, keys: Keys
) -> None:
    dif = party(
        client,
        keys.legal,
        kind="organismo_descentralizado",
        name="Sistema Municipal para el Desarrollo Integral de la Familia de Tlalnepantla de Baz",
        article="el",
        inegi_code="15104",
        legal_framework="el decreto de su creación",
    )
    mun = municipio(client, keys.legal)
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (dif, representative(client, keys.legal, dif["id"])),
    ]
    text = _text(client, keys, agreement_payload(signers, amount=None))
    assert (
        "Que es un organismo público descentralizado de la administración pública municipal del "
        "Municipio de Tlalnepantla de Baz, con personalidad jurídica y patrimonio propios, "
        "conforme al decreto de su creación."
    ) in text.replace("conforme a el", "conforme al")


# --- The municipio's authority ------------------------------------------------------------------


def test_signing_waits_for_each_cabildos_authorisation_and_says_what_is_missing(
    client: TestClient, keys: Keys
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    created = _create(client, keys, agreement_payload(signers))
    url = f"{API}/agreements/{created['id']}"
    move(client, keys.legal, created["id"], "in_review", "approved")
    refused = client.post(f"{url}/transitions", json={"to": "in_signature"}, headers=keys.legal)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "cabildo of Municipio de Tlalnepantla de Baz has not authorised it" in detail
    assert f"/parties/{signers[0][0]['id']}/authorization" in detail


def test_a_convenio_beyond_the_ayuntamientos_term_needs_two_thirds_of_its_members(
    client: TestClient, keys: Keys
) -> None:
    mun = municipio(client, keys.legal)
    signers = [
        (mun, representative(client, keys.legal, mun["id"])),
        (e := estado(client, keys.legal), representative(client, keys.legal, e["id"])),
    ]
    # Renewing by itself, it binds the municipio past its ayuntamiento's last day.
    renewing = agreement_payload(
        signers, amount=None, renewal={"mode": "automatic", "months": 12, "notice_days": 30}
    )
    created = _create(client, keys, renewing)
    acta = ok(
        client.post(
            f"{API}/agreements/{created['id']}/documents/upload",
            files={
                "kind": (None, "cabildo_acta"),
                "file": ("a.pdf", acta_pdf(), "application/pdf"),
            },
            headers=keys.legal,
        ),
        201,
    )
    url = f"{API}/agreements/{created['id']}/parties/{mun['id']}/authorization"
    vote = {
        "session": "extraordinaria",
        "date": days_from_today(-1),
        "acta_number": "12",
        "members": 12,
        "certified_acta_document_id": acta["id"],
    }
    # 7 of 12 is a majority of those present, but not two thirds of the members (8).
    short = client.put(url, json={**vote, "votes_for": 7, "votes_against": 5}, headers=keys.legal)
    assert short.status_code == 422, short.text
    assert "it needs 8 (las dos terceras partes de sus integrantes)" in short.text
    assert (
        ok(client.get(f"{API}/agreements/{created['id']}", headers=keys.legal))["parties"][0][
            "authorization"
        ]
        is None
    )
    recorded = ok(
        client.put(url, json={**vote, "votes_for": 8, "votes_against": 4}, headers=keys.legal)
    )
    assert recorded["parties"][0]["authorization"]["votes_for"] == 8
    text = preview_text(client, keys.legal, int(created["id"]))
    assert (
        "por 8 votos a favor y 4 en contra, de un total de 12 integrantes, con el voto de las dos "
        "terceras partes de sus integrantes que exige el artículo 115, fracción II, inciso b)"
        in text
    )


# --- Dates, place and copies --------------------------------------------------------------------


def test_a_convenio_states_only_the_signing_date_its_drafter_planned(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, "intermunicipal")  # on paper, day left blank
    assert "el día ______ de ____________________ de ________." in text
    _, dated = _sample(client, keys, "coordinacion_estatal")
    assert (
        "lo firman al margen y al calce por duplicado, en León, Guanajuato, a los veintitrés "
        "días del mes de marzo de dos mil veintiséis." in dated
    )
    _, electronic = _sample(client, keys, "colaboracion_empresa")
    assert (
        "lo suscriben mediante firma electrónica, en las fechas que constan en sus "
        "respectivas firmas" in electronic
    )
    assert "al margen y al calce" not in electronic


def test_a_convenio_dated_for_signing_is_signed_that_day_and_keeps_its_bytes(
    client: TestClient, keys: Keys, db: Session, clock: TestClock
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    day = days_from_today(5)
    created = _create(
        client,
        keys,
        agreement_payload(signers, amount=None, signing={"method": "autografa", "date": day}),
    )
    authorize_municipios(client, keys.legal, created["id"])
    document = generate(client, keys.legal, int(created["id"]))
    move(client, keys.legal, created["id"], "in_review", "approved", "in_signature")
    url = f"{API}/agreements/{created['id']}/transitions"
    early = client.post(
        url, json={"to": "active", "signed_on": days_from_today(0)}, headers=keys.legal
    )
    # The date is a date; the convenio on record says another: a conflict.
    assert early.status_code == 409 and "states it is signed on" in early.text
    clock.advance(timedelta(days=5))
    active = ok(client.post(url, json={"to": "active"}, headers=keys.legal))
    assert active["signed_on"] == day
    # A copy made now is the document that was signed: nothing in it changed with the signing.
    assert generate(client, keys.legal, int(created["id"]))["sha256"] == document["sha256"]


def test_place_and_copies_are_the_drafters(client: TestClient, keys: Keys) -> None:
    signers = municipio_and_estado(client, keys.legal)
    text = _text(
        client,
        keys,
        agreement_payload(
            signers,
            amount=None,
            signing={
                "method": "autografa",
                "place": "Toluca de Lerdo, Estado de México",
                "copies": 4,
            },
        ),
    )
    assert (
        "lo firman al margen y al calce por cuadruplicado, en Toluca de Lerdo, Estado de México"
        in text
    )


# --- Signature pages ----------------------------------------------------------------------------


def _image_boxes(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """Where each image of the first page lies, in points from the bottom-left corner."""
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    boxes = []
    stack: list[list[float]] = []
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            a, b, c, d, e, f = (float(x) for x in operands)
            m = ctm
            ctm = [
                a * m[0] + b * m[2],
                a * m[1] + b * m[3],
                c * m[0] + d * m[2],
                c * m[1] + d * m[3],
                e * m[0] + f * m[2] + m[4],
                e * m[1] + f * m[3] + m[5],
            ]
        elif operator == b"Do":
            corners = [
                (ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5])
                for x, y in ((0, 0), (1, 1))
            ]
            xs, ys = sorted(c[0] for c in corners), sorted(c[1] for c in corners)
            boxes.append((xs[0], ys[0], xs[1], ys[1]))
    return boxes


MM = 72 / 25.4
# The QR code is drawn 8 pixels a module, with the four modules of its quiet zone.
QUIET_ZONE_PIXELS = 4 * 8


def test_the_printed_pages(client: TestClient, keys: Keys, drafting: None) -> None:
    """Signature pages a notary accepts, a QR code every printer prints, nothing hyphenated."""
    agreement_id, text = _sample(client, keys, "coordinacion_federal")
    pdf = download(client, keys.legal, generate(client, keys.legal, agreement_id))
    pages = pdf_pages(pdf)
    # Each party's signers together, on pages that say what they belong to and how many fojas
    # the convenio has.
    signature_pages = [p for p in pages if "POR «" in p]
    assert signature_pages and signature_pages == pages[-len(signature_pages) :]
    for page in signature_pages:
        flat = " ".join(page.split())
        assert "Hoja de firmas del convenio de coordinación para el fortalecimiento" in flat
        assert f"con folio CONV-2026-0001, que consta de {len(pages)} fojas útiles." in flat
    for role, names in {
        "LA SECRETARÍA": ["ARTURO BELTRÁN QUIÑONES"],
        "EL ESTADO": ["JOAQUÍN IBARRA SOLÍS", "ANDREA VARGAS NÚÑEZ"],
        "EL MUNICIPIO": ["MARIANA TÉLLEZ ARRIAGA", "LAURA IBÁÑEZ SOTO", "CÁRDENAS"],
    }.items():
        holding = [p for p in signature_pages if f"POR «{role}»" in p]
        assert len(holding) == 1, role
        assert all(name in " ".join(holding[0].split()) for name in names), role
    assert text.count("POR «EL MUNICIPIO»") == 1
    assert "lo firman al margen y al calce" in text
    assert all("Rúbricas" in page for page in pages)
    # The QR code lies inside what office printers print (not the outer 5 mm or so), with the
    # white of its quiet zone around it.
    ((left, bottom, right, top),) = _image_boxes(pdf)
    sheet = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert left > 10 * MM and bottom > 7 * MM
    assert float(sheet.width) - right > 10 * MM and float(sheet.height) - top > 10 * MM
    image = next(iter(PdfReader(io.BytesIO(pdf)).pages[0].images)).image
    assert isinstance(image, Image.Image)
    gray = image.convert("L")
    quiet = [gray.getpixel((x, y)) for x in range(gray.size[0]) for y in range(QUIET_ZONE_PIXELS)]
    assert min(quiet) == 255
    assert min(gray.getpixel((x, QUIET_ZONE_PIXELS)) for x in range(gray.size[0])) == 0
    # No word is split at the end of a line: not a defined term, not a name.
    for page in pages:
        for line in page.splitlines():
            stripped = line.rstrip()
            assert not (stripped.endswith("-") and stripped[-2:-1].isalpha()), line


def test_a_service_without_a_public_address_prints_test_copies(
    client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    created = _create(client, keys, agreement_payload(signers, amount=None))
    for address in ("http://127.0.0.1:8000", "http://convenios.local", "http://10.1.2.3"):
        assert is_test_address(address), address
    for address in ("https://convenios.tlalnepantla.gob.mx", "http://201.144.10.4/convenios"):
        assert not is_test_address(address), address
    for address, test_copy in (
        ("http://127.0.0.1:8000", True),
        ("https://convenios.tlalnepantla.gob.mx", False),
    ):
        monkeypatch.setenv("CONVENIOS_PUBLIC_URL", address)
        get_settings.cache_clear()
        pdf = download(client, keys.legal, generate(client, keys.legal, int(created["id"])))
        marked = [("COPIA DE PRUEBA" in page) for page in pdf_pages(pdf)]
        assert marked == [test_copy] * len(marked), address


# --- The modificatorio --------------------------------------------------------------------------


def test_the_modificatorio_cites_its_published_principal_and_adds_the_change(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, "modificatorio")
    assert (
        "publicado en el Diario Oficial de la Federación el 27 de febrero de 2026 (Edición "
        "Vespertina, Tomo DCCLXI, número 19)"
    ) in text
    assert "En la cláusula DÉCIMA PRIMERA de «EL CONVENIO PRINCIPAL»" in text
    assert "se amplía en $1,000,000.00" in text and "asciende a $6,000,000.50" in text
    assert (
        "PUBLICACIÓN. De conformidad con el artículo 36 de la Ley de Planeación, el presente "
        "convenio modificatorio se publicará" in text
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (
            "follow",
            ["Que es un municipio libre", "Que la seguridad es prioridad.", "Registro Federal"],
        ),
        (
            "precede",
            ["Que la seguridad es prioridad.", "Que es un municipio libre", "Registro Federal"],
        ),
        ("replace", ["Que la seguridad es prioridad."]),
    ],
)
def test_a_partys_own_declarations_follow_precede_or_replace_the_templates(
    client: TestClient, keys: Keys, mode: str, expected: list[str]
) -> None:
    signers = municipio_and_estado(client, keys.legal)
    ok(
        client.patch(
            f"{API}/parties/{signers[0][0]['id']}", json={"rfc": "MTB850101AB1"}, headers=keys.legal
        )
    )
    payload = agreement_payload(signers, amount=None)
    payload["parties"][0] |= {
        "declarations": ["Que la seguridad es prioridad."],
        "declarations_mode": mode,
    }
    text = _text(client, keys, payload)
    block = text.split("DECLARA «EL MUNICIPIO»")[1].split("DECLARA «EL ESTADO»")[0]
    lines = [line for line in block.splitlines() if line.startswith("I.")]
    found = [
        next(e for e in expected if e in line) for line in lines if any(e in line for e in expected)
    ]
    assert found == expected, lines
    assert [line.split(" ", 1)[0] for line in lines] == [
        f"I.{n}." for n in range(1, len(lines) + 1)
    ]


def test_testigos_sign_where_the_drafter_puts_them(
    client: TestClient, keys: Keys, drafting: None
) -> None:
    _, text = _sample(client, keys, "coordinacion_federal")
    signatures = text[text.index("Hoja de firmas") :]
    municipio = signatures[signatures.index("POR «EL MUNICIPIO»") :]
    assert "TESTIGO\nSOFÍA RAMÍREZ ÁVILA\nContralora Municipal" in municipio
    _, text = _sample(client, keys, "intermunicipal")
    assert text.rstrip().endswith(
        "TESTIGO\nERNESTO VALDÉS LUNA\nSecretario de Desarrollo Urbano y Obra del Estado de México"
    )
