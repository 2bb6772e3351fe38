"""Beacon discovery on real multicast (the test namespace's loopback): announce and hear."""

from __future__ import annotations

import asyncio

import pytest
from conftest import free_udp_port

from papo.discovery.beacon import BeaconDiscovery
from papo.discovery.interfaces import Interface, beacon_interfaces, list_interfaces
from papo.errors import ConfigError
from papo.protocol.beacon import Beacon, PeerSighting, encode_beacon

DEADLINE = 5.0


def iface(name: str, index: int, ipv4: str | None, **flags: bool) -> Interface:
    values = {"up": True, "loopback": False, "multicast": True, "point_to_point": False}
    values.update(flags)
    return Interface(name=name, index=index, ipv4=ipv4, **values)


def test_default_interfaces_are_the_external_multicast_ones() -> None:
    lo = iface("lo", 1, "127.0.0.1", loopback=True)
    eth = iface("eth0", 2, "10.0.0.1")
    off = iface("eth1", 3, "10.0.1.1", multicast=False)
    assert beacon_interfaces(None, [lo, eth, off]) == [eth]
    assert beacon_interfaces(None, [lo, off]) == [lo]  # one machine: still finds itself
    assert beacon_interfaces("eth0", [lo, eth, off]) == [eth]
    assert beacon_interfaces("10.0.0.1", [lo, eth, off]) == [eth]


def test_named_interface_must_exist_and_allow_multicast() -> None:
    eth = iface("eth0", 2, "10.0.0.1")
    with pytest.raises(ConfigError) as unknown:
        beacon_interfaces("eth7", [eth])
    assert unknown.value.code == "unknown_interface"
    with pytest.raises(ConfigError) as unusable:
        beacon_interfaces("eth1", [eth, iface("eth1", 3, None)])
    assert unusable.value.code == "interface_not_multicast"


def test_interfaces_of_this_namespace_are_listed_with_loopback() -> None:
    assert any(interface.loopback for interface in list_interfaces())


def test_bad_or_own_beacons_are_not_sightings() -> None:
    seen: list[PeerSighting] = []
    discovery = BeaconDiscovery()
    discovery._found, discovery._node = seen.append, "me"
    discovery.receive(b"garbage", "10.0.0.9")
    discovery.receive(encode_beacon(Beacon("me", "ana", 4000)), "10.0.0.9")
    discovery.receive(encode_beacon(Beacon("other", "bia", 4001)), "10.0.0.9")
    assert discovery.dropped == 1
    assert discovery.heard_self == 1
    assert [(s.node, s.nick, s.host, s.port, s.method) for s in seen] == [
        ("other", "bia", "10.0.0.9", 4001, "beacon")
    ]


@pytest.mark.netns
def test_two_nodes_on_one_machine_find_each_other_by_beacons() -> None:
    async def scenario() -> tuple[list[PeerSighting], list[PeerSighting]]:
        port = free_udp_port()
        heard_by_ana: list[PeerSighting] = []
        heard_by_bia: list[PeerSighting] = []
        ana = BeaconDiscovery(port=port, interval=0.2)
        bia = BeaconDiscovery(port=port, interval=0.2)
        await ana.start(Beacon("n-ana", "ana", 4000), heard_by_ana.append)
        await bia.start(Beacon("n-bia", "bia", 4001), heard_by_bia.append)
        try:
            loop = asyncio.get_running_loop()
            end = loop.time() + DEADLINE
            while not (heard_by_ana and heard_by_bia) and loop.time() < end:
                await asyncio.sleep(0.05)
        finally:
            await ana.close()
            await bia.close()
            await ana.close()  # safe twice
        return heard_by_ana, heard_by_bia

    heard_by_ana, heard_by_bia = asyncio.run(scenario())
    assert {(s.node, s.port) for s in heard_by_ana} == {("n-bia", 4001)}
    assert {(s.node, s.port) for s in heard_by_bia} == {("n-ana", 4000)}
    assert heard_by_ana[0].host == "127.0.0.1"
    assert heard_by_ana[0].interface == "lo"
