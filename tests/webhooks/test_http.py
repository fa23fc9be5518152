"""Webhook deliveries over HTTP: the SSRF checks, and a total deadline against receivers that
hang. Receivers run on 127.0.0.1 only: well-behaved ones on http.server, misbehaving ones on
raw sockets."""

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.webhooks.http import Outcome, UnsafeTarget, check_url, post

BODY = b'{"event":"agreement.signed","agreement_id":12,"folio":"CONV-2026-0007"}'


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A well-behaved receiver answering every POST with ``status`` (and ``headers``)."""

    url: str
    port: int
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    servers: list[ThreadingHTTPServer] = []

    def start(status: int = 204, headers: dict[str, str] | None = None) -> Receiver:
        state: Receiver | None = None

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                assert state is not None
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(state.status)
                for name, value in state.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        servers.append(server)
        serving = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        serving.start()
        port = server.server_address[1]
        state = Receiver(f"http://127.0.0.1:{port}/hooks", port, status, headers or {})
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def raw_receiver() -> Iterator[Callable[[Callable[[socket.socket, threading.Event], None]], int]]:
    """Listening sockets whose connections ``behave(connection, stop)`` as a test wants."""
    stop = threading.Event()
    threads: list[threading.Thread] = []
    listeners: list[socket.socket] = []

    def start(behave: Callable[[socket.socket, threading.Event], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)
        listeners.append(listener)

        def accept() -> None:
            while not stop.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with connection:
                    behave(connection, stop)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        threads.append(thread)
        return int(listener.getsockname()[1])

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=2)
    for listener in listeners:
        listener.close()


def silent(connection: socket.socket, stop: threading.Event) -> None:
    """Accept the connection, then never say a word."""
    stop.wait()


def trickling(connection: socket.socket, stop: threading.Event) -> None:
    """A status line, one byte every 0.2 s, forever."""
    for byte in itertools.cycle(b"HTTP/1.1 200 OK\r\n"):
        if stop.wait(0.2):
            return
        try:
            connection.sendall(bytes([byte]))
        except OSError:
            return


def huge_body(connection: socket.socket, stop: threading.Event) -> None:
    """A 200 announcing 100 MB of body, 70 KiB of which come at once, then nothing."""
    connection.recv(65536)
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n"
    connection.sendall(head + b"x" * 70 * 1024)
    stop.wait()


def deliver(url: str, *, timeout: float = 5.0, allow_private: bool = True) -> Outcome:
    return post(
        url,
        BODY,
        {"X-Convenios-Signature": "sha256=abc", "X-Convenios-Event": "agreement.signed"},
        timeout=timeout,
        allow_private=allow_private,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def resolving(
    monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]
) -> list[tuple[Any, ...]]:
    """Make ``names`` resolve to the given addresses; returns the log of look-ups of them."""
    real = socket.getaddrinfo
    lookups: list[tuple[Any, ...]] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return real(host, port, *args, **kwargs)
        lookups.append((host, port))
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in names[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return lookups


# check_url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/hook", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("https:///hook", "must name a host"),
        ("https://user:pass@example.com/hook", "user name or password"),
        ("https://token@example.com/hook", "user name or password"),
        ("https://example.com/hook#part", "fragment"),
        ("https://example.com:0/hook", "between 1 and 65535"),
        ("https://example.com:70000/hook", "port"),
        ("https://example.com/ho ok", "spaces or control characters"),
        ("https://example.com/" + "a" * 2000, "at most 2000 characters"),
        ("http://127.0.0.1/", "(127.0.0.1)"),
        ("http://localhost/", "non-public"),
        ("http://10.1.2.3/", "(10.1.2.3)"),
        ("http://192.168.0.1/", "(192.168.0.1)"),
        ("http://169.254.169.254/latest/meta-data", "(169.254.169.254)"),
        ("http://[::1]/", "(::1)"),
        ("http://[::ffff:127.0.0.1]/", "non-public"),
        ("http://[fe80::1]/", "(fe80::1)"),
        ("http://0.0.0.0/", "(0.0.0.0)"),
        ("http://2130706433/", "(127.0.0.1)"),
        ("http://0x7f.1/", "(127.0.0.1)"),
        ("http://100.64.0.1/", "(100.64.0.1)"),
        ("http://224.0.0.1/", "(224.0.0.1)"),
        ("http://[ff02::1]/", "non-public"),
        ("http://[fc00::1]/", "non-public"),
        ("http://[::7f00:1]/", "non-public"),  # IPv4-compatible 127.0.0.1
        ("http://[2002:7f00:1::]/", "non-public"),  # 6to4 around 127.0.0.1
        ("http://[64:ff9b::a00:1]/", "non-public"),  # NAT64 around 10.0.0.1
        ("http://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_check_url_refuses(url: str, words: str) -> None:
    with pytest.raises(UnsafeTarget, match=r"^webhook URL") as refused:
        check_url(url, allow_private=False)
    assert words in str(refused.value)


def test_check_url_allows_public_addresses() -> None:
    # Literals resolve locally: nothing goes out on the network.
    check_url("https://8.8.8.8/hook", allow_private=False)
    check_url("http://8.8.8.8:8080/hook?tenant=7", allow_private=False)
    check_url("https://[2606:4700:4700::1111]/hook", allow_private=False)


def test_check_url_allows_private_addresses_when_told() -> None:
    check_url("http://127.0.0.1:8123/hook", allow_private=True)
    check_url("http://localhost:8123/hook", allow_private=True)
    # Malformed URLs are refused all the same.
    with pytest.raises(UnsafeTarget):
        check_url("http://user:pass@127.0.0.1:8123/hook", allow_private=True)
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        check_url("http://no-such-host.invalid/", allow_private=True)


def test_check_url_refuses_a_host_with_any_private_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving(monkeypatch, {"hooks.example.com": ["8.8.8.8", "10.0.0.1"]})
    with pytest.raises(UnsafeTarget, match=r"\(10\.0\.0\.1\)"):
        check_url("https://hooks.example.com/hook", allow_private=False)


# post ---------------------------------------------------------------------------------------


def test_post_delivers_the_body_and_headers(receiver: Callable[..., Receiver]) -> None:
    hooks = receiver(204)
    outcome = deliver(hooks.url + "?tenant=7")
    assert outcome == Outcome(204, None, outcome.duration_ms)
    assert outcome.ok
    [request] = hooks.requests
    assert request.path == "/hooks?tenant=7"
    assert request.body == BODY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "convenios-webhooks/1"
    assert request.headers["X-Convenios-Signature"] == "sha256=abc"
    assert request.headers["X-Convenios-Event"] == "agreement.signed"
    assert request.headers["Host"] == f"127.0.0.1:{hooks.port}"
    assert request.headers["Content-Length"] == str(len(BODY))


def test_given_headers_replace_the_defaults(receiver: Callable[..., Receiver]) -> None:
    hooks = receiver(200)
    headers = {"content-type": "application/cloudevents+json", "User-Agent": "other/2"}
    assert post(hooks.url, BODY, headers, timeout=5, allow_private=True).ok
    [request] = hooks.requests
    sent = [(name.lower(), value) for name, value in request.headers.items()]
    assert ("content-type", "application/cloudevents+json") in sent
    assert ("user-agent", "other/2") in sent
    assert [name for name, _ in sent].count("content-type") == 1
    assert [name for name, _ in sent].count("user-agent") == 1


def test_a_server_error_is_a_failure(receiver: Callable[..., Receiver]) -> None:
    hooks = receiver(500)
    outcome = deliver(hooks.url)
    assert not outcome.ok
    assert outcome.status_code == 500
    assert outcome.error is not None and "500" in outcome.error
    assert len(hooks.requests) == 1


def test_redirects_are_not_followed(receiver: Callable[..., Receiver]) -> None:
    elsewhere = receiver(200)
    hooks = receiver(302, {"Location": elsewhere.url})
    outcome = deliver(hooks.url)
    assert not outcome.ok
    assert outcome.status_code == 302
    assert outcome.error == "HTTP 302 (redirects are not followed)"
    assert len(hooks.requests) == 1
    assert elsewhere.requests == []


def test_private_addresses_are_refused_without_connecting(
    receiver: Callable[..., Receiver],
) -> None:
    hooks = receiver(200)
    outcome = deliver(hooks.url, allow_private=False)
    assert not outcome.ok
    assert outcome.status_code is None
    assert outcome.error is not None
    assert outcome.error.startswith("refused address 127.0.0.1")
    assert hooks.requests == []


def test_a_malformed_url_is_an_outcome_not_an_exception() -> None:
    outcome = deliver("ftp://example.com/hook")
    assert outcome.status_code is None
    assert outcome.error is not None and "http or https" in outcome.error


def test_dns_rebinding_is_refused(
    monkeypatch: pytest.MonkeyPatch, receiver: Callable[..., Receiver]
) -> None:
    """The host was public when subscribed; now it resolves to the service's own machine."""
    hooks = receiver(200)
    check_url("http://8.8.8.8/hook", allow_private=False)
    resolving(monkeypatch, {"hooks.example.com": ["127.0.0.1"]})
    outcome = deliver(f"http://hooks.example.com:{hooks.port}/hooks", allow_private=False)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.startswith("refused address 127.0.0.1")
    assert hooks.requests == []


def test_the_connection_goes_to_the_address_resolved_once(
    monkeypatch: pytest.MonkeyPatch, receiver: Callable[..., Receiver]
) -> None:
    """One look-up, whose address is the one connected to; the Host header keeps the name."""
    hooks = receiver(200)
    lookups = resolving(monkeypatch, {"hooks.example.com": ["127.0.0.1"]})
    outcome = deliver(f"http://hooks.example.com:{hooks.port}/hooks")
    assert outcome.ok, outcome
    assert lookups == [("hooks.example.com", hooks.port)]
    [request] = hooks.requests
    assert request.headers["Host"] == f"hooks.example.com:{hooks.port}"


@pytest.mark.realtime  # a timer thread enforces the deadline
def test_a_slow_name_server_counts_against_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def slow(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow.example.com":
            time.sleep(1.5)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    outcome, elapsed = timed(lambda: deliver("http://slow.example.com/hooks", timeout=0.3))
    assert elapsed < 1.2
    assert outcome.error == "timed out after 0.3 s"


def test_connection_refused() -> None:
    outcome = deliver(f"http://127.0.0.1:{closed_port()}/hooks")
    assert not outcome.ok
    assert outcome.status_code is None
    assert outcome.error == "connection refused"


def test_tls_to_a_plain_http_receiver_fails_cleanly(receiver: Callable[..., Receiver]) -> None:
    hooks = receiver(200)
    outcome = deliver(f"https://127.0.0.1:{hooks.port}/hooks")
    assert not outcome.ok
    assert outcome.status_code is None
    assert outcome.error is not None and outcome.error.startswith("TLS")


def timed(call: Callable[[], Outcome]) -> tuple[Outcome, float]:
    started = time.monotonic()
    outcome = call()
    return outcome, time.monotonic() - started


def test_a_receiver_that_never_answers_times_out(
    raw_receiver: Callable[[Callable[[socket.socket, threading.Event], None]], int],
) -> None:
    port = raw_receiver(silent)
    outcome, elapsed = timed(lambda: deliver(f"http://127.0.0.1:{port}/", timeout=0.5))
    assert elapsed < 3
    assert not outcome.ok
    assert outcome.status_code is None
    assert outcome.error == "timed out after 0.5 s"


def test_a_tls_handshake_that_never_completes_times_out(
    raw_receiver: Callable[[Callable[[socket.socket, threading.Event], None]], int],
) -> None:
    port = raw_receiver(silent)
    outcome, elapsed = timed(lambda: deliver(f"https://127.0.0.1:{port}/", timeout=0.5))
    assert elapsed < 3
    assert outcome.error == "timed out after 0.5 s"


def test_a_trickling_receiver_times_out_at_the_total_deadline(
    raw_receiver: Callable[[Callable[[socket.socket, threading.Event], None]], int],
) -> None:
    """Every byte arrives well within a socket timeout; only the total deadline stops it."""
    port = raw_receiver(trickling)
    outcome, elapsed = timed(lambda: deliver(f"http://127.0.0.1:{port}/", timeout=1.0))
    assert elapsed < 4
    assert not outcome.ok
    assert outcome.status_code is None
    assert outcome.error == "timed out after 1.0 s"


def test_a_huge_body_is_not_waited_for(
    raw_receiver: Callable[[Callable[[socket.socket, threading.Event], None]], int],
) -> None:
    port = raw_receiver(huge_body)
    outcome, elapsed = timed(lambda: deliver(f"http://127.0.0.1:{port}/", timeout=5.0))
    assert elapsed < 3
    assert outcome.ok
    assert outcome.status_code == 200
