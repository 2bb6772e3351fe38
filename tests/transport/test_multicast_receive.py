"""Reading datagrams (queued ones at once, then a bounded wait) and pacing sent ones."""

from __future__ import annotations

import socket
import time

import pytest
from conftest import free_udp_port

from papo.protocol.ratelimit import SendPacer
from papo.transport import multicast
from papo.transport.multicast import MulticastConfig, MulticastReceiver, MulticastSender

pytestmark = pytest.mark.netns

GROUP = "239.255.42.42"


@pytest.fixture(params=["non-blocking", "timed"])
def read_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of reading: the non-blocking read, and the timed read kept for platforms
    without ``MSG_DONTWAIT``."""
    if request.param == "timed":
        monkeypatch.setattr(multicast, "_MSG_DONTWAIT", None)
    return request.param


def test_queued_datagrams_are_read_in_order_then_the_wait_times_out(read_mode: str) -> None:
    config = MulticastConfig(group=GROUP, port=free_udp_port())
    with MulticastReceiver(config) as receiver, MulticastSender(config) as sender:
        for index in range(200):
            sender.send(b"datagram %d" % index)
        got = []
        while len(got) < 200:
            received = receiver.receive(timeout=5)
            assert received is not None, f"only {len(got)} of 200 arrived"
            got.append(received[0])
        assert got == [b"datagram %d" % index for index in range(200)]
        started = time.monotonic()
        assert receiver.receive(timeout=0.2) is None
        assert 0.19 <= time.monotonic() - started < 3


def test_a_zero_timeout_on_an_empty_queue_returns_at_once(read_mode: str) -> None:
    config = MulticastConfig(group=GROUP, port=free_udp_port())
    with MulticastReceiver(config) as receiver:
        started = time.monotonic()
        assert receiver.receive(timeout=0) is None
        assert time.monotonic() - started < 1


def test_a_datagram_sent_during_the_wait_ends_it(read_mode: str) -> None:
    config = MulticastConfig(group=GROUP, port=free_udp_port())
    with MulticastReceiver(config) as receiver, MulticastSender(config) as sender:
        assert receiver.receive(timeout=0.05) is None  # the wait is set up, then used again
        sender.send(b"late")
        received = receiver.receive(timeout=5)
    assert received is not None and received[0] == b"late"


def test_the_source_is_the_senders_address_as_text(read_mode: str) -> None:
    config = MulticastConfig(group=GROUP, port=free_udp_port())
    with (
        MulticastReceiver(config) as receiver,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw,
    ):
        raw.bind(("127.0.0.1", 0))
        raw.sendto(b"hi", (GROUP, config.port))
        assert receiver.receive(timeout=5) == (b"hi", f"127.0.0.1:{raw.getsockname()[1]}")


def test_a_paced_sender_sleeps_only_once_ahead_of_its_pacer() -> None:
    config = MulticastConfig(group=GROUP, port=free_udp_port())
    slept: list[float] = []
    pacer = SendPacer(rate=1000, burst=5)
    with (
        MulticastReceiver(config) as receiver,
        MulticastSender(config, pacer=pacer, clock=lambda: 0.0, sleep=slept.append) as sender,
    ):
        for index in range(8):
            sender.send(b"%d" % index)
        assert slept == pytest.approx([0.001, 0.002, 0.003]), "the clock stood still: debt"
        assert [receiver.receive(timeout=5) is not None for _ in range(8)] == [True] * 8


def test_an_unpaced_sender_never_sleeps() -> None:
    config = MulticastConfig(group=GROUP, port=free_udp_port())
    with MulticastSender(config, sleep=lambda seconds: pytest.fail("slept")) as sender:
        for _ in range(2000):
            sender.send(b"x")
