"""The README's walkthrough, run as a reader runs it.

Its shell blocks ("Try it", then "Signing"), in order, go to one bash — `set -euo pipefail`, so
a command that fails fails the test — in a scratch copy of the checkout whose database and
storage are scratch too, while `make run` serves on a free port in a "first terminal". A block
after the comment ``<!-- terminal 1 -->`` is what the reader types in that terminal: the server
is stopped and the block started in its place. A ``json`` or ``text`` block right after a shell
block is what that shell block prints, and must match it:

- ``json``: one or more JSON values, each matched against one answer printed (in order). An
  object lists some of the keys of the answer; a value ``…`` (bare, or as a whole string)
  matches anything, and a string with ``…`` inside matches any text there.
- ``text``: lines matched in order against the printed lines, ``…`` matching any text.
"""

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.config import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
SECTIONS = ("Try it", "Signing")
WILDCARD = "…"
_MARK = "\x1e README BLOCK {} \x1e"
# What `make run` needs of the checkout: the reader's copy of it, here linked.
_CHECKOUT = (".venv", "Makefile", "pyproject.toml", "requirements.lock", "requirements-dev.lock")


@dataclass
class Block:
    number: int
    code: str
    terminal: int  # 1: the server's terminal; 2: the reader's shell
    expected: tuple[str, str] | None = None  # (json | text, what it prints)


def walkthrough(text: str) -> list[Block]:
    """The shell blocks of the README's walkthrough sections, with what each prints."""
    blocks: list[Block] = []
    section = None
    terminal = 2
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if line.strip() == "<!-- terminal 1 -->":
            terminal = 1
            continue
        fence = re.fullmatch(r"```(\w*)", line.strip())
        if not fence:
            continue
        body = []
        for inner in lines:
            if inner.strip() == "```":
                break
            body.append(inner)
        language, code = fence.group(1), "\n".join(body)
        if section not in SECTIONS:
            terminal = 2
            continue
        if language == "sh":
            blocks.append(Block(len(blocks), code, terminal))
        elif language in {"json", "text"} and blocks and blocks[-1].expected is None:
            blocks[-1].expected = (language, code)
        terminal = 2
    return blocks


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Terminal1:
    """The reader's first terminal, where the server runs."""

    def __init__(self, cwd: Path, env: dict[str, str], port: int, log: Path) -> None:
        self.cwd, self.env, self.port, self.log = cwd, env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, command: str) -> None:
        self.stop()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S602  (the README's own command)
                command,
                shell=True,
                executable="/bin/bash",
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"`{command}` stopped:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"`{command}` did not serve:\n{self.log.read_text()[-3000:]}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def scratch_checkout(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], int]]:
    """A copy of the checkout as `make run` sees it (linked), beside ``../shared``; its own
    database and storage, and a free port."""
    if not (PROJECT_ROOT / ".venv" / "bin" / "convenios").exists():
        pytest.skip("the README needs `make run`'s virtual environment (.venv)")
    stale = subprocess.run(
        ["make", "-q", ".venv/.installed"], cwd=PROJECT_ROOT, capture_output=True, check=False
    )
    if stale.returncode != 0:
        pytest.fail("the virtual environment is older than the lock files: run `make install`")
    checkout = tmp_path / "convenios"
    checkout.mkdir()
    for name in _CHECKOUT:
        (checkout / name).symlink_to(PROJECT_ROOT / name)
    (checkout / "scripts").symlink_to(PROJECT_ROOT / "scripts")
    (tmp_path / "shared").symlink_to(PROJECT_ROOT.parent / "shared")
    port = _free_port()
    env = {
        **os.environ,
        "CONVENIOS_DATABASE_URL": f"sqlite:///{tmp_path / 'convenios.sqlite3'}",
        "CONVENIOS_STORAGE_URL": str(tmp_path / "storage"),
        "CONVENIOS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "TMPDIR": str(tmp_path),
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    yield checkout, env, port


class Terminal2:
    """The reader's second terminal: one bash, fed one block at a time, so that variables and
    functions carry over as they do for a reader. A block reads nothing from the terminal (its
    stdin is empty), and what it prints is read up to a marker printed after it."""

    def __init__(self, cwd: Path, env: dict[str, str], port: int, log: Path) -> None:
        self.port, self.log = port, log
        with log.open("ab") as errors:
            self.process = subprocess.Popen(
                ["/bin/bash"],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        assert self.process.stdout is not None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._buffer = b""
        self._send("set -euo pipefail")

    def _send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        self.process.stdin.flush()

    def run(self, block: Block, timeout: float = 180) -> str:
        mark = _MARK.format(block.number)
        code = block.code.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
        try:
            self._send(f"{{\n{code}\n}} < /dev/null\nprintf '\\n%s\\n' '{mark}'")
        except BrokenPipeError:
            raise self._failed(block, "") from None
        deadline = time.monotonic() + timeout
        needle = f"\n{mark}\n".encode()
        while needle not in b"\n" + self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(timeout=left):
                raise self._failed(block, "(no answer within the time allowed)")
            assert self.process.stdout is not None
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:  # bash exited: a command failed
                raise self._failed(block, self._buffer.decode(errors="replace"))
            self._buffer += chunk
        printed, _, self._buffer = (b"\n" + self._buffer).partition(needle)
        return printed.decode().strip("\n")

    def _failed(self, block: Block, printed: str) -> AssertionError:
        self.close()
        return AssertionError(
            f"this README block fails (bash exit {self.process.returncode}):\n{block.code}\n"
            f"--- it printed:\n{printed[-2000:]}\n--- stderr:\n"
            f"{self.log.read_text(errors='replace')[-3000:]}"
        )

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def test_the_readme_walkthrough_runs_as_written(
    scratch_checkout: tuple[Path, dict[str, str], int], tmp_path: Path
) -> None:
    checkout, env, port = scratch_checkout
    blocks = walkthrough(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 15 and any(b.terminal == 1 for b in blocks)
    assert sum(b.expected is not None for b in blocks) >= 8
    server = Terminal1(checkout, env, port, tmp_path / "terminal-1.log")
    shell = Terminal2(checkout, env, port, tmp_path / "terminal-2.log")
    try:
        server.start("make run")  # the Quick start, in the reader's first terminal
        for block in blocks:
            if block.terminal == 1:
                server.start(block.code.replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
                continue
            try:
                printed = shell.run(block)
            except AssertionError as failure:
                raise AssertionError(f"{failure}\n--- server:\n{server.tail()}") from None
            if block.expected is not None:
                _match(block, printed)
    finally:
        shell.close()
        server.stop()


def _match(block: Block, printed: str) -> None:
    assert block.expected is not None
    language, expected = block.expected
    context = f"README block:\n{block.code}\nprints:\n{printed}\nbut the README says:\n{expected}"
    if language == "text":
        lines = [line for line in printed.splitlines() if line.strip()]
        wanted = [line for line in expected.splitlines() if line.strip()]
        assert len(lines) == len(wanted), context
        for line, pattern in zip(lines, wanted, strict=True):
            assert _text_matches(pattern.strip(), line.strip()), context
        return
    answers = _json_values(printed)
    excerpts = _json_values(_quote_bare_wildcards(expected))
    assert len(answers) == len(excerpts), context
    for answer, excerpt in zip(answers, excerpts, strict=True):
        assert _json_matches(excerpt, answer), context


def _quote_bare_wildcards(text: str) -> str:
    """``…`` outside strings becomes the string ``"…"``, so that an excerpt parses as JSON."""
    out, in_string, escaped = [], False, False
    for char in text:
        if in_string:
            in_string = char != '"' or escaped
            escaped = char == "\\" and not escaped
        elif char == '"':
            in_string = True
        elif char == WILDCARD:
            char = f'"{WILDCARD}"'
        out.append(char)
    return "".join(out)


def _json_values(text: str) -> list[Any]:
    decoder, values, at = json.JSONDecoder(), [], 0
    text = text.strip()
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
        while at < len(text) and text[at].isspace():
            at += 1
    return values


def _text_matches(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(piece) for piece in pattern.split(WILDCARD))
    return re.fullmatch(regex, text, flags=re.IGNORECASE) is not None


def _json_matches(excerpt: Any, answer: Any) -> bool:
    if excerpt == WILDCARD:
        return True
    if isinstance(excerpt, str) and WILDCARD in excerpt:
        return isinstance(answer, str) and _text_matches(excerpt, answer)
    if isinstance(excerpt, dict):
        return isinstance(answer, dict) and all(
            key in answer and _json_matches(value, answer[key]) for key, value in excerpt.items()
        )
    if isinstance(excerpt, list):
        if not isinstance(answer, list):
            return False
        if excerpt and excerpt[-1] == WILDCARD:
            head = excerpt[:-1]
            return len(answer) >= len(head) and all(
                _json_matches(e, a) for e, a in zip(head, answer, strict=False)
            )
        return len(answer) == len(excerpt) and all(
            _json_matches(e, a) for e, a in zip(excerpt, answer, strict=True)
        )
    return bool(excerpt == answer)


def test_the_matching_rules_mean_what_the_docstring_says() -> None:
    assert _json_matches(
        {"ok": True, "events_checked": WILDCARD}, {"ok": True, "events_checked": 9}
    )
    assert not _json_matches({"ok": True}, {"ok": False})
    assert _json_matches("CONV-…-0001", "CONV-2027-0001")
    assert _json_matches([{"id": 1}, WILDCARD], [{"id": 1, "x": 2}, {"id": 2}])
    assert not _json_matches([{"id": 1}], [{"id": 1}, {"id": 2}])
    assert _text_matches('ETag: "v…"', 'etag: "v1"')
    excerpts = _json_values(_quote_bare_wildcards('{"a": 1}\n{"b": "x … \\" y", "c": …}'))
    assert excerpts == [{"a": 1}, {"b": 'x … " y', "c": WILDCARD}]
