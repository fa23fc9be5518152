"""The sample convenios of `app.documents.samples`, built through the API in a scratch database:
their PDFs and a page of each as a picture for the README (`make sample`), and the context of the
coordinación with the federation, grown to any length, for the benchmarks.

Run as `python -m bench.sample DIR`: writes DIR/convenio-NAME.pdf and .png for each sample.
"""

import copy
import functools
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
# The municipios the samples name, as INEGI's catalog has them (CVEGEO, state, municipio).
_CATALOG = """CVEGEO,CVE_ENT,NOM_ENT,CVE_MUN,NOM_MUN
11020,11,Guanajuato,020,León
14120,14,Jalisco,120,Zapopan
15057,15,México,057,Naucalpan de Juárez
15104,15,México,104,Tlalnepantla de Baz
"""
# The page of each sample the README shows: the first, or for one its signature page.
PAGES = {"coordinacion_estatal": -1}
_CLAUSE = (
    "«LAS PARTES» se comprometen a intercambiar la información necesaria para la operación del "
    "sistema de videovigilancia urbana, a designar enlaces técnicos y a reunirse en la comisión "
    "de seguimiento cada tres meses, levantando un acta de cada sesión en la que se harán constar "
    "los avances, los compromisos pendientes y las medidas para cumplirlos en tiempo y forma."
)


@functools.cache
def _built() -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every sample's PDF, and the render context of the coordinación with the federation;
    the process's settings and clock as they were afterwards."""
    from app import clock
    from app.config import get_settings
    from app.documents import samples

    scratch = Path(tempfile.mkdtemp(prefix="convenios-samples-"))
    names = ("CONVENIOS_DATABASE_URL", "CONVENIOS_STORAGE_URL", "CONVENIOS_PUBLIC_URL")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["CONVENIOS_DATABASE_URL"] = f"sqlite:///{scratch / 'samples.sqlite3'}"
    os.environ["CONVENIOS_STORAGE_URL"] = str(scratch / "storage")
    os.environ["CONVENIOS_PUBLIC_URL"] = samples.PUBLIC_URL
    get_settings.cache_clear()
    previous = clock.use(lambda: samples.AS_OF)
    try:
        return _build(samples)
    finally:
        clock.use(previous)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _build(samples: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
    from alembic import command
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from app import migrations
    from app.agreements import repository
    from app.auth import service as keys
    from app.auth.principal import operator
    from app.catalog import service as catalog
    from app.config import get_settings
    from app.db import make_engine
    from app.documents import service as documents
    from app.main import create_app
    from app.models.enums import Role
    from app.templates import service as templates

    settings = get_settings()
    command.upgrade(migrations.alembic_config(settings.database_url), "head")
    engine = make_engine(settings.database_url)
    with Session(engine) as session, session.begin():
        catalog.import_catalog(session=session, text=_CATALOG, actor=operator("samples"))
        templates.sync_shipped(session, operator("samples"))
        _, key = keys.create_key(
            session=session,
            name="samples",
            role=Role.LEGAL,
            representative_id=None,
            actor=operator("samples"),
        )
    headers = {"Authorization": f"Bearer {key}"}
    pdfs: dict[str, bytes] = {}
    ids: dict[str, int] = {}
    with TestClient(create_app(engine), raise_server_exceptions=True) as client:
        for name in samples.NAMES:
            ids[name] = samples.build(client, headers, name)
            document = client.post(
                f"/api/v1/agreements/{ids[name]}/documents", json={}, headers=headers
            ).json()
            pdfs[name] = client.get(
                f"/api/v1/documents/{document['id']}/pdf", headers=headers
            ).content
    with Session(engine) as session:
        agreement = repository.get(session, ids["coordinacion_federal"])
        assert agreement is not None
        job = documents.plan_preview(
            session, agreement, documents.GenerateRequest(), settings=settings
        )
    engine.dispose()
    base = copy.deepcopy(job.context)
    base["document"]["draft"] = False
    return pdfs, base


def context(clauses: int = 6, paragraphs: int = 1) -> dict[str, Any]:
    """The coordinación with the federation as its template sees it, with ``clauses`` cláusulas
    of the drafter's, each of ``paragraphs`` paragraphs, before the template's own."""
    found = copy.deepcopy(_built()[1])
    agreement = found["agreement"]
    drafted = [
        {"title": f"COMPROMISO {number}", "text": "\n".join([_CLAUSE] * paragraphs)}
        for number in range(1, clauses + 1)
    ]
    standard = [c for c in agreement["clause_plan"] if c["origin"] != "drafted"]
    agreement["clauses"] = drafted
    agreement["clause_plan"] = [
        {"number": n, "title": c["title"], "text": c["text"], "key": None, "origin": "drafted"}
        for n, c in enumerate(drafted, start=1)
    ] + [{**c, "number": n} for n, c in enumerate(standard, start=clauses + 1)]
    return found


def saved_context(clauses: int = 6, paragraphs: int = 1) -> Path:
    """`context`, pickled in a file: what a fresh process (a worker, to measure its memory)
    renders without building the samples itself."""
    handle, name = tempfile.mkstemp(suffix=".pickle")
    with os.fdopen(handle, "wb") as file:
        pickle.dump(context(clauses, paragraphs), file)
    return Path(name)


def main() -> None:
    """Write every sample's PDF and a page of it as a picture (needs poppler-utils)."""
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, pdf in _built()[0].items():
        path = out / f"convenio-{name}.pdf"
        path.write_bytes(pdf)
        page = PAGES.get(name, 1)
        number = len(PdfReader(path).pages) if page == -1 else page
        # pdftoppm, from poppler-utils (`make sample` installs it), draws the page.
        command = ["pdftoppm", "-r", "60", "-png", "-f", str(number), "-l", str(number)]
        command += ["-singlefile", str(path), str(out / f"convenio-{name}")]
        subprocess.run(command, check=True)  # noqa: S603
        print(f"{path}: page {number}")


if __name__ == "__main__":
    main()
