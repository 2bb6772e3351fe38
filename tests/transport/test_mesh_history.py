"""Catch-up on the mesh (127.0.0.1): a late joiner asks the mesh what it missed."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from papo.protocol.codec import encode
from papo.protocol.history import history_answers
from papo.protocol.limits import DEFAULT_LIMITS
from papo.protocol.mesh import Flood, encode_frame
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.sealed import ScryptParams
from papo.protocol.sealed_link import LineSeal
from papo.store.history import HistoryStore
from papo.transport.catch_up import CaughtUp
from papo.transport.mesh import MeshConfig, MeshTransport
from papo.transport.recorded import RecordedTransport

from .test_mesh import FAST, TEST_TIMEOUT, until

ROOM = "p2p-mesh"
CHEAP = ScryptParams(n=2**4, r=8, p=1)


class Member:
    """A mesh node with its own history file, as ``papo chat --p2p`` builds it."""

    def __init__(
        self, nick: str, path: Path, peers: tuple[Member, ...], passphrase: str | None
    ) -> None:
        bootstrap = tuple(("127.0.0.1", peer.mesh.port) for peer in peers)
        seal = None
        if passphrase is not None:
            seal = LineSeal.from_passphrase(
                passphrase, sender_id=secrets.token_bytes(16), params=CHEAP
            )
        self.mesh = MeshTransport(
            nick,
            MeshConfig(listen_host="127.0.0.1", bootstrap=bootstrap, **FAST),  # type: ignore[arg-type]
            seal=seal,
        )
        self.store = HistoryStore(path)
        self.recorded = RecordedTransport(self.mesh, self.store, ROOM, nick)
        self.events: list[object] = []
        self.answered = 0
        shared_since = self.recorded.shared_since

        def counted(since: float) -> list[ChatMessage]:  # every answer the mesh asks for
            self.answered += 1
            return shared_since(since)

        self.recorded.shared_since = counted  # type: ignore[method-assign]
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Member:
        await self.recorded.open()
        self._task = asyncio.create_task(self._collect())
        return self

    async def _collect(self) -> None:
        async for event in self.recorded.events():
            self.events.append(event)

    async def say(self, text: str, kind: str = MessageType.CHAT, to: str | None = None) -> None:
        await self.recorded.send(ChatMessage(user=self.mesh.nick, data=text, type=kind, to=to))

    def history(self) -> list[str]:
        return [m.data for m in self.recorded.recent(100)]

    def caught_up(self) -> list[CaughtUp]:
        return [e for e in self.events if isinstance(e, CaughtUp)]

    async def stop(self) -> None:
        await self.recorded.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 5.0)
        self.store.close()


def run(scenario: Callable[[], object]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), TEST_TIMEOUT))  # type: ignore[arg-type]


@pytest.mark.parametrize("passphrase", [None, "senha comprida de teste"], ids=["plain", "sealed"])
def test_late_joiner_gets_the_public_past_once_from_two_members_never_the_private_line(
    tmp_path: Path, passphrase: str | None
) -> None:
    async def scenario() -> None:
        members: list[Member] = []
        try:
            ana = await Member("ana", tmp_path / "ana.sqlite3", (), passphrase).start()
            members.append(ana)
            bia = await Member("bia", tmp_path / "bia.sqlite3", (ana,), passphrase).start()
            members.append(bia)
            await until(lambda: ana.mesh.roster() == ("ana", "bia") == bia.mesh.roster())
            lines = [("um", ana, None), ("dois", bia, None), ("segredo", ana, "bia")]
            lines.append(("tres", bia, None))
            for text, sender, to in lines:  # each line seen by both before the next is said
                kind = MessageType.PRIVATE if to else MessageType.CHAT
                await sender.say(text, kind, to)
                await until(lambda t=text: ana.history()[-1:] == bia.history()[-1:] == [t])
            assert ana.history() == bia.history() == ["um", "dois", "segredo", "tres"]
            # Neither had anything to catch up on: nobody was there to answer.
            assert ana.caught_up() == bia.caught_up() == []

            before = (ana.answered, bia.answered)  # ana and bia asked each other on linking
            # cid links to bia only: ana hears the request, and answers, through bia.
            cid = await Member("cid", tmp_path / "cid.sqlite3", (bia,), passphrase).start()
            members.append(cid)
            await until(lambda: cid.caught_up() != [])
            await until(lambda: (ana.answered, bia.answered) == (before[0] + 1, before[1] + 1))
            (caught,) = cid.caught_up()
            assert [(m.user, m.data) for m in caught.messages] == [
                ("ana", "um"),
                ("bia", "dois"),
                ("bia", "tres"),
            ]
            assert cid.history() == ["um", "dois", "tres"]  # /history: each line once
            assert not any("segredo" in repr(event) for event in cid.events)

            await cid.say("quatro")
            await until(lambda: ana.history()[-1] == bia.history()[-1] == "quatro")
            assert cid.history() == ["um", "dois", "tres", "quatro"]
            assert len(cid.caught_up()) == 1
            # each member answers a requester once
            assert (ana.answered, bia.answered) == (before[0] + 1, before[1] + 1)
        finally:
            for member in reversed(members):
                await member.stop()

    run(scenario)


def test_a_member_answers_a_requester_once_even_if_it_asks_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        members: list[Member] = []
        try:
            ana = await Member("ana", tmp_path / "ana.sqlite3", (), None).start()
            members.append(ana)
            await ana.say("um")
            bia = await Member("bia", tmp_path / "bia.sqlite3", (ana,), None).start()
            members.append(bia)
            await until(lambda: bia.caught_up() != [])
            bia.mesh._request_history()  # a repeated (or replayed) request
            await until(lambda: not bia.mesh._catching_up.open)
            assert ana.answered == 1
            assert len(bia.caught_up()) == 1
            assert bia.history() == ["um"]
        finally:
            for member in reversed(members):
                await member.stop()

    run(scenario)


class Keeper:
    """A history that holds the given lines (what a joiner of the mesh is answered from)."""

    def __init__(self, *lines: ChatMessage) -> None:
        self.lines = list(lines)

    def newest_time(self) -> float | None:
        return self.lines[-1].ts if self.lines else None

    def shared_since(self, since: float) -> list[ChatMessage]:
        return [line for line in self.lines if (line.ts or 0.0) > since]


def test_answers_leave_room_for_the_flood_keys_so_none_is_dropped_on_arrival() -> None:
    limits = replace(DEFAULT_LIMITS, max_datagram_bytes=2000)

    def line(seq: int, text: str) -> ChatMessage:
        return ChatMessage(
            user="ana", data=text, type="chat", v=1, node="a" * 16, seq=seq,
            id=f"{'a' * 16}:{seq}", ts=1000.0 + seq,
        )  # fmt: skip

    ana_node, bia_node = "a" * 16, "b" * 16

    def answer_bytes(message: ChatMessage, flooded: bool) -> int:
        (answer,) = history_answers(
            [message], bia_node, nick="ana", node=ana_node, first_seq=0, ts=1.0
        )
        if flooded:  # as the mesh sends it: an id of its own, no seq, hops
            return len(encode_frame(Flood(replace(answer, seq=None, id=f"{ana_node}:h99"))))
        return len(encode(answer))

    # The second answer fits 2000 bytes alone, but not with the keys flooding adds.
    small = line(1, "oi")
    big = line(2, "x" * (2000 - 10 - answer_bytes(line(2, ""), flooded=False)))
    assert answer_bytes(big, flooded=False) <= 2000 < answer_bytes(big, flooded=True)

    async def scenario() -> None:
        config = MeshConfig(listen_host="127.0.0.1", **FAST)  # type: ignore[arg-type]
        ana = MeshTransport("ana", config, limits=limits, node=ana_node, wall_clock=lambda: 1.0)
        ana.share_history(Keeper(small, big))
        await ana.open()
        bia = MeshTransport(
            "bia",
            replace(config, bootstrap=(("127.0.0.1", ana.port),)),
            limits=limits,
            node=bia_node,
        )
        bia.share_history(Keeper())
        bia.catch_up_window = 0.5
        await bia.open()
        events: list[object] = []

        async def collect() -> None:
            async for event in bia.events():
                events.append(event)

        task = asyncio.create_task(collect())
        try:
            await until(lambda: any(isinstance(e, CaughtUp) for e in events))
            (caught,) = [e for e in events if isinstance(e, CaughtUp)]
            assert [m.data for m in caught.messages] == ["oi"]
            assert bia.dropped == 0
        finally:
            await bia.close()
            await ana.close()
            await asyncio.wait_for(task, 5.0)

    run(scenario)
