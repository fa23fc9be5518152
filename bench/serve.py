"""Benchmark: serving an unchanged convenio again against rendering it, 10 and 40 pages.

Run with `make bench`. Through the HTTP API, on a scratch SQLite database and storage directory:
the first `POST /agreements/{id}/documents` renders and stores the PDF. Serving it again —
`GET /documents/{id}/pdf`, the stored bytes checked against their digest — is the figure the
goal is about: at least 100 times faster than rendering. Asking again with the `POST` for the
unchanged agreement also answers with the stored document; it costs more, because it loads the
whole agreement to recognise its inputs. `GET /me` shows the floor under any answer: an
authenticated request that reads one row. Everything is measured in this run, on this machine:
the ratios are what count, not the seconds.
"""

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RUNS = 20


def median_seconds(work: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="convenios-bench-"))
    os.environ["CONVENIOS_DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["CONVENIOS_STORAGE_URL"] = str(scratch / "storage")

    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from app.auth import service as keys
    from app.auth.principal import operator
    from app.db import get_engine
    from app.main import create_app
    from app.migrations import upgrade
    from app.models.enums import Role
    from app.templates import service as templates
    from bench.sample import context

    upgrade()
    with Session(get_engine()) as session, session.begin():
        templates.sync_shipped(session, operator("bench"))
        _, secret = keys.create_key(
            session=session,
            name="bench",
            role=Role.ADMIN,
            representative_id=None,
            actor=operator("bench"),
        )
    headers = {"Authorization": f"Bearer {secret}"}

    def post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    with TestClient(create_app()) as client:
        signers = []
        for kind, name in (
            ("federacion", "Secretaría de Seguridad y Protección Ciudadana"),
            ("estado", "Gobierno del Estado de México"),
            ("academico_publico", "Universidad Autónoma del Estado de México"),
        ):
            extra = {"inegi_code": "15", "article": "el"} if kind == "estado" else {"article": "la"}
            party = post(client, "/parties", {"kind": kind, "name": name, **extra})
            person = post(
                client,
                f"/parties/{party['id']}/representatives",
                {
                    "honorific": "Lic.",
                    "full_name": "Mariana Téllez Arriaga",
                    "gender": "feminine",
                    "position": "Titular",
                },
            )
            signers.append((party, person))
        print(
            f"{'convenio':>10} {'pages':>5} {'render':>9} {'serve again':>12} {'ratio':>6} "
            f"{'goal':>6} {'ask again':>10} {'ratio':>6} {'GET /me':>8}"
        )
        for target, clauses, paragraphs in (("10 pages", 21, 1), ("40 pages", 62, 4)):
            sample = context(clauses, paragraphs)["agreement"]
            agreement = post(
                client,
                "/agreements",
                {
                    "title": sample["title"],
                    "kind": "coordinacion",
                    "objective": sample["objective"],
                    "antecedents": sample["antecedents"],
                    "clauses": sample["clauses"],
                    "effective_date": "2026-01-15",
                    "expiry_date": "2027-09-30",
                    "parties": [
                        {
                            "party_id": party["id"],
                            "role": role,
                            "declarations": ["Que cuenta con facultades para suscribirlo."],
                            "signatories": [{"representative_id": person["id"]}],
                        }
                        for (party, person), role in zip(
                            signers, ("LA FEDERACIÓN", "EL ESTADO", "LA UNIVERSIDAD"), strict=True
                        )
                    ],
                },
            )
            url = f"/agreements/{agreement['id']}/documents"
            post(client, url, {})  # the first render also starts the workers
            renders = []
            for run in range(3):
                # Each edit changes the inputs, so each request renders anew.
                edit = {"title": f"{sample['title']} ({run + 1})"}
                response = client.patch(
                    f"/api/v1/agreements/{agreement['id']}", json=edit, headers=headers
                )
                assert response.status_code == 200, response.text
                started = time.perf_counter()
                document = post(client, url, {})
                renders.append(time.perf_counter() - started)
            render = statistics.median(renders)
            again = median_seconds(lambda url=url: post(client, url, {}))
            pdf = f"/api/v1/documents/{document['id']}/pdf"
            download = median_seconds(lambda pdf=pdf: client.get(pdf, headers=headers))
            # The floor: an authenticated request that reads one row and renders nothing.
            floor = median_seconds(lambda: client.get("/api/v1/me", headers=headers))
            print(
                f"{target:>10} {document['pages']:>5} {render:>8.3f}s {download * 1000:>10.2f}ms "
                f"{render / download:>5.0f}x {'≥100x':>6} {again * 1000:>8.2f}ms "
                f"{render / again:>5.0f}x {floor * 1000:>6.2f}ms"
            )


if __name__ == "__main__":
    main()
