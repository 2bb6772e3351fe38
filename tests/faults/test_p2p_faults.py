"""`papo peer` with one link that loses and duplicates packets: every line still shown once.

ana -- bia is a clean cable; bia -- caio is a :class:`tunlink.TunLink` (this kernel has no
``sch_netem``) that drops 10 % and duplicates 10 % of the IPv4 packets each way: the
mesh's TCP links, its beacons and its heartbeats all cross it. (Link down/up and kill -9
of a peer are in ``tests/e2e/test_p2p.py``.)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
from conftest import PAPO
from netns import Host, Lab, open_lab
from tunlink import Impairment, TunLink

pytestmark = pytest.mark.netns

WAIT = 20.0
LINES = 10


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from open_lab()


def start_peer(run_process, host: Host):
    return run_process(
        host.command(
            *PAPO, "peer", host.label, "--json", "--heartbeat", "0.5", "--peer-timeout", "4"
        )
    )


def records(process) -> list[dict]:
    out = []
    for line in process.lines:
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def wait_for_text(process, user: str, text: str) -> None:
    """Read ``process`` until it shows ``user: text`` (bounded by WAIT)."""
    needle = json.dumps(text, separators=(",", ":"))
    while not any(r.get("user") == user and r.get("data") == text for r in records(process)):
        process.wait_for(needle, WAIT)


def test_each_line_is_shown_exactly_once_across_a_lossy_duplicating_link(
    lab: Lab, run_process
) -> None:
    ana, bia, caio = lab.host("ana"), lab.host("bia"), lab.host("caio")
    lab.cable(ana, "10.93.1.1/24", bia, "10.93.1.2/24")
    link = TunLink(bia, "10.93.2.2", caio, "10.93.2.3")
    try:
        bad = Impairment(loss=0.10, duplicate=0.10)
        link.impair(rightward=bad, leftward=bad)
        peers = {host.label: start_peer(run_process, host) for host in (ana, bia, caio)}
        for process in peers.values():
            process.wait_for('"nicks":["ana","bia","caio"]', WAIT)
        for nick, process in peers.items():
            process.write("".join(f"{nick}-{number}\n" for number in range(LINES)))
        for nick, process in peers.items():
            for other in peers:
                if other != nick:
                    wait_for_text(process, other, f"{other}-{LINES - 1}")
        for process in peers.values():  # loss slowed the heartbeats, it did not cut anyone
            assert not [r for r in records(process) if r.get("type") == "leave"]
        for process in peers.values():
            process.write("sair\n")
            process.rest(WAIT)
        for nick, process in peers.items():
            for other in peers:
                if other == nick:
                    continue
                shown = [
                    r["data"]
                    for r in records(process)
                    if r.get("user") == other and str(r.get("data", "")).startswith(f"{other}-")
                ]
                assert shown == [f"{other}-{number}" for number in range(LINES)], (nick, shown)
        stats = (link.rightward.stats, link.leftward.stats)
        # The link really did drop and duplicate (about 80 packets cross it).
        assert sum(s.dropped for s in stats) >= 1 and sum(s.duplicated for s in stats) >= 1, stats
    finally:
        link.close()
