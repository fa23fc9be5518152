"""Benchmark: the peak memory of an idle API process (issue 15: at most 150 MB).

Run with `make bench-memory`. On a scratch SQLite database and storage directory, set up as an
operator would (`convenios migrate`, an admin key, a demo PKI's trust roots for
`CONVENIOS_TRUST_ROOTS`), `convenios serve` is started on a loopback port and asked
`/healthz`, `/readyz` (which reads the trust roots) and one authenticated
`GET /api/v1/agreements`; a second later its peak resident memory (VmHWM) and its resident
memory now (VmRSS) are read from /proc. Renders, upload checks and signatures would run in
worker processes, which are not the API process and are not counted. For comparison, the same
figures of a bare `python -c "import app.main"`. Written to `bench/results/memory.json`.
"""

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CONVENIOS = str(Path(sys.executable).parent / "convenios")
GOAL_MB = 150
RESULTS = ROOT / "bench" / "results" / "memory.json"
_IMPORT_ONLY = "import app.main; print(open('/proc/self/status').read())"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _memory_mb(status: str) -> dict[str, float]:
    """VmHWM (peak) and VmRSS (now) of a /proc/<pid>/status text, in MB (2**20 bytes)."""
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        name: round(int(fields[field].split()[0]) / 1024, 1)
        for name, field in (("peak_mb", "VmHWM"), ("rss_mb", "VmRSS"))
    }


def _convenios(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own command
        [CONVENIOS, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _served_idle(env: dict[str, str], secret: str) -> dict[str, float]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command
        [CONVENIOS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(150):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("convenios serve did not start")
            for path, headers in (
                ("/healthz", {}),
                ("/readyz", {}),
                ("/api/v1/agreements", {"Authorization": f"Bearer {secret}"}),
            ):
                response = client.get(path, headers=headers)
                assert response.status_code == 200, f"{path}: {response.text}"
        time.sleep(1)
        return _memory_mb(Path(f"/proc/{server.pid}/status").read_text())
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="convenios-bench-memory-"))
    try:
        env = {
            **os.environ,
            "CONVENIOS_DATABASE_URL": f"sqlite:///{scratch / 'convenios.sqlite3'}",
            "CONVENIOS_STORAGE_URL": str(scratch / "storage"),
        }
        env["CONVENIOS_TRUST_ROOTS"] = _convenios(
            env, "demo-pki", str(scratch / "pki"), "HEGT7610034S2=Persona de Prueba"
        )
        _convenios(env, "migrate")
        secret = _convenios(env, "apikey", "create", "--role", "admin", "--name", "bench")
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
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'process':<30} {'peak MB':>8} {'RSS MB':>7} {'goal':>6}")
    for name, figures in measured.items():
        goal = f"≤{GOAL_MB}" if "serve" in name else ""
        print(f"{name:<30} {figures['peak_mb']:>8.1f} {figures['rss_mb']:>7.1f} {goal:>6}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "goal_peak_mb": GOAL_MB,
                "processes": measured,
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
