"""The mesh in passphrase mode on real sockets (127.0.0.1): sealed links, relays, refusals."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import pytest

pytest.importorskip("cryptography")

from papo.protocol.beacon import Beacon
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.sealed import ScryptParams
from papo.protocol.sealed_link import SEALED_LINE_PREFIX, LineSeal
from papo.transport.base import Delivered, Dropped, StatusChanged
from papo.transport.mesh import HIDDEN_NICK, MeshConfig, MeshTransport

from .test_mesh import FAST, run_async, until

CHEAP = ScryptParams(n=2**4, r=8, p=1)


def seal(passphrase: str | None) -> LineSeal | None:
    if passphrase is None:
        return None
    return LineSeal.from_passphrase(passphrase, sender_id=secrets.token_bytes(16), params=CHEAP)


class Announced:
    """A discovery method that only remembers what the node announced."""

    name = "fake"

    def __init__(self) -> None:
        self.beacon: Beacon | None = None

    async def start(self, announce: Beacon, found: object) -> None:
        self.beacon = announce

    async def close(self) -> None:
        pass


class Node:
    def __init__(self, nick: str, passphrase: str | None, peers: tuple[Node, ...] = ()) -> None:
        self.discovery = Announced()
        self.transport = MeshTransport(
            nick,
            MeshConfig(
                listen_host="127.0.0.1",
                bootstrap=tuple(("127.0.0.1", p.transport.port) for p in peers),
                **FAST,  # type: ignore[arg-type]
            ),
            discoveries=[self.discovery],
            seal=seal(passphrase),
        )
        self.events: list[object] = []

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

    def dropped(self, code: str) -> list[Dropped]:
        return [e for e in self.events if isinstance(e, Dropped) and e.error.code == code]

    async def say(self, text: str) -> None:
        await self.transport.send(ChatMessage(user=self.transport.nick, data=text))

    async def stop(self) -> None:
        await self.transport.close()
        await asyncio.wait_for(self._task, 5.0)


@contextlib.asynccontextmanager
async def mesh(*specs: tuple[str, str | None, tuple[int, ...]]) -> AsyncIterator[list[Node]]:
    started: list[Node] = []
    try:
        for nick, passphrase, peers in specs:
            node = Node(nick, passphrase, tuple(started[i] for i in peers))
            started.append(await node.start())
        yield started
    finally:
        for node in started:
            await node.stop()


@run_async
async def test_sealed_line_of_three_chats_end_to_end_through_the_relay() -> None:
    async with mesh(("ana", "pw", ()), ("bia", "pw", (0,)), ("caio", "pw", (1,))) as nodes:
        ana, bia, caio = nodes
        await until(lambda: all(len(n.transport.roster()) == 3 for n in nodes))
        await ana.say("oi de ana")
        await caio.say("oi de caio")
        await until(lambda: ("ana", "oi de ana") in caio.said())
        await until(lambda: ("caio", "oi de caio") in ana.said())
        assert caio.said().count(("ana", "oi de ana")) == 1
        assert ("ana", "oi de ana") in bia.said()
        assert ana.discovery.beacon is not None and ana.discovery.beacon.nick == HIDDEN_NICK
        assert any(isinstance(e, StatusChanged) and e.code == "mesh_sealed_on" for e in ana.events)


@run_async
async def test_wrong_passphrase_links_to_nobody_and_is_said_once() -> None:
    async with mesh(("ana", "pw", ()), ("bia", "pw", (0,)), ("eva", "other", (0,))) as nodes:
        ana, bia, eva = nodes
        await until(lambda: len(ana.transport.roster()) == 2)
        await until(lambda: ana.dropped("sealed_wrong_passphrase") != [])
        await until(lambda: eva.dropped("sealed_wrong_passphrase") != [])
        await ana.say("segredo")
        await until(lambda: ("ana", "segredo") in bia.said())
        await until(lambda: eva.transport.dropped >= 3)  # eva redials; said only once
        assert eva.said() == [] and eva.transport.roster() == ("eva",)
        assert ana.transport.roster() == ("ana", "bia")
        assert len(ana.dropped("sealed_wrong_passphrase")) == 1
        assert len(eva.dropped("sealed_wrong_passphrase")) == 1


@run_async
async def test_plain_and_sealed_peers_refuse_each_other_with_one_line_each() -> None:
    async with mesh(("ana", "pw", ()), ("leo", None, (0,))) as (ana, leo):
        await until(lambda: ana.dropped("mesh_peer_plain") != [])
        await until(lambda: leo.dropped("mesh_peer_sealed") != [])
        await until(lambda: leo.transport.dropped >= 2)
        assert len(leo.dropped("mesh_peer_sealed")) == 1
        assert ana.transport.roster() == ("ana",) and leo.transport.roster() == ("leo",)


@run_async
async def test_stranger_dialling_in_reads_nothing_and_forgeries_are_counted() -> None:
    async with mesh(("ana", "pw", ()), ("bia", "pw", (0,))) as (ana, bia):
        await until(lambda: len(ana.transport.roster()) == 2)
        reader, writer = await asyncio.open_connection("127.0.0.1", ana.transport.port)
        await ana.say("palavra secreta")
        await until(lambda: ("ana", "palavra secreta") in bia.said())
        data = await asyncio.wait_for(reader.readline(), 5.0)
        assert data.startswith(SEALED_LINE_PREFIX)
        assert b"ana" not in data and b"palavra" not in data
        writer.write(SEALED_LINE_PREFIX + b"AAAA\n")
        await writer.drain()
        await until(lambda: ana.dropped("sealed_forged") != [])
        assert await asyncio.wait_for(reader.read(), 5.0) == b""  # link closed
        writer.close()
        await bia.say("ainda aqui")
        await until(lambda: ("bia", "ainda aqui") in ana.said())


@run_async
async def test_recorded_link_played_back_to_a_node_is_refused_as_replayed() -> None:
    from papo.protocol.framing import frame_line
    from papo.protocol.mesh import Hello, encode_frame

    async with mesh(("ana", "pw", ())) as (ana,):
        # What a recorder kept of an earlier link: bia's hello, answering an old challenge.
        old = seal("pw")
        assert old is not None
        past = old.link(b"B" * 16)
        assert past.take_challenge(old.link(b"A" * 16).challenge_line()) is None
        hello = past.seal_hello(encode_frame(Hello(node="b1", nick="bia", port=1)))
        reader, writer = await asyncio.open_connection("127.0.0.1", ana.transport.port)
        writer.write(frame_line(past.challenge_line()) + frame_line(hello))
        await writer.drain()
        await until(lambda: ana.dropped("sealed_replayed") != [])
        assert await asyncio.wait_for(reader.read(), 5.0) != b""  # its challenge, then closed
        writer.close()
        assert ana.transport.roster() == ("ana",)
