"""A local RFC 3161 timestamp authority for tests, answering over HTTP on 127.0.0.1.

Signing jobs may run in worker processes, so the TSA must be a real server, not an object:
an `http.server` in a thread, answering with pyHanko's `DummyTimeStamper` and the test PKI's
TSA certificate. ``local_tsa(pki, answer="garbage")`` answers every request with bytes that
are not a timestamp response, to exercise the signer's error handling.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from asn1crypto import keys, tsp, x509  # type: ignore[import-untyped,unused-ignore]
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

from app import clock
from tests.signatures.pki import Pki

Answer = Literal["ok", "garbage", "error"]


def _timestamper(pki: Pki) -> DummyTimeStamper:
    return DummyTimeStamper(
        tsa_cert=x509.Certificate.load(pki.tsa_der),
        tsa_key=keys.PrivateKeyInfo.load(
            pki.tsa_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )


@contextmanager
def local_tsa(pki: Pki, *, answer: Answer = "ok") -> Iterator[str]:
    """Serve timestamps while in the block; yields the TSA's URL."""
    timestamper = _timestamper(pki)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if answer == "error":
                self.send_error(500, "TSA out of order")
                return
            if answer == "garbage":
                reply = b"this is not a timestamp"
            else:
                # The time a TSA vouches for is the service's clock, as every time in the tests.
                timestamper.fixed_dt = clock.now()
                reply = timestamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
