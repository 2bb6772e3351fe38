"""Named rooms on the P2P mesh (real sockets, 127.0.0.1): relay every room, show only one's."""

from __future__ import annotations

import asyncio
from pathlib import Path

from papo.protocol.mesh import Heartbeat, decode_frame, encode_frame
from papo.protocol.message import ChatMessage, MessageType
from papo.store.history import HistoryStore
from papo.transport.catch_up import CaughtUp
from papo.transport.mesh import MeshConfig, MeshTransport
from papo.transport.recorded import RecordedTransport

from .test_mesh import FAST, Node, run_async, until


class RoomNode(Node):
    """A mesh node in a named room (None: the default room)."""

    def __init__(self, nick: str, room: str | None, peers: tuple[Node, ...] = ()) -> None:
        super().__init__(nick)
        bootstrap = tuple(("127.0.0.1", peer.transport.port) for peer in peers)
        self.transport = MeshTransport(
            nick,
            MeshConfig(listen_host="127.0.0.1", bootstrap=bootstrap, **FAST),  # type: ignore[arg-type]
            room=room,
        )


def test_a_heartbeat_carries_its_room_and_none_without_one() -> None:
    beat = Heartbeat("n1", "ana", 3, room="grupo1")
    decoded = decode_frame(encode_frame(beat))
    assert decoded == beat
    assert b"room" not in encode_frame(Heartbeat("n1", "ana", 3))


@run_async
async def test_a_node_relays_another_rooms_chat_but_shows_and_lists_only_its_own() -> None:
    # ana and caio (grupo1) reach each other only through bia (grupo2); dan (no room) too.
    started: list[Node] = []
    try:
        bia = await RoomNode("bia", "grupo2").start()
        started.append(bia)
        for nick, room in (("ana", "grupo1"), ("caio", "GRUPO1"), ("dan", None)):
            started.append(await RoomNode(nick, room, (bia,)).start())
        _, ana, caio, dan = started
        await until(lambda: ana.transport.roster() == ("ana", "caio") == caio.transport.roster())
        await until(lambda: len(bia.transport.links()) == 3)
        await ana.say("oi caio")
        await bia.say("so o grupo2")
        await dan.say("sala padrao")
        await until(lambda: caio.said() == [("ana", "oi caio")])
        await caio.say("oi ana")
        await until(lambda: ana.said() == [("caio", "oi ana")])
        assert bia.said() == [] and dan.said() == []
        assert bia.transport.roster() == ("bia",) and dan.transport.roster() == ("dan",)
        assert ana.of_type(MessageType.JOIN) == ["caio"]  # nobody of the other rooms joined
    finally:
        for node in started:
            await node.stop()


@run_async
async def test_a_node_without_a_room_meets_the_others_without_one_as_before() -> None:
    started: list[Node] = []
    try:
        ana = await RoomNode("ana", None).start()
        started.append(ana)
        started.append(await RoomNode("bia", None, (ana,)).start())
        started.append(await RoomNode("caio", "grupo1", (ana,)).start())
        bia = started[1]
        await until(lambda: ana.transport.roster() == ("ana", "bia") == bia.transport.roster())
        await bia.say("oi")
        await until(lambda: ana.said() == [("bia", "oi")])
        assert started[2].said() == []
    finally:
        for node in started:
            await node.stop()


class Member:
    """A mesh node in a room with a history file, as ``papo chat --p2p --room`` builds it."""

    def __init__(self, nick: str, room: str, path: Path, peers: tuple[Member, ...]) -> None:
        bootstrap = tuple(("127.0.0.1", peer.mesh.port) for peer in peers)
        config = MeshConfig(listen_host="127.0.0.1", bootstrap=bootstrap, **FAST)  # type: ignore[arg-type]
        self.mesh = MeshTransport(nick, config, room=room)
        self.store = HistoryStore(path)
        self.recorded = RecordedTransport(self.mesh, self.store, f"p2p/{room}", nick)
        self.events: list[object] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Member:
        await self.recorded.open()
        self._task = asyncio.create_task(self._collect())
        return self

    async def _collect(self) -> None:
        async for event in self.recorded.events():
            self.events.append(event)

    async def say(self, text: str) -> None:
        await self.recorded.send(ChatMessage(user=self.mesh.nick, data=text))

    def history(self) -> list[str]:
        return [m.data for m in self.recorded.recent(100)]

    async def stop(self) -> None:
        await self.recorded.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 5.0)
        self.store.close()


def test_catch_up_answers_only_the_requesters_room(tmp_path: Path) -> None:
    async def scenario() -> None:
        members: list[Member] = []
        try:
            ana = await Member("ana", "grupo1", tmp_path / "ana.sqlite3", ()).start()
            members.append(ana)
            bia = await Member("bia", "grupo2", tmp_path / "bia.sqlite3", (ana,)).start()
            members.append(bia)
            await until(lambda: len(ana.mesh.links()) == 1)
            await ana.say("do grupo1")
            await bia.say("do grupo2")
            await until(lambda: ana.history() == ["do grupo1"] and bia.history() == ["do grupo2"])
            # cid (grupo1) links to bia only: ana answers through bia; bia does not answer.
            cid = await Member("cid", "grupo1", tmp_path / "cid.sqlite3", (bia,)).start()
            members.append(cid)
            await until(lambda: any(isinstance(e, CaughtUp) for e in cid.events))
            (caught,) = [e for e in cid.events if isinstance(e, CaughtUp)]
            assert [(m.user, m.data) for m in caught.messages] == [("ana", "do grupo1")]
            assert cid.history() == ["do grupo1"]
        finally:
            for member in reversed(members):
                await member.stop()

    asyncio.run(asyncio.wait_for(scenario(), 20.0))
