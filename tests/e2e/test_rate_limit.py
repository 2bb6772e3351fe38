"""A flooding program cannot bury the others: the receiver's per-source rate limit."""

from __future__ import annotations

import json
import socket
import time

import pytest
from conftest import PAPO, free_udp_port

from papo.protocol.ratelimit import (
    HOST_BURST,
    HOST_FAIR_SHARE_BURST,
    HOST_FAIR_SHARE_RATE,
    HOST_RATE,
    SOURCE_BURST,
    SOURCE_RATE,
    TOTAL_BURST,
    TOTAL_RATE,
)

pytestmark = pytest.mark.netns

GROUP = "224.3.29.71"
FLOOD = 10_000
FLOOD_RATE = 10_000  # datagrams per second


def test_flood_from_one_source_is_cut_to_two_lines_and_others_still_get_through(
    run_process,
) -> None:
    port = free_udp_port()
    cid = run_process([*PAPO, "receive", "cid", "--port", str(port)])
    cid.wait_for("waiting for messages")
    spammer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ana = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        start = time.monotonic()
        for index in range(FLOOD):  # 10 000 a second, paced in batches of 100
            spammer.sendto(json.dumps({"user": "spam", "data": str(index)}).encode(), (GROUP, port))
            if index == FLOOD // 2:
                ana.sendto(b'{"user": "ana", "data": "in the middle of the flood"}', (GROUP, port))
            if index % 100 == 99:
                ahead = start + (index + 1) / FLOOD_RATE - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        assert time.monotonic() - start < 2
        cid.wait_for("ana: in the middle of the flood")
        ended = _send_calmly_until_heard(cid, spammer, port)
    finally:
        spammer.close()
        ana.close()
    too_fast = f"too fast (over {round(SOURCE_RATE)} per second)"
    notices = [line for line in cid.lines if too_fast in line]
    assert len(notices) == 1, "the throttling is announced once"
    shown = [line for line in cid.lines if "spam: " in line]
    # The burst, plus what trickles in while the receiver is descheduled on a busy machine.
    assert len(shown) < 2 * SOURCE_BURST, "the flood is cut after its burst"
    dropped = int(ended.split("slowed down; ")[1].split()[0])
    assert dropped > 0
    assert len(cid.lines) < 2 * SOURCE_BURST + 10, "10 000 datagrams cost a fraction of the lines"


def _send_calmly_until_heard(cid, spammer: socket.socket, port: int) -> str:
    """The spammer sends 4 datagrams a second, far under the rate, until it is heard
    again (after THROTTLE_RESUME_SECONDS); return the "slowed down" line."""
    deadline = time.monotonic() + 10
    while True:
        spammer.sendto(b'{"user": "spam", "data": "calm again"}', (GROUP, port))
        try:
            ended = cid.wait_for("slowed down", timeout=0.25)
            cid.wait_for("spam: calm again")
            return ended
        except AssertionError:
            assert time.monotonic() < deadline, "the calmed-down source was never heard"


FLOODERS = 50  # machines (127.0.0.10 to .59 on the namespace's loopback)
FLOODER_RATE = 500  # datagrams per second each: under the per-source limit
FLOOD_SECONDS = 1.0
ANA_LINES = 10


def test_fifty_flooding_machines_are_capped_together_and_a_light_sender_still_gets_through(
    run_process,
) -> None:
    port = free_udp_port()
    cid = run_process([*PAPO, "receive", "cid", "--port", str(port)])
    cid.wait_for("waiting for messages")
    flooders = []
    ana = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for index in range(FLOODERS):
            flooder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            flooders.append(flooder)
            flooder.bind((f"127.0.0.{10 + index}", 0))
        rounds = int(FLOODER_RATE * FLOOD_SECONDS)
        start = time.monotonic()
        for round_ in range(rounds):  # 25 000 datagrams a second, paced per round
            for index, flooder in enumerate(flooders):
                flooder.sendto(b'{"user": "spam%d", "data": "x"}' % index, (GROUP, port))
            if round_ % (rounds // ANA_LINES) == 0:
                line = round_ // (rounds // ANA_LINES)
                ana.sendto(b'{"user": "ana", "data": "calm line %d"}' % line, (GROUP, port))
            ahead = start + (round_ + 1) / FLOODER_RATE - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        took = time.monotonic() - start
        assert took < 4 * FLOOD_SECONDS
        ana.sendto(b'{"user": "ana", "data": "sair"}', (GROUP, port))
        cid.wait_for("ana typed 'sair'")
        assert cid.wait(10) == 0
    finally:
        ana.close()
        for flooder in flooders:
            flooder.close()
    shown = [line.split("ana: ", 1)[1] for line in cid.lines if "ana: calm line" in line]
    assert shown == [f"calm line {index}" for index in range(ANA_LINES)], "all of ana's lines"
    notices = [line for line in cid.lines if "flooded" in line or "too fast" in line]
    assert len(notices) <= 2, "the flood is said once for the group, not once per machine"
    sent = FLOODERS * rounds
    # The total budget, plus each machine's fair share (a burst, then its rate).
    fair = FLOODERS * (HOST_FAIR_SHARE_BURST + HOST_FAIR_SHARE_RATE * took)
    most = TOTAL_BURST + TOTAL_RATE * took + fair
    spam = [line for line in cid.lines if "spam" in line]
    print(f"{sent} flood datagrams in {took:.2f}s: {len(spam)} shown, at most {most:.0f}")
    assert len(spam) <= most, "the flood together is cut to a bounded number of lines"


def test_a_loop_opening_a_new_socket_per_datagram_is_cut_by_its_machines_budget(
    run_process,
) -> None:
    port = free_udp_port()
    cid = run_process([*PAPO, "receive", "cid", "--port", str(port)])
    cid.wait_for("waiting for messages")
    ana = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ana.bind(("127.0.0.2", 0))  # another machine
    try:
        start = time.monotonic()
        for index in range(FLOOD):  # 10 000 a second, each from a fresh source port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as spammer:
                spammer.sendto(b'{"user": "spam", "data": "%d"}' % index, (GROUP, port))
            if index % (FLOOD // ANA_LINES) == 0:
                line = index // (FLOOD // ANA_LINES)
                ana.sendto(b'{"user": "ana", "data": "calm line %d"}' % line, (GROUP, port))
            if index % 100 == 99:
                ahead = start + (index + 1) / FLOOD_RATE - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        took = time.monotonic() - start
        assert took < 4
        ana.sendto(b'{"user": "ana", "data": "sair"}', (GROUP, port))
        cid.wait_for("ana typed 'sair'")
        assert cid.wait(10) == 0
    finally:
        ana.close()
    shown = [line.split("ana: ", 1)[1] for line in cid.lines if "ana: calm line" in line]
    assert shown == [f"calm line {index}" for index in range(ANA_LINES)], "all of ana's lines"
    notices = [line for line in cid.lines if "this machine sends too fast" in line]
    assert len(notices) == 1, "said once for the machine, not once per socket"
    spam = [line for line in cid.lines if "spam: " in line]
    most = HOST_BURST + HOST_RATE * took
    print(f"{FLOOD} datagrams from new sockets in {took:.2f}s: {len(spam)} shown")
    assert len(spam) <= min(most, FLOOD / 2), "cut at the machine's budget, not socket by socket"
