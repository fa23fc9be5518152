"""A few psycopg connections for one event loop (`app.loopdb` on PostgreSQL)."""

import asyncio
import time
from typing import Any

import psycopg

from app.db import IDLE_BEFORE_PING_SECONDS


class Pool:
    """At most ``size`` autocommit connections to ``conninfo``, made when first needed and
    kept while they work. Lean on purpose: psycopg_pool's locks and workers cost a quarter of
    a read here, and one event loop needs none of them."""

    def __init__(self, conninfo: str, size: int, wait_seconds: int) -> None:
        self.conninfo = conninfo
        # How long a read waits for a connection, or for the server to accept a new one.
        self.wait_seconds = wait_seconds
        self._idle: list[tuple[psycopg.AsyncConnection[Any], float]] = []
        self._slots = asyncio.Semaphore(size)

    async def read(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of ``sql`` with ``params``, or None; asked again once, on a new
        connection, if a kept one turns out closed."""
        for retry in (False, True):
            connection, kept = await self.acquire()
            try:
                cursor = await connection.execute(sql, params, prepare=True)
                row = await cursor.fetchone()
            except psycopg.OperationalError:
                await self.discard(connection)
                if not kept or retry:
                    raise
                # A kept connection the server has closed (restarted, or a firewall cut it):
                # the others kept are likely closed too. A read can be asked again.
                await self.close()
                continue
            except BaseException:
                await self.discard(connection)
                raise
            self.release(connection)
            return row
        raise AssertionError("unreachable")

    async def acquire(self) -> tuple[psycopg.AsyncConnection[Any], bool]:
        """A connection, and whether it was kept from an earlier read."""
        if self._slots.locked():
            await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
        else:
            await self._slots.acquire()  # at once: no wait, so no timer either
        try:
            while self._idle:
                connection, since = self._idle.pop()
                if await self._usable(connection, since):
                    return connection, True
            connection = await psycopg.AsyncConnection.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=self.wait_seconds,
                application_name="convenios loop reads",
            )
            return connection, False
        except BaseException:
            self._slots.release()
            raise

    def release(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._idle.append((connection, time.monotonic()))
        self._slots.release()

    async def discard(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """Give up a connection whose read failed: it may be broken, or mid-statement."""
        try:
            await connection.close()
        finally:
            self._slots.release()

    async def close(self) -> None:
        """Close the connections kept; those in use are closed or kept when they come back."""
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            await connection.close()

    @staticmethod
    async def _usable(connection: psycopg.AsyncConnection[Any], since: float) -> bool:
        # As the engine does (`db._ping_when_idle`): a connection idle for a while is pinged
        # before it is used, and replaced if the server went away; one used a moment ago is
        # not, so a busy replica pays no round trip per request for it.
        if connection.closed:
            return False
        if time.monotonic() - since < IDLE_BEFORE_PING_SECONDS:
            return True
        try:
            await connection.execute("SELECT 1")
        except psycopg.Error:
            await connection.close()
            return False
        return True
