"""The bad-input catalogue run against every papo receiver: targets x cases.

For each case a hostile peer sends its payloads, then a good user sends one message.
The target must still run, show the good message (other users lose nothing), show at
most one clear, terminal-safe line per bad payload, and never a traceback.

Targets: the handout receiver (``papo receive``, plain and with a passphrase), the
multicast chat room (``papo chat``),
the TCP room server (``papo serve``) and the P2P peer (``papo peer``), each a real
subprocess. To add a receiver or server, write a class with the
:class:`Target` methods and put it in ``TARGETS``. Stream servers also face the attacks
only streams have (slowloris, connect-and-close storms, a port already in use).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import struct
import time
from collections.abc import Iterator
from typing import Protocol

import pytest
from catalogue.bad_input_cases import (
    CASES,
    FLOOD_COUNT,
    FLOOD_RATE,
    FLOOD_SECONDS,
    MAX_UDP_PAYLOAD,
    UNSAFE_OUTPUT,
    Case,
)
from conftest import PAPO, Process, free_tcp_port, free_udp_port

from papo.protocol.mesh import Flood, Hello, encode_frame
from papo.protocol.message import ChatMessage
from papo.protocol.room import join_line

pytestmark = pytest.mark.netns

GROUP = "224.3.29.71"
STAMP = re.compile(r"\[\d\d:\d\d:\d\d\] ")


class Target(Protocol):
    """A papo program that takes input from peers, driven by the catalogue."""

    name: str
    max_payload: int
    #: True when the target shows exactly one line per bad payload (a receiver); a
    #: server logs joins and leaves around them and relays what is valid.
    one_line_per_payload: bool

    def start(self) -> None: ...
    def running(self) -> bool: ...
    def deliver(self, payloads: list[bytes], rate: int | None) -> None: ...
    def send_good(self, text: str) -> None: ...
    def shown_until(self, needle: str, timeout: float) -> list[str]: ...
    def stop(self) -> str: ...


class HandoutReceiver:
    """``papo receive`` on a private port; peers are raw UDP sockets on the group."""

    name = "handout-receiver"
    max_payload = MAX_UDP_PAYLOAD
    one_line_per_payload = True

    def __init__(self) -> None:
        self.port = free_udp_port()
        self.process: Process | None = None
        # The hostile peer and the good user are different sources (as on a real LAN),
        # so the per-source rate limit that stops a flood never silences the good user.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.good_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)

    def start(self) -> None:
        self.process = Process([*PAPO, "receive", "cid", "--port", str(self.port)])
        self.process.wait_for("waiting for messages")
        self._seen = len(self.process.lines)

    def running(self) -> bool:
        return self.process is not None and self.process.popen.poll() is None

    def deliver(self, payloads: list[bytes], rate: int | None) -> None:
        start = time.monotonic()
        for index, payload in enumerate(payloads, start=1):
            self.sock.sendto(payload, (GROUP, self.port))
            if rate is not None and index % 100 == 0:  # pace in batches of 100
                ahead = start + index / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        assert time.monotonic() - start <= FLOOD_SECONDS, "sending took too long"

    def send_good(self, text: str) -> None:
        payload = json.dumps({"user": "ana", "data": text}).encode()
        self.good_sock.sendto(payload, (GROUP, self.port))

    def shown_until(self, needle: str, timeout: float) -> list[str]:
        """The lines shown since the last call, up to the one containing ``needle``."""
        assert self.process is not None
        self.process.wait_for(needle, timeout)
        lines = self.process.lines[self._seen :]
        self._seen = len(self.process.lines)
        return lines

    def stop(self) -> str:
        """Stop the receiver the way users do (``sair``); return its stderr."""
        assert self.process is not None
        if self.running():
            self.send_good("sair")
            self.process.wait(10)
        assert self.process.popen.stderr is not None
        stderr = self.process.popen.stderr.read()
        self.process.stop()
        self.sock.close()
        self.good_sock.close()
        return stderr


class SealedReceiver(HandoutReceiver):
    """``papo receive`` in passphrase mode: the good user seals, the hostile one cannot."""

    name = "passphrase-receiver"
    passphrase = "catalogo secreto"

    def __init__(self) -> None:
        super().__init__()
        sealed = pytest.importorskip("papo.protocol.sealed")
        if not sealed.CRYPTO_AVAILABLE:
            pytest.skip("cryptography is not installed")
        self.seal = sealed.DatagramSeal.from_passphrase(
            self.passphrase, GROUP, self.port, sender_id=b"ana-sender-id-16"
        )

    def start(self) -> None:
        command = ["env", f"PAPO_SENHA={self.passphrase}", *PAPO, "receive", "cid"]
        self.process = Process([*command, "--port", str(self.port)])
        self.process.wait_for("waiting for messages")
        self._seen = len(self.process.lines)

    def send_good(self, text: str) -> None:
        payload = json.dumps({"user": "ana", "data": text}).encode()
        self.good_sock.sendto(self.seal.seal(payload), (GROUP, self.port))


class ChatRoom(HandoutReceiver):
    """``papo chat`` in line mode on the multicast room: the same datagrams, another view."""

    name = "multicast-chat"
    one_line_per_payload = False  # drops are summarised, joins and leaves are shown

    def start(self) -> None:
        self.process = Process([*PAPO, "chat", "cid", "--port", str(self.port), "--plain"])
        self.process.wait_for("in the room")
        self._seen = len(self.process.lines)

    def shown_until(self, needle: str, timeout: float) -> list[str]:
        # After a look-alike case the chat marks the real ana too ("ana (looks like
        # a\u200bna!): ..."): her text must arrive, with that warning.
        return super().shown_until(needle.removeprefix("ana: "), timeout)

    def stop(self) -> str:
        """Leave the way users do (``sair`` typed); return stderr."""
        assert self.process is not None
        if self.running():
            self.process.write("sair\n")
            self.process.wait(10)
        assert self.process.popen.stderr is not None
        stderr = self.process.popen.stderr.read()
        self.process.stop()
        self.sock.close()
        self.good_sock.close()
        return stderr


class Line:
    """A raw TCP client of the room server that reads lines with a deadline."""

    def __init__(self, port: int, nick: str | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        if nick is not None:
            self.sock.sendall(join_line(nick))
            self.read_until(b'"welcome"')

    def read_until(self, needle: bytes, timeout: float = 15) -> bytes:
        """Every byte received up to and including the line holding ``needle``."""
        deadline = time.monotonic() + timeout
        while needle not in self.buffer:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{needle!r} not received; got {self.buffer[-300:]!r}"
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed before {needle!r}"
            self.buffer += chunk
        end = self.buffer.index(b"\n", self.buffer.index(needle)) + 1
        taken, self.buffer = self.buffer[:end], self.buffer[end:]
        return taken

    def close(self) -> None:
        self.sock.close()


class RoomServer:
    """``papo serve``; ana and bia are connected users, each case comes from a new client."""

    name = "room-server"
    max_payload = 11 * 1024 * 1024
    one_line_per_payload = False

    def __init__(self) -> None:
        self.process: Process | None = None
        self.hostiles = itertools.count(1)
        self.hostile_nick = ""

    def start(self) -> None:
        self.port = free_tcp_port()
        self.process = Process([*PAPO, "serve", "--port", str(self.port)])
        self.process.wait_for("listening")
        self.ana = Line(self.port, "ana")
        self.bia = Line(self.port, "bia")
        self._seen = len(self.process.lines)

    def running(self) -> bool:
        return self.process is not None and self.process.popen.poll() is None

    def deliver(self, payloads: list[bytes], rate: int | None) -> None:
        self.hostile_nick = f"eve{next(self.hostiles)}"
        hostile = Line(self.port, self.hostile_nick)
        start = time.monotonic()
        # The server cuts a client after too many bad lines: then sending fails, as it should.
        with contextlib.suppress(OSError):
            for index, payload in enumerate(payloads, start=1):
                hostile.sock.sendall(payload + b"\n")
                if rate is not None and index % 100 == 0:
                    ahead = start + index / rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
        hostile.close()

    def send_good(self, text: str) -> None:
        self.ana.sock.sendall(json.dumps({"user": "ana", "data": text}).encode() + b"\n")

    def good_message_arrives(self, text: str) -> None:
        """ana says ``text`` and bia receives it."""
        self.send_good(text)
        self.bia.read_until(text.encode())

    def second_instance(self) -> list[str]:
        """The command that would listen on the same port."""
        return [*PAPO, "serve", "--port", str(self.port)]

    def shown_until(self, needle: str, timeout: float) -> list[str]:
        """Wait until bia gets ``needle`` and the server logs the hostile client's exit;
        return the server's console lines since the last call."""
        assert self.process is not None
        received = self.bia.read_until(needle.removeprefix("ana: ").encode(), timeout)
        assert b'"user":"ana"' in received.splitlines()[-1]
        self.process.wait_for(f"{self.hostile_nick} left", timeout)
        lines = self.process.lines[self._seen :]
        self._seen = len(self.process.lines)
        return [*lines, "[00:00:00] (bia received it)"]

    def stop(self) -> str:
        """Stop the server the way an operator does (Ctrl-C); return its stderr."""
        assert self.process is not None
        for client in (self.ana, self.bia):
            client.close()
        if self.running():
            self.process.popen.send_signal(2)
            self.process.wait(10)
        assert self.process.popen.stderr is not None
        stderr = self.process.popen.stderr.read()
        self.process.stop()
        return stderr


class MeshPeer:
    """``papo peer`` (line mode); ana is a linked node, each case comes from a new link."""

    name = "p2p-peer"
    max_payload = 11 * 1024 * 1024
    one_line_per_payload = False

    def __init__(self) -> None:
        self.process: Process | None = None
        self.hostiles = itertools.count(1)
        self.seq = itertools.count(1)

    def _link(self, node: str, nick: str) -> Line:
        link = Line(self.port)
        link.sock.sendall(encode_frame(Hello(node, nick, 9)) + b"\n")
        link.read_until(b'"hello"')
        return link

    def start(self) -> None:
        self.port = free_tcp_port()
        self.process = Process([*PAPO, "peer", "cid", "--port", str(self.port), "--plain"])
        self.process.wait_for("listening on TCP port")
        self.ana = self._link("ana-node", "ana")
        self._seen = len(self.process.lines)

    def running(self) -> bool:
        return self.process is not None and self.process.popen.poll() is None

    def deliver(self, payloads: list[bytes], rate: int | None) -> None:
        number = next(self.hostiles)
        hostile = self._link(f"eve-node-{number}", f"eve{number}")
        start = time.monotonic()
        with contextlib.suppress(OSError):  # the peer may cut a link that misbehaves
            for index, payload in enumerate(payloads, start=1):
                hostile.sock.sendall(payload + b"\n")
                if rate is not None and index % 100 == 0:
                    ahead = start + index / rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
        hostile.close()

    def send_good(self, text: str) -> None:
        seq = next(self.seq)
        message = ChatMessage(
            user="ana", data=text, v=1, node="ana-node", seq=seq, id=f"ana-node:{seq}"
        )
        self.ana.sock.sendall(encode_frame(Flood(message, hops=4)) + b"\n")

    def good_message_arrives(self, text: str) -> None:
        """ana's node floods ``text`` and this peer shows it."""
        assert self.process is not None
        self.send_good(text)
        self.process.wait_for(f"ana: {text}", 15)

    def second_instance(self) -> list[str]:
        """The command that would listen on the same port."""
        return [*PAPO, "peer", "dan", "--port", str(self.port), "--plain"]

    def shown_until(self, needle: str, timeout: float) -> list[str]:
        assert self.process is not None
        self.process.wait_for(needle, timeout)
        lines = self.process.lines[self._seen :]
        self._seen = len(self.process.lines)
        return lines

    def stop(self) -> str:
        """Leave the way users do (``sair``); return stderr."""
        assert self.process is not None
        self.ana.close()
        if self.running():
            self.process.write("sair\n")
            self.process.wait(10)
        assert self.process.popen.stderr is not None
        stderr = self.process.popen.stderr.read()
        self.process.stop()
        return stderr


TARGETS = [HandoutReceiver, SealedReceiver, ChatRoom, RoomServer, MeshPeer]


@pytest.fixture(scope="module", params=TARGETS, ids=lambda target: target.name)
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    instance = request.param()
    instance.start()
    yield instance
    stderr = instance.stop()
    assert "Traceback" not in stderr, stderr


@pytest.mark.parametrize("case", CASES, ids=str)
def test_target_survives_bad_input_and_shows_the_next_good_message(
    target: Target, case: Case
) -> None:
    if not target.running():  # an earlier case killed it: that case failed; start afresh
        target.start()
    payloads = case.make(target.max_payload)
    target.deliver(payloads, case.rate)
    marker = f"good after {case.name}"
    if case.lossy:
        lines = _wait_through_burst(target, marker)
    else:
        target.send_good(marker)
        lines = target.shown_until(f"ana: {marker}", timeout=15)
    assert target.running(), f"{target.name} stopped after {case.name}"
    bad_lines = lines[:-1]
    if target.one_line_per_payload:
        assert len(bad_lines) <= len(payloads), "at most one line per bad payload"
        if not case.lossy:
            assert len(bad_lines) == len(payloads), "the user is told about every bad payload"
    for line in lines:
        assert STAMP.match(line), f"not one clear line: {line!r}"
        assert "Traceback" not in line
        for char in UNSAFE_OUTPUT:
            assert char not in line, f"raw {char!r} reached the terminal in {line!r}"


def _wait_through_burst(target: Target, marker: str) -> list[str]:
    """Send the good message until it shows: UDP has no flow control, so while the
    receiver drains a burst the kernel may drop datagrams; it must recover within seconds."""
    deadline = time.monotonic() + 30
    attempt = 0
    while True:
        attempt += 1
        target.send_good(f"{marker} #{attempt}")
        try:
            return target.shown_until(f"ana: {marker} #", timeout=1)
        except (AssertionError, TimeoutError):  # socket reads time out, pipes assert
            if time.monotonic() > deadline:
                raise


def test_catalogue_has_at_least_40_cases_and_a_flood_of_10000() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)
    assert FLOOD_COUNT == 10_000 and FLOOD_RATE == 10_000 and FLOOD_SECONDS <= 2


#: Stream targets face the attacks only connections allow.
STREAM_TARGETS = [RoomServer, MeshPeer]

#: Bounds of the stream attacks: idle or half-line connections held open at once, and
#: connections opened and closed in a storm (within FLOOD_SECONDS).
SLOWLORIS_CONNECTIONS = 100
STORM_CONNECTIONS = 500


@pytest.fixture(scope="module", params=STREAM_TARGETS, ids=lambda target: target.name)
def stream_target(request: pytest.FixtureRequest) -> Iterator[RoomServer | MeshPeer]:
    instance = request.param()
    instance.start()
    yield instance
    stderr = instance.stop()
    assert "Traceback" not in stderr, stderr


def _assert_clear(lines: list[str]) -> None:
    for line in lines:
        assert STAMP.match(line), f"not one clear line: {line!r}"
        for char in UNSAFE_OUTPUT:
            assert char not in line


def test_server_keeps_serving_while_slowloris_clients_hold_connections(
    stream_target: RoomServer | MeshPeer,
) -> None:
    slow: list[socket.socket] = []
    try:
        for index in range(SLOWLORIS_CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", stream_target.port), timeout=10)
            if index % 2:
                sock.sendall(b'{"user": "slo')  # half a line, never finished
            slow.append(sock)
        stream_target.good_message_arrives("good during slowloris")
    finally:
        for sock in slow:
            sock.close()
    assert stream_target.running()


def test_server_survives_a_connect_and_close_storm(stream_target: RoomServer | MeshPeer) -> None:
    start = time.monotonic()
    for index in range(STORM_CONNECTIONS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if index % 2:  # half of them reset instead of closing
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.connect(("127.0.0.1", stream_target.port))
        sock.close()
        assert time.monotonic() - start < FLOOD_SECONDS * 5, "the storm took too long"
    stormed = time.monotonic()
    stream_target.good_message_arrives("good after the storm")
    print(f"storm: {time.monotonic() - stormed:.2f} s to recover after {stormed - start:.2f} s")
    assert stream_target.running()
    assert stream_target.process is not None
    _assert_clear(stream_target.process.lines)


def test_second_server_on_a_port_in_use_says_so_in_one_line(
    stream_target: RoomServer | MeshPeer, run_process
) -> None:
    second = run_process(stream_target.second_instance())
    assert second.wait(15) != 0
    assert second.popen.stderr is not None
    stderr = second.popen.stderr.read().strip().splitlines()
    assert len(stderr) == 1 and "already in use" in stderr[0], stderr
    assert stream_target.running()
