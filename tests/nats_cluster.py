"""A real 3-node ``nats-server`` cluster with JetStream, started and killed by the tests.

Tests that need it call :func:`require_nats_server` first: without the binary they are
skipped locally and fail under CI=true (``scripts/test`` installs the system package).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import free_tcp_port

#: Seconds a node gets to answer ``/healthz`` after it starts.
READY_TIMEOUT = 20.0


def require_nats_server() -> str:
    """The ``nats-server`` binary's path; skip (fail under CI=true) when it is missing."""
    path = shutil.which("nats-server")
    if path is None:
        message = "nats-server is not installed (apt-get install nats-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class NatsNode:
    """One server of the cluster: its ports, its JetStream directory and its process."""

    name: str
    client_port: int
    route_port: int
    monitor_port: int
    store_dir: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def url(self, host: str = "127.0.0.1") -> str:
        return f"nats://{host}:{self.client_port}"


@dataclass
class NatsCluster:
    """Three nodes n1, n2, n3 routed to each other, clients listening on ``host``."""

    binary: str
    directory: Path
    host: str = "127.0.0.1"
    nodes: list[NatsNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        for index in range(1, 4):
            name = f"n{index}"
            self.nodes.append(
                NatsNode(
                    name=name,
                    client_port=free_tcp_port(),
                    route_port=free_tcp_port(),
                    monitor_port=free_tcp_port(),
                    store_dir=self.directory / name / "jetstream",
                    config=self.directory / name / "nats.conf",
                    log=self.directory / name / "nats.log",
                )
            )
        routes = ", ".join(f'"nats-route://127.0.0.1:{n.route_port}"' for n in self.nodes)
        for node in self.nodes:
            node.config.parent.mkdir(parents=True, exist_ok=True)
            node.config.write_text(
                f"server_name: {node.name}\n"
                f'listen: "{self.host}:{node.client_port}"\n'
                f'http: "127.0.0.1:{node.monitor_port}"\n'
                f'jetstream {{ store_dir: "{node.store_dir}", max_memory_store: 64MB, '
                f"max_file_store: 256MB }}\n"
                f'cluster {{ name: papo-test, listen: "127.0.0.1:{node.route_port}", '
                f"routes: [{routes}] }}\n"
            )

    def node(self, name: str) -> NatsNode:
        return next(node for node in self.nodes if node.name == name)

    def urls(self, first: str = "n1", host: str = "127.0.0.1") -> list[str]:
        """Every node's client URL, ``first`` first (clients try them in this order)."""
        ordered = sorted(self.nodes, key=lambda node: node.name != first)
        return [node.url(host) for node in ordered]

    def start(self, *names: str) -> None:
        """Start the named nodes (all by default) and wait until each is healthy."""
        chosen = [self.node(name) for name in names] if names else self.nodes
        for node in chosen:
            with node.log.open("ab") as log:
                node.process = subprocess.Popen(
                    [self.binary, "-c", str(node.config)], stdout=log, stderr=log
                )
        for node in chosen:
            self._wait_healthy(node)

    def _wait_healthy(self, node: NatsNode) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        url = f"http://127.0.0.1:{node.monitor_port}/healthz"
        while time.monotonic() < deadline:
            assert node.process is not None
            if node.process.poll() is not None:
                raise AssertionError(f"{node.name} exited: {node.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)  # polling a port with a deadline, not synchronising by sleep
        raise AssertionError(f"{node.name} not healthy in {READY_TIMEOUT}s")

    def kill(self, name: str) -> None:
        """SIGKILL one node (by its PID) and reap it."""
        node = self.node(name)
        if node.process is not None and node.process.poll() is None:
            node.process.kill()
            node.process.wait(10)

    def stop(self) -> None:
        for node in self.nodes:
            self.kill(node.name)
