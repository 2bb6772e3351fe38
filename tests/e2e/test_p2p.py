"""`papo peer` end to end: real processes on simulated hosts (network namespaces).

Each test builds its own small network with :mod:`netns` (3 to 5 hosts on bridges or in a
line), runs ``papo peer --json`` on the hosts and reads what each one reports.
"""

from __future__ import annotations

import contextlib
import errno
import json
import sys
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

    def __init__(
        self, run_process, host: Host, nick: str, *extra: str, command: str = "peer"
    ) -> None:
        self.host, self.nick = host, nick
        self.process = run_process(
            host.command(
                *PAPO,
                command,
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


def exchange(peers: list[Peer]) -> None:
    """Everyone says one line; wait until everyone else shows it."""
    for peer in peers:
        peer.say(f"oi de {peer.nick}")
    for peer in peers:
        for other in peers:
            if other is not peer:
                peer.wait_text(other.nick, f"oi de {other.nick}")


def chat_round(peers: list[Peer], *, exchanged: bool = False) -> None:
    """Everyone says one line; everyone else shows it; then all quit, each line shown once."""
    if not exchanged:
        exchange(peers)
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
    probe = "import socket; print(socket.socket().connect_ex(('10.78.2.3', 7)))"
    assert ana.run(sys.executable, "-c", probe).stdout.strip() == str(errno.ENETUNREACH)
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
        assert elapsed <= DEADLINE + HEARTBEAT + 2.5, elapsed
        peer.wait_roster("ana", "bia")
    ana.say("ainda aqui")
    bia.wait_text("ana", "ainda aqui")


def test_without_multicast_doctor_says_so_and_peer_bootstrap_still_works(
    lab: Lab, run_process
) -> None:
    ana, bia = lan(lab, ["ana", "bia"], "10.79.0")
    for host in (ana, bia):
        host.ip("link", "set", "eth0", "multicast", "off")
    doctor = run_process(ana.command(*PAPO, "doctor", "--listen", "0.5"))
    doctor.rest(WAIT)
    report = "\n".join(doctor.lines)
    assert doctor.wait(WAIT) == 1
    assert "no interface that is up with IPv4 allows multicast" in report
    assert "no multicast route to 239.255.77.77" in report
    assert "--peer THEIR_IP:40000" in report

    bia_peer = Peer(run_process, bia, "bia", "--port", "40123")
    bia_peer.wait_record(lambda r: r.get("code") == "mesh_listening")
    ana_peer = Peer(run_process, ana, "ana", "--peer", f"{bia.address}:40123")
    for peer in (ana_peer, bia_peer):
        peer.wait_roster("ana", "bia")
        assert peer.status("beacon_no_interface"), peer.process.lines
    chat_round([ana_peer, bia_peer])


def test_three_hosts_find_each_other_by_mdns_alone_and_chat(lab: Lab, run_process) -> None:
    pytest.importorskip("zeroconf")
    hosts = lan(lab, ["ana", "bia", "caio"], "10.81.0")
    peers = [Peer(run_process, host, host.label, "--no-beacon", "--mdns") for host in hosts]
    for peer in peers:
        peer.wait_roster("ana", "bia", "caio", timeout=30)
    for peer in peers:
        methods = {s["details"]["method"] for s in peer.status("mesh_peer_linked")}
        assert methods <= {"mdns", "incoming"}, methods
    chat_round(peers)


def test_host_on_two_networks_is_listed_once_and_interface_picks_the_path(
    lab: Lab, run_process
) -> None:
    first, second = lab.bridge(), lab.bridge()
    ana, hugo, bia = lab.host("ana"), lab.host("hugo"), lab.host("bia")
    for host, number in ((ana, 1), (hugo, 9)):
        lab.attach(host, first, f"10.82.1.{number}/24")
        lab.attach(host, second, f"10.82.2.{number}/24")
    lab.attach(bia, first, "10.82.1.2/24")

    peers = [Peer(run_process, host, host.label) for host in (ana, hugo, bia)]
    for peer in peers:
        peer.wait_roster("ana", "bia", "hugo")
    ana_peer = peers[0]
    linked = [s["details"] for s in ana_peer.status("mesh_peer_linked")]
    assert [d["nick"] for d in linked].count("hugo") == 1, linked
    for peer in peers:
        peer.quit()

    # hugo beacons and listens only on its second network card now.
    hugo_peer = Peer(run_process, hugo, "hugo", "--interface", "eth1")
    ana_peer = Peer(run_process, ana, "ana")
    bia_peer = Peer(run_process, bia, "bia")
    for peer in (ana_peer, hugo_peer, bia_peer):
        peer.wait_roster("ana", "bia", "hugo")
    (to_hugo,) = [
        s["details"] for s in ana_peer.status("mesh_peer_linked") if s["details"]["nick"] == "hugo"
    ]
    assert to_hugo["address"].startswith("10.82.2.9:"), to_hugo
    # bia is only on the first network: she reaches hugo through ana.
    assert {s["details"]["nick"] for s in bia_peer.status("mesh_peer_linked")} == {"ana"}
    chat_round([ana_peer, hugo_peer, bia_peer])


def test_partition_shows_leaves_then_rejoins_without_duplicates(lab: Lab, run_process) -> None:
    left, right = lab.bridge(), lab.bridge()
    cable = lab.trunk(left, right)
    ana, bia, caio = lab.host("ana"), lab.host("bia"), lab.host("caio")
    lab.attach(ana, left, "10.83.0.1/24")
    lab.attach(bia, left, "10.83.0.2/24")
    lab.attach(caio, right, "10.83.0.3/24")
    peers = [Peer(run_process, host, host.label) for host in (ana, bia, caio)]
    ana_peer, bia_peer, caio_peer = peers
    for peer in peers:
        peer.wait_roster("ana", "bia", "caio")
    caio_peer.say("antes")
    ana_peer.wait_text("caio", "antes")

    lab.set_link(cable, up=False)
    for peer in (ana_peer, bia_peer):
        peer.wait_roster("ana", "bia")
    caio_peer.wait_roster("caio")
    caio_peer.say("perdida")  # nobody can hear it

    lab.set_link(cable, up=True)
    for peer in peers:
        peer.wait_roster("ana", "bia", "caio")
    joins = [r["user"] for r in ana_peer.records() if r.get("type") == "join"]
    assert joins.count("caio") == 2 and joins.count("bia") == 1, joins
    caio_peer.say("depois")
    for peer in (ana_peer, bia_peer):
        peer.wait_text("caio", "depois")
        # The gap in caio's numbering is reported, not lost silently.
        lost = peer.wait_record(lambda r: r.get("event") == "lost")
        assert (lost["user"], lost["count"]) == ("caio", 1)
        assert peer.count("caio", "perdida") == 0
    chat_round(peers)


def test_papo_chat_p2p_joins_the_same_mesh_as_papo_peer(lab: Lab, run_process) -> None:
    ana, bia = lan(lab, ["ana", "bia"], "10.84.0")
    peers = [
        Peer(run_process, ana, "ana"),
        Peer(run_process, bia, "bia", "--p2p", command="chat"),
    ]
    for peer in peers:
        peer.wait_roster("ana", "bia")
    chat_round(peers)


def test_peer_found_by_beacon_mdns_and_peer_at_once_is_linked_and_listed_once(
    lab: Lab, run_process
) -> None:
    pytest.importorskip("zeroconf")
    ana, bia, caio = lan(lab, ["ana", "bia", "caio"], "10.85.0")
    bia_peer = Peer(run_process, bia, "bia", "--mdns", "--port", "40200")
    caio_peer = Peer(run_process, caio, "caio", "--mdns", "--port", "40300")
    ana_peer = Peer(
        run_process,
        ana,
        "ana",
        "--mdns",
        "--peer",
        f"{bia.address}:40200",
        "--peer",
        f"{caio.address}:40300",
    )
    peers = [ana_peer, bia_peer, caio_peer]
    for peer in peers:
        peer.wait_roster("ana", "bia", "caio", timeout=30)
    exchange(peers)  # a few heartbeats later: any duplicate link has shown up by now
    for peer in peers:
        net: dict[str, int] = {}
        for code, step in (("mesh_peer_linked", 1), ("mesh_peer_unlinked", -1)):
            for status in peer.status(code):
                net[status["details"]["nick"]] = net.get(status["details"]["nick"], 0) + step
        assert sorted(nick for nick, count in net.items() if count) == sorted(
            other.nick for other in peers if other is not peer
        ), net
        assert set(net.values()) <= {0, 1}, net
    chat_round(peers, exchanged=True)


def test_network_card_plugged_in_after_start_is_used_for_discovery(lab: Lab, run_process) -> None:
    first, second = lab.bridge(), lab.bridge()
    hugo, ana, bia = lab.host("hugo"), lab.host("ana"), lab.host("bia")
    lab.attach(hugo, first, "10.86.1.9/24")
    lab.attach(ana, first, "10.86.1.1/24")
    lab.attach(bia, second, "10.86.2.2/24")
    peers = [Peer(run_process, host, host.label) for host in (hugo, ana, bia)]
    hugo_peer, _ana_peer, bia_peer = peers
    hugo_peer.wait_roster("ana", "hugo")
    bia_peer.wait_roster("bia")

    lab.attach(hugo, second, "10.86.2.9/24")  # hugo joins bia's network too
    for peer in peers:
        peer.wait_roster("ana", "bia", "hugo")
    chat_round(peers)


def test_doctor_hears_a_running_peer_and_names_a_wrong_interface(lab: Lab, run_process) -> None:
    ana, bia = lan(lab, ["ana", "bia"], "10.87.0")
    ana_peer = Peer(run_process, ana, "ana")
    ana_peer.wait_record(lambda r: r.get("code") == "mesh_listening")

    doctor = run_process(bia.command(*PAPO, "doctor", "--listen", "1"))
    doctor.rest(WAIT)
    report = "\n".join(doctor.lines)
    assert doctor.wait(WAIT) == 0, report
    assert "[ok] 1 other papo node(s) heard: ana (10.87.0.1:" in report
    assert "the test beacon came back through the kernel on eth0" in report

    wrong = run_process(bia.command(*PAPO, "doctor", "--interface", "wlan0"), lang="pt")
    wrong.rest(WAIT)
    assert wrong.wait(WAIT) == 1
    assert any("a interface 'wlan0' não existe aqui" in line for line in wrong.lines)


def test_five_hosts_in_a_full_mesh_show_every_message_exactly_once(lab: Lab, run_process) -> None:
    names = ["ana", "bia", "caio", "davi", "eva"]
    peers = [Peer(run_process, host, host.label) for host in lan(lab, names, "10.88.0")]
    for peer in peers:
        peer.wait_roster(*names)
    rounds = 5
    for number in range(rounds):
        for peer in peers:
            peer.say(f"{peer.nick} #{number}")
    for peer in peers:
        for other in peers:
            if other is not peer:
                peer.wait_text(other.nick, f"{other.nick} #{rounds - 1}")
    for peer in peers:
        peer.quit()
    for peer in peers:
        links = {s["details"]["nick"] for s in peer.status("mesh_peer_linked")}
        assert links == set(names) - {peer.nick}  # every copy had 4 ways to arrive
        for other in peers:
            for number in range(rounds):
                expected = 0 if other is peer else 1
                assert peer.count(other.nick, f"{other.nick} #{number}") == expected
