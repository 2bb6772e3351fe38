"""Shared fixtures: the network-namespace guard, ports, and running papo as a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

#: Interfaces a private namespace may hold: loopback, and veths/bridges tests make.
TEST_INTERFACE_PREFIXES = ("lo", "papo", "pv", "pbr")


def in_private_namespace() -> bool:
    """True when this process sees only loopback and interfaces the tests created."""
    names = [name for _index, name in socket.if_nameindex()]
    return all(name.startswith(TEST_INTERFACE_PREFIXES) for name in names)


@pytest.fixture(scope="session", autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point papo's data and config dirs (history, pinned keys) at a temp dir for the run,
    so tests never write into the real user's home."""
    saved = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    os.environ.pop("PAPO_HISTORY", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _netns_guard(request: pytest.FixtureRequest) -> None:
    """Tests marked ``netns`` run only inside a private network namespace.

    Outside one they are skipped, or fail when CI=true: multicast must never reach the
    machine's real network.
    """
    if request.node.get_closest_marker("netns") is None:
        return
    if in_private_namespace():
        return
    message = (
        "needs a private network namespace (run `bash scripts/test`); "
        f"interfaces seen: {[name for _i, name in socket.if_nameindex()]}"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_udp_port() -> int:
    """A UDP port nobody uses right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def papo_env(lang: str = "en") -> dict[str, str]:
    """Environment for a papo subprocess: source tree importable, fixed language."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["LANG"] = "pt_BR.UTF-8" if lang == "pt" else "en_US.UTF-8"
    env["LANGUAGE"] = ""
    env["LC_ALL"] = ""
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


class Process:
    """A papo (or handout) program run as a subprocess, read line by line with deadlines."""

    def __init__(self, args: list[str], lang: str = "en", cwd: Path = ROOT) -> None:
        self.args = args
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            env=papo_env(lang),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: list[str] = []
        self._reader = _LineReader(self.popen.stdout)

    def write(self, text: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(text)
        self.popen.stdin.flush()

    def close_stdin(self) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.close()

    def wait_for(self, needle: str, timeout: float = 10.0) -> str:
        """Read output until a line containing ``needle``; fail after ``timeout`` seconds."""
        for line in self._reader.lines(timeout):
            self.lines.append(line)
            if needle in line:
                return line
        raise AssertionError(
            f"{needle!r} not seen in {timeout}s from {self.args}; got {self.lines!r}; "
            f"stderr: {self.stderr_now()!r}"
        )

    def rest(self, timeout: float = 10.0) -> list[str]:
        """All remaining output lines until the process closes stdout."""
        self.lines.extend(self._reader.lines(timeout, until_eof=True))
        return self.lines

    def wait(self, timeout: float = 10.0) -> int:
        return self.popen.wait(timeout)

    def stderr_now(self) -> str:
        if self.popen.poll() is None:
            return "(still running)"
        assert self.popen.stderr is not None
        return self.popen.stderr.read()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5)
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


class _LineReader:
    """Reads a pipe in a thread so tests can wait for a line with a deadline."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        import queue
        import threading

        self._queue: queue.Queue[str | None] = queue.Queue()
        self._eof = False

        def pump() -> None:
            for line in stream:
                self._queue.put(line.rstrip("\n"))
            self._queue.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def lines(self, timeout: float, until_eof: bool = False) -> Iterator[str]:
        import queue
        import time

        deadline = time.monotonic() + timeout
        while not self._eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if until_eof:
                    raise AssertionError("process output did not end in time")
                return
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is None:
                self._eof = True
                return
            yield item


@pytest.fixture
def run_process() -> Iterator:
    """Start processes with ``run_process(args, lang=...)``; all are killed at the end."""
    started: list[Process] = []

    def start(args: list[str], lang: str = "en", cwd: Path = ROOT) -> Process:
        process = Process(args, lang, cwd)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


PAPO = [sys.executable, "-m", "papo"]
MULTICAST_PY = [sys.executable, str(ROOT / "multicast.py")]
