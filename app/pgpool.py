"""A few asyncpg connections for one event loop (`app.loopdb` on PostgreSQL).

asyncpg rather than psycopg, the engine's driver, for these reads alone: its protocol is
compiled, and a read costs the event loop half the CPU time psycopg's asyncio connections take
(50 µs against 99 µs a one-row read, four connections, on the benchmark machine) — on the two
most asked routes that read is most of what a request costs beyond HTTP (`bench/read.py`).
"""

import asyncio
import time
from typing import Any

import asyncpg

from app.db import IDLE_BEFORE_PING_SECONDS

# What says a kept connection is gone (the server restarted or ended it, a firewall cut it),
# rather than that the statement failed: a read then is asked again on a new connection. A
# server's goodbye that arrives while the connection is idle can leave asyncpg's protocol in a
# state it calls an internal error; that connection is no use either.
_GONE = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
)


class Pool:
    """At most ``size`` connections to ``dsn``, made when first needed and kept while they
    work. Lean on purpose: a pool's own locks and checks cost a quarter of a read here, and one
    event loop needs none of them. asyncpg runs each statement outside a transaction unless told
    otherwise, so no read here holds one open."""

    def __init__(self, dsn: str, size: int, wait_seconds: int, statements: int) -> None:
        self.dsn = dsn
        # How many statements each connection keeps prepared.
        self.statements = statements
        # How long a read waits for a connection, or for the server to accept a new one.
        self.wait_seconds = wait_seconds
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._slots = asyncio.Semaphore(size)

    async def fetch(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` with ``args``; asked again once, on a new connection, if a kept
        one turns out closed."""
        for retry in (False, True):
            connection, kept = await self.acquire()
            try:
                rows: list[tuple[Any, ...]] = await connection.fetch(sql, *args)
            except _GONE:
                await self.discard(connection)
                if not kept or retry:
                    raise
                # The others kept are likely gone too. A read can be asked again.
                await self.close()
                continue
            except BaseException:
                await self.discard(connection)
                raise
            self.release(connection)
            return rows
        raise AssertionError("unreachable")

    async def acquire(self) -> tuple[asyncpg.Connection, bool]:
        """A connection, and whether it was kept from an earlier read."""
        if self._slots.locked():
            async with asyncio.timeout(self.wait_seconds):
                await self._slots.acquire()
        else:
            await self._slots.acquire()  # at once: no wait, so no timer either
        try:
            while self._idle:
                connection, since = self._idle.pop()
                if await self._usable(connection, since):
                    return connection, True
            connection = await asyncpg.connect(
                self.dsn,
                timeout=self.wait_seconds,
                statement_cache_size=self.statements,
                server_settings={"application_name": "convenios loop reads"},
            )
            return connection, False
        except BaseException:
            self._slots.release()
            raise

    def release(self, connection: asyncpg.Connection) -> None:
        self._idle.append((connection, time.monotonic()))
        self._slots.release()

    async def discard(self, connection: asyncpg.Connection) -> None:
        """Give up a connection whose read failed: it may be broken, or mid-statement."""
        try:
            connection.terminate()
        finally:
            self._slots.release()

    async def close(self) -> None:
        """Close the connections kept; those in use are closed or kept when they come back."""
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            await connection.close(timeout=self.wait_seconds)

    async def _usable(self, connection: asyncpg.Connection, since: float) -> bool:
        # As the engine does (`db._ping_when_idle`): a connection idle for a while is pinged
        # before it is used, and replaced if the server went away; one used a moment ago is
        # not, so a busy replica pays no round trip per request for it.
        if connection.is_closed():
            return False
        if time.monotonic() - since < IDLE_BEFORE_PING_SECONDS:
            return True
        try:
            await connection.execute("SELECT 1", timeout=self.wait_seconds)
        except (*_GONE, asyncpg.PostgresError, TimeoutError):
            connection.terminate()
            return False
        return True
