"""`papo peer` end to end: real processes on simulated hosts (network namespaces).

Each test builds its own small network with :mod:`netns` (3 to 5 hosts on bridges or in a
line), runs ``papo peer --json`` on the hosts and reads what each one reports.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import pytest
from conftest import PAPO
from netns import Host, Lab, open_lab

pytestmark = pytest.mark.netns

#: Fast heartbeats so dead peers are noticed in about a second and a half.
HEARTBEAT = 0.3
DEADLINE = 1.5
#: How long a test waits for discovery or delivery before it fails.
WAIT = 15.0


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from open_lab()


class Peer:
    """A `papo peer --json` process on one host, with helpers to read its JSON lines."""

    def __init__(self, run_process, host: Host, nick: str, *extra: str) -> None:
        self.host, self.nick = host, nick
        self.started = time.monotonic()
        self.process = run_process(
            host.command(
                *PAPO,
                "peer",
                nick,
                "--json",
                "--heartbeat",
                str(HEARTBEAT),
                "--peer-timeout",
                str(DEADLINE),
                *extra,
            )
        )

    def records(self) -> list[dict]:
        out = []
        for line in self.process.lines:
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    def wait_record(self, match, timeout: float = WAIT) -> dict:
        """Read output until a JSON record for which ``match(record)`` is true."""
        for record in self.records():
            if match(record):
                return record
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.nick}: no matching record; got {self.process.lines}")
            line = self.process.wait_for("", remaining)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if match(record):
                return record

    def wait_roster(self, *nicks: str, timeout: float = WAIT) -> None:
        want = sorted(nicks)
        self.wait_latest_roster(lambda roster: roster == want, timeout)

    def wait_latest_roster(self, check, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            rosters = [r["nicks"] for r in self.records() if r.get("event") == "roster"]
            if rosters and check(rosters[-1]):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.nick}: roster never right; saw {rosters}")
            self.process.wait_for('"roster"', remaining)

    def wait_text(self, user: str, text: str) -> dict:
        return self.wait_record(lambda r: r.get("user") == user and r.get("data") == text)

    def status(self, code: str) -> list[dict]:
        return [r for r in self.records() if r.get("event") == "status" and r.get("code") == code]

    def say(self, text: str) -> None:
        self.process.write(text + "\n")

    def quit(self) -> list[dict]:
        """Type ``sair`` and read everything up to the end of the process."""
        self.process.write("sair\n")
        self.process.rest(WAIT)
        assert self.process.wait(WAIT) == 0
        return self.records()

    def count(self, user: str, text: str) -> int:
        return sum(1 for r in self.records() if r.get("user") == user and r.get("data") == text)


def lan(lab: Lab, labels: list[str], subnet: str = "10.77.0") -> list[Host]:
    """Hosts on one bridge, at ``subnet``.1, .2, ..."""
    switch = lab.bridge()
    hosts = []
    for number, label in enumerate(labels, start=1):
        host = lab.host(label)
        lab.attach(host, switch, f"{subnet}.{number}/24")
        hosts.append(host)
    return hosts


def chat_round(peers: list[Peer]) -> None:
    """Everyone says one line; everyone else shows it; then all quit, each line shown once."""
    for peer in peers:
        peer.say(f"oi de {peer.nick}")
    for peer in peers:
        for other in peers:
            if other is not peer:
                peer.wait_text(other.nick, f"oi de {other.nick}")
    for peer in peers:
        peer.quit()
    for peer in peers:
        for other in peers:
            expected = 0 if other is peer else 1
            assert peer.count(other.nick, f"oi de {other.nick}") == expected, peer.process.lines


def test_three_hosts_find_each_other_by_beacons_alone_and_chat(lab: Lab, run_process) -> None:
    hosts = lan(lab, ["ana", "bia", "caio"])
    peers = [Peer(run_process, host, host.label) for host in hosts]
    for peer in peers:
        peer.wait_roster("ana", "bia", "caio")
    for peer in peers:
        methods = {s["details"]["method"] for s in peer.status("mesh_peer_linked")}
        assert methods <= {"beacon", "incoming"}
    chat_round(peers)


def test_line_topology_chats_end_to_end_through_the_middle_host(lab: Lab, run_process) -> None:
    # ana -- bia -- caio: two cables, no routing, so ana's packets never reach caio.
    ana, bia, caio = lab.host("ana"), lab.host("bia"), lab.host("caio")
    lab.cable(ana, "10.78.1.1/24", bia, "10.78.1.2/24")
    lab.cable(bia, "10.78.2.2/24", caio, "10.78.2.3/24")
    assert ana.run("ping", "-c1", "-W1", "10.78.2.3").returncode != 0
    peers = [Peer(run_process, host, host.label) for host in (ana, bia, caio)]
    for peer in peers:
        peer.wait_roster("ana", "bia", "caio")
    linked = {s["details"]["nick"] for s in peers[0].status("mesh_peer_linked")}
    assert linked == {"bia"}
    chat_round(peers)


def test_killed_node_is_reported_gone_within_the_heartbeat_deadline(lab: Lab, run_process) -> None:
    hosts = lan(lab, ["ana", "bia", "caio"])
    ana, bia, caio = (Peer(run_process, host, host.label) for host in hosts)
    for peer in (ana, bia):
        peer.wait_roster("ana", "bia", "caio")
    caio.process.popen.kill()  # SIGKILL: no goodbye
    killed = time.monotonic()
    for peer in (ana, bia):
        peer.wait_record(
            lambda r: r.get("code") == "mesh_peer_gone" and r["details"]["nick"] == "caio"
        )
        elapsed = time.monotonic() - killed
        # Gone after the deadline, and noticed within one heartbeat of it (plus slack).
        assert elapsed <= DEADLINE + HEARTBEAT + 1.5, elapsed
        peer.wait_roster("ana", "bia")
    ana.say("ainda aqui")
    bia.wait_text("ana", "ainda aqui")
