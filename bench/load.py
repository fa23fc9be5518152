"""A load generator for the benchmarks: keep-alive HTTP/1.1 connections asking one URL again
and again for a while, counting the answers and the CPU time the server spent on them.

Written on asyncio's streams, with nothing parsed but the status line and Content-Length, so
that one process of it asks faster than one process of the service answers: what is measured
is the server. It runs in a process of its own (`load`), on the other core. Answers per second
fall when other work shares the machine; the server's CPU time per answer much less so, which
is why both are given.
"""

import asyncio
import multiprocessing
import os
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    per_second: float  # answers per second
    cpu_ms: float  # the server process's CPU time per answer (user and system), in ms


def cpu_seconds(pid: int) -> float:
    """The CPU time process ``pid`` has used so far (Linux: /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _connection(port: int, request: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"{request.splitlines()[0]!r} answered {status}")
            counts[0] += 1
    finally:
        writer.close()


async def _measure(
    pid: int, port: int, request: bytes, seconds: float, connections: int, warmup: float
) -> Load:
    async def run(duration: float, counts: list[int]) -> None:
        deadline = time.perf_counter() + duration
        await asyncio.gather(
            *(_connection(port, request, deadline, counts) for _ in range(connections))
        )

    await run(warmup, [0])
    counts = [0]
    cpu, started = cpu_seconds(pid), time.perf_counter()
    await run(seconds, counts)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu
    return Load(per_second=counts[0] / elapsed, cpu_ms=cpu / counts[0] * 1000)


def _run(
    arguments: tuple[int, int, bytes, float, int, float], answer: "multiprocessing.Queue[Load]"
) -> None:
    answer.put(asyncio.run(_measure(*arguments)))


def load(
    pid: int,
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    seconds: float = 5.0,
    connections: int = 8,
    warmup: float = 1.0,
) -> Load:
    """``GET path`` from ``connections`` connections at once for ``seconds``, after ``warmup``
    seconds of the same, on the server process ``pid`` listening on ``port``; every answer
    must be a 200."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    context = multiprocessing.get_context("spawn")
    answer: multiprocessing.Queue[Load] = context.Queue()
    process = context.Process(
        target=_run, args=((pid, port, request, seconds, connections, warmup), answer)
    )
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the load on {path} failed (exit code {process.exitcode})")
    return answer.get(timeout=5)
