"""What stands between the pages and someone guessing: a limit on tokens tried per address,
and form tokens (CSRF) for the forms a browser sends before a signing session exists.

The limit is kept in the memory of each process: behind several replicas an address gets the
limit once per replica, still a few dozen tries in a space of 2^256 tokens.
"""

import threading
import time
from collections import deque

from fastapi import Request, Response

from app.config import get_settings
from app.invitations.service import new_secret, same

# The form token of the pages opened before any session: a cookie, and the same value in each
# form (double submit). A form sent from another site carries no matching pair.
FORM_COOKIE = "convenios_formulario"
WINDOW_SECONDS = 15 * 60


class AttemptLimit:
    """At most ``limit`` failed attempts per address in a sliding window of a quarter hour."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= now - WINDOW_SECONDS:
            failures.popleft()
        return failures

    def blocked_for(self, address: str, limit: int) -> int:
        """Seconds until ``address`` may try again; 0 when it may now."""
        # A monotonic clock measures an interval; no date is read.
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) < limit:
                return 0
            return max(1, int(failures[0] + WINDOW_SECONDS - now) + 1)

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now).append(now)
            if len(self._failures) > 100_000:  # bounded memory under a spray of addresses
                self._failures = {a: f for a, f in self._failures.items() if f}

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


attempts = AttemptLimit()


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def form_token(request: Request) -> tuple[str, bool]:
    """The browser's pre-session form token, and whether it is new (to be set as a cookie)."""
    token = request.cookies.get(FORM_COOKIE)
    if token and len(token) == 43:
        return token, False
    return new_secret(), True


def keep_form_token(response: Response, token: str) -> None:
    response.set_cookie(
        FORM_COOKIE, token, httponly=True, samesite="strict", path="/", secure=secure_cookies()
    )


def form_token_ok(request: Request, sent: str | None) -> bool:
    kept = request.cookies.get(FORM_COOKIE)
    return bool(kept) and same(sent, kept or "")


def secure_cookies() -> bool:
    """Cookies go over HTTPS only when the service is reached over HTTPS."""
    return get_settings().public_url.startswith("https://")
