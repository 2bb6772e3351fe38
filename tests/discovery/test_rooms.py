"""Room servers announce themselves and clients find them (real multicast, test namespace)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from conftest import free_udp_port

from papo.discovery.beacon import BeaconDiscovery
from papo.discovery.rooms import RoomAnnouncer, find_rooms, room_name
from papo.protocol.beacon import (
    MAX_ROOM_NAME_CHARS,
    Beacon,
    PeerSighting,
    RoomBeacon,
    RoomSighting,
    Seek,
    decode_announcement,
    decode_beacon,
    encode_announcement,
)

pytestmark = pytest.mark.netns


def on_port(port: int, interval: float = 2.0) -> Callable[..., BeaconDiscovery]:
    def make(interface: str | None, **options: object) -> BeaconDiscovery:
        return BeaconDiscovery(interface, port=port, interval=interval, **options)  # type: ignore[arg-type]

    return make


def test_a_client_finds_an_announced_room_by_asking_for_it() -> None:
    async def body() -> None:
        port = free_udp_port()
        # The server's own beacons are an hour apart: only its answer to the seek can be heard.
        announcer = RoomAnnouncer("Turma A", 5999, tls=True, discovery=on_port(port, 3600))
        await announcer.start()
        try:
            rooms = await find_rooms(seconds=10, grace=0.2, discovery=on_port(port))
        finally:
            await announcer.close()
        assert [(room.name, room.port, room.tls) for room in rooms] == [("Turma A", 5999, True)]
        assert rooms[0].host == "127.0.0.1"

    asyncio.run(body())


def test_several_rooms_are_all_listed_once_sorted_by_name() -> None:
    async def body() -> None:
        factory = on_port(free_udp_port())
        announcers = [
            RoomAnnouncer(name, port, discovery=factory)
            for name, port in (("b", 6001), ("A", 6002))
        ]
        for announcer in announcers:
            await announcer.start()
        try:
            rooms = await find_rooms(seconds=10, grace=1.0, discovery=factory)
        finally:
            for announcer in announcers:
                await announcer.close()
        assert [(room.name, room.port) for room in rooms] == [("A", 6002), ("b", 6001)]

    asyncio.run(body())


def test_with_no_room_server_the_search_ends_empty_at_its_bound() -> None:
    async def body() -> list[RoomSighting]:
        return await find_rooms(seconds=0.5, discovery=on_port(free_udp_port()))

    assert asyncio.run(body()) == []


def test_p2p_nodes_never_take_a_room_server_or_a_seeker_for_a_peer() -> None:
    async def body() -> list[PeerSighting]:
        factory = on_port(free_udp_port())
        peers: list[PeerSighting] = []
        node = factory(None)
        await node.start(Beacon("peer-node", "ana", 4000), peers.append)
        announcer = RoomAnnouncer("sala", 5050, discovery=factory)
        await announcer.start()
        try:
            await find_rooms(seconds=3, grace=0.5, discovery=factory)
        finally:
            await announcer.close()
            await node.close()
        return peers

    assert asyncio.run(body()) == []


def test_announcements_round_trip_and_peer_decoding_refuses_them() -> None:
    room = RoomBeacon("n1", "Turma A", 5050, tls=True)
    seek = Seek("n2")
    assert decode_announcement(encode_announcement(room)) == room
    assert decode_announcement(encode_announcement(seek)) == seek
    assert getattr(decode_beacon(encode_announcement(room)), "code", None) == "decode_not_beacon"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b'{"papo":"room","v":1,"node":"n","name":"","port":5050}', "name"),
        (b'{"papo":"room","v":1,"node":"n","name":"x","port":0}', "port"),
        (b'{"papo":"room","v":1,"node":"n","name":"x","port":true}', "port"),
        (b'{"papo":"room","v":1,"node":"n","name":"x","port":1,"tls":"yes"}', "tls"),
        (b'{"papo":"room","v":1,"node":"n","name":"' + b"x" * 65 + b'","port":1}', "name"),
        (b'{"papo":"seek","v":0,"node":"n"}', "v"),
        (b'{"papo":"seek","v":1,"node":" "}', "node"),
    ],
)
def test_bad_announcements_are_typed_errors(payload: bytes, field: str) -> None:
    error = decode_announcement(payload)
    assert getattr(error, "details", {}).get("field") == field


def test_room_names_are_cut_to_what_an_announcement_carries() -> None:
    assert room_name("  Turma A  ") == "Turma A"
    assert room_name("") == "papo"
    assert len(room_name("x" * 500)) == MAX_ROOM_NAME_CHARS
