"""`papo peer --room` and `papo chat --p2p --room` end to end, on simulated hosts (netns)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from netns import Lab, open_lab

from tests.e2e.test_p2p import Peer, lan

pytestmark = pytest.mark.netns


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from open_lab()


def test_four_hosts_in_two_rooms_each_hear_and_list_only_their_room(lab: Lab, run_process) -> None:
    hosts = lan(lab, ["ana", "bia", "caio", "dan"])
    ana = Peer(run_process, hosts[0], "ana", "--room", "grupo1")
    bia = Peer(run_process, hosts[1], "bia", "--sala", "grupo2")
    caio = Peer(
        run_process, hosts[2], "caio", "--p2p", "--no-history", "--room", "GRUPO1", command="chat"
    )
    dan = Peer(run_process, hosts[3], "dan")  # no room: the default room, as before
    ana.wait_roster("ana", "caio")
    caio.wait_roster("ana", "caio")
    bia.wait_roster("bia")
    dan.wait_roster("dan")
    ana.say("oi grupo1")
    bia.say("oi grupo2")
    dan.say("oi padrao")
    caio.wait_text("ana", "oi grupo1")
    caio.say("fim")
    ana.wait_text("caio", "fim")
    for peer in (ana, bia, caio, dan):
        peer.quit()
    assert ana.count("bia", "oi grupo2") == caio.count("bia", "oi grupo2") == 0
    assert ana.count("dan", "oi padrao") == bia.count("dan", "oi padrao") == 0
    assert bia.count("ana", "oi grupo1") == dan.count("ana", "oi grupo1") == 0
    for peer in (ana, bia, caio, dan):
        rosters = [r["nicks"] for r in peer.records() if r.get("event") == "roster"]
        mine = {"ana", "caio"} if peer in (ana, caio) else {peer.nick}
        assert all(set(roster) <= mine for roster in rosters), (peer.nick, rosters)
