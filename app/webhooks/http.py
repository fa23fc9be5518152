"""Calling the URLs that admins register, without letting them reach the internal network.

A webhook URL is chosen by whoever administers a subscription, so it must never become a way to
probe the service's own network (SSRF): every address the host resolves to has to be public, and
the delivery connects to the very address that was vetted, so that a DNS answer which changes
between the check and the connection (DNS rebinding) cannot slip a private one in. A receiver
that hangs, or answers one byte at a time, must not hold the caller past a total deadline.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeAlias
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000
# What is read of a response body, only so the receiver can finish writing it; it is ignored.
MAX_BODY = 64 * 1024
DEFAULT_HEADERS = {"Content-Type": "application/json", "User-Agent": "convenios-webhooks/1"}

CHECK_RESOLVE_SECONDS = 5.0
NOT_PUBLIC = (
    "webhook URLs may not point at loopback, private, link-local or other non-public addresses"
)
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# A resolved address: its family and the sockaddr to connect to (IPv6 ones carry flow and scope).
_Address: TypeAlias = tuple[socket.AddressFamily, tuple[Any, ...]]


class UnsafeTarget(ValueError):
    """The URL is not one the service may call; the message is meant for an API client."""


@dataclass(frozen=True)
class Outcome:
    """What came of one delivery: the receiver's status, or why there is none."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, without brackets
    port: int
    path: str  # the request target: path and query


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse (UnsafeTarget) a URL that deliveries may not be sent to: one that is malformed,
    does not resolve, or resolves to any non-public address unless ``allow_private``."""
    target = _parse(url)
    # A slow name server must not hold the admin's request for as long as it likes either.
    with _Deadline(CHECK_RESOLVE_SECONDS) as deadline:
        try:
            addresses = _resolve_within(target.host, target.port, deadline)
        except TimeoutError:
            raise UnsafeTarget(
                f"webhook URL host {target.host!r} did not resolve within {CHECK_RESOLVE_SECONDS} s"
            ) from None
        except OSError:
            raise UnsafeTarget(f"webhook URL host {target.host!r} does not resolve") from None
    if not allow_private:
        for _family, sockaddr in addresses:
            if not _is_public(sockaddr[0]):
                raise UnsafeTarget(f"{NOT_PUBLIC} ({sockaddr[0]})")


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool
) -> Outcome:
    """POST ``body`` to ``url`` within ``timeout`` seconds in all (resolution, connection,
    request and the response's status). Network problems never raise: they become the error of
    the Outcome. Redirects are not followed; a 3xx is a failure."""
    started = time.monotonic()

    def outcome(status_code: int | None, error: str | None) -> Outcome:
        return Outcome(status_code, error, round((time.monotonic() - started) * 1000))

    try:
        target = _parse(url)
    except UnsafeTarget as exc:
        return outcome(None, str(exc))
    with _Deadline(timeout) as deadline:
        try:
            addresses = _resolve_within(target.host, target.port, deadline)
        except TimeoutError:
            return outcome(None, deadline.message)
        except OSError:
            return outcome(None, f"could not resolve host {target.host!r}")
        if not allow_private:
            for _family, sockaddr in addresses:
                if not _is_public(sockaddr[0]):
                    return outcome(None, f"refused address {sockaddr[0]}: {NOT_PUBLIC}")
        tls = ssl.create_default_context() if target.scheme == "https" else None
        connection = _PinnedConnection(target, addresses, deadline, tls)
        try:
            status = connection.exchange(target.path, body, _merged(headers))
        except (OSError, http.client.HTTPException) as exc:
            # A socket timeout is the deadline too: each is set to what is left of it.
            timed_out = deadline.expired or isinstance(exc, TimeoutError)
            return outcome(None, deadline.message if timed_out else _describe(exc))
        finally:
            deadline.finish()
            connection.close()
    if 200 <= status < 300:
        return outcome(status, None)
    if 300 <= status < 400:
        return outcome(status, f"HTTP {status} (redirects are not followed)")
    return outcome(status, f"HTTP {status}")


def _parse(url: str) -> _Target:
    """The parts of a well-formed webhook URL, or UnsafeTarget saying what is wrong with it."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"webhook URLs may be at most {MAX_URL_LENGTH} characters long")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise UnsafeTarget("webhook URLs may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("webhook URL is malformed or its port is not a number") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(f"webhook URLs must use http or https, not {parts.scheme or 'none'!r}")
    if "@" in parts.netloc:
        raise UnsafeTarget("webhook URLs may not contain a user name or password")
    if "#" in url:
        raise UnsafeTarget("webhook URLs may not contain a fragment (#...)")
    if not parts.hostname:
        raise UnsafeTarget("webhook URLs must name a host")
    if port is not None and not 1 <= port <= 65535:
        raise UnsafeTarget("webhook URL ports must be between 1 and 65535")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsafeTarget(f"webhook URL host {parts.hostname!r} is not a valid name") from None
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    if not path.isascii():
        raise UnsafeTarget("webhook URL paths must be ASCII: percent-encode other characters")
    default_port = 443 if parts.scheme == "https" else 80
    return _Target(parts.scheme, host, port or default_port, path)


def _resolve(host: str, port: int) -> list[_Address]:
    """Every address ``host`` resolves to; integer forms such as 2130706433 come back as the
    dotted address they stand for, so they are vetted like any other."""
    addresses: list[_Address] = [
        (family, sockaddr)
        for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise OSError(f"{host} has no IP address")
    return addresses


def _resolve_within(host: str, port: int, deadline: "_Deadline") -> list[_Address]:
    """``_resolve`` bounded by the deadline: getaddrinfo takes no timeout, and a slow name
    server is as much the receiver's doing as a slow receiver. On time out the lookup is left
    to finish on its own in the background."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-resolve")
    try:
        return pool.submit(_resolve, host, port).result(timeout=deadline.remaining())
    finally:
        pool.shutdown(wait=False)


def _is_public(address: str) -> bool:
    """Whether ``address`` is one the service may call: global unicast, and so is any IPv4
    address it embeds (IPv4-mapped, 6to4, NAT64). Teredo (2001::/32) is not global already."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _is_public(str(ip.ipv4_mapped))
        if ip in _NAT64:
            return _is_public(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip.sixtofour is not None and not _is_public(str(ip.sixtofour)):
            return False
    # is_reserved catches what older Pythons still call global, e.g. IPv4-compatible ::7f00:1.
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _merged(headers: dict[str, str]) -> dict[str, str]:
    """The given headers over the defaults, names compared without regard to case."""
    # One request per connection: the receiver closes it after answering, which also ends a
    # body sent without a length.
    defaults = DEFAULT_HEADERS | {"Connection": "close"}
    given = {name.lower() for name in headers}
    return {name: value for name, value in defaults.items() if name.lower() not in given} | headers


class _Deadline:
    """The end of an exchange. Socket timeouts bound each blocking call, but a receiver that
    trickles a byte at a time resets them forever; so at the deadline a timer shuts the current
    socket down, which makes any blocked read or write return at once."""

    def __init__(self, seconds: float) -> None:
        self.message = f"timed out after {float(seconds)} s"
        self.expired = False
        self._at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._finished = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.finish()

    def remaining(self) -> float:
        """Seconds left, for a socket timeout; TimeoutError once there are none (a timeout of
        zero would make a socket non-blocking, not impatient)."""
        left = self._at - time.monotonic()
        if left <= 0:
            raise TimeoutError(self.message)
        return left

    def watch(self, sock: socket.socket | None) -> None:
        """Make ``sock`` the socket shut down at the deadline (None before closing one)."""
        with self._lock:
            self._socket = sock
            if self.expired and sock is not None:
                self._shut(sock)

    def finish(self) -> None:
        """The exchange is over: the timer must not touch a socket that may be closed (and its
        descriptor reused) from now on."""
        with self._lock:
            self._finished = True
            self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            if self._socket is not None:
                self._shut(self._socket)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # socket.socket's own shutdown even for a TLS socket: SSLSocket.shutdown would also drop
        # its TLS state under the feet of the thread reading from it. OSError: not connected
        # yet, or already closed.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to addresses vetted beforehand, not to whatever the host name
    resolves to by now; Host header, SNI and certificate check still use the host name.
    http.client neither reads proxy settings from the environment nor follows redirects."""

    def __init__(
        self,
        target: _Target,
        addresses: list[_Address],
        deadline: _Deadline,
        tls: ssl.SSLContext | None,
    ) -> None:
        super().__init__(target.host, target.port)
        # So that the Host header names the port only when it is not the scheme's default.
        self.default_port = 443 if tls is not None else 80
        self._addresses = addresses
        self._deadline = deadline
        self._tls = tls
        self._socket: socket.socket | None = None

    def exchange(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """Send the request and return the response's status, having read (and ignored) at
        most MAX_BODY of its body."""
        self.request("POST", path, body=body, headers=headers)
        self._tighten()
        response = self.getresponse()
        try:
            # Read a bounded part of the body, so the receiver is not cut off mid-write; what
            # it says, and whether it finishes saying it in time, makes no difference.
            self._tighten()
            response.read(MAX_BODY)
        except (OSError, http.client.HTTPException):
            pass
        # The deadline is over before the response's socket is really closed (see finish).
        self._deadline.finish()
        response.close()
        return response.status

    def connect(self) -> None:
        self.sock = self._socket = self._connect_to_any()
        if self._tls is not None:
            # Handshake after watching the TLS socket, so that the deadline covers it too.
            self.sock = self._socket = self._tls.wrap_socket(
                self._socket, server_hostname=self.host, do_handshake_on_connect=False
            )
            self._deadline.watch(self._socket)
            self._tighten()
            self._socket.do_handshake()

    def _tighten(self) -> None:
        """Bound the next blocking calls by what is left of the deadline. The socket is kept
        here because http.client hands it over to the response (self.sock becomes None)."""
        if self._socket is not None:
            self._socket.settimeout(self._deadline.remaining())

    def _connect_to_any(self) -> socket.socket:
        """A socket connected to the first of the addresses that accepts, as
        socket.create_connection would, but only within the deadline."""
        error: OSError = ConnectionError("the host has no address")
        for family, sockaddr in self._addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            self._deadline.watch(sock)
            try:
                sock.settimeout(self._deadline.remaining())
                sock.connect(sockaddr)
            except OSError as exc:
                self._deadline.watch(None)
                sock.close()
                error = exc
                if isinstance(exc, TimeoutError):
                    break  # the whole deadline is spent
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise error


def _describe(exc: BaseException) -> str:
    """A short English description of why no response arrived."""
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the receiver closed the connection without answering"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the receiver"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, http.client.HTTPException):
        return f"invalid HTTP response ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__
