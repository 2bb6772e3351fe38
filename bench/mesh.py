"""Scenario 4, P2P mesh: time for 5 ``papo peer`` nodes to find each other and to chat.

All nodes run in the harness's private network namespace, finding each other with
papo's multicast beacons on loopback. Measured: seconds from the last node's start until
every node's roster lists all of them, then seconds from one node typing a line until
every other node shows it.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import Any

from bench.procs import ROOT, Services, in_private_namespace, python, python_env
from bench.profiles import Profile

#: Seconds between heartbeats of the benchmark's nodes (papo's option ``--heartbeat``).
HEARTBEAT_S = 0.3
#: Seconds allowed for discovery and for delivery, each.
WAIT_S = 20.0


class _Node:
    def __init__(self, nick: str) -> None:
        self.nick = nick
        self.popen = subprocess.Popen(
            [python(), "-m", "papo", "peer", nick, "--json", "--heartbeat", str(HEARTBEAT_S)],
            cwd=ROOT,
            env=python_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.records: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.roster: list[str] = []
        self.texts: list[tuple[str, str, float]] = []

    def _pump(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                record["_t"] = time.monotonic()
                self.records.put(record)

    def drain(self) -> None:
        while True:
            try:
                record = self.records.get_nowait()
            except queue.Empty:
                return
            if record.get("event") == "roster":
                self.roster = sorted(record.get("nicks", []))
            elif "data" in record and "user" in record:
                self.texts.append((record["user"], record["data"], record["_t"]))

    def say(self, text: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(text + "\n")
        self.popen.stdin.flush()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(3)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(3)


def _wait(nodes: list[_Node], done, deadline: float) -> float | None:  # type: ignore[no-untyped-def]
    while time.monotonic() < deadline:
        for node in nodes:
            node.drain()
        if done():
            return time.monotonic()
        time.sleep(0.005)  # polling queues filled by reader threads, with a deadline
    return None


def measure(count: int, services: Services | None = None) -> dict[str, Any]:
    """One run: ``count`` nodes, discovery time, then one line's delivery time."""
    nicks = [f"node{i}" for i in range(count)]
    nodes: list[_Node] = []
    try:
        for nick in nicks:
            nodes.append(_Node(nick))
            if services is not None:
                services.record(nodes[-1].popen.pid)
        started = time.monotonic()
        found = _wait(nodes, lambda: all(n.roster == nicks for n in nodes), started + WAIT_S)
        if found is None:
            rosters = {n.nick: n.roster for n in nodes}
            return {"error": f"no full roster in {WAIT_S}s: {rosters}"}
        said = time.monotonic()
        nodes[0].say("bench ping")

        def delivered() -> bool:
            return all(any(t[1] == "bench ping" for t in n.texts) for n in nodes[1:])

        reached = _wait(nodes, delivered, said + WAIT_S)
        if reached is None:
            return {"discovery_s": round(found - started, 3), "error": "the line never reached all"}
        arrivals = [next(t[2] for t in n.texts if t[1] == "bench ping") for n in nodes[1:]]
        return {
            "discovery_s": round(found - started, 3),
            "delivery_ms": round((max(arrivals) - said) * 1000, 2),
        }
    finally:
        for node in nodes:
            node.stop()


def run(services, profile: Profile, log) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """``profile.runs`` runs of :func:`measure`; absent when no mesh or no namespace."""
    if not in_private_namespace():
        return {"absent": "not inside a private network namespace: beacons refused"}
    import importlib.util

    if importlib.util.find_spec("papo.transport.mesh") is None:
        return {"absent": "papo.transport.mesh (papo peer) is not in this tree"}
    cases = []
    for run_index in range(profile.runs):
        case = {
            "run": run_index,
            "nodes": profile.mesh_nodes,
            **measure(profile.mesh_nodes, services),
        }
        cases.append(case)
        log(f"mesh {profile.mesh_nodes} nodes: {case}")
    return {"heartbeat_s": HEARTBEAT_S, "cases": cases}
