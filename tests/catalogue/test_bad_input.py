"""The bad-input catalogue run against every papo receiver: targets x cases.

For each case a hostile peer sends its payloads, then a good user sends one message.
The target must still run, show the good message (other users lose nothing), show at
most one clear, terminal-safe line per bad payload, and never a traceback.

Targets: the handout receiver (``papo receive`` as a subprocess). To add a receiver
or server, write a class with the :class:`Target` methods and put it in ``TARGETS``.
"""

from __future__ import annotations

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
from conftest import PAPO, Process, free_udp_port

pytestmark = pytest.mark.netns

GROUP = "224.3.29.71"
STAMP = re.compile(r"\[\d\d:\d\d:\d\d\] ")


class Target(Protocol):
    """A papo program that takes input from peers, driven by the catalogue."""

    name: str
    max_payload: int

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

    def __init__(self) -> None:
        self.port = free_udp_port()
        self.process: Process | None = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))

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
        self.sock.sendto(json.dumps({"user": "ana", "data": text}).encode(), (GROUP, self.port))

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
        return stderr


TARGETS = [HandoutReceiver]
# TODO(catalogue): add the TCP room server and the P2P mesh as stream targets here.


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
            return target.shown_until(f"ana: {marker} #", timeout=2)
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_catalogue_has_at_least_40_cases_and_a_flood_of_10000() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)
    assert FLOOD_COUNT == 10_000 and FLOOD_RATE == 10_000 and FLOOD_SECONDS <= 2
