"""Benchmark: listing, filtering and searching agreements on PostgreSQL at a million convenios.

Run with `make bench-search` (`ROWS=100000` for a quicker look). On a scratch PostgreSQL database
(`CONVENIOS_BENCH_POSTGRES`, default the local server) migrated to the latest revision: the
INEGI catalog's municipios and the 32 estados as parties with a representative each, and ROWS
agreements, each between a municipio and its estado — two signatories, a topic, a status, a kind,
an expiry spread over three years, one of eight subjects — written as copies of rows the API
itself wrote, so every column holds what the service writes. Then the API is served by uvicorn
on a loopback port, as in production, and each query is asked 200 times after 20 warm-ups, one
at a time, through HTTP; p50 and p95 are printed and written to `bench/results/search.json`.
The goal: every p95 at most 20 ms.
"""

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scratch  # noqa: E402

ROWS = int(os.environ.get("ROWS", "1000000"))
DATABASE = "convenios_bench_search"
RUNS, WARMUP, GOAL_MS = 200, 20, 20.0
BATCH = 20_000
RESULTS = ROOT / "bench" / "results" / "search.json"
# (topic, what the title says, what the objective says)
SUBJECTS = (
    ("seguridad", "seguridad pública", "la coordinación de las policías preventivas"),
    ("catastro", "modernización catastral", "la actualización del padrón catastral"),
    ("agua", "agua potable", "la operación del sistema de agua potable y saneamiento"),
    ("salud", "salud", "las jornadas de vacunación y atención primaria"),
    ("educacion", "educación", "la rehabilitación de escuelas de nivel básico"),
    ("movilidad", "movilidad", "el ordenamiento del transporte público de pasajeros"),
    ("proteccion_civil", "protección civil", "la atención de emergencias y desastres"),
    ("gobierno_digital", "gobierno digital", "la digitalización de trámites municipales"),
)
STATUSES = (
    "draft",
    "in_review",
    "approved",
    "in_signature",
    "active",
    "active",
    "active",
    "expired",
)
KINDS = ("coordinacion", "colaboracion", "especifico")


def _templates(client: httpx.Client) -> dict[str, int]:
    """One estado, one municipio, their representatives and an agreement, through the API."""
    estado = scratch.post(
        client,
        "/parties",
        {
            "kind": "estado",
            "inegi_code": "15",
            "article": "el",
            "name": "Gobierno del Estado de México",
        },
    )
    municipio = scratch.post(
        client,
        "/parties",
        {
            "kind": "municipio",
            "inegi_code": "15106",
            "article": "el",
            "name": "Municipio de Toluca",
        },
    )
    people = [
        scratch.post(
            client,
            f"/parties/{party['id']}/representatives",
            {"full_name": "Mariana Téllez Arriaga", "gender": "feminine", "position": "Titular"},
        )
        for party in (municipio, estado)
    ]
    agreement = scratch.post(
        client,
        "/agreements",
        {
            "title": "Convenio de coordinación",
            "kind": "coordinacion",
            "objective": "Coordinar.",
            "effective_date": "2026-01-15",
            "expiry_date": "2027-12-31",
            "topics": ["seguridad"],
            "parties": [
                {
                    "party_id": party["id"],
                    "role": role,
                    "signatories": [{"representative_id": person["id"]}],
                }
                for party, person, role in (
                    (municipio, people[0], "EL MUNICIPIO"),
                    (estado, people[1], "EL ESTADO"),
                )
            ],
        },
    )
    return {"estado": estado["id"], "municipio": municipio["id"], "agreement": agreement["id"]}


def _one(connection: Connection, table: Table, **where: Any) -> dict[str, Any]:
    query = table.select().where(*(table.c[name] == value for name, value in where.items()))
    return dict(connection.execute(query).mappings().one())


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _seed(engine: Engine, made: dict[str, int], today: date) -> dict[str, Any]:
    """The catalog's parties, then ROWS agreements between each municipio and its estado."""
    from app.kit import searchable
    from app.words import stems

    metadata = MetaData()
    names = (
        "parties",
        "representatives",
        "agreements",
        "agreement_parties",
        "agreement_signatories",
        "agreement_topics",
        "municipalities",
    )
    tables = {name: Table(name, metadata, autoload_with=engine) for name in names}
    with engine.begin() as connection:
        party = {
            kind: _one(connection, tables["parties"], id=made[kind])
            for kind in ("estado", "municipio")
        }
        person = {
            kind: _one(connection, tables["representatives"], party_id=made[kind]) for kind in party
        }
        agreement = _one(connection, tables["agreements"], id=made["agreement"])
        link = {
            kind: _one(
                connection,
                tables["agreement_parties"],
                agreement_id=made["agreement"],
                party_id=made[kind],
            )
            for kind in party
        }
        signatory = {
            kind: _one(
                connection, tables["agreement_signatories"], agreement_party_id=link[kind]["id"]
            )
            for kind in party
        }
        topic = _one(connection, tables["agreement_topics"], agreement_id=made["agreement"])
        municipalities = connection.execute(
            text(
                "SELECT code, name, state_code FROM municipalities"
                " WHERE code <> '15106' ORDER BY code"
            )
        ).all()
        states = sorted({state for _, _, state in municipalities} - {"15"})
        pairs = []  # (municipio, its representative, estado, its representative, folded names)
        rows_party: list[dict[str, Any]] = []
        rows_person: list[dict[str, Any]] = []

        def add(kind: str, code: str, name: str) -> int:
            """A party copied from the API's ``kind`` one, and its representative (same id)."""
            new = 1001 + len(rows_party)
            rows_party.append(
                {
                    **party[kind],
                    "id": new,
                    "inegi_code": code,
                    "name": name,
                    "legal_name": name,
                    "search_text": searchable(name),
                }
            )
            rows_person.append({**person[kind], "id": new, "party_id": new})
            return new

        estados: dict[str, tuple[int, int, str]] = {
            "15": (made["estado"], person["estado"]["id"], party["estado"]["search_text"])
        }
        for code in states:
            name = f"Gobierno del Estado {code}"
            new = add("estado", code, name)
            estados[code] = (new, new, searchable(name))
        for code, name, state in municipalities:
            full = f"Municipio de {name}"
            new = add("municipio", code, full)
            pairs.append((new, new, *estados[state], searchable(full)))
        connection.execute(insert(tables["parties"]), rows_party)
        connection.execute(insert(tables["representatives"]), rows_person)
        started = time.monotonic()
        year = today.year

        def agreements() -> Iterator[dict[str, Any]]:
            for n in range(1, ROWS + 1):
                mun, mun_rep, est, est_rep, est_text, mun_text = pairs[n % len(pairs)]
                topic_key, subject, purpose = SUBJECTS[n % len(SUBJECTS)]
                folio = f"CONV-{year}-{n:07d}"
                title = f"Convenio de coordinación en materia de {subject}"
                objective = f"Establecer las bases para {purpose}."
                yield {
                    **agreement,
                    "id": made["agreement"] + n,
                    "folio": folio,
                    "title": title,
                    "objective": objective,
                    "status": STATUSES[n % len(STATUSES)],
                    "kind": KINDS[n % len(KINDS)],
                    "expiry_date": today + timedelta(days=n % 1095),
                    "search_text": searchable(title, objective, mun_text, est_text),
                    "search_words": " ".join(stems(title, objective, mun_text, est_text)),
                    "_pair": (mun, mun_rep, est, est_rep),
                    "_topic": topic_key,
                }

        for batch in _batches(agreements()):
            connection.execute(
                insert(tables["agreements"]),
                [{k: v for k, v in row.items() if not k.startswith("_")} for row in batch],
            )
            links, signers, topics = [], [], []
            for row in batch:
                mun, mun_rep, est, est_rep = row["_pair"]
                for offset, (kind, party_id, rep) in enumerate(
                    (("municipio", mun, mun_rep), ("estado", est, est_rep))
                ):
                    link_id = 2 * row["id"] + offset
                    links.append(
                        {
                            **link[kind],
                            "id": link_id,
                            "agreement_id": row["id"],
                            "party_id": party_id,
                        }
                    )
                    signers.append(
                        {
                            **signatory[kind],
                            "id": link_id,
                            "agreement_party_id": link_id,
                            "agreement_id": row["id"],
                            "representative_id": rep,
                        }
                    )
                topics.append({**topic, "agreement_id": row["id"], "topic": row["_topic"]})
            connection.execute(insert(tables["agreement_parties"]), links)
            connection.execute(insert(tables["agreement_signatories"]), signers)
            connection.execute(insert(tables["agreement_topics"]), topics)
        for table in (
            "parties",
            "representatives",
            "agreements",
            "agreement_parties",
            "agreement_signatories",
        ):
            highest = f"(SELECT max(id) FROM {table})"  # noqa: S608 - our own table names
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest})")
            )
        seeded = time.monotonic() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return {"seconds": round(seeded), "party": pairs[len(pairs) // 2][0]}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    env, secret = scratch.prepared(DATABASE)
    os.environ.update(env)
    from app import clock

    engine = create_engine(env["CONVENIOS_DATABASE_URL"])
    port = scratch.free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and application
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=60,
        )
        for _ in range(100):
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        made = _templates(client)
        seeded = _seed(engine, made, clock.today())
        print(f"{ROWS:,} agreements seeded in {seeded['seconds']} s", flush=True)
        middle = f"CONV-{clock.today().year}-{ROWS // 2:07d}"
        queries = {
            "newest page": {},
            "status+kind": {"status": "active", "kind": "coordinacion"},
            "party": {"party_id": seeded["party"]},
            "topic": {"topic": "catastro"},
            "expiring within 30 days": {"expiring_within_days": 30},
            "q folio": {"q": middle},
            "q nothing found": {"q": "zzzz no existe"},
            "q party name": {"q": "tlalnepantla"},
            "q word of the objective": {"q": "padron catastral"},
            "q plural of the objective": {"q": "padrones catastrales"},
            "q words, few found": {"q": "padrones catastrales tlalnepantla"},
            "q + status": {"q": "ecatepec", "status": "active"},
        }
        results = {}
        print(f"{'query':<26} {'found':>6} {'p50 ms':>8} {'p95 ms':>8} {'goal':>6}")
        for name, params in queries.items():
            timings = []
            for run in range(WARMUP + RUNS):
                started = time.perf_counter()
                response = client.get("/api/v1/agreements", params=params)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if run >= WARMUP:
                    timings.append(elapsed)
            found = len(response.json()["items"])
            results[name] = {
                "params": params,
                "found": found,
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(_p(timings, 0.95), 2),
            }
            print(
                f"{name:<26} {found:>6} {results[name]['p50_ms']:>8.2f} "
                f"{results[name]['p95_ms']:>8.2f} {'≤' + str(int(GOAL_MS)):>6}",
                flush=True,
            )
        scratch.write_results(RESULTS, {"rows": ROWS, "goal_p95_ms": GOAL_MS, "queries": results})
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
