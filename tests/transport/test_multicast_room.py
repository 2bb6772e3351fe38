"""The multicast chat room transport, over real multicast sockets inside a namespace."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import free_udp_port

from papo.errors import ConfigError, DecodeError
from papo.protocol.message import ChatMessage, MessageType
from papo.transport.base import (
    ChatTransport,
    Delivered,
    Dropped,
    MessagesLate,
    MessagesLost,
    NickChanged,
    RosterChanged,
    TransportEvent,
)
from papo.transport.multicast import MulticastConfig, MulticastReceiver
from papo.transport.multicast_room import (
    LEAVE_TEXT,
    PRESENCE_TYPE,
    MulticastRoomTransport,
    presence_port,
)

pytestmark = pytest.mark.netns

GROUP = "224.3.29.71"


def run(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test body in a fresh event loop, bounded in time."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 20))

    return wrapper


class Watcher:
    """Collects a transport's events; waits for one matching a condition, with a deadline."""

    def __init__(self, transport: MulticastRoomTransport) -> None:
        self.events: list[TransportEvent] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._pump(transport))

    async def _pump(self, transport: MulticastRoomTransport) -> None:
        async for event in transport.events():
            self.events.append(event)
            self._changed.set()

    async def wait_for(
        self, condition: Callable[[TransportEvent], bool], timeout: float = 5.0
    ) -> TransportEvent:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self.events:
                if condition(event):
                    return event
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no matching event in {timeout}s; got {self.events!r}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def delivered(self) -> list[ChatMessage]:
        return [event.message for event in self.events if isinstance(event, Delivered)]


def delivered(text: str, kind: str = MessageType.CHAT) -> Callable[[TransportEvent], bool]:
    return lambda e: isinstance(e, Delivered) and e.message.data == text and e.message.type == kind


def roster_is(*nicks: str) -> Callable[[TransportEvent], bool]:
    return lambda e: isinstance(e, RosterChanged) and e.nicks == tuple(sorted(nicks))


def send_raw(payload: bytes, port: int) -> None:
    """One datagram to the group, as a handout program (or an attacker) sends it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
        sock.sendto(payload, (GROUP, port))


async def opened(nick: str, port: int, **options: Any) -> tuple[MulticastRoomTransport, Watcher]:
    transport = MulticastRoomTransport(MulticastConfig(port=port), nick, **options)
    watcher = Watcher(transport)
    await transport.open()
    return transport, watcher


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` on the event loop until it holds; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.01)


@pytest.fixture
def port() -> int:
    return free_udp_port()


def test_transport_implements_the_chat_transport_contract(port: int) -> None:
    assert isinstance(MulticastRoomTransport(MulticastConfig(port=port), "ana"), ChatTransport)


@run
async def test_two_members_see_each_other_join_chat_and_leave(port: int) -> None:
    ana, ana_events = await opened("ana", port)
    bob, bob_events = await opened("bob", port)
    await ana_events.wait_for(delivered("entrou / joined", MessageType.JOIN))
    await bob_events.wait_for(roster_is("ana", "bob"))
    await ana_events.wait_for(roster_is("ana", "bob"))

    await ana.send(ChatMessage(user="ana", data="oi bob"))
    await bob_events.wait_for(delivered("oi bob"))
    await bob.send(ChatMessage(user="bob", data="oi ana", type=MessageType.ME))
    await ana_events.wait_for(delivered("oi ana", MessageType.ME))

    await bob.send(ChatMessage(user="bob", data=LEAVE_TEXT, type=MessageType.LEAVE))
    await bob.close()
    leave = await ana_events.wait_for(delivered(LEAVE_TEXT, MessageType.LEAVE))
    assert leave.message.data.strip().casefold() != "sair"  # type: ignore[union-attr]
    await ana_events.wait_for(roster_is("ana"))
    await ana.close()
    # Nobody hears themselves, and bob said goodbye exactly once.
    assert all(m.user != "ana" for m in ana_events.delivered())
    assert all(m.user != "bob" for m in bob_events.delivered())
    assert [m.type for m in ana_events.delivered() if m.user == "bob"].count("leave") == 1


@run
async def test_close_without_leave_still_says_goodbye_and_is_safe_twice(port: int) -> None:
    ana, ana_events = await opened("ana", port)
    bob, _ = await opened("bob", port)
    await ana_events.wait_for(roster_is("ana", "bob"))
    await bob.close()
    await bob.close()
    await ana_events.wait_for(delivered(LEAVE_TEXT, MessageType.LEAVE))
    await ana.close()


@run
async def test_private_message_reaches_only_its_recipient(port: int) -> None:
    ana, _ = await opened("ana", port)
    bob, bob_events = await opened("bob", port)
    cid, cid_events = await opened("cid", port)
    await ana.send(ChatMessage(user="ana", data="só pro bob", type="private", to="bob"))
    await ana.send(ChatMessage(user="ana", data="para todos"))
    await bob_events.wait_for(delivered("só pro bob", MessageType.PRIVATE))
    await cid_events.wait_for(delivered("para todos"))
    assert all(m.data != "só pro bob" for m in cid_events.delivered())
    for transport in (ana, bob, cid):
        await transport.close()


@run
async def test_sequence_gap_is_reported_as_lost_messages(port: int) -> None:
    ana, events = await opened("ana", port)
    for seq in (1, 2, 6):
        message = {"user": "zé", "data": f"n{seq}", "v": 1, "node": "abcd", "seq": seq}
        send_raw(json.dumps(message).encode(), port)
    lost = await events.wait_for(lambda e: isinstance(e, MessagesLost))
    assert lost == MessagesLost("zé", 3)
    await events.wait_for(delivered("n6"))
    await ana.close()


def numbered(seq: int) -> bytes:
    return json.dumps(
        {"user": "zé", "data": f"n{seq}", "v": 1, "node": "abcd", "seq": seq}
    ).encode()


@run
async def test_overtaken_datagrams_are_late_not_lost_and_duplicates_show_once(port: int) -> None:
    ana, events = await opened("ana", port)
    for seq in (1, 3, 2):  # 3 overtakes 2
        send_raw(numbered(seq), port)
        await events.wait_for(delivered(f"n{seq}"))
    ana.report_losses(now=time.time() + 100)  # long after any grace period
    assert not [e for e in events.events if isinstance(e, MessagesLost)]

    send_raw(numbered(5), port)  # 4 is missing...
    await events.wait_for(delivered("n5"))
    ana.report_losses(now=time.time() + 100)
    assert await events.wait_for(lambda e: isinstance(e, MessagesLost)) == MessagesLost("zé", 1)
    send_raw(numbered(4), port)  # ...and turns up after it was reported lost
    assert await events.wait_for(lambda e: isinstance(e, MessagesLate)) == MessagesLate("zé", 1)

    send_raw(numbered(5), port)  # the network delivers 5 twice
    send_raw(numbered(6), port)
    await events.wait_for(delivered("n6"))
    assert [m.data for m in events.delivered() if m.user == "zé"] == [
        "n1",
        "n3",
        "n2",
        "n5",
        "n4",
        "n6",
    ]
    assert ana.duplicates == 1
    await ana.close()


@run
async def test_a_flooding_source_is_cut_and_said_once_while_others_get_through(
    port: int,
) -> None:
    ana, events = await opened("ana", port)
    flood = json.dumps({"user": "spam", "data": "x"}).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as spammer:
        for _ in range(2000):  # bounded: far over the per-source burst
            spammer.sendto(flood, (GROUP, port))
        send_raw(json.dumps({"user": "bia", "data": "still heard"}).encode(), port)
    limited = await events.wait_for(
        lambda e: isinstance(e, Dropped) and e.error.code == "rate_limited"
    )
    assert limited is not None
    shown = [m for m in events.delivered() if m.user == "spam"]
    assert len(shown) < 2000
    assert len([e for e in events.events if isinstance(e, Dropped)]) < 5
    await events.wait_for(delivered("still heard"))
    await ana.close()


@run
async def test_handout_messages_are_shown_and_their_sair_is_that_user_leaving(port: int) -> None:
    ana, events = await opened("ana", port)
    send_raw(json.dumps({"user": "estudante", "data": "olá"}).encode(), port)
    await events.wait_for(delivered("olá"))
    await events.wait_for(roster_is("ana", "estudante"))
    send_raw(b"texto puro", port)
    plain = await events.wait_for(delivered("texto puro"))
    assert plain.message.plain  # type: ignore[union-attr]
    send_raw(json.dumps({"user": "estudante", "data": "sair"}).encode(), port)
    await events.wait_for(delivered("sair"))
    await events.wait_for(roster_is("ana"))
    await ana.send(ChatMessage(user="ana", data="ainda aqui"))  # the room is still open
    await ana.close()


@run
async def test_garbage_datagram_is_dropped_and_counted(port: int) -> None:
    ana, events = await opened("ana", port)
    send_raw(b"\xff\xfe not utf-8", port)
    dropped = await events.wait_for(lambda e: isinstance(e, Dropped))
    assert dropped.error.code == "decode_invalid_utf8"  # type: ignore[union-attr]
    assert ana.dropped == 1
    await ana.close()


async def kinds_heard(listener: MulticastReceiver, count: int) -> list[str]:
    """The ``type`` of the next ``count`` datagrams (fewer if 1 s passes in silence)."""
    loop = asyncio.get_running_loop()
    kinds = []
    for _ in range(count):
        received = await loop.run_in_executor(None, listener.receive, 1.0)
        if received is None:
            break
        kinds.append(json.loads(received[0])["type"])
    return kinds


@run
async def test_heartbeat_goes_to_the_presence_port_only(port: int) -> None:
    config = MulticastConfig(port=port)
    with (
        MulticastReceiver(config) as chat_port,
        MulticastReceiver(MulticastConfig(port=presence_port(config))) as side_port,
    ):
        ana, _ = await opened("ana", port, presence_interval=0.05)
        assert (await kinds_heard(side_port, 3)) == [PRESENCE_TYPE] * 3
        await ana.send(ChatMessage(user="ana", data="oi"))
        await ana.close()
        # What a handout receiver on the chat port sees: no heartbeat, ever.
        assert await kinds_heard(chat_port, 10) == ["join", "chat", "leave"]


@run
async def test_silent_members_expire_from_the_roster(port: int) -> None:
    now = [1000.0]
    ana, events = await opened("ana", port, presence_interval=0.05, clock=lambda: now[0])
    send_raw(json.dumps({"user": "fantasma", "data": "oi"}).encode(), port)
    await events.wait_for(roster_is("ana", "fantasma"))
    now[0] += ana.presence_timeout + 1
    await events.wait_for(roster_is("ana"))  # the heartbeat task expired the silent member
    await ana.close()


@run
async def test_presence_keeps_a_quiet_member_in_the_roster(port: int) -> None:
    now = [1000.0]
    clock = lambda: now[0]  # noqa: E731
    ana, ana_events = await opened("ana", port, presence_interval=0.05, clock=clock)
    bob, _ = await opened("bob", port, presence_interval=0.05, clock=clock)
    await ana_events.wait_for(roster_is("ana", "bob"))
    for _ in range(3):  # bob says nothing, but his heartbeats keep him in
        now[0] += ana.presence_timeout / 2
        await until(lambda: ana.last_heard("bob") == now[0])
        assert ana.roster() == ("ana", "bob")
    await bob.close()
    await ana.close()


@run
async def test_a_room_on_the_next_port_does_not_mix_with_this_one(port: int) -> None:
    ana, ana_events = await opened("ana", port, presence_interval=0.05)
    zoe, zoe_events = await opened("zoe", presence_port(MulticastConfig(port=port)))
    await zoe.send(ChatMessage(user="zoe", data="outra sala"))
    await ana.send(ChatMessage(user="ana", data="esta sala"))
    await asyncio.sleep(0.3)  # an observation window: nothing may arrive in it
    assert ana.roster() == ("ana",) and zoe.roster() == ("zoe",)
    assert not ana_events.delivered() and not zoe_events.delivered()
    await ana.close()
    await zoe.close()


@run
async def test_nick_change_is_confirmed_announced_and_a_taken_nick_refused(port: int) -> None:
    ana, ana_events = await opened("ana", port)
    bob, bob_events = await opened("bob", port)
    await ana_events.wait_for(roster_is("ana", "bob"))
    await ana.send(ChatMessage(user="ana", data="bia", type=MessageType.NICK))
    assert await ana_events.wait_for(lambda e: isinstance(e, NickChanged)) == NickChanged("bia")
    await bob_events.wait_for(delivered("bia", MessageType.NICK))
    await bob_events.wait_for(roster_is("bia", "bob"))
    with pytest.raises(ConfigError) as info:
        await ana.send(ChatMessage(user="bia", data="bob", type=MessageType.NICK))
    assert info.value.code == "chat_nick_taken"
    await ana.send(ChatMessage(user="bia", data="oi"))
    said = await bob_events.wait_for(delivered("oi"))
    assert said.message.user == "bia"  # type: ignore[union-attr]
    await ana.close()
    await bob.close()


class ReversingSeal:
    """A stand-in for the security layer: marks and reverses every payload."""

    def seal(self, payload: bytes) -> bytes:
        return b"SEALED" + payload[::-1]

    def open(self, payload: bytes, source: str) -> bytes | DecodeError:
        if not payload.startswith(b"SEALED"):
            return DecodeError("decode_bad_value", field="seal")
        return payload[len(b"SEALED") :][::-1]


@run
async def test_seal_wraps_every_datagram_sent_and_received(port: int) -> None:
    with MulticastReceiver(MulticastConfig(port=port)) as listener:
        ana, _ = await opened("ana", port, seal=ReversingSeal())
        bob, bob_events = await opened("bob", port, seal=ReversingSeal())
        await ana.send(ChatMessage(user="ana", data="segredo"))
        await bob_events.wait_for(delivered("segredo"))
        loop = asyncio.get_running_loop()
        received = await loop.run_in_executor(None, listener.receive, 2.0)
        assert received is not None and received[0].startswith(b"SEALED")
    send_raw(json.dumps({"user": "intruso", "data": "oi"}).encode(), port)
    await bob_events.wait_for(lambda e: isinstance(e, Dropped) and e.source.startswith("127."))
    assert all(m.user != "intruso" for m in bob_events.delivered())
    await ana.close()
    await bob.close()


@run
async def test_event_queue_is_bounded_and_overflow_counted(port: int) -> None:
    ana = MulticastRoomTransport(MulticastConfig(port=port), "ana", max_queue=5)
    await ana.open()  # nobody reads events()
    for index in range(20):
        ana.receive_datagram(json.dumps({"user": "bob", "data": f"m{index}"}).encode(), "x:1")
    assert ana.overflowed > 0
    await ana.close()


@run
async def test_a_named_room_drops_another_rooms_messages_and_the_unnamed_room_takes_all(
    port: int,
) -> None:
    named = MulticastRoomTransport(MulticastConfig(port=port), "ana", room="grupo1")
    unnamed = MulticastRoomTransport(MulticastConfig(port=port), "bia")
    await named.open()
    await unnamed.open()
    events = {"named": Watcher(named), "unnamed": Watcher(unnamed)}
    for room, text in (("grupo2", "outra sala"), ("GRUPO1", "mesma sala"), (None, "roteiro")):
        envelope: dict[str, object] = {"user": "cid", "data": text, "v": 1}
        if room is not None:
            envelope["room"] = room
        for transport in (named, unnamed):
            transport.receive_datagram(json.dumps(envelope).encode(), "10.0.0.9:4000")
    await events["named"].wait_for(
        lambda e: isinstance(e, Delivered) and e.message.data == "roteiro"
    )
    await events["unnamed"].wait_for(
        lambda e: isinstance(e, Delivered) and e.message.data == "roteiro"
    )

    def from_cid(watcher: Watcher) -> list[str]:
        return [m.data for m in watcher.delivered() if m.user == "cid"]

    assert from_cid(events["named"]) == ["mesma sala", "roteiro"]
    assert from_cid(events["unnamed"]) == ["outra sala", "mesma sala", "roteiro"]
    assert named.other_rooms == 1
    await named.close()
    await unnamed.close()
