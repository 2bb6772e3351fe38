"""`papo send` -> `papo receive` across a link that loses, duplicates and reorders on purpose.

The link is :class:`tunlink.TunLink` (this kernel has no ``sch_netem``): it counts exactly
what it did, and the receiver's reports must add up to the same numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import PAPO
from netns import Lab, open_lab
from tunlink import Impairment, TunLink, udp_to_port

pytestmark = pytest.mark.netns

GROUP, PORT = "224.3.29.90", 5090
#: Numbered messages per run: under the receivers' per-source burst allowance (256
#: datagrams), so the rate limiter never mixes its drops into the link's.
MESSAGES = 200
WAIT = 15.0
LOST = re.compile(r"! (\d+) message\(s\) from ana lost on the network")
LATE = re.compile(r"! (\d+) message\(s\) from ana counted lost arrived late")
SHOWN = re.compile(r"ana: m(\d+)$")


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from open_lab()


def send_through(
    lab: Lab, run_process, impairment: Impairment, *extra: str
) -> tuple[list[str], TunLink]:
    """ana sends MESSAGES numbered lines over an impaired link to bia, then "fim" over a
    healed link, then sair; returns bia's output lines and the link."""
    ana, bia = lab.host("ana"), lab.host("bia")
    link = TunLink(ana, "10.91.0.1", bia, "10.91.0.2", matches=udp_to_port(PORT))
    try:
        options = ["--group", GROUP, "--port", str(PORT), *extra]
        receiver = run_process(bia.command(*PAPO, "receive", "bia", *options))
        receiver.wait_for("waiting for messages", WAIT)
        sender = run_process(ana.command(*PAPO, "send", "ana", *options))
        sender.wait_for("ready", WAIT)
        link.impair(rightward=impairment)
        sender.write("".join(f"m{number}\n" for number in range(MESSAGES)))
        link.wait_seen(link.rightward, MESSAGES, WAIT)
        link.impair(rightward=Impairment())  # the marker and sair must arrive
        sender.write("fim\nsair\n")
        receiver.wait_for("ana typed 'sair'", WAIT)
        assert receiver.wait(WAIT) == 0 and sender.wait(WAIT) == 0
        return receiver.lines, link
    finally:
        link.close()


def shown_numbers(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for line in lines if (m := SHOWN.search(line))]


def total(pattern: re.Pattern[str], lines: list[str]) -> int:
    return sum(int(m.group(1)) for line in lines if (m := pattern.search(line)))


def test_receiver_reports_exactly_the_messages_the_link_dropped(lab: Lab, run_process) -> None:
    lines, link = send_through(lab, run_process, Impairment(loss=0.10))
    shown = shown_numbers(lines)
    dropped = link.rightward.stats.dropped
    assert 5 <= dropped <= 40, link.rightward.stats  # about 10 % of 200
    assert len(shown) == len(set(shown)) == MESSAGES - dropped
    assert total(LOST, lines) == dropped == MESSAGES - len(shown)
    assert total(LATE, lines) == 0
    assert any(line.endswith("ana: fim") for line in lines)


def test_duplicated_datagrams_are_shown_once(lab: Lab, run_process) -> None:
    lines, link = send_through(lab, run_process, Impairment(duplicate=0.10))
    assert link.rightward.stats.duplicated >= 5, link.rightward.stats
    assert shown_numbers(lines) == list(range(MESSAGES))
    assert total(LOST, lines) == 0


def test_reordered_datagrams_are_all_shown_and_not_counted_lost_in_the_end(
    lab: Lab, run_process
) -> None:
    lines, link = send_through(lab, run_process, Impairment(reorder=0.10, reorder_delay=0.03))
    assert link.rightward.stats.reordered >= 5, link.rightward.stats
    shown = shown_numbers(lines)
    assert sorted(shown) == list(range(MESSAGES)) and shown != list(range(MESSAGES))
    # A gap may be reported when a later number overtakes; the late arrival corrects it.
    assert total(LOST, lines) == total(LATE, lines)


def test_loss_duplication_and_reordering_together_still_add_up(lab: Lab, run_process) -> None:
    impairment = Impairment(loss=0.10, duplicate=0.10, reorder=0.10, reorder_delay=0.03)
    lines, link = send_through(lab, run_process, impairment)
    shown = shown_numbers(lines)
    assert len(shown) == len(set(shown)) == MESSAGES - link.rightward.stats.dropped
    assert total(LOST, lines) - total(LATE, lines) == link.rightward.stats.dropped


def test_with_a_passphrase_losses_add_up_and_each_duplicate_is_said_once(
    lab: Lab, run_process
) -> None:
    pytest.importorskip("cryptography")
    impairment = Impairment(loss=0.10, duplicate=0.10)
    lines, link = send_through(lab, run_process, impairment, "--passphrase", "segredo")
    stats = link.rightward.stats
    shown = shown_numbers(lines)
    assert len(shown) == len(set(shown)) == MESSAGES - stats.dropped
    assert total(LOST, lines) == stats.dropped
    # The seal's replay window rejects a network duplicate before the sequence numbers see
    # it: it cannot tell one from an attacker's replay, so each one is one line.
    assert sum("replayed" in line for line in lines) == stats.duplicated


def test_a_cut_cable_is_reported_as_the_messages_missed_once_it_heals(
    lab: Lab, run_process
) -> None:
    ana, bia = lab.host("ana"), lab.host("bia")
    link = TunLink(ana, "10.91.0.1", bia, "10.91.0.2", matches=udp_to_port(PORT))
    try:
        options = ["--group", GROUP, "--port", str(PORT)]
        receiver = run_process(bia.command(*PAPO, "receive", "bia", *options))
        receiver.wait_for("waiting for messages", WAIT)
        sender = run_process(ana.command(*PAPO, "send", "ana", *options))
        sender.wait_for("ready", WAIT)
        sender.write("antes\n")
        receiver.wait_for("ana: antes", WAIT)
        link.set_up(False)
        sender.write("".join(f"m{number}\n" for number in range(7)))
        link.wait_seen(link.rightward, 8, WAIT)
        link.set_up(True)
        sender.write("depois\n")
        receiver.wait_for("ana: depois", WAIT)
        assert total(LOST, receiver.lines) == 7 == link.rightward.stats.cut
        assert shown_numbers(receiver.lines) == []
    finally:
        link.close()


def test_a_sender_killed_and_started_again_is_not_taken_for_a_loss(lab: Lab, run_process) -> None:
    ana, bia = lab.host("ana"), lab.host("bia")
    link = TunLink(ana, "10.91.0.1", bia, "10.91.0.2", matches=udp_to_port(PORT))
    try:
        options = ["--group", GROUP, "--port", str(PORT)]
        receiver = run_process(bia.command(*PAPO, "receive", "bia", *options))
        receiver.wait_for("waiting for messages", WAIT)
        first = run_process(ana.command(*PAPO, "send", "ana", *options))
        first.wait_for("ready", WAIT)
        first.write("m1\nm2\n")
        receiver.wait_for("ana: m2", WAIT)
        first.popen.kill()  # kill -9: no sair, no farewell
        first.wait(WAIT)
        second = run_process(ana.command(*PAPO, "send", "ana", *options))
        second.wait_for("ready", WAIT)
        second.write("m3\nsair\n")
        receiver.wait_for("ana typed 'sair'", WAIT)
        assert receiver.wait(WAIT) == 0
        assert shown_numbers(receiver.lines) == [1, 2, 3]
        assert total(LOST, receiver.lines) == 0  # a new run numbers from 1 again
    finally:
        link.close()
