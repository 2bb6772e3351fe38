"""Processes the harness starts: on 127.0.0.1 with free ports, stopped by PID, RSS read.

Every process the harness starts goes through :class:`Services`, which stops them all
(SIGTERM, then SIGKILL after a grace period) when the harness ends, however it ends.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

#: Seconds a started server has to accept TCP connections.
READY_TIMEOUT_S = 10.0
#: Seconds a process has to exit after SIGTERM before it gets SIGKILL.
STOP_GRACE_S = 3.0
#: Interfaces a private namespace may hold (as in tests/conftest.py).
NAMESPACE_INTERFACE_PREFIXES = ("lo", "papo", "pv", "pbr")


def in_private_namespace() -> bool:
    """True when this process sees only loopback (and test interfaces): multicast is safe."""
    names = [name for _index, name in socket.if_nameindex()]
    return all(name.startswith(NAMESPACE_INTERFACE_PREFIXES) for name in names)


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_udp_port() -> int:
    """A UDP port nobody uses right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_open_files(wanted: int) -> int:
    """Raise RLIMIT_NOFILE towards ``wanted`` (children inherit it); return the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            wanted = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def rss_kib(pid: int) -> int | None:
    """Resident memory of ``pid`` in KiB (VmRSS), or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by ``pid``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def python_env() -> dict[str, str]:
    """Environment for Python children: papo's source and the repo importable."""
    env = dict(os.environ)
    # a PYTHONPATH given by the caller comes first, so another papo tree can be measured
    # (PYTHONPATH=/tmp/old/src python -m bench: before/after in the same conditions)
    paths = [env.get("PYTHONPATH", ""), str(SRC), str(ROOT)]
    env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    env["PYTHONUNBUFFERED"] = "1"
    env["LANG"] = "en_US.UTF-8"
    env["LC_ALL"] = ""
    env["LANGUAGE"] = ""
    return env


def tool_version(command: list[str]) -> str | None:
    """The first line a tool prints about its version, or None if it is not installed."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0].strip() if text else None


def which(name: str) -> str | None:
    """The path of ``name``, also looking in sbin directories (mosquitto lives there)."""
    return shutil.which(name) or shutil.which(
        name, path="/usr/sbin:/usr/local/sbin:/sbin:" + os.environ.get("PATH", "")
    )


@dataclass
class Service:
    """One started process."""

    name: str
    popen: subprocess.Popen
    port: int | None = None
    log: Path | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-3:])


class ServiceError(Exception):
    """A service did not start or did not become ready."""


class Services:
    """Starts processes and stops every one of them, by PID, at the end."""

    def __init__(self, pid_log: list[int] | None = None) -> None:
        self._started: list[Service] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="papo-bench-"))
        #: Every PID ever started through this object (the report lists them).
        self.pid_log = pid_log if pid_log is not None else []

    def record(self, pid: int) -> None:
        """Note a PID started outside :meth:`start` (it is stopped by its owner)."""
        self.pid_log.append(pid)

    def start(self, name: str, args: list[str], port: int | None = None) -> Service:
        """Start ``args``; with ``port``, wait until it accepts TCP connections there."""
        log = self.workdir / f"{name}-{len(self._started)}.log"
        with log.open("w") as out:
            popen = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=python_env(),
                cwd=ROOT,
                start_new_session=True,
            )
        service = Service(name, popen, port, log)
        self._started.append(service)
        self.pid_log.append(popen.pid)
        if port is not None:
            self._wait_port(service, port)
        return service

    def _wait_port(self, service: Service, port: int) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if not service.alive():
                raise ServiceError(f"{service.name} exited: {service.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)  # polling a port with a deadline: nothing to await
        self.stop(service)
        raise ServiceError(f"{service.name} did not listen on {port} in {READY_TIMEOUT_S}s")

    def stop(self, service: Service) -> None:
        """SIGTERM ``service`` (by PID), SIGKILL it after the grace period."""
        if service.alive():
            service.popen.send_signal(signal.SIGTERM)
            try:
                service.popen.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                service.popen.kill()
                service.popen.wait(STOP_GRACE_S)
        if service in self._started:
            self._started.remove(service)

    def stop_all(self) -> None:
        """Stop everything still running that this harness started."""
        for service in list(reversed(self._started)):
            self.stop(service)
        shutil.rmtree(self.workdir, ignore_errors=True)


def python() -> str:
    """The Python running the harness (the repo's .venv one when run as documented)."""
    return sys.executable


def wait_for_output(service: Service, needle: str, timeout: float) -> str:
    """Poll ``service``'s log until a line contains ``needle``; ServiceError after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = service.log.read_text(errors="replace") if service.log else ""
        for line in text.splitlines():
            if needle in line:
                return line
        if not service.alive():
            raise ServiceError(f"{service.name} exited: {service.log_tail()}")
        time.sleep(0.01)  # polling a file with a deadline
    raise ServiceError(f"{service.name}: no {needle!r} in {timeout}s: {service.log_tail()}")


def wait_exit(service: Service, timeout: float) -> int | None:
    """Wait for ``service`` to end; None if it is still running after ``timeout``."""
    try:
        return service.popen.wait(timeout)
    except subprocess.TimeoutExpired:
        return None
