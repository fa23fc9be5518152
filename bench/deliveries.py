"""Benchmark: delivering webhooks through the outbox against POSTing the same bodies directly.

Run with `make bench`. On a scratch SQLite database, N events are written to the outbox and one
local receiver subscribes to them. The baseline is the network alone: N POSTs of a delivery's
body to the same receiver, one connection each, as the dispatcher makes them. The dispatcher
then fans the events out and delivers them — a claim, the POST and a record per delivery —
and the ratio says what the bookkeeping that makes deliveries durable, logged and never
doubled costs on top of the network. Last, a second receiver that never answers: the pass
still delivers everything to the first one and waits for the silent one once, not once per
delivery. Everything is measured in this run, on this machine: the ratios are what count.
"""

import os
import resource
import socket
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EVENTS = 300
# Few enough that one pass (at most 200 attempts) can deliver them all.
BESIDE_SILENT = 100
TIMEOUT = 1.0


class _Accept(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="convenios-bench-"))
    os.environ["CONVENIOS_DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["CONVENIOS_STORAGE_URL"] = str(scratch / "storage")
    os.environ["CONVENIOS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "true"
    os.environ["CONVENIOS_DELIVERY_TIMEOUT_SECONDS"] = str(TIMEOUT)

    from sqlalchemy import func, select

    from app import clock
    from app.auth.principal import operator
    from app.config import get_settings
    from app.db import get_engine, session_factory
    from app.events.dispatch import dispatch
    from app.events.service import emit
    from app.migrations import upgrade
    from app.models import Delivery, Event
    from app.models.enums import DeliveryStatus, EventType
    from app.webhooks import service
    from app.webhooks.signing import signed_request

    upgrade()
    settings = get_settings()
    sessions = session_factory(get_engine(), write=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"

    def subscribe(target: str) -> None:
        service.check_target(target, settings)
        with sessions() as session, session.begin():
            service.create_subscription(
                session=session,
                url=target,
                event_types=[EventType.AGREEMENT_STATUS_CHANGED],
                description="bench",
                actor=operator("bench"),
            )

    def write_events(count: int) -> None:
        with sessions() as session, session.begin():
            for number in range(count):
                emit(
                    session,
                    EventType.AGREEMENT_STATUS_CHANGED,
                    agreement_id=None,
                    payload={
                        "folio": f"CONV-2026-{number:04d}",
                        "from": "draft",
                        "to": "in_review",
                    },
                )

    def deliver_all() -> tuple[float, int]:
        started, passes = time.perf_counter(), 0
        while True:
            report = dispatch(sessions, settings)
            passes += 1
            if not (report.queued or report.delivered or report.retrying):
                return time.perf_counter() - started, passes

    subscribe(url)
    write_events(EVENTS)
    with sessions() as session:
        event = session.scalars(select(Event)).first()
        assert event is not None
        body, headers = signed_request(event, 1, "whsec_bench", int(clock.now().timestamp()))

    started = time.perf_counter()
    for _ in range(EVENTS):
        connection = HTTPConnection("127.0.0.1", server.server_port, timeout=TIMEOUT)
        connection.request("POST", "/hook", body, {**headers, "Connection": "close"})
        connection.getresponse().read()
        connection.close()
    baseline = time.perf_counter() - started

    elapsed, passes = deliver_all()
    with sessions() as session:
        delivered = session.scalar(
            select(func.count()).where(Delivery.status == DeliveryStatus.DELIVERED)
        )
    assert delivered == EVENTS, delivered
    print(f"{EVENTS} deliveries to one receiver, {passes} passes")
    print(f"  direct POSTs (baseline)     {baseline * 1000 / EVENTS:7.2f} ms each")
    print(
        f"  through the outbox          {elapsed * 1000 / EVENTS:7.2f} ms each "
        f"({elapsed / baseline:.1f}x the baseline)"
    )

    # A receiver that accepts connections and never answers, beside the one that does.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(EVENTS)
    subscribe(f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
    write_events(BESIDE_SILENT)
    started = time.perf_counter()
    report = dispatch(sessions, settings)
    one_pass = time.perf_counter() - started
    print(
        f"{BESIDE_SILENT} events to it and to a silent receiver: one pass {one_pass:.2f} s, "
        f"{report.delivered} delivered, {report.retrying} attempt waited for the silent one "
        f"({TIMEOUT:.1f} s timeout; the rest of its deliveries wait for the next pass)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")
    server.shutdown()
    silent.close()


if __name__ == "__main__":
    main()
