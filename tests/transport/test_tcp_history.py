"""History for joiners over real sockets: TcpRoomClient against RoomServer on 127.0.0.1."""

from __future__ import annotations

import asyncio

from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import encode_room, history_line, relayed
from papo.protocol.room_state import RoomRules
from papo.transport.base import Delivered, StatusChanged, TransportEvent
from papo.transport.tcp_client import RoomClientConfig, TcpRoomClient
from papo.transport.tcp_server import RoomServer, RoomServerConfig
from tests.transport.room_client_helpers import Events, delivered, status
from tests.transport.room_helpers import run, serving

FAST = RoomClientConfig(reconnect_initial=0.3, reconnect_max=0.3, jitter=lambda delay: delay)


def said(user: str, text: str, kind: str = MessageType.CHAT, to: str | None = None) -> ChatMessage:
    return ChatMessage(user=user, data=text, type=kind, to=to)


def chats(seen: list[TransportEvent]) -> list[str]:
    return [
        event.message.data
        for event in seen
        if isinstance(event, Delivered) and event.message.type in ("chat", "me")
    ]


def test_a_late_joiner_sees_earlier_lines_once_in_order_between_two_notices() -> None:
    async def body() -> None:
        async with serving() as server:
            ana = TcpRoomClient("127.0.0.1", server.port, "ana")
            bia = TcpRoomClient("127.0.0.1", server.port, "bia")
            await ana.open()
            await bia.open()
            bia_events = Events(bia)
            for text in ("um", "dois"):
                await ana.send(said("ana", text))
            await ana.send(said("ana", "psiu", MessageType.PRIVATE, to="bia"))
            await ana.send(said("ana", "acena", MessageType.ME))
            await bia_events.until(delivered(MessageType.ME))
            cida = TcpRoomClient("127.0.0.1", server.port, "cida")
            await cida.open()
            events = Events(cida)
            start = await events.until(status("room_history_start"))
            assert isinstance(start, StatusChanged) and start.details == {"count": 3}
            await events.until(status("room_history_end"))
            await bia.send(said("bia", "ao vivo"))
            await events.until(lambda e: isinstance(e, Delivered) and e.message.data == "ao vivo")
            assert chats(events.seen) == ["um", "dois", "acena", "ao vivo"]
            assert "psiu" not in chats(events.seen)
            for client in (ana, bia, cida):
                await client.close()

    run(body())


def test_no_notices_when_the_room_has_no_history() -> None:
    async def body() -> None:
        config = RoomServerConfig(host="127.0.0.1", port=0, rules=RoomRules(history_messages=0))
        async with serving(config) as server:
            ana = TcpRoomClient("127.0.0.1", server.port, "ana")
            await ana.open()
            await ana.send(said("ana", "ninguém ouve"))
            bia = TcpRoomClient("127.0.0.1", server.port, "bia")
            await bia.open()
            events = Events(bia)
            await ana.send(said("ana", "agora sim"))
            await events.until(delivered())
            assert chats(events.seen) == ["agora sim"]
            assert not any(
                isinstance(e, StatusChanged) and "history" in e.code for e in events.seen
            )
            await ana.close()
            await bia.close()

    run(body())


def test_after_a_reconnect_missed_lines_arrive_once_and_seen_ones_never_again() -> None:
    async def body() -> None:
        async with serving() as server:
            port = server.port
            ana = TcpRoomClient("127.0.0.1", port, "ana", config=FAST)
            bia = TcpRoomClient("127.0.0.1", port, "bia")
            await ana.open()
            await bia.open()
            events = Events(ana)
            bia_events = Events(bia)
            for text in ("um", "dois"):
                await bia.send(said("bia", text))
            await events.until(lambda e: isinstance(e, Delivered) and e.message.data == "dois")
            await ana.send(said("ana", "minha"))  # ana's own: in the history, not on her mark
            await bia_events.until(lambda e: isinstance(e, Delivered) and e.message.data == "minha")
            await cut(server, "ana")
            await bia.send(said("bia", "enquanto fora"))
            await events.until(status("reconnecting"))
            await events.until(status("connected"))
            await events.until(status("room_history_end"))
            await bia.send(said("bia", "de volta"))
            await events.until(lambda e: isinstance(e, Delivered) and e.message.data == "de volta")
            assert chats(events.seen) == ["um", "dois", "enquanto fora", "de volta"]
            await ana.close()
            await bia.close()

    run(body())


async def cut(server: RoomServer, nick: str) -> None:
    """Abort ``nick``'s connection from the server side; wait until the room knows."""
    conn = next(c for c in server._clients if server.room.nick_of(c) == nick)
    server._clients[conn].writer.transport.abort()
    async with asyncio.timeout(5):
        while server.room.is_joined(conn):
            await asyncio.sleep(0.01)


def test_the_client_drops_replayed_lines_it_has_already_shown() -> None:
    """Even a server that ignores the mark cannot make the client show a line twice."""

    async def body() -> None:
        client = TcpRoomClient("127.0.0.1", 1, "ana")
        events = Events(client)
        lines = [relayed(said("x", f"m{n}"), "bia", "e1", n) for n in (1, 2)]
        for message in lines:
            client._handle(encode_room(message)[:-1])
        client._history_pending = 3
        for n in (1, 2, 3):
            client._handle(history_line(relayed(said("x", f"m{n}"), "bia", "e1", n))[:-1])
        await events.until(status("room_history_end"))
        assert chats(events.seen) == ["m1", "m2", "m3"]
        assert client.duplicates == 2
        await client.close()

    run(body())
