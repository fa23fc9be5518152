"""Webhook receivers for the tests — one that checks every delivery's HMAC and can fail the
first attempts, and one that accepts connections and never answers."""

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_valid: bool


@dataclass
class Receiver:
    """An HTTP endpoint that answers 500 to the first ``failures`` requests, then 204."""

    url: str
    secret: str = ""
    failures: int = 0
    received: list[Received] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(item.body) for item in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            timestamp = self.headers["Convenios-Timestamp"]
            expected = hmac.new(
                state.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
            ).hexdigest()
            valid = hmac.compare_digest(f"v1={expected}", self.headers["Convenios-Signature"])
            state.received.append(Received(dict(self.headers), body, valid))
            failing = len(state.received) <= state.failures
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/convenios"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def hanging() -> Iterator[str]:
    """A receiver that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()
