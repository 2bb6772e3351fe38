"""The one contract suite: every :class:`~papo.transport.base.ChatTransport` keeps the same rules.

Each transport has a factory (a ``backend`` fixture param) that opens members of one room
by nick; the same checks then run against all of them: the protocol, a clean open/close,
chat/me/private delivered exactly once and never echoed, the roster, leave, ``/nick``,
bad input refused with a :class:`~papo.errors.PapoError` (or split, for long text), and
``events()`` ending at ``close()``. Where a transport differs from the strictest reading
of the contract for a reason inherent to how it moves bytes, its :class:`Capabilities`
say so (documented there), instead of a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from conftest import free_tcp_port, free_udp_port
from nats_cluster import require_nats_server

from papo.errors import ConfigError, NetworkError, PapoError
from papo.protocol.limits import MAX_INPUT_CHARS
from papo.protocol.message import ChatMessage, MessageType
from papo.store.history import HistoryStore
from papo.transport.base import (
    ChatTransport,
    Delivered,
    NickChanged,
    RosterChanged,
    StatusChanged,
    TransportEvent,
)
from papo.transport.mesh import MeshConfig, MeshTransport
from papo.transport.multicast import MulticastConfig
from papo.transport.multicast_room import MulticastRoomTransport
from papo.transport.nats import NatsTransport
from papo.transport.recorded import RecordedTransport
from papo.transport.tcp_client import TcpRoomClient
from papo.transport.tcp_server import RoomServer, RoomServerConfig

#: Seconds any one expectation may take (generous: the whole suite may run at once).
WAIT = 10.0

#: Seconds one test body may take at most.
TEST_TIMEOUT = 30.0

#: Seconds a nats-server gets to answer ``/healthz`` after it starts.
NATS_READY_TIMEOUT = 15.0

#: Mesh timers short enough for a test, long enough for a busy 2-core machine.
MESH_TIMERS = {"heartbeat_interval": 0.2, "peer_deadline": 3.0, "redial_interval": 0.2}


# -- capabilities ----------------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """Where a transport inherently differs from the strictest reading of the contract.

    Every flag is documented with the reason; the checks read them, nothing is skipped.
    """

    #: A private message travels to members other than its addressee, which drop it on
    #: arrival (multicast: one datagram to the group; mesh: flooded through relays;
    #: NATS: one subject for the room). The addressee-only *delivery* is still checked;
    #: what this flag admits is that anyone with a packet capture can read it.
    private_seen_on_wire: bool = False
    #: The leave message's own text reaches the others (False: the room server announces
    #: the leave itself, with a reason code instead of the user's words).
    leave_text_relayed: bool = True
    #: ``open()`` refuses a nick already in the room with ConfigError and a suggestion.
    #: Only a room with an authority (the server) can: serverless rooms learn who is there
    #: only after joining, so two members may briefly share a nick (``/nick`` to a nick
    #: already seen is still refused by all).
    refuses_taken_nick_on_open: bool = False
    #: A newcomer is told the members already present as ``join`` messages. The mesh
    #: infers presence from hearing a node (no join message exists), so it cannot tell a
    #: member who just came from one it just discovered; the others send a roster instead.
    present_members_announced_as_joins: bool = False


MULTICAST_CAPS = Capabilities(private_seen_on_wire=True)
TCP_CAPS = Capabilities(leave_text_relayed=False, refuses_taken_nick_on_open=True)
MESH_CAPS = Capabilities(private_seen_on_wire=True, present_members_announced_as_joins=True)
NATS_CAPS = Capabilities(private_seen_on_wire=True)


# -- factories -------------------------------------------------------------------------


class Room:
    """One room of one transport: builds (unopened) members by nick; closes what it made."""

    caps: Capabilities

    def build(self, nick: str) -> ChatTransport:
        raise NotImplementedError

    def unreachable(self, nick: str) -> ChatTransport:
        """A member whose ``open()`` must fail: its room cannot be reached or joined."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release what the room itself holds (servers, stores)."""


class MulticastRoom(Room):
    caps = MULTICAST_CAPS

    def __init__(self) -> None:
        self.config = MulticastConfig(port=free_udp_port())

    def build(self, nick: str) -> ChatTransport:
        return MulticastRoomTransport(self.config, nick)

    def unreachable(self, nick: str) -> ChatTransport:
        # An interface address this namespace does not have: joining the group fails.
        return MulticastRoomTransport(replace(self.config, interface="192.0.2.1"), nick)


class TcpRoom(Room):
    caps = TCP_CAPS

    def __init__(self) -> None:
        self.server = RoomServer(RoomServerConfig(host="127.0.0.1", port=0))

    async def start(self) -> None:
        await self.server.start()

    def build(self, nick: str) -> ChatTransport:
        return TcpRoomClient("127.0.0.1", self.server.port, nick)

    def unreachable(self, nick: str) -> ChatTransport:
        return TcpRoomClient("127.0.0.1", free_tcp_port(), nick)

    async def aclose(self) -> None:
        await self.server.close()


class MeshRoom(Room):
    """Every member bootstraps (``--peer``) from the first one; no beacons."""

    caps = MESH_CAPS

    def __init__(self) -> None:
        self.first: MeshTransport | None = None

    def build(self, nick: str) -> ChatTransport:
        bootstrap = () if self.first is None else (("127.0.0.1", self.first.port),)
        config = MeshConfig(listen_host="127.0.0.1", bootstrap=bootstrap, **MESH_TIMERS)  # type: ignore[arg-type]
        transport = MeshTransport(nick, config)
        self.first = self.first or transport
        return transport

    def unreachable(self, nick: str) -> ChatTransport:
        # Its listening port is taken by the first member: it cannot listen.
        assert self.first is not None, "open a member first"
        config = MeshConfig(listen_host="127.0.0.1", port=self.first.port, **MESH_TIMERS)  # type: ignore[arg-type]
        return MeshTransport(nick, config)


class NatsRoom(Room):
    caps = NATS_CAPS

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name

    def build(self, nick: str) -> ChatTransport:
        return NatsTransport([self.url], nick, room=self.name, replicas=1)

    def unreachable(self, nick: str) -> ChatTransport:
        url = f"nats://127.0.0.1:{free_tcp_port()}"
        return NatsTransport([url], nick, room=self.name, connect_seconds=1.0)


class RecordedRoom(TcpRoom):
    """The history wrapper around room-server clients, one history file per member."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.stores: list[HistoryStore] = []

    def build(self, nick: str) -> ChatTransport:
        store = HistoryStore(self.directory / f"{nick}-{len(self.stores)}.sqlite3")
        self.stores.append(store)
        return RecordedTransport(super().build(nick), store, "geral", nick)

    def unreachable(self, nick: str) -> ChatTransport:
        store = HistoryStore(self.directory / f"{nick}-{len(self.stores)}.sqlite3")
        self.stores.append(store)
        return RecordedTransport(super().unreachable(nick), store, "geral", nick)

    async def aclose(self) -> None:
        await super().aclose()
        for store in self.stores:
            store.close()


def _start_nats(directory: Path) -> Iterator[str]:
    """One nats-server with JetStream on 127.0.0.1 (a room per test keeps tests apart)."""
    binary = require_nats_server()
    port, monitor = free_tcp_port(), free_tcp_port()
    config = directory / "nats.conf"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\nhttp: "127.0.0.1:{monitor}"\n'
        f'jetstream {{ store_dir: "{directory / "js"}", max_memory_store: 64MB, '
        "max_file_store: 256MB }\n"
    )
    log = (directory / "nats.log").open("ab")
    process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=log)
    try:
        end = time.monotonic() + NATS_READY_TIMEOUT
        while True:
            assert process.poll() is None, (directory / "nats.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/healthz", timeout=1):
                    break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < end, f"nats-server not healthy in {NATS_READY_TIMEOUT}s"
                time.sleep(0.05)  # polling a port with a deadline, not synchronising
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(10)
        log.close()


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _start_nats(tmp_path_factory.mktemp("nats"))


BACKENDS = [
    pytest.param("multicast", marks=pytest.mark.netns),
    pytest.param("tcp"),
    pytest.param("mesh", marks=pytest.mark.netns),
    pytest.param("nats"),
    pytest.param("recorded"),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Awaitable[Room]]:
    """An async factory of the param's :class:`Room` (made inside the test's event loop)."""
    kind = request.param
    url = request.getfixturevalue("nats_url") if kind == "nats" else ""
    room_name = f"contract-{request.node.name.split('[')[0][-40:]}".replace("_", "-")

    async def make() -> Room:
        if kind == "multicast":
            return MulticastRoom()
        if kind == "mesh":
            return MeshRoom()
        if kind == "nats":
            return NatsRoom(url, room_name[:64])
        room = RecordedRoom(tmp_path) if kind == "recorded" else TcpRoom()
        await room.start()
        return room

    return make


# -- members and their events ----------------------------------------------------------


@dataclass(eq=False)
class Member:
    """An opened transport and everything it reported, collected in the background."""

    nick: str
    transport: Any
    changed: asyncio.Event
    events: list[TransportEvent] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for event in self.transport.events():
                self.events.append(event)
                self.changed.set()
        finally:
            self.changed.set()

    @property
    def ended(self) -> bool:
        return self.task is not None and self.task.done()

    def delivered(self, kind: str | None = None) -> list[ChatMessage]:
        return [
            e.message
            for e in self.events
            if isinstance(e, Delivered) and (kind is None or e.message.type == kind)
        ]

    def texts(self, kind: str = MessageType.CHAT, user: str | None = None) -> list[str]:
        return [m.data for m in self.delivered(kind) if user is None or m.user == user]

    def roster(self) -> tuple[str, ...] | None:
        rosters = [e.nicks for e in self.events if isinstance(e, RosterChanged)]
        return rosters[-1] if rosters else None

    async def say(self, text: str, kind: str = MessageType.CHAT, **fields: Any) -> None:
        await self.transport.send(ChatMessage(user=self.nick, data=text, type=kind, **fields))


@dataclass(eq=False)
class Scene:
    """The members of one room; waits for conditions over all of them, with a deadline."""

    room: Room
    members: list[Member] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def open(self, nick: str) -> Member:
        member = Member(nick, self.room.build(nick), self.changed)
        await member.transport.open()
        member.start()
        self.members.append(member)
        return member

    async def until(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        """Wait (on events, not on a timer) until ``condition`` holds; fail after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = {m.nick: m.events for m in self.members}
                raise AssertionError(f"{what}: not within {timeout}s; events: {seen!r}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    async def full_roster(self) -> None:
        """Wait until every open member's roster lists exactly the open members."""
        everyone = tuple(sorted(m.transport.nick for m in self.members if not m.ended))
        await self.until(
            lambda: all(m.roster() == everyone for m in self.members if not m.ended),
            f"every roster is {everyone}",
        )

    async def close_all(self) -> None:
        for member in self.members:
            await member.transport.close()
        for member in self.members:
            if member.task is not None:
                await asyncio.wait_for(member.task, WAIT)


@contextlib.asynccontextmanager
async def opened_room(make: Callable[[], Awaitable[Room]], *nicks: str) -> AsyncIterator[Scene]:
    room = await make()
    scene = Scene(room)
    try:
        for nick in nicks:
            await scene.open(nick)
        await scene.full_roster()
        yield scene
    finally:
        try:
            await scene.close_all()
        finally:
            await room.aclose()


def with_room(*nicks: str) -> Callable[..., Callable[..., None]]:
    """Run the async test body with a :class:`Scene` of ``nicks`` opened and in the roster."""

    def decorate(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
        def wrapper(backend: Callable[[], Awaitable[Room]]) -> None:
            async def body() -> None:
                async with opened_room(backend, *nicks) as scene:
                    await test(scene, *scene.members)

            asyncio.run(asyncio.wait_for(body(), TEST_TIMEOUT))

        # Not functools.wraps: pytest would read the body's parameters as fixtures.
        wrapper.__name__ = wrapper.__qualname__ = test.__name__
        wrapper.__doc__ = test.__doc__
        return wrapper

    return decorate


async def fence(scene: Scene, sender: Member, *receivers: Member, label: str) -> None:
    """``sender`` says ``label`` and every receiver hears it: earlier lines of ``sender``
    (an ordered stream per sender) have had their chance to arrive twice by then."""
    await sender.say(label)
    await scene.until(
        lambda: all(label in r.texts(user=sender.transport.nick) for r in receivers),
        f"{label} reaches {[r.nick for r in receivers]}",
    )


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def nothing_left_since(tasks: set[asyncio.Task[Any]], fds: int) -> None:
    """Wait until no task and no file descriptor remains beyond ``tasks`` and ``fds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while (asyncio.all_tasks() - tasks) or open_fds() > fds:
        if loop.time() > deadline:
            raise AssertionError(
                f"left running: {asyncio.all_tasks() - tasks}; fds {fds} -> {open_fds()}"
            )
        await asyncio.sleep(0.02)  # polling with a deadline: nothing signals this


# -- the contract ----------------------------------------------------------------------


def test_every_transport_is_a_chat_transport(backend: Callable[[], Awaitable[Room]]) -> None:
    async def body() -> None:
        room = await backend()
        try:
            assert isinstance(room.build("ana"), ChatTransport)
        finally:
            await room.aclose()

    asyncio.run(asyncio.wait_for(body(), TEST_TIMEOUT))


def test_open_then_close_leaves_nothing_running_and_close_twice_is_safe(
    backend: Callable[[], Awaitable[Room]],
) -> None:
    async def body() -> None:
        room = await backend()
        try:
            transport = room.build("ana")
            before_tasks = asyncio.all_tasks()
            before_fds = open_fds()
            member = Member("ana", transport, asyncio.Event())
            with pytest.raises(PapoError):
                await member.say("before open")
            await transport.open()
            member.start()
            await transport.close()
            await transport.close()
            assert member.task is not None
            await asyncio.wait_for(member.task, WAIT)  # events() ended
            with pytest.raises(PapoError):
                await member.say("after close")
            await nothing_left_since(before_tasks, before_fds)
        finally:
            await room.aclose()

    asyncio.run(asyncio.wait_for(body(), TEST_TIMEOUT))


def test_open_that_cannot_join_raises_a_papo_error_and_leaves_nothing_running(
    backend: Callable[[], Awaitable[Room]],
) -> None:
    async def body() -> None:
        async with opened_room(backend, "ana") as scene:
            transport = scene.room.unreachable("bia")
            before_tasks = asyncio.all_tasks()
            before_fds = open_fds()
            with pytest.raises((ConfigError, NetworkError)):
                await transport.open()
            await transport.close()  # safe after a failed open, too
            with pytest.raises(PapoError):
                await transport.send(ChatMessage(user="bia", data="oi"))
            await nothing_left_since(before_tasks, before_fds)

    asyncio.run(asyncio.wait_for(body(), TEST_TIMEOUT))


@with_room("ana", "bia", "caio")
async def test_a_chat_line_reaches_every_other_member_once_and_never_its_sender(
    scene: Scene, ana: Member, bia: Member, caio: Member
) -> None:
    await ana.say("oi, sala")
    await fence(scene, ana, bia, caio, label="fence-ana")
    await fence(scene, bia, ana, label="fence-bia")
    await fence(scene, caio, ana, label="fence-caio")
    assert bia.texts(user="ana") == ["oi, sala", "fence-ana"]
    assert caio.texts(user="ana") == ["oi, sala", "fence-ana"]
    for member in (ana, bia, caio):
        assert not [m for m in member.delivered() if m.user == member.nick], member.nick


@with_room("ana", "bia", "caio")
async def test_me_lines_arrive_as_type_me(
    scene: Scene, ana: Member, bia: Member, caio: Member
) -> None:
    await ana.say("acena", MessageType.ME)
    await scene.until(
        lambda: bia.texts(MessageType.ME) == caio.texts(MessageType.ME) == ["acena"],
        "the me line reaches bia and caio",
    )
    await fence(scene, bia, ana, label="fence-bia")
    assert ana.texts(MessageType.ME) == []


@with_room("ana", "bia", "caio")
async def test_a_private_line_reaches_its_addressee_only(
    scene: Scene, ana: Member, bia: Member, caio: Member
) -> None:
    await ana.say("segredo", MessageType.PRIVATE, to="bia")
    await scene.until(
        lambda: bia.texts(MessageType.PRIVATE) == ["segredo"], "the private line reaches bia"
    )
    await fence(scene, ana, bia, caio, label="fence-ana")
    [private] = bia.delivered(MessageType.PRIVATE)
    assert (private.user, private.to) == ("ana", "bia")
    # Delivery is addressee-only everywhere; caps.private_seen_on_wire says where the
    # bytes still pass by others (documented, not checkable from events).
    assert caio.delivered(MessageType.PRIVATE) == []
    assert ana.delivered(MessageType.PRIVATE) == []


@with_room("ana", "bia", "caio")
async def test_each_member_sees_every_later_member_join_once(
    scene: Scene, ana: Member, bia: Member, caio: Member
) -> None:
    def joins(member: Member) -> list[str]:
        return sorted(m.user for m in member.delivered(MessageType.JOIN))

    await scene.until(
        lambda: "bia" in joins(ana) and "caio" in joins(ana) and "caio" in joins(bia),
        "the later members' joins arrive",
    )
    await fence(scene, caio, ana, bia, label="fence-caio")
    if scene.room.caps.present_members_announced_as_joins:
        assert joins(ana) == ["bia", "caio"]
        assert joins(bia) == ["ana", "caio"]
        assert joins(caio) == ["ana", "bia"]
    else:
        assert joins(ana) == ["bia", "caio"]
        assert joins(bia) == ["caio"]
        assert joins(caio) == []


def test_a_bad_local_nick_is_refused_with_config_error(
    backend: Callable[[], Awaitable[Room]],
) -> None:
    async def body() -> None:
        room = await backend()
        try:
            for bad in ("", "com espaço", "x" * 100):
                with pytest.raises(ConfigError):
                    transport = room.build(bad)  # refused when built, or when opened
                    try:
                        await transport.open()
                    finally:
                        await transport.close()
        finally:
            await room.aclose()

    asyncio.run(asyncio.wait_for(body(), TEST_TIMEOUT))


def test_opening_with_a_nick_already_in_the_room(backend: Callable[[], Awaitable[Room]]) -> None:
    async def body() -> None:
        async with opened_room(backend, "ana") as scene:
            twin = scene.room.build("ana")
            if scene.room.caps.refuses_taken_nick_on_open:
                with pytest.raises(ConfigError) as refused:
                    await twin.open()
                assert refused.value.details.get("suggestion")
            else:
                await twin.open()  # nobody can say no yet: it joins
            await twin.close()

    asyncio.run(asyncio.wait_for(body(), TEST_TIMEOUT))


@with_room("ana", "bia", "caio")
async def test_a_nick_change_to_a_nick_in_the_room_is_refused(
    scene: Scene, ana: Member, bia: Member, caio: Member
) -> None:
    try:
        await bia.say("ana", MessageType.NICK)
    except ConfigError:
        pass  # refused at once: the transport knows who is in the room
    else:  # or refused by the room, as a status line for bia
        await scene.until(
            lambda: any(isinstance(e, StatusChanged) and "nick" in e.code for e in bia.events),
            "bia is told the nick is taken",
        )
    await fence(scene, bia, ana, caio, label="ainda bia")
    assert bia.transport.nick == "bia"
    assert not [e for e in bia.events if isinstance(e, NickChanged)]
    assert ana.roster() == caio.roster() == ("ana", "bia", "caio")


@with_room("ana", "bia", "caio")
async def test_the_roster_drops_a_member_who_leaves_and_one_who_just_closes(
    scene: Scene, ana: Member, bia: Member, caio: Member
) -> None:
    await caio.say("tchau", MessageType.LEAVE)
    await caio.transport.close()
    await scene.until(
        lambda: ana.roster() == bia.roster() == ("ana", "bia"), "caio leaves every roster"
    )
    for member in (ana, bia):
        [leave] = [m for m in member.delivered(MessageType.LEAVE) if m.user == "caio"]
        if scene.room.caps.leave_text_relayed:
            assert leave.data == "tchau"
    await bia.transport.close()
    await scene.until(lambda: ana.roster() == ("ana",), "bia leaves ana's roster")
    assert [m.user for m in ana.delivered(MessageType.LEAVE)] == ["caio", "bia"]


@with_room("ana", "bia", "caio")
async def test_a_nick_change_is_confirmed_to_the_sender_and_seen_by_the_others(
    scene: Scene, ana: Member, bia: Member, caio: Member
) -> None:
    await ana.say("ana2", MessageType.NICK)
    await scene.until(
        lambda: NickChanged("ana2") in ana.events, "ana's transport confirms the new nick"
    )
    assert ana.transport.nick == "ana2"
    ana.nick = "ana2"
    await scene.full_roster()
    for member in (bia, caio):
        renames = [(m.user, m.data) for m in member.delivered(MessageType.NICK)]
        assert renames == [("ana", "ana2")], member.nick
    await fence(scene, ana, bia, caio, label="sou ana2")
    assert NickChanged("ana2") not in bia.events
    await bia.say("psiu, ana2", MessageType.PRIVATE, to="ana2")
    await scene.until(
        lambda: ana.texts(MessageType.PRIVATE) == ["psiu, ana2"], "a private line to the new nick"
    )


@with_room("ana", "bia")
async def test_long_text_is_split_and_bad_messages_raise_papo_errors_only(
    scene: Scene, ana: Member, bia: Member
) -> None:
    long_text = " ".join(f"palavra{index}" for index in range(1200))  # 13 289 characters
    assert len(long_text) <= MAX_INPUT_CHARS
    await ana.say(long_text)
    await scene.until(
        lambda: "".join(bia.texts(user="ana")) == long_text, "the long text arrives whole"
    )
    invalid = [
        ChatMessage(user="ana", data="x", type="bogus"),
        ChatMessage(user="ana", data="sem destino", type=MessageType.PRIVATE),
        ChatMessage(user="ana", data="nick com espaço", type=MessageType.NICK),
        ChatMessage(user="ana", data="", type=MessageType.NICK),
    ]
    for message in invalid:
        with pytest.raises(PapoError):
            await ana.transport.send(message)
    either = [
        ChatMessage(user="ana", data="x" * (MAX_INPUT_CHARS + 1)),
        ChatMessage(user="ana", data="\udcff bytes que não eram UTF-8"),
    ]
    for message in either:
        with contextlib.suppress(PapoError):  # refused in words the user can read: allowed
            await ana.transport.send(message)
    await fence(scene, ana, bia, label="ainda aqui")


#: Lines in the burst tests: under every transport's burst allowance (room server: 60).
BURST_LINES = 40


@with_room("ana", "bia")
async def test_a_burst_of_lines_arrives_complete_once_and_in_order(
    scene: Scene, ana: Member, bia: Member
) -> None:
    lines = [f"linha {index}" for index in range(BURST_LINES)]
    for line in lines:
        await ana.say(line)
    await scene.until(lambda: len(bia.texts(user="ana")) >= BURST_LINES, "the burst arrives")
    await fence(scene, ana, bia, label="fence-ana")
    assert bia.texts(user="ana") == [*lines, "fence-ana"]


@with_room("ana", "bia")
async def test_concurrent_sends_from_several_tasks_each_arrive_once(
    scene: Scene, ana: Member, bia: Member
) -> None:
    lines = [f"tarefa {index}" for index in range(BURST_LINES)]
    await asyncio.gather(*(ana.say(line) for line in lines))
    await scene.until(lambda: len(bia.texts(user="ana")) >= BURST_LINES, "every line arrives")
    await fence(scene, ana, bia, label="fence-ana")
    assert sorted(bia.texts(user="ana")) == sorted([*lines, "fence-ana"])


@with_room("ana", "bia")
async def test_events_end_after_close(scene: Scene, ana: Member, bia: Member) -> None:
    await ana.transport.close()
    await scene.until(lambda: ana.ended, "ana's events() ends")
    await bia.transport.close()
    await scene.until(lambda: bia.ended, "bia's events() ends")
