"""papo as a library: room addresses, and ChatClient on a real room server."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable

import pytest
from conftest import ROOT, free_tcp_port, free_udp_port

from papo.errors import ConfigError
from papo.protocol.rooms import room_group
from papo.session.client import (
    ChatClient,
    ChatLine,
    ClientEvent,
    Notice,
    RoomAddress,
    build_transport,
    connect,
    parse_room_address,
)
from papo.transport.multicast_room import MulticastRoomTransport
from papo.transport.tcp_client import TcpRoomClient
from papo.transport.tcp_server import RoomServer, RoomServerConfig

WAIT = 10.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("multicast://", RoomAddress("multicast")),
        ("multicast://239.1.2.3:6000", RoomAddress("multicast", (("239.1.2.3", 6000),))),
        (
            "multicast://[ff02::1]:5007?interface=eth0",
            RoomAddress("multicast", (("ff02::1", 5007),), options={"interface": "eth0"}),
        ),
        ("papo://localhost", RoomAddress("papo", (("localhost", 5050),))),
        ("papos://[::1]:6000", RoomAddress("papos", (("::1", 6000),))),
        ("p2p://", RoomAddress("p2p")),
        (
            "p2p://10.0.0.1:7000,10.0.0.2:7001?beacons=0",
            RoomAddress("p2p", (("10.0.0.1", 7000), ("10.0.0.2", 7001)), options={"beacons": "0"}),
        ),
        ("nats://a:4222,b:4222/geral", RoomAddress("nats", (("a", 4222), ("b", 4222)), "geral")),
    ],
)
def test_room_addresses_name_every_transport(text: str, expected: RoomAddress) -> None:
    assert parse_room_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1:5050",
        "http://host",
        "papo://",
        "papo://host:port",
        "papo://host/room",
        "papo://user:pw@host",
        "multicast://239.1.2.3/x",
        "p2p://host",
        "nats:///room",
        "nats://a:4222/x/y",
        "papo://host?x=1&x=2",
        "papo://\x1b[31mhost",
    ],
)
def test_a_malformed_address_is_one_clear_error(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_room_address(text)
    assert caught.value.code in ("client_bad_address", "bad_port")
    assert "\x1b" not in str(caught.value.details)


def test_addresses_build_the_transports_they_name_and_refuse_unknown_options() -> None:
    assert isinstance(
        build_transport(parse_room_address("papo://127.0.0.1:1"), "ana"), TcpRoomClient
    )
    multicast = build_transport(parse_room_address("multicast://?ttl=0"), "ana")
    assert isinstance(multicast, MulticastRoomTransport)
    named = build_transport(parse_room_address("multicast://?room=Grupo1"), "ana")
    assert isinstance(named, MulticastRoomTransport)
    assert (named.room, named.config.group) == ("Grupo1", room_group("grupo1"))
    with pytest.raises(ConfigError) as both:
        build_transport(parse_room_address("multicast://239.1.1.1?room=x"), "ana")
    assert both.value.code == "room_and_group"
    with pytest.raises(ConfigError) as caught:
        build_transport(parse_room_address("papo://127.0.0.1?colour=red"), "ana")
    assert caught.value.code == "client_unknown_option"
    with pytest.raises(ConfigError):
        build_transport(parse_room_address("multicast://?ttl=many"), "ana")
    with pytest.raises(ConfigError):
        connect("papo://127.0.0.1", "not a nick")


@contextlib.asynccontextmanager
async def room_server() -> AsyncIterator[tuple[str, RoomServer]]:
    """A real room server on 127.0.0.1 for one test: its ``papo://`` address, and itself."""
    server = RoomServer(RoomServerConfig(host="127.0.0.1", port=0))
    await server.start()
    try:
        yield f"papo://127.0.0.1:{server.port}", server
    finally:
        await server.close()


async def next_matching(
    client: ChatClient, predicate: Callable[[ClientEvent], bool], seen: list[ClientEvent]
) -> ClientEvent:
    async with asyncio.timeout(WAIT):
        async for event in client:
            seen.append(event)
            if predicate(event):
                return event
    raise AssertionError(f"the room closed first: {seen}")


def said(user: str, text: str) -> Callable[[ClientEvent], bool]:
    return lambda event: (
        isinstance(event, ChatLine) and (event.message.user, event.message.data) == (user, text)
    )


def test_two_library_clients_talk_through_a_real_room_server() -> None:
    async def body() -> None:
        async with room_server() as (address, server):
            seen: list[ClientEvent] = []
            async with connect(address, "ana") as ana, connect(address, "bia") as bia:
                await next_matching(ana, lambda e: "bia" in ana.roster, seen)
                await bia.say("oi, ana")
                await next_matching(ana, said("bia", "oi, ana"), seen)
                long_text = "palavra " * 400  # split on the wire, whole again here
                await ana.say(long_text)
                await next_matching(bia, said("ana", long_text), seen)
                await ana.tell("bia", "segredo")
                private = await next_matching(bia, said("ana", "segredo"), seen)
                assert isinstance(private, ChatLine) and private.mention
                await bia.me("acena")
                await next_matching(ana, said("bia", "acena"), seen)
                with pytest.raises(ConfigError):
                    await ana.say("   ")
            async with asyncio.timeout(WAIT):  # the server sees both leave: poll its count
                while server.client_count:
                    await asyncio.sleep(0.01)

    asyncio.run(body())


def test_a_client_sees_who_leaves_and_its_iteration_ends_when_it_closes() -> None:
    async def body() -> None:
        async with room_server() as (address, _server):
            seen: list[ClientEvent] = []
            async with connect(address, "ana") as ana:
                async with connect(address, "bia"):
                    await next_matching(ana, lambda e: "bia" in ana.roster, seen)
                await next_matching(
                    ana,
                    lambda e: isinstance(e, Notice | ChatLine) and "bia" not in ana.roster,
                    seen,
                )
                await ana.close()
                rest = [event async for event in ana]
            assert all(isinstance(event, ChatLine | Notice) for event in rest)

    asyncio.run(body())


def test_a_client_that_stops_reading_drops_the_oldest_events_and_counts_them() -> None:
    async def body() -> None:
        async with room_server() as (address, _server):
            ana = connect(address, "ana")
            ana._max_queue = 5
            async with ana, connect(address, "bia") as bia:
                for index in range(20):
                    await bia.say(f"line {index}")
                await bia.say("last")
                seen: list[ClientEvent] = []
                await next_matching(ana, said("bia", "last"), seen)
                assert ana.dropped_events > 0
                assert not any(said("bia", "line 0")(event) for event in seen)  # oldest went

    asyncio.run(body())


def test_the_example_bot_answers_in_a_room_of_real_processes(run_process) -> None:
    port = free_tcp_port()
    server = run_process(
        [sys.executable, "-m", "papo", "serve", "--host", "127.0.0.1", "--port", str(port)]
    )
    server.wait_for(f"127.0.0.1:{port}", WAIT)
    bot = run_process(
        [sys.executable, str(ROOT / "examples" / "eco.py"), f"papo://127.0.0.1:{port}"]
    )
    bot.wait_for("eco in papo://", WAIT)
    ana = run_process(
        [
            sys.executable,
            "-m",
            "papo",
            "chat",
            "ana",
            "--plain",
            "--no-history",
            "--server",
            f"127.0.0.1:{port}",
        ]
    )
    ana.wait_for("connected", WAIT)
    ana.write("/who\n")
    ana.wait_for("eco", WAIT)
    ana.write("!eco olá \x1b[31mmundo\n")
    ana.wait_for("eco: olá", WAIT)
    assert not any("\x1b" in line for line in ana.lines)
    ana.write("!tchau\n")
    ana.wait_for("tchau!", WAIT)
    assert bot.popen.wait(WAIT) == 0


@pytest.mark.netns
def test_two_library_clients_talk_in_the_multicast_room() -> None:
    async def body() -> None:
        address = f"multicast://239.255.41.7:{free_udp_port()}"
        seen: list[ClientEvent] = []
        async with connect(address, "ana") as ana, connect(address, "bia") as bia:
            await next_matching(ana, lambda e: "bia" in ana.roster, seen)
            await bia.say("oi pelo grupo")
            await next_matching(ana, said("bia", "oi pelo grupo"), seen)

    asyncio.run(body())


def test_library_clients_with_identities_sign_and_judge_through_a_room_server() -> None:
    pytest.importorskip("cryptography")
    from papo.protocol.nickkeys import NickIdentity, NickPins
    from papo.session.identity import NickOwnership

    def ownership(seed: int) -> NickOwnership:
        return NickOwnership(NickIdentity(bytes([seed]) * 32), NickPins())

    async def body() -> None:
        async with room_server() as (address, _server):
            seen: list[ClientEvent] = []
            async with (
                connect(address, "ana", ownership=ownership(1)) as ana,
                connect(address, "bia", ownership=ownership(2)) as bia,
            ):
                await next_matching(bia, lambda e: "ana" in bia.roster, seen)
                await ana.say("primeira")
                first = await next_matching(bia, said("ana", "primeira"), seen)
                await ana.say("segunda")
                second = await next_matching(bia, said("ana", "segunda"), seen)
            assert isinstance(first, ChatLine) and isinstance(second, ChatLine)
            assert first.impostor is None and second.impostor is None
            pinned = [e for e in seen if isinstance(e, Notice) and e.code == "nick_key_pinned"]
            assert [notice.details["nick"] for notice in pinned] == ["ana"]

    asyncio.run(body())


@pytest.mark.netns
def test_a_bot_finds_the_announced_room_server_and_joins_it() -> None:
    from papo.discovery.rooms import RoomAnnouncer
    from papo.session.client import find_room

    async def body() -> str:
        async with room_server() as (_address, server):
            announcer = RoomAnnouncer("sala", server.port)
            await announcer.start()
            try:
                found = await find_room(seconds=10)
                async with connect(found, "bot") as bot:
                    await next_matching(bot, lambda e: isinstance(e, Notice), [])
                return found
            finally:
                await announcer.close()

    assert asyncio.run(body()).startswith("papo://127.0.0.1:")


@pytest.mark.netns
def test_no_announced_room_is_one_clear_error() -> None:
    from papo.session.client import find_room

    with pytest.raises(ConfigError) as caught:
        asyncio.run(find_room(seconds=0.3))
    assert caught.value.code == "rooms_none"


@pytest.mark.netns
def test_library_clients_meet_in_a_named_multicast_room() -> None:
    async def body() -> None:
        address = f"multicast://224.3.29.71:{free_udp_port()}?room=grupo1"  # group: from the room
        seen: list[ClientEvent] = []
        async with connect(address, "ana") as ana, connect(address, "bia") as bia:
            await next_matching(ana, lambda e: "bia" in ana.roster, seen)
            await bia.say("na sala do grupo")
            await next_matching(ana, said("bia", "na sala do grupo"), seen)

    asyncio.run(body())
