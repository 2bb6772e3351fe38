"""The mesh transport on real sockets (127.0.0.1): links, flooding through relays, roster."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from papo.errors import ConfigError, InputError
from papo.protocol.beacon import PeerSighting
from papo.protocol.message import ChatMessage, MessageType
from papo.transport.base import ChatTransport, Delivered, NickChanged, RosterChanged, StatusChanged
from papo.transport.mesh import MeshConfig, MeshTransport, parse_peer

FAST = {"heartbeat_interval": 0.1, "peer_deadline": 0.6, "redial_interval": 0.2}
DEADLINE = 5.0
TEST_TIMEOUT = 20.0


def run_async(test: Callable[[], Awaitable[None]]) -> Callable[[], None]:
    """Run an async test on a fresh event loop, bounded by :data:`TEST_TIMEOUT`."""

    @functools.wraps(test)
    def wrapper() -> None:
        asyncio.run(asyncio.wait_for(test(), TEST_TIMEOUT))  # type: ignore[arg-type]

    return wrapper


class Node:
    """A transport plus everything it reported, collected in the background."""

    def __init__(self, nick: str, peers: tuple[MeshTransport, ...] = (), **config: object) -> None:
        bootstrap = tuple(("127.0.0.1", peer.port) for peer in peers)
        self.transport = MeshTransport(
            nick,
            MeshConfig(listen_host="127.0.0.1", bootstrap=bootstrap, **{**FAST, **config}),  # type: ignore[arg-type]
        )
        self.events: list[object] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Node:
        await self.transport.open()
        self._task = asyncio.create_task(self._collect())
        return self

    async def _collect(self) -> None:
        async for event in self.transport.events():
            self.events.append(event)

    def said(self) -> list[tuple[str, str]]:
        return [
            (e.message.user, e.message.data)
            for e in self.events
            if isinstance(e, Delivered) and e.message.type == MessageType.CHAT
        ]

    def of_type(self, kind: str) -> list[str]:
        return [
            e.message.user
            for e in self.events
            if isinstance(e, Delivered) and e.message.type == kind
        ]

    async def say(self, text: str, **fields: object) -> None:
        await self.transport.send(ChatMessage(user=self.transport.nick, data=text, **fields))  # type: ignore[arg-type]

    async def stop(self) -> None:
        await self.transport.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, DEADLINE)


async def until(condition: Callable[[], bool], timeout: float = DEADLINE) -> None:
    """Poll ``condition`` with a deadline (the loop keeps running meanwhile)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def nodes(*specs: tuple[str, tuple[int, ...]]) -> AsyncIterator[list[Node]]:
    """Start nodes in order; spec = (nick, indexes of earlier nodes to bootstrap from)."""
    started: list[Node] = []
    try:
        for nick, peers in specs:
            node = Node(nick, tuple(started[i].transport for i in peers))
            started.append(await node.start())
        yield started
    finally:
        for node in started:
            await node.stop()


def test_mesh_transport_keeps_the_chat_transport_contract() -> None:
    assert isinstance(MeshTransport("ana"), ChatTransport)


def test_parse_peer_accepts_host_port_and_refuses_the_rest() -> None:
    assert parse_peer("10.0.0.2:4000") == ("10.0.0.2", 4000)
    assert parse_peer("[fe80::1]:4000") == ("fe80::1", 4000)
    for bad in ("10.0.0.2", ":4000", "host:0", "host:http"):
        with pytest.raises(ConfigError):
            parse_peer(bad)


def test_deadline_must_exceed_the_heartbeat_interval() -> None:
    with pytest.raises(ConfigError):
        MeshConfig(heartbeat_interval=2.0, peer_deadline=1.0).validated()


@run_async
async def test_two_nodes_link_once_and_chat_both_ways() -> None:
    async with nodes(("ana", ()), ("bia", (0,))) as (ana, bia):
        await until(lambda: ana.transport.roster() == ("ana", "bia") == bia.transport.roster())
        await ana.say("oi bia")
        await bia.say("oi ana")
        await until(lambda: ana.said() == [("bia", "oi ana")] and bia.said() == [("ana", "oi bia")])
        assert len(ana.transport.links()) == len(bia.transport.links()) == 1
        assert ana.of_type(MessageType.JOIN) == ["bia"]


@run_async
async def test_line_topology_chats_end_to_end_through_the_middle_node() -> None:
    # ana and caio only know bia: every word between them is relayed by bia.
    async with nodes(("bia", ()), ("ana", (0,)), ("caio", (0,))) as (bia, ana, caio):
        everyone = ("ana", "bia", "caio")
        await until(lambda: all(n.transport.roster() == everyone for n in (ana, bia, caio)))
        assert [link.nick for link in ana.transport.links()] == ["bia"]
        await ana.say("oi caio")
        await caio.say("oi ana")
        await until(lambda: ("ana", "oi caio") in caio.said() and ("caio", "oi ana") in ana.said())
        assert ana.said() == [("caio", "oi ana")]
        assert sorted(bia.said()) == [("ana", "oi caio"), ("caio", "oi ana")]


@run_async
async def test_each_message_is_delivered_once_over_a_triangle_of_paths() -> None:
    async with nodes(("ana", ()), ("bia", (0,)), ("caio", (0, 1))) as (ana, bia, caio):
        await until(lambda: all(len(n.transport.links()) == 2 for n in (ana, bia, caio)))
        for number in range(20):
            await ana.say(f"m{number}")
        expected = [("ana", f"m{number}") for number in range(20)]
        await until(lambda: bia.said() == expected and caio.said() == expected)
        await asyncio.sleep(0.3)  # let any late copy arrive: it must still be dropped
        assert bia.said() == expected and caio.said() == expected
        assert ana.said() == []  # never our own messages back


@run_async
async def test_node_dialled_twice_is_linked_and_listed_once() -> None:
    async with nodes(("ana", ())) as (ana,):
        bia = await Node("bia", (ana.transport, ana.transport)).start()
        try:
            sighting = PeerSighting(None, None, "127.0.0.1", ana.transport.port, "beacon")
            bia.transport.sighted(sighting)
            await until(lambda: ana.transport.roster() == ("ana", "bia"))
            await asyncio.sleep(0.3)
            assert len(ana.transport.links()) == len(bia.transport.links()) == 1
            assert ana.of_type(MessageType.JOIN) == ["bia"]
        finally:
            await bia.stop()


@run_async
async def test_leave_is_seen_at_once_and_silence_after_the_deadline() -> None:
    async with nodes(("ana", ()), ("bia", (0,)), ("caio", (0,))) as (ana, bia, _caio):
        await until(lambda: len(ana.transport.roster()) == 3)
        await bia.stop()
        await until(lambda: ana.of_type(MessageType.LEAVE) == ["bia"])
        assert ana.transport.roster() == ("ana", "caio")
        ana.transport.expire(now=ana.transport._clock() + 100)  # as if caio went silent
        assert ana.transport.roster() == ("ana",)

        def gone() -> list[object]:
            return [
                e.details["nick"]
                for e in ana.events
                if isinstance(e, StatusChanged) and e.code == "mesh_peer_gone"
            ]

        await until(lambda: gone() == ["caio"])
        # caio is alive after all: its next heartbeat brings it back, announced again.
        await until(lambda: ana.transport.roster() == ("ana", "caio"))
        assert ana.of_type(MessageType.JOIN).count("caio") == 2


@run_async
async def test_private_message_reaches_only_its_addressee_even_through_a_relay() -> None:
    async with nodes(("bia", ()), ("ana", (0,)), ("caio", (0,))) as (bia, ana, caio):
        await until(lambda: all(len(n.transport.roster()) == 3 for n in (ana, bia, caio)))
        await ana.say("segredo", type=MessageType.PRIVATE, to="caio")
        await until(lambda: caio.of_type(MessageType.PRIVATE) == ["ana"])
        await ana.say("pronto")
        await until(lambda: ("ana", "pronto") in bia.said())
        assert bia.of_type(MessageType.PRIVATE) == []


@run_async
async def test_nick_change_is_confirmed_and_seen_by_peers() -> None:
    async with nodes(("ana", ()), ("bia", (0,))) as (ana, bia):
        await until(lambda: len(bia.transport.roster()) == 2)
        await ana.say("aninha", type=MessageType.NICK)
        await until(lambda: NickChanged("aninha") in ana.events)
        await until(lambda: bia.transport.roster() == ("aninha", "bia"))
        rosters = [e.nicks for e in bia.events if isinstance(e, RosterChanged)]
        assert rosters[-1] == ("aninha", "bia")


@run_async
async def test_unsupported_type_and_private_without_addressee_are_refused() -> None:
    async with nodes(("ana", ())) as (ana,):
        with pytest.raises(InputError):
            await ana.say("x", type=MessageType.SYSTEM)
        with pytest.raises(InputError):
            await ana.say("x", type=MessageType.PRIVATE)
        with pytest.raises(InputError) as unknown:
            await ana.say("x", type=MessageType.PRIVATE, to="ninguem")
        assert unknown.value.code == "mesh_unknown_nick"


@run_async
async def test_garbage_from_a_peer_is_dropped_and_counted_without_hurting_the_link() -> None:
    async with nodes(("ana", ()), ("bia", (0,))) as (ana, bia):
        await until(lambda: len(ana.transport.roster()) == 2)
        _reader, writer = await asyncio.open_connection("127.0.0.1", ana.transport.port)
        writer.write(b"\xff\xfe nonsense\n" + b"{" * 70_000 + b"\n")
        await writer.drain()
        await until(lambda: ana.transport.dropped >= 1)
        writer.close()
        await bia.say("ainda aqui")
        await until(lambda: ana.said() == [("bia", "ainda aqui")])


@run_async
async def test_close_is_safe_twice_and_ends_events() -> None:
    node = await Node("ana").start()
    await node.stop()
    await node.transport.close()
    assert node._task is not None and node._task.done()


@run_async
async def test_hop_budget_stops_a_message_after_that_many_relays() -> None:
    # ana - bia - caio - davi in a line, with one relay allowed: davi never hears ana.
    started: list[Node] = []
    try:
        for nick in ("ana", "bia", "caio", "davi"):
            peers = (started[-1].transport,) if started else ()
            node = Node(nick, peers, max_hops=1)
            started.append(await node.start())
        ana, _bia, caio, davi = started
        await until(lambda: [len(n.transport.links()) for n in started] == [1, 2, 2, 1])
        await ana.say("longe")
        await until(lambda: ("ana", "longe") in caio.said())
        await davi.say("marco")  # sent after ana's: once caio has it, davi had its chance
        await until(lambda: ("davi", "marco") in caio.said())
        assert ("ana", "longe") not in davi.said()
    finally:
        for node in started:
            await node.stop()


@run_async
async def test_unreachable_peer_is_reported_once_while_redials_go_on() -> None:
    from conftest import free_tcp_port

    port = free_tcp_port()  # nobody listens there
    node = Node("ana")
    node.transport = MeshTransport(
        "ana", MeshConfig(listen_host="127.0.0.1", bootstrap=(("127.0.0.1", port),), **FAST)
    )
    await node.start()
    try:
        await asyncio.sleep(1.0)  # five redial intervals
        failures = [
            e for e in node.events if isinstance(e, StatusChanged) and e.code == "mesh_dial_failed"
        ]
        assert len(failures) == 1
        assert failures[0].details["peer"] == f"127.0.0.1:{port}"
    finally:
        await node.stop()


@run_async
async def test_peer_that_never_reads_is_dropped_and_the_others_keep_chatting() -> None:
    import socket

    from papo.protocol.framing import frame_line
    from papo.protocol.mesh import Hello, encode_frame

    ana = await Node("ana", connect_timeout=0.5).start()
    bia = await Node("bia", (ana.transport,)).start()
    try:
        await until(lambda: len(ana.transport.roster()) == 2)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", ana.transport.port))
        _reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(frame_line(encode_frame(Hello(node="slow-node", nick="lento", port=1))))
        await writer.drain()
        await until(lambda: "lento" in ana.transport.roster())
        limit = ana.transport.config.max_pending_bytes
        text = "x" * 8000
        for _ in range(2 * limit // len(text) + 400):  # far more than kernel buffers hold
            await ana.say(text)
            if "slow-node" not in {link.node for link in ana.transport.links()}:
                break
        await until(lambda: "slow-node" not in {link.node for link in ana.transport.links()})
        await bia.say("ainda rápido")
        await until(lambda: ("bia", "ainda rápido") in ana.said())
        writer.close()
    finally:
        await bia.stop()
        await ana.stop()


@run_async
async def test_heartbeats_are_not_relayed_to_nodes_that_hear_them_directly() -> None:
    async with nodes(("ana", ()), ("bia", (0,)), ("caio", (0, 1))) as trio:
        await until(lambda: all(len(n.transport.links()) == 2 for n in trio))
        await asyncio.sleep(3 * FAST["heartbeat_interval"])  # beats now list both links
        before = [n.transport._dedup.duplicates for n in trio]
        await asyncio.sleep(5 * FAST["heartbeat_interval"])
        assert [n.transport._dedup.duplicates for n in trio] == before
        assert all(n.transport.roster() == ("ana", "bia", "caio") for n in trio)
