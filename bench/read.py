"""Benchmark: how fast the API reads an agreement and a page of agreements, against a bare
FastAPI endpoint that answers constant JSON on the same server, in the same run.

Run with `make bench-read`. On a scratch PostgreSQL database (`CONVENIOS_BENCH_POSTGRES`, default
the local server) at the latest migration, forty convenios de coordinación between a municipio
and its estado are written through the API — title, objective, antecedents, eight cláusulas, the
parties' declarations, two signatories, topics and a contribution each. The service and the bare
application (`bench/bare.py`) are each served by one uvicorn process on a loopback port, as
`convenios serve` does; a load generator (`bench/load.py`) in another process keeps eight
connections asking one URL for five seconds after one of warm-up, in five rounds, each right
after the bare endpoint. The figures are answers per second and their ratio to the bare
endpoint's in the same round (the median round) — the ratio is what counts: the goal is at
least 0.5 for an agreement and for a page of them. Written to `bench/results/read.json`.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scratch  # noqa: E402
from bench.load import load  # noqa: E402

AGREEMENTS = 40
GOAL = 0.5
ROUNDS = 5
RESULTS = ROOT / "bench" / "results" / "read.json"
_CLAUSE = (
    "«LAS PARTES» se comprometen a intercambiar la información necesaria para la operación del "
    "sistema de videovigilancia urbana, a designar enlaces técnicos y a reunirse en la comisión "
    "de seguimiento cada tres meses, levantando un acta de cada sesión."
)


def _serve(
    application: str, env: dict[str, str], *factory: str
) -> tuple[subprocess.Popen[bytes], int]:
    port = scratch.free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and application
        [
            *(sys.executable, "-m", "uvicorn", application, *factory),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(150):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server, port
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{application} did not start")


def _seed(client: httpx.Client) -> int:
    """A municipio and its estado, two representatives each, and the convenios; the last id."""
    parties = [
        scratch.post(
            client, "/parties", {"kind": kind, "inegi_code": code, "article": "el", "name": name}
        )
        for kind, code, name in (
            ("municipio", "15104", "Municipio de Tlalnepantla de Baz"),
            ("estado", "15", "Gobierno del Estado de México"),
        )
    ]
    people = [
        [
            scratch.post(
                client,
                f"/parties/{party['id']}/representatives",
                {"full_name": name, "gender": gender, "position": position, "honorific": "Lic."},
            )
            for name, gender, position in (
                ("Mariana Téllez Arriaga", "feminine", "Titular"),
                ("Jorge Ruiz Pineda", "masculine", "Secretario"),
            )
        ]
        for party in parties
    ]
    last = 0
    for number in range(1, AGREEMENTS + 1):
        last = scratch.post(
            client,
            "/agreements",
            {
                "title": f"Convenio de coordinación en materia de seguridad pública {number}",
                "kind": "coordinacion",
                "initiative": 4,
                "topics": ["seguridad", "gobierno_digital"],
                "objective": "Establecer las bases de coordinación para la operación del sistema "
                "de videovigilancia urbana y el intercambio de información entre las policías.",
                "antecedents": [_CLAUSE, _CLAUSE],
                "clauses": [
                    {"title": f"COMPROMISO {clause}", "text": _CLAUSE} for clause in range(1, 9)
                ],
                "amount": "1500000.00",
                "effective_date": "2026-01-15",
                "expiry_date": "2027-12-31",
                "parties": [
                    {
                        "party_id": party["id"],
                        "role": role,
                        "declarations": ["Que cuenta con facultades para suscribir el convenio."],
                        "signatories": [{"representative_id": person["id"]} for person in team],
                        "contributions": [
                            {
                                "amount": "750000.00",
                                "purpose": "la operación del sistema de videovigilancia",
                                "source": source,
                            }
                        ],
                    }
                    for party, team, role, source in zip(
                        parties,
                        people,
                        ("EL MUNICIPIO", "EL ESTADO"),
                        ("municipal", "estatal"),
                        strict=True,
                    )
                ],
            },
        )["id"]
    return last


def _asked(
    request: tuple[subprocess.Popen[bytes], int, str, dict[str, str]],
) -> tuple[int, int, str, dict[str, str]]:
    process, port, path, headers = request
    return process.pid, port, path, headers


def main() -> None:
    env, secret = scratch.prepared("convenios_bench_read")
    service, port = _serve("app.main:create_app", env, "--factory")
    bare, bare_port = _serve("bench.bare:app", env)
    try:
        authorization = {"Authorization": f"Bearer {secret}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=authorization) as client:
            agreement = _seed(client)
        asked: dict[str, tuple[subprocess.Popen[bytes], int, str, dict[str, str]]] = {
            "bare FastAPI, constant JSON": (bare, bare_port, "/constant", {}),
            "GET /healthz": (service, port, "/healthz", {}),
            "GET /api/v1/me": (service, port, "/api/v1/me", authorization),
            "GET /api/v1/agreements/{id}": (
                service,
                port,
                f"/api/v1/agreements/{agreement}",
                authorization,
            ),
            "GET /api/v1/agreements (20)": (service, port, "/api/v1/agreements", authorization),
        }
        results: dict[str, dict[str, float]] = {}
        print(
            f"{'request':<30} {'answers/s':>10} {'ratio':>6} {'goal':>6} {'CPU ms':>7} {'ratio':>6}"
        )
        bare_request = asked.pop("bare FastAPI, constant JSON")
        for name, (process, served, path, headers) in asked.items():
            # Each request in rounds, each against the bare endpoint measured just before it:
            # the machine's speed drifts by a third over minutes, so a ratio compares two
            # measures taken together; the median of the rounds is given.
            rounds = [
                (load(*_asked(bare_request)), load(process.pid, served, path, headers))
                for _ in range(ROUNDS)
            ]
            ratios = sorted(
                (measured.per_second / base.per_second, base.cpu_ms / measured.cpu_ms, i)
                for i, (base, measured) in enumerate(rounds)
            )
            ratio, _, middle = ratios[len(ratios) // 2]
            base, measured = rounds[middle]
            # The same ratio from the server's CPU time per answer, which other work on the
            # machine disturbs less than it does answers per second.
            cpu_ratio = statistics.median(cpu for _, cpu, _ in ratios)
            results[name] = {
                "per_second": round(measured.per_second),
                "bare_per_second": round(base.per_second),
                "ratio": round(ratio, 3),
                "ratios": [round(r, 3) for r, _, _ in ratios],
                "cpu_ms": round(measured.cpu_ms, 3),
                "bare_cpu_ms": round(base.cpu_ms, 3),
                "cpu_ratio": round(cpu_ratio, 3),
            }
            goal = f"≥{GOAL}" if "agreements" in name else ""
            print(
                f"{name:<30} {measured.per_second:>10.0f} {ratio:>6.2f} {goal:>6} "
                f"{measured.cpu_ms:>7.3f} {cpu_ratio:>6.2f}   (bare {base.per_second:.0f}/s; "
                f"ratios {', '.join(f'{r:.2f}' for r, _, _ in ratios)})",
                flush=True,
            )
        scratch.write_results(RESULTS, {"goal_ratio": GOAL, "requests": results})
    finally:
        for process in (service, bare):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
