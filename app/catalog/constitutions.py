"""The official title of each federal entity's constitution, as its own texts write it.

The titles differ more than their common pattern suggests: Jalisco's is "Constitución
Política del Estado de Jalisco", Guanajuato's "Constitución Política para el Estado de
Guanajuato", Coahuila's names "Coahuila de Zaragoza". They were checked one by one (2026-12)
against a text of the state itself — its congress or gazette, or a reproduction of it by the
TEPJF, the SCJN, the Cámara de Diputados or INAFED — and each entry gives where. Three titles
were seen only in secondary copies (``verified=False``): Nuevo León (its 2022 constitution),
Oaxaca and Yucatán; a legal office should confirm them on the state congress's site. Titles
change (Chiapas 2016, Querétaro 2019): this is the title in force, not a history.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Constitution:
    title: str
    source: str
    verified: bool = True


CONSTITUTIONS: dict[str, Constitution] = {
    "01": Constitution(
        "Constitución Política del Estado de Aguascalientes",
        "http://www.diputados.gob.mx/bibliot/infolegi/consedos/constitu/aguas.htm",
    ),
    "02": Constitution(
        "Constitución Política del Estado Libre y Soberano de Baja California",
        "https://te.gob.mx/legislacion/media/files/ed332954de460cb.htm",
    ),
    "03": Constitution(
        "Constitución Política del Estado Libre y Soberano de Baja California Sur",
        "Boletín Oficial del Gobierno del Estado (copy at 1library.co, with its Bando Solemne)",
    ),
    "04": Constitution(
        "Constitución Política del Estado de Campeche",
        "TEPJF, compilation of state legislation (te.gob.mx/legislacion)",
    ),
    "05": Constitution(
        "Constitución Política del Estado de Coahuila de Zaragoza",
        "https://te.gob.mx/legislacion/media/files/34b77450e1b2687.htm",
    ),
    "06": Constitution(
        "Constitución Política del Estado Libre y Soberano de Colima",
        "H. Congreso del Estado, Dirección de Procesos Legislativos (Decreto 385, P.O. 75)",
    ),
    "07": Constitution(
        "Constitución Política del Estado Libre y Soberano de Chiapas",
        "SCJN, Sistema de Consulta de Ordenamientos (denominación reformada, P.O. 29-12-2016)",
    ),
    "08": Constitution(
        "Constitución Política del Estado Libre y Soberano de Chihuahua",
        "https://www.te.gob.mx/sites/default/files/legislacion/chihuahua/constitucionchihuahua.htm",
    ),
    "09": Constitution(
        "Constitución Política de la Ciudad de México",
        "Ley Orgánica del Congreso de la Ciudad de México, art. 1 (Gaceta Oficial, 05-02-2017)",
    ),
    "10": Constitution(
        "Constitución Política del Estado Libre y Soberano de Durango",
        "https://www.te.gob.mx/legislacion/media/files/3409fb3d877a96f.htm",
    ),
    "11": Constitution(
        "Constitución Política para el Estado de Guanajuato",
        "https://www.diputados.gob.mx/bibliot/infolegi/consedos/constitu/gto.htm",
    ),
    "12": Constitution(
        "Constitución Política del Estado Libre y Soberano de Guerrero",
        "Consejería Jurídica del Poder Ejecutivo del Estado de Guerrero (edition of the text)",
    ),
    "13": Constitution(
        "Constitución Política del Estado de Hidalgo",
        "https://www.te.gob.mx/legislacion/media/files/b77e2dfa18ae9e2.htm",
    ),
    "14": Constitution(
        "Constitución Política del Estado de Jalisco",
        "http://siga.jalisco.gob.mx/assets/documentos/normatividad/constitucionjalisco.htm",
    ),
    "15": Constitution(
        "Constitución Política del Estado Libre y Soberano de México",
        "Iniciativa del Ejecutivo a la H. LII Legislatura del Estado de México (arts. 59 y 88)",
    ),
    "16": Constitution(
        "Constitución Política del Estado Libre y Soberano de Michoacán de Ocampo",
        "INAFED, e-local (reproduction of the Periódico Oficial text)",
    ),
    "17": Constitution(
        "Constitución Política del Estado Libre y Soberano de Morelos",
        "SCJN, AI 68/2016, quoting Decreto 758, P.O. «Tierra y Libertad» 06-07-2016",
    ),
    "18": Constitution(
        "Constitución Política del Estado Libre y Soberano de Nayarit",
        "https://te.gob.mx/legislacion/media/files/62033c614e76869.htm",
    ),
    "19": Constitution(
        "Constitución Política del Estado Libre y Soberano de Nuevo León",
        "SCJN, CC 266/2019, quoting Decreto 140, P.O. 24-05-2019 (the 2022 constitution's "
        "title seen only in a commercial copy)",
        verified=False,
    ),
    "20": Constitution(
        "Constitución Política del Estado Libre y Soberano de Oaxaca",
        "An initiative of the LXVI Legislatura as reproduced by the press (no official host)",
        verified=False,
    ),
    "21": Constitution(
        "Constitución Política del Estado Libre y Soberano de Puebla",
        "https://www.diputados.gob.mx/bibliot/infolegi/consedos/constitu/puebla.htm",
    ),
    "22": Constitution(
        "Constitución Política del Estado Libre y Soberano de Querétaro",
        "Text of the Legislatura (Ref. P.O. No. 64, 23-VIII-2019)",
    ),
    "23": Constitution(
        "Constitución Política del Estado Libre y Soberano de Quintana Roo",
        "https://te.gob.mx/legislacion/media/files/4c8e9e4a6fa2a62.htm",
    ),
    "24": Constitution(
        "Constitución Política del Estado Libre y Soberano de San Luis Potosí",
        "SCJN, Sistema de Consulta de Ordenamientos; H. Congreso del Estado (IIL) edition",
    ),
    "25": Constitution(
        "Constitución Política del Estado de Sinaloa",
        "https://te.gob.mx/legislacion/media/files/711e9685ae826ab.htm",
    ),
    "26": Constitution(
        "Constitución Política del Estado Libre y Soberano de Sonora",
        "Compiled official text (última reforma, Boletín Oficial 26-04-2018)",
    ),
    "27": Constitution(
        "Constitución Política del Estado Libre y Soberano de Tabasco",
        "https://te.gob.mx/legislacion/media/files/292e0580d62f540.htm",
    ),
    "28": Constitution(
        "Constitución Política del Estado de Tamaulipas",
        "http://www.diputados.gob.mx/bibliot/infolegi/consedos/constitu/tam.htm",
    ),
    "29": Constitution(
        "Constitución Política del Estado Libre y Soberano de Tlaxcala",
        "http://www.diputados.gob.mx/bibliot/infolegi/consedos/constitu/tlaxcala.htm",
    ),
    "30": Constitution(
        "Constitución Política del Estado de Veracruz de Ignacio de la Llave",
        "Gaceta Oficial del Estado, 30-01-2015; SCJN, Sistema de Consulta de Ordenamientos",
    ),
    "31": Constitution(
        "Constitución Política del Estado de Yucatán",
        "Decreto 67 as reproduced by Georgetown's Political Database of the Americas",
        verified=False,
    ),
    "32": Constitution(
        "Constitución Política del Estado Libre y Soberano de Zacatecas",
        "https://te.gob.mx/legislacion/media/files/2723b33701ac36e.htm",
    ),
}


def constitution_of(state_code: str | None) -> str | None:
    """The official title of the constitution of the state ``state_code`` (INEGI)."""
    found = CONSTITUTIONS.get(state_code or "")
    return found.title if found else None
