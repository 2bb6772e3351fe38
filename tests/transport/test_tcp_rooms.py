"""A real room server on 127.0.0.1 with clients in named rooms and in the default room."""

from __future__ import annotations

import asyncio

from papo.protocol.message import ChatMessage
from papo.protocol.room import encode_room, join_line
from papo.transport.base import Delivered
from papo.transport.tcp_client import TcpRoomClient
from tests.transport.room_client_helpers import Events, delivered_text
from tests.transport.room_helpers import RawClient, run, serving


def chat(nick: str, text: str) -> bytes:
    return encode_room(ChatMessage(user=nick, data=text))


async def raw_join(port: int, nick: str, room: str | None) -> RawClient:
    client = await RawClient.connect(port)
    await client.send(join_line(nick, room=room))
    welcome = await client.until(lambda m: m.type in ("welcome", "error"))
    assert welcome.type == "welcome", welcome
    return client


def test_clients_in_two_rooms_and_an_old_client_hear_only_their_own_room() -> None:
    async def body() -> None:
        async with serving() as server:
            ana = await raw_join(server.port, "ana", "grupo1")
            bia = await raw_join(server.port, "bia", "grupo1")
            ana2 = await raw_join(server.port, "ana", "grupo2")  # same nick, other room
            old = await RawClient.connect(server.port)  # the handout's way: no room key
            await old.send(b'{"user": "caio", "data": "", "type": "join"}\n')
            welcome = await old.until(lambda m: m.type == "welcome")
            assert welcome.nicks == ("caio",)
            await ana.send(chat("ana", "so grupo1"))
            await old.send(b'{"user": "caio", "data": "so o padrao"}\n')
            heard = await bia.until(lambda m: m.type == "chat")
            assert (heard.message.user, heard.message.data) == ("ana", "so grupo1")
            # The others ask who is there after the chat: the roster comes first.
            for client, nicks in ((ana2, ("ana",)), (old, ("caio",))):
                await client.send(b'{"user":"x","data":"","type":"who"}\n')
                seen = await client.until(lambda m: m.type in ("chat", "roster"))
                assert (seen.type, seen.nicks) == ("roster", nicks)
            await bia.send(b'{"user":"x","data":"","type":"who"}\n')
            seen = await bia.until(lambda m: m.type in ("chat", "roster"))
            assert (seen.type, seen.nicks) == ("roster", ("ana", "bia"))
            for client in (ana, bia, ana2, old):
                client.close()

    run(body())


def test_a_line_in_one_room_never_reaches_another_room() -> None:
    async def body() -> None:
        async with serving() as server:
            one = await raw_join(server.port, "ana", "grupo1")
            two = await raw_join(server.port, "bia", "grupo2")
            default = await raw_join(server.port, "caio", None)
            await one.send(chat("ana", "segredo do grupo1"))
            await one.send(b'{"user":"ana","data":"","type":"who"}\n')
            roster = await one.until(lambda m: m.type == "roster")
            assert roster.nicks == ("ana",)
            # A marker from each other room, sent after the secret: what they see first.
            await two.send(b'{"user":"bia","data":"","type":"who"}\n')
            await default.send(b'{"user":"caio","data":"","type":"who"}\n')
            assert (await two.until(lambda m: m.type in ("chat", "roster"))).type == "roster"
            seen = await default.until(lambda m: m.type in ("chat", "roster"))
            assert seen.type == "roster" and seen.nicks == ("caio",)
            assert server.rooms.names == ("grupo1", "grupo2")
            for client in (one, two, default):
                client.close()

    run(body())


def test_a_room_is_forgotten_when_its_last_client_leaves() -> None:
    async def body() -> None:
        async with serving() as server:
            ana = await raw_join(server.port, "ana", "grupo1")
            assert server.rooms.names == ("grupo1",)
            await ana.send(b'{"user":"ana","data":"","type":"leave"}\n')
            await ana.eof()
            async with asyncio.timeout(5):
                while server.rooms.names:
                    await asyncio.sleep(0.01)

    run(body())


def test_the_room_cap_refuses_one_room_more_with_a_clear_code() -> None:
    async def body() -> None:
        async with serving(max_rooms=1) as server:
            ana = await raw_join(server.port, "ana", "grupo1")
            bia = await RawClient.connect(server.port)
            await bia.send(join_line("bia", room="grupo2"))
            lines = await bia.eof()
            assert [m.code for m in lines if m.type == "error"] == ["room_too_many_rooms"]
            assert dict(lines[0].details) == {"max": 1}
            ana.close()

    run(body())


def test_the_tcp_client_joins_a_named_room() -> None:
    async def body() -> None:
        async with serving() as server:
            ana = TcpRoomClient("127.0.0.1", server.port, "ana", room="grupo1")
            bia = TcpRoomClient("127.0.0.1", server.port, "bia", room="GRUPO1")
            caio = TcpRoomClient("127.0.0.1", server.port, "caio")
            for client in (ana, bia, caio):
                await client.open()
            events = {client.nick: Events(client) for client in (ana, bia, caio)}
            try:
                await ana.send(ChatMessage(user="ana", data="oi grupo"))
                await caio.send(ChatMessage(user="caio", data="oi padrao"))
                await events["bia"].until(delivered_text("oi grupo"))
                await ana.send(ChatMessage(user="ana", data="depois"))
                await events["bia"].until(delivered_text("depois"))
                assert not any(
                    isinstance(e, Delivered) and e.message.data == "oi padrao"
                    for e in events["bia"].seen
                )
                assert server.rooms.room("grupo1") is not None
                assert server.room.nicks == ("caio",)
            finally:
                for client in (ana, bia, caio):
                    await client.close()

    run(body())
