"""`papo serve` and `papo connect --plain` across slow, lossy and broken links.

The client's link is a :class:`tunlink.TunLink` (this kernel has no ``sch_netem``): 200 ms
of delay each way and 10 % of TCP segments lost, so TCP really retransmits; then the
server is killed with SIGKILL and restarted, and the clients reconnect through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import PAPO
from netns import Host, Lab, open_lab
from tunlink import Impairment, TunLink, tcp_any

pytestmark = pytest.mark.netns

PORT = 7391
SERVER_IP = "10.92.1.1"
WAIT = 20.0
LINES = 20
CONNECTED = "connected to the room"


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from open_lab()


class Room:
    """A server host with two clients: ana behind an impairable link, bia on a cable."""

    def __init__(self, lab: Lab, run_process) -> None:
        self.run_process = run_process
        self.server_host, ana, bia = lab.host("srv"), lab.host("ana"), lab.host("bia")
        self.link = TunLink(self.server_host, SERVER_IP, ana, "10.92.1.2", matches=tcp_any)
        lab.cable(self.server_host, "10.92.2.1/24", bia, "10.92.2.2/24")
        self.server = self.start_server()
        self.ana = self.connect(ana, SERVER_IP, "ana")
        self.bia = self.connect(bia, "10.92.2.1", "bia")
        self.ana.wait_for("bia joined", WAIT)

    def start_server(self):
        server = self.run_process(
            self.server_host.command(*PAPO, "serve", "--host", "*", "--port", str(PORT))
        )
        server.wait_for("listening on", WAIT)
        return server

    def connect(self, host: Host, address: str, nick: str):
        client = self.run_process(
            host.command(*PAPO, "connect", f"{address}:{PORT}", nick, "--plain")
        )
        client.wait_for(CONNECTED, WAIT)
        return client

    def close(self) -> None:
        self.link.close()


@pytest.fixture
def room(lab: Lab, run_process) -> Iterator[Room]:
    made = Room(lab, run_process)
    try:
        yield made
    finally:
        made.close()


def said(lines: list[str], nick: str, prefix: str) -> list[str]:
    """The texts ``nick`` said that start with ``prefix``, in the order shown."""
    pattern = re.compile(rf"\b{nick}: ({prefix}\S*)$")
    return [m.group(1) for line in lines if (m := pattern.search(line))]


def test_every_line_arrives_once_and_in_order_over_a_slow_lossy_link(room: Room) -> None:
    slow_lossy = Impairment(loss=0.10, delay=0.200)
    room.link.impair(rightward=slow_lossy, leftward=slow_lossy)
    room.ana.write("".join(f"a{number}\n" for number in range(LINES)))
    room.bia.write("".join(f"b{number}\n" for number in range(LINES)))
    room.bia.wait_for(f"ana: a{LINES - 1}", WAIT)
    room.ana.wait_for(f"bia: b{LINES - 1}", WAIT)
    expected_a = [f"a{number}" for number in range(LINES)]
    expected_b = [f"b{number}" for number in range(LINES)]
    assert said(room.bia.lines, "ana", "a") == expected_a
    assert said(room.ana.lines, "bia", "b") == expected_b
    stats = (room.link.rightward.stats, room.link.leftward.stats)
    assert sum(s.dropped for s in stats) >= 1, stats  # TCP did have to retransmit


@pytest.mark.parametrize("slow_lossy", [False, True], ids=["clean", "slow-lossy"])
def test_a_server_killed_and_restarted_loses_nothing_silently_and_repeats_nothing(
    room: Room, slow_lossy: bool
) -> None:
    if slow_lossy:
        impairment = Impairment(loss=0.10, delay=0.200)
        room.link.impair(rightward=impairment, leftward=impairment)
    room.ana.write("before\n")
    room.bia.wait_for("ana: before", WAIT)
    room.server.popen.kill()  # kill -9
    room.server.wait(WAIT)
    for client in (room.ana, room.bia):
        client.wait_for("retrying", WAIT)
    room.ana.write("while-down\n")
    room.ana.wait_for("will be sent when it is back", WAIT)  # told, not left guessing
    room.server = room.start_server()
    for client in (room.ana, room.bia):
        client.wait_for(CONNECTED, WAIT)
    room.ana.write("after\n")
    room.bia.wait_for("ana: after", WAIT)
    # What ana typed while the server was down reaches bia once: live, or as history.
    assert said(room.bia.lines, "ana", "") == ["before", "while-down", "after"]
    assert said(room.ana.lines, "bia", "") == []


def test_a_client_killed_with_sigkill_is_seen_leaving_and_the_room_goes_on(room: Room) -> None:
    room.bia.popen.kill()  # kill -9: no leave line, the kernel closes its socket
    room.ana.wait_for("bia left", WAIT)
    room.server.wait_for("bia left", WAIT)
    room.ana.write("/who\n")
    assert room.ana.wait_for("In the room", WAIT).endswith("In the room (1): ana")
    assert room.server.popen.poll() is None


def test_a_line_sent_into_a_cut_link_is_delivered_exactly_once_after_the_reconnect(
    room: Room,
) -> None:
    room.link.set_up(False)
    room.ana.write("into-the-void\n")
    room.server.popen.kill()
    room.server.wait(WAIT)
    room.server = room.start_server()
    room.link.set_up(True)  # ana's retransmission now meets a server that resets it
    room.ana.wait_for("retrying", WAIT)
    room.ana.wait_for(CONNECTED, WAIT)
    room.ana.write("after\n")
    room.bia.wait_for(CONNECTED, WAIT)
    room.bia.wait_for("ana: after", WAIT)
    # ana's client never got the server's ack for it, so it sent it again after the
    # rejoin: bia sees it exactly once (live or in the new server's history), in order.
    assert said(room.bia.lines, "ana", "") == ["into-the-void", "after"], room.bia.lines
    assert not any("not delivered" in line for line in room.ana.lines), room.ana.lines


def test_quitting_while_the_link_is_cut_says_which_line_was_not_delivered(room: Room) -> None:
    room.link.set_up(False)
    room.ana.write("into-the-void\n")
    room.ana.write("sair\n")  # the server never confirmed the line: ana is told so
    room.ana.wait_for('1 message(s) were not delivered: "into-the-void"', WAIT)
    assert room.ana.wait(WAIT) == 0
    room.link.set_up(True)
    assert "into-the-void" not in "\n".join(room.bia.lines)
