"""Catch-up in the multicast room: a late joiner asks, members answer on the presence port."""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import free_udp_port

from papo.protocol.codec import encode
from papo.protocol.history import CATCH_UP_MAX_MESSAGES, HISTORY_TYPE, history_request
from papo.protocol.message import ChatMessage, MessageType
from papo.transport.catch_up import SHARED_TYPES, AnswerGate, CaughtUp
from papo.transport.multicast import MulticastConfig, MulticastReceiver
from papo.transport.multicast_room import (
    CATCH_UP_MAX_ANSWERED,
    CATCH_UP_RATE_SECONDS,
    CATCH_UP_WINDOW,
    PRESENCE_PORT_TYPES,
    MulticastRoomTransport,
    presence_port,
)

pytestmark = pytest.mark.netns

GROUP = "224.3.29.71"

#: A short window keeps the tests fast; the default is checked separately.
WINDOW = 0.6


def run(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 20))

    return wrapper


class Keeper:
    """An in-memory history keeper (what RecordedTransport is over SQLite)."""

    def __init__(self, messages: list[ChatMessage] | None = None) -> None:
        self.messages = list(messages or [])
        self.asked: list[float] = []

    def newest_time(self) -> float | None:
        return max((m.ts or 0.0 for m in self.messages), default=None)

    def shared_since(self, since: float) -> list[ChatMessage]:
        self.asked.append(since)
        return [m for m in self.messages if (m.ts or 0.0) > since]


class Events:
    """Collects a transport's events; waits for one of a kind, with a deadline."""

    def __init__(self, transport: MulticastRoomTransport) -> None:
        self.events: list[object] = []
        self._task = asyncio.create_task(self._pump(transport))

    async def _pump(self, transport: MulticastRoomTransport) -> None:
        async for event in transport.events():
            self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            assert loop.time() < deadline, f"timed out; events: {self.events}"
            await asyncio.sleep(0.01)


def said(user: str, node: str, seq: int, text: str, ts: float, **extra: Any) -> ChatMessage:
    extra.setdefault("type", MessageType.CHAT)
    return ChatMessage(user=user, data=text, v=1, node=node, seq=seq, ts=ts, **extra)


async def member(nick: str, port: int, keeper: Keeper | None, **options: Any) -> tuple[Any, Events]:
    config = MulticastConfig(group=GROUP, port=port)
    transport = MulticastRoomTransport(config, nick, **options)
    transport.catch_up_window = WINDOW
    if keeper is not None:
        transport.share_history(keeper)
    events = Events(transport)
    await transport.open()
    return transport, events


def listener(port: int) -> MulticastReceiver:
    receiver = MulticastReceiver(MulticastConfig(group=GROUP, port=port))
    receiver.socket.setblocking(False)
    return receiver


def drain(receiver: MulticastReceiver) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            payload, _ = receiver.socket.recvfrom(65536)
        except BlockingIOError:
            return out
        out.append(json.loads(payload))


@pytest.fixture
def port() -> int:
    return free_udp_port()


EARLIER = [
    said("ana", "a", 1, "um", 10.0),
    said("bob", "b", 1, "dois", 11.0),
    said("ana", "a", 2, "tres", 12.0),
]


def test_catch_up_constants_are_named_and_bounded() -> None:
    assert 0 < CATCH_UP_WINDOW <= 5
    assert {"presence", "history-request", HISTORY_TYPE} <= PRESENCE_PORT_TYPES
    assert MessageType.PRIVATE not in SHARED_TYPES


@run
async def test_late_joiner_gets_the_earlier_lines_once_when_two_members_answer(
    port: int,
) -> None:
    chat_port = listener(port)  # what a handout receiver on the chat port would read
    try:
        # ana has all three lines; bob missed the last one: their answers overlap.
        ana, ana_events = await member("ana", port, Keeper(EARLIER))
        bob, _ = await member("bob", port, Keeper(EARLIER[:2]))
        drain(chat_port)
        keeper = Keeper()
        cid, cid_events = await member("cid", port, keeper)
        await cid_events.until(lambda: cid_events.of(CaughtUp))
        (caught,) = cid_events.of(CaughtUp)
        assert [m.data for m in caught.messages] == ["um", "dois", "tres"]
        assert not cid._catch_up.open  # the window is closed: nothing more can come
        await ana.send(said("ana", "x", 0, "fim", 0.0))
        await cid_events.until(lambda: any(getattr(e, "message", None) for e in cid_events.events))
        heard = drain(chat_port)
        # The chat port saw cid's join and ana's marker: no request, no answer.
        assert [(m["user"], m.get("type")) for m in heard] == [("cid", "join"), ("ana", "chat")]
        for transport in (cid, bob, ana):
            await transport.close()
        assert len(cid_events.of(CaughtUp)) == 1
        assert ana_events.of(CaughtUp) == []  # ana joined an empty room: nobody answered
    finally:
        chat_port.close()


@run
async def test_joiner_asks_only_for_what_came_after_its_newest_line(port: int) -> None:
    ana_keeper = Keeper(EARLIER)
    ana, _ = await member("ana", port, ana_keeper)
    cid, cid_events = await member("cid", port, Keeper(EARLIER[:2]))
    await cid_events.until(lambda: cid_events.of(CaughtUp))
    assert ana_keeper.asked == [11.0]
    (caught,) = cid_events.of(CaughtUp)
    assert [m.data for m in caught.messages] == ["tres"]
    await cid.close()
    await ana.close()


@run
async def test_a_member_answers_each_requester_once_and_shares_no_private_line(
    port: int,
) -> None:
    private = said("ana", "a", 3, "segredo", 13.0, type=MessageType.PRIVATE, to="cid")
    many = [said("bob", "b", 10 + i, f"linha {i}", 20.0 + i) for i in range(CATCH_UP_MAX_MESSAGES)]
    ana, _ = await member("ana", port, Keeper([*EARLIER, private, *many]))
    presence = listener(presence_port(MulticastConfig(group=GROUP, port=port)))
    try:
        request = encode(history_request("zoe", "zoe-node", 1, None, 1.0))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
            for _ in range(2):
                sock.sendto(request, (GROUP, presence_port(ana.config)))
        answers: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while len(answers) < CATCH_UP_MAX_MESSAGES and loop.time() < deadline:
            answers += [m for m in drain(presence) if m.get("type") == HISTORY_TYPE]
            await asyncio.sleep(0.01)
        # ana handles datagrams in order: once ivo's answers arrive, the repeated request
        # from zoe has been handled too, and it must have caused nothing.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            other = encode(history_request("ivo", "ivo-node", 1, None, 1.0))
            sock.sendto(other, (GROUP, presence_port(ana.config)))
        later: list[dict[str, Any]] = []
        while sum(m.get("to") == "ivo-node" for m in later) < CATCH_UP_MAX_MESSAGES:
            assert loop.time() < deadline
            later += [m for m in drain(presence) if m.get("type") == HISTORY_TYPE]
            await asyncio.sleep(0.01)
        assert [m for m in later if m["to"] == "zoe-node"] == []
        assert len(answers) == CATCH_UP_MAX_MESSAGES  # bounded: the newest only
        assert {m["to"] for m in answers} == {"zoe-node"}
        carried = [json.loads(m["data"])["data"] for m in answers]
        assert carried == [f"linha {i}" for i in range(CATCH_UP_MAX_MESSAGES)]
        assert "segredo" not in carried
    finally:
        presence.close()
        await ana.close()


@run
async def test_a_bad_request_is_dropped_and_counted(port: int) -> None:
    ana, ana_events = await member("ana", port, Keeper(EARLIER))
    bad = said("zoe", "z", 1, "not a time", 1.0, type="history-request")
    ana.receive_datagram(encode(bad), "127.0.0.1:9", on_presence_port=True)
    assert ana.dropped == 1
    await ana.close()
    assert ana_events.of(CaughtUp) == []


@run
async def test_a_member_answers_a_bounded_number_of_requests_per_minute(port: int) -> None:
    now = [1000.0]
    keeper = Keeper(EARLIER)
    ana, _ = await member("ana", port, keeper, clock=lambda: now[0])
    keeper.asked.clear()

    def ask(node: str) -> None:
        request = encode(history_request("x", node, 1, None, 1.0))
        ana.receive_datagram(request, "127.0.0.1:9", on_presence_port=True)

    for index in range(CATCH_UP_MAX_ANSWERED + 5):
        ask(f"node-{index}")
    assert len(keeper.asked) == CATCH_UP_MAX_ANSWERED
    assert ana.unanswered == 5
    now[0] += CATCH_UP_RATE_SECONDS
    ask("node-late")
    assert len(keeper.asked) == CATCH_UP_MAX_ANSWERED + 1
    await ana.close()


def test_answer_gate_answers_each_requester_once_and_at_most_limit_per_window() -> None:
    gate = AnswerGate(limit=2, window=60.0, capacity=8)
    assert gate.admit("a", 0.0) and not gate.admit("a", 1.0)  # once per requester
    assert gate.admit("b", 2.0)
    assert not gate.admit("c", 3.0) and gate.refused == 1  # over the rate
    assert gate.admit("c", 61.0)  # the window moved on
