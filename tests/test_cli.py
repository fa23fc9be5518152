"""The `convenios` command, run as an operator would."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import cli, migrations
from app.config import PROJECT_ROOT
from app.db import make_engine
from app.main import create_app
from app.models import ApiKey, Municipality
from tests.conftest import INEGI_CSV
from tests.databases import drop_database, new_database
from tests.factories import API, agreement_payload, ok, signing_party

CONVENIOS = str(Path(sys.executable).parent / "convenios")


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    url = new_database(backend, tmp_path)
    yield url
    drop_database(backend, url)


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONVENIOS_DATABASE_URL": url}
    return subprocess.run(
        [CONVENIOS, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_apikey_create_prints_the_key_alone_and_it_works(database: str) -> None:
    created = run(
        database, "apikey", "create", "--role", "legal", "--name", "Jurídico de Tlalnepantla"
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n"
    assert re.fullmatch(r"cvn_[a-z0-9]{12}_[A-Za-z0-9_-]{43}", key)

    engine = make_engine(database)
    with TestClient(create_app(engine)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert me.status_code == 200 and me.json()["role"] == "legal"
        with Session(engine) as session:
            stored = session.scalars(select(ApiKey)).one()
            assert key.split("_")[2] not in (stored.secret_hash, stored.key_id, stored.name)

        listed = run(database, "apikey", "list")
        assert listed.returncode == 0 and "Jurídico de Tlalnepantla" in listed.stdout
        assert key not in listed.stdout

        revoked = run(database, "apikey", "revoke", str(stored.id))
        assert revoked.returncode == 0, revoked.stderr
        again = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert again.status_code == 401
        assert "revoked" in run(database, "apikey", "list").stdout
    engine.dispose()


def test_a_signatory_key_needs_an_existing_representative(database: str) -> None:
    missing = run(database, "apikey", "create", "--role", "signatory", "--name", "Alcalde")
    assert missing.returncode == 2 and missing.stdout == ""
    assert "bound to one representative" in missing.stderr
    unknown = run(
        database,
        "apikey",
        "create",
        "--role",
        "signatory",
        "--name",
        "A",
        "--representative-id",
        "99",
    )
    assert unknown.returncode == 2 and "does not exist" in unknown.stderr
    wrong_role = run(database, "apikey", "create", "--role", "root", "--name", "A")
    assert wrong_role.returncode == 2 and wrong_role.stdout == ""


def test_catalog_import_is_complete_idempotent_and_all_or_nothing(
    database: str, tmp_path: Path
) -> None:
    first = run(database, "catalog", "import", str(INEGI_CSV))
    assert first.returncode == 0, first.stderr
    assert "2478 added, 0 updated, 0 unchanged" in first.stderr
    second = run(database, "catalog", "import", str(INEGI_CSV))
    assert "0 added, 0 updated, 2478 unchanged" in second.stderr

    broken = tmp_path / "broken.csv"
    broken.write_text(
        "CVEGEO,CVE_ENT,NOM_ENT,CVE_MUN,NOM_MUN,POB_TOTAL\n99001,99,Nada,001,Nuevo,10\n",
        encoding="utf-8",
    )
    refused = run(database, "catalog", "import", str(broken))
    assert refused.returncode == 2 and "not one of the 32 states" in refused.stderr
    mismatched = tmp_path / "mismatched.csv"
    mismatched.write_text(
        "CVEGEO,CVE_ENT,NOM_ENT,CVE_MUN,NOM_MUN,POB_TOTAL\n"
        "15001,15,México,001,Acambay,1\n"
        "15002,09,México,002,Acolman,1\n",
        encoding="utf-8",
    )
    refused = run(database, "catalog", "import", str(mismatched))
    assert refused.returncode == 2 and "line 3" in refused.stderr
    missing = run(database, "catalog", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr

    engine = make_engine(database)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Municipality)) == 2478
        acambay = session.get(Municipality, "15001")
        assert acambay is not None and acambay.population != 1
    engine.dispose()


def test_migrate_builds_an_empty_database(backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("the same command; the PostgreSQL schema is built by every other test")
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    done = run(url, "migrate")
    assert done.returncode == 0, done.stderr
    assert "Template coordinacion: version 1 added." in done.stderr
    again = run(url, "migrate")
    assert again.returncode == 0 and "added" not in again.stderr
    engine = make_engine(url)
    with TestClient(create_app(engine)) as client:
        assert client.get("/readyz").status_code == 200
    engine.dispose()


def test_bad_settings_are_named_without_a_traceback() -> None:
    env = {**os.environ, "CONVENIOS_STORAGE_URL": "s3://Not_A_Bucket/convenios"}
    done = subprocess.run(
        [CONVENIOS, "apikey", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("convenios: CONVENIOS_STORAGE_URL:")
    assert "not a valid bucket name" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_worker_needs_a_broker_and_a_broker_url_is_checked() -> None:
    def worker(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CONVENIOS, "worker"],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=60,
            check=False,
        )

    alone = worker(CONVENIOS_BROKER_URL="")
    assert alone.returncode == 2
    assert alone.stderr.startswith("convenios: CONVENIOS_BROKER_URL is not set")
    wrong = worker(CONVENIOS_BROKER_URL="http://user:secret@broker.example/")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("convenios: CONVENIOS_BROKER_URL: Value error")
    assert "secret" not in wrong.stderr and "Traceback" not in wrong.stderr


def test_storage_scrub_and_readyz_notice_a_missing_document_file(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = tmp_path / "blobs"
    monkeypatch.setenv("CONVENIOS_STORAGE_URL", str(storage))
    assert run(database, "migrate").returncode == 0
    key = run(database, "apikey", "create", "--role", "legal", "--name", "Jurídico").stdout.strip()
    headers = {"Authorization": f"Bearer {key}"}
    engine = make_engine(database)
    with TestClient(create_app(engine)) as client:
        signers = [signing_party(client, headers, kind) for kind in ("estado", "federacion")]
        created = ok(
            client.post(f"{API}/agreements", json=agreement_payload(signers), headers=headers),
            201,
        )
        url = f"{API}/agreements/{created['id']}/documents"
        document = ok(client.post(url, json={}, headers=headers), 201)
        assert client.get("/readyz").status_code == 200
        clean = run(database, "storage", "scrub")
        assert clean.returncode == 0, clean.stderr
        assert "1 documents, 1 stored files: 0 missing" in clean.stderr

        (storage / document["sha256"][:2] / document["sha256"]).unlink()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert f"files of documents {document['id']} are missing" in ready.json()["detail"]
        scrubbed = run(database, "storage", "scrub")
        assert scrubbed.returncode == 1
        assert f"MISSING   document {document['id']}: {document['sha256']}" in scrubbed.stdout
    engine.dispose()


def test_sweep_runs_for_a_given_day(database: str) -> None:
    first = run(database, "sweep", "--today", "2026-04-01")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("2026-04-01: 0 obligations overdue, 0 agreements expired")
    bad = run(database, "sweep", "--today", "mañana")
    assert bad.returncode == 2 and "--today" in bad.stderr


def test_replicas_migrating_at_once_apply_each_migration_once(backend: str, tmp_path: Path) -> None:
    """Every replica may run `convenios migrate` as it starts: on an empty database, three at
    once all succeed and leave the schema at head, each template version added once."""
    url = new_database(backend, tmp_path, migrate=False)
    env = {**os.environ, "CONVENIOS_DATABASE_URL": url}
    try:
        started = [
            subprocess.Popen(
                [CONVENIOS, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(3)
        ]
        for process in started:
            _, errors = process.communicate(timeout=180)
            assert process.returncode == 0, errors.decode()
        engine = make_engine(url)
        with engine.connect() as connection:
            assert migrations.current_revisions(connection) == migrations.head_revisions()
            versions = connection.execute(
                text("SELECT template_id, number, count(*) FROM template_versions GROUP BY 1, 2")
            ).all()
        engine.dispose()
        assert versions and all(count == 1 for _, _, count in versions)
    finally:
        drop_database(backend, url)


def test_serve_believes_forwarded_addresses_from_the_trusted_proxies_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Behind a load balancer the client's address comes in X-Forwarded-For: believed from the
    proxies `CONVENIOS_TRUSTED_PROXIES` names, from nobody by default."""
    import uvicorn

    from app.config import get_settings

    served: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: served.append(options))
    arguments = cli.build_parser().parse_args(["serve"])
    for proxies, expected in (
        (None, {"proxy_headers": False, "forwarded_allow_ips": None}),
        ('["10.0.0.0/8", "192.168.1.5"]', {"proxy_headers": True}),
    ):
        if proxies is not None:
            monkeypatch.setenv("CONVENIOS_TRUSTED_PROXIES", proxies)
        get_settings.cache_clear()
        cli.serve(arguments)
        assert expected.items() <= served[-1].items()
    assert served[-1]["forwarded_allow_ips"] == ["10.0.0.0/8", "192.168.1.5"]
    get_settings.cache_clear()

    env = {**os.environ, "CONVENIOS_TRUSTED_PROXIES": '["the load balancer"]'}
    done = subprocess.run(
        [CONVENIOS, "apikey", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.startswith("convenios: CONVENIOS_TRUSTED_PROXIES:")
    assert "'the load balancer' is not an IP address or network" in done.stderr


def test_every_process_of_the_procfile_is_a_command_of_convenios() -> None:
    """The deployment guide's process file starts what `convenios` serves, with the options
    each command takes (the variables of the line are the platform's)."""
    lines = [
        line
        for line in (PROJECT_ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    processes = dict(line.split(": ", 1) for line in lines)
    assert set(processes) == {"release", "web", "worker"}
    for command in processes.values():
        program, *arguments = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", command).split()
        assert program == "convenios"
        parsed = cli.build_parser().parse_args(arguments)
        assert parsed.command == arguments[0]


@pytest.mark.parametrize("concurrency", ["0", "-1", "65", "two"])
def test_a_worker_takes_one_to_sixty_four_tasks_at_once(concurrency: str) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["worker", "--concurrency", concurrency])
