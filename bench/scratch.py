"""What the benchmarks that serve the API share: a scratch PostgreSQL database (set up as an
operator sets one up), a free loopback port, the `convenios` command, a request that must
create, and their results written beside the machine they were measured on."""

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT.parent / "shared" / "data" / "inegi_municipios.csv"
CONVENIOS = str(Path(sys.executable).parent / "convenios")
# The PostgreSQL server the benchmarks make their databases on.
SERVER = os.environ.get("CONVENIOS_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def database(name: str) -> str:
    """A new, empty database ``name`` (dropped first if a run before left it); its URL."""
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{SERVER}/{name}"


def prepared(name: str, **settings: str) -> tuple[dict[str, str], str]:
    """A scratch database ``name`` set up as an operator does — migrated, INEGI's catalog
    imported, an admin key made — with a scratch storage directory unless ``settings`` name
    another: the environment to serve it with (``settings`` as ``CONVENIOS_*`` variables), and
    the key."""
    env = {
        **os.environ,
        "CONVENIOS_DATABASE_URL": database(name),
        "CONVENIOS_STORAGE_URL": tempfile.mkdtemp(prefix=f"{name}-"),
        **{f"CONVENIOS_{key.upper()}": value for key, value in settings.items()},
    }
    convenios(env, "migrate")
    convenios(env, "catalog", "import", str(CATALOG))
    return env, convenios(env, "apikey", "create", "--role", "admin", "--name", "bench")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def convenios(env: dict[str, str], *args: str) -> str:
    """Run `convenios ARGS` (it must succeed); what it printed."""
    done = subprocess.run(  # noqa: S603 - our own command
        [CONVENIOS, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/v1{path}``, which must create (201, or 202 for work queued); the answer."""
    response = client.post(f"/api/v1{path}", json=body)
    assert response.status_code in (201, 202), response.text
    created: dict[str, Any] = response.json()
    return created


def write_results(path: Path, results: dict[str, Any]) -> None:
    """``results`` as JSON in ``path``, with the machine they were measured on."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        json.dumps({"machine": machine, **results}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
