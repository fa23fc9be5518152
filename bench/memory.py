"""Benchmark: the peak memory of an idle API process (issue 15: at most 150 MB), and of a worker
rendering a 40-page convenio (at most 400 MB).

Run with `make bench-memory`. On a scratch SQLite database and storage directory, set up as an
operator would (`convenios migrate`, an admin key, a demo PKI's trust roots for
`CONVENIOS_TRUST_ROOTS`), `convenios serve` is started on a loopback port and asked
`/healthz`, `/readyz` (which reads the trust roots) and one authenticated
`GET /api/v1/agreements`; a second later its peak resident memory (VmHWM) and its resident
memory now (VmRSS) are read from /proc. Renders, upload checks and signatures would run in
worker processes, which are not the API process and are not counted. For comparison, the same
figures of a bare `python -c "import app.main"`.

Then, with a broker (`CONVENIOS_BENCH_REDIS`, default the local Redis, a queue of its own), the
same server and one `convenios worker`: a convenio of 62 cláusulas of four paragraphs (about
40 pages) is asked for, and until it is ready the memory of the worker and of every process
under it (the render's capped child process included) is read every 20 ms: the peak of their
sum, counted as proportional set size (PSS: a page that processes share counts once), and the
largest single process's peak (VmHWM). Written to `bench/results/memory.json`.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scratch  # noqa: E402

GOAL_MB = 150
WORKER_GOAL_MB = 400
REDIS = os.environ.get("CONVENIOS_BENCH_REDIS", "redis://127.0.0.1:6379/14")
_CLAUSE = (
    "«LAS PARTES» se comprometen a intercambiar la información necesaria para la operación del "
    "sistema de videovigilancia urbana, a designar enlaces técnicos y a reunirse en la comisión "
    "de seguimiento cada tres meses, levantando un acta de cada sesión en la que se harán constar "
    "los avances, los compromisos pendientes y las medidas para cumplirlos en tiempo y forma."
)
RESULTS = ROOT / "bench" / "results" / "memory.json"
_IMPORT_ONLY = "import app.main; print(open('/proc/self/status').read())"


def _memory_mb(status: str) -> dict[str, float]:
    """VmHWM (peak) and VmRSS (now) of a /proc/<pid>/status text, in MB (2**20 bytes)."""
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        name: round(int(fields[field].split()[0]) / 1024, 1)
        for name, field in (("peak_mb", "VmHWM"), ("rss_mb", "VmRSS"))
    }


@contextmanager
def _served(
    env: dict[str, str], *command: str
) -> Iterator[tuple[list[subprocess.Popen[bytes]], str]]:
    """`convenios serve` on a free loopback port, started (and `convenios COMMAND` beside it,
    when given): their processes, the server's first, and the server's address."""
    port = scratch.free_port()
    started = [
        subprocess.Popen(  # noqa: S603 - our own command
            [scratch.CONVENIOS, *arguments],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for arguments in (["serve", "--host", "127.0.0.1", "--port", str(port)], command)
        if arguments
    ]
    try:
        for _ in range(150):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("convenios serve did not start")
        yield started, f"http://127.0.0.1:{port}"
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)


def _served_idle(env: dict[str, str], secret: str) -> dict[str, float]:
    with _served(env) as ([server], address), httpx.Client(base_url=address, timeout=30) as client:
        for path, headers in (
            ("/healthz", {}),
            ("/readyz", {}),
            ("/api/v1/agreements", {"Authorization": f"Bearer {secret}"}),
        ):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, f"{path}: {response.text}"
        time.sleep(1)
        return _memory_mb(Path(f"/proc/{server.pid}/status").read_text())


def _tree(pid: int) -> list[int]:
    """``pid`` and every process under it (children of any of their threads)."""
    found, index = [pid], 0
    while index < len(found):
        for children in Path(f"/proc/{found[index]}/task").glob("*/children"):
            with suppress(OSError):  # gone meanwhile
                found += [int(child) for child in children.read_text().split()]
        index += 1
    return found


def _proportional_mb(pid: int) -> float:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    line = next(line for line in rollup.splitlines() if line.startswith("Pss:"))
    return int(line.split()[1]) / 1024


def _peak_mb(pid: int) -> float:
    try:
        return _memory_mb(Path(f"/proc/{pid}/status").read_text())["peak_mb"]
    except (OSError, KeyError):  # gone, or a zombie: no memory left
        return 0.0


def _worker_rendering(env: dict[str, str], secret: str) -> dict[str, float]:
    """A worker's memory while it renders a convenio of about 40 pages."""
    env = {**env, "CONVENIOS_BROKER_URL": REDIS, "CONVENIOS_BROKER_QUEUE": f"bench-{os.getpid()}"}
    with (
        _served(env, "worker", "--concurrency", "1") as ([_, worker], address),
        httpx.Client(
            base_url=address, timeout=60, headers={"Authorization": f"Bearer {secret}"}
        ) as client,
    ):
        parties = []
        for kind, name, role in (
            ("federacion", "Secretaría de Seguridad y Protección Ciudadana", "LA SECRETARÍA"),
            ("estado", "Gobierno del Estado de México", "EL ESTADO"),
        ):
            extra = {"inegi_code": "15", "article": "el"} if kind == "estado" else {"article": "la"}
            party = scratch.post(client, "/parties", {"kind": kind, "name": name, **extra})
            person = scratch.post(
                client,
                f"/parties/{party['id']}/representatives",
                {
                    "full_name": "Mariana Téllez Arriaga",
                    "gender": "feminine",
                    "position": "Titular",
                },
            )
            parties.append(
                {
                    "party_id": party["id"],
                    "role": role,
                    "signatories": [{"representative_id": person["id"]}],
                }
            )
        agreement = scratch.post(
            client,
            "/agreements",
            {
                "title": "Convenio de coordinación en materia de seguridad pública",
                "kind": "coordinacion",
                "objective": "Establecer las bases de coordinación en materia de seguridad.",
                "clauses": [
                    {"title": f"COMPROMISO {number}", "text": "\n".join([_CLAUSE] * 4)}
                    for number in range(1, 63)
                ],
                "effective_date": "2026-01-15",
                "expiry_date": "2027-09-30",
                "parties": parties,
            },
        )
        document = scratch.post(client, f"/agreements/{agreement['id']}/documents", {})
        total, single = 0.0, 0.0
        deadline = time.monotonic() + 300
        while document["status"] == "pending" and time.monotonic() < deadline:
            processes = _tree(worker.pid)
            total = max(total, sum(_proportional_mb(pid) for pid in processes))
            single = max([single, *(_peak_mb(pid) for pid in processes)])
            time.sleep(0.02)
            document = client.get(f"/api/v1/documents/{document['id']}").json()
        assert document["status"] == "ready", document
        return {
            "peak_mb": round(total, 1),
            "largest_process_peak_mb": round(single, 1),
            "pages": document["pages"],
        }


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="convenios-bench-memory-"))
    try:
        env = {
            **os.environ,
            "CONVENIOS_DATABASE_URL": f"sqlite:///{directory / 'convenios.sqlite3'}",
            "CONVENIOS_STORAGE_URL": str(directory / "storage"),
        }
        env["CONVENIOS_TRUST_ROOTS"] = scratch.convenios(
            env, "demo-pki", str(directory / "pki"), "HEGT7610034S2=Persona de Prueba"
        )
        scratch.convenios(env, "migrate")
        secret = scratch.convenios(env, "apikey", "create", "--role", "admin", "--name", "bench")
        imported = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", _IMPORT_ONLY],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        measured = {
            "python -c 'import app.main'": _memory_mb(imported.stdout),
            "convenios serve, idle": _served_idle(env, secret),
            "convenios worker, rendering": _worker_rendering(env, secret),
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{'process':<30} {'peak MB':>8} {'RSS MB':>7} {'goal':>6}")
    for name, figures in measured.items():
        goal = (
            f"≤{GOAL_MB}" if "serve" in name else f"≤{WORKER_GOAL_MB}" if "worker" in name else ""
        )
        now = f"{figures['rss_mb']:.1f}" if "rss_mb" in figures else "—"
        print(f"{name:<30} {figures['peak_mb']:>8.1f} {now:>7} {goal:>6}")
    scratch.write_results(
        RESULTS,
        {
            "goal_peak_mb": {"api_idle": GOAL_MB, "worker_rendering": WORKER_GOAL_MB},
            "processes": measured,
        },
    )


if __name__ == "__main__":
    main()
