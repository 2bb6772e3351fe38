"""TcpRoomClient against a real room server: the ChatTransport contract, and reconnecting."""

from __future__ import annotations

import asyncio

import pytest

from papo.errors import ConfigError, NetworkError
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import encode_room, welcome_line
from papo.transport.base import (
    ChatTransport,
    Delivered,
    Dropped,
    NickChanged,
    RosterChanged,
    StatusChanged,
)
from papo.transport.tcp_client import (
    RECONNECT_INITIAL_SECONDS,
    RECONNECT_MAX_ATTEMPTS,
    RECONNECT_MAX_SECONDS,
    RoomClientConfig,
    TcpRoomClient,
    backoff_delay,
)
from papo.transport.tcp_server import RoomServer, RoomServerConfig
from tests.transport.room_client_helpers import FAST, delivered, opened, status
from tests.transport.room_helpers import RawClient, run, serving


def chat(text: str) -> bytes:
    return encode_room(ChatMessage(user="x", data=text))


def test_client_implements_the_chat_transport_contract() -> None:
    assert isinstance(TcpRoomClient("127.0.0.1", 1, "ana"), ChatTransport)


def test_reconnect_limits_are_named_and_backoff_doubles_up_to_the_cap() -> None:
    assert 0 < RECONNECT_INITIAL_SECONDS < RECONNECT_MAX_SECONDS
    assert RECONNECT_MAX_ATTEMPTS > 0
    config = RoomClientConfig(reconnect_initial=1.0, reconnect_max=5.0, jitter=lambda d: d)
    assert [backoff_delay(n, config) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    halved = RoomClientConfig(reconnect_initial=1.0, reconnect_max=5.0, jitter=lambda d: d / 2)
    assert backoff_delay(3, halved) == 2.0
    assert backoff_delay(1000, config) == 5.0


def test_open_joins_and_messages_flow_both_ways_without_echo() -> None:
    async def body() -> None:
        async with serving() as server:
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            client, events = await opened(server.port)
            await events.until(status("connected"))
            roster = await events.until(lambda e: isinstance(e, RosterChanged))
            assert roster.nicks == ("ana", "bia")
            await client.send(ChatMessage(user="ana", data="oi"))
            got = await bia.until(lambda m: m.type == "chat")
            assert (got.message.user, got.message.data) == ("ana", "oi")
            await bia.send(chat("olá, ana"))
            event = await events.until(delivered())
            assert (event.message.user, event.message.data) == ("bia", "olá, ana")
            assert not any(
                isinstance(e, Delivered) and e.message.user == "ana" for e in events.seen
            )
            await client.close()
            await events.ended()

    run(body())


def test_a_taken_nick_raises_config_error_with_a_suggestion() -> None:
    async def body() -> None:
        async with serving() as server:
            first = await RawClient.connect(server.port)
            await first.join("ana")
            client = TcpRoomClient("127.0.0.1", server.port, "Ana")
            with pytest.raises(ConfigError) as info:
                await client.open()
            assert info.value.code == "room_nick_taken"
            assert info.value.details["suggestion"] == "Ana2"
            assert "Ana2" in str(info.value)

    run(body())


def test_an_invalid_nick_is_refused_before_connecting() -> None:
    async def body() -> None:
        with pytest.raises(ConfigError):
            await TcpRoomClient("127.0.0.1", 1, "a\x1bb").open()

    run(body())


def test_unreachable_server_raises_a_network_error_saying_where() -> None:
    async def body() -> None:
        async with serving() as server:
            port = server.port
        with pytest.raises(NetworkError) as info:
            await TcpRoomClient("127.0.0.1", port, "ana").open()
        assert info.value.code == "room_unreachable"
        assert f"127.0.0.1:{port}" in str(info.value)

    run(body())


def test_joins_leaves_and_renames_of_others_keep_the_roster_current() -> None:
    async def body() -> None:
        async with serving() as server:
            client, events = await opened(server.port)
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            assert (await events.until(delivered("join"))).message.user == "bia"
            assert (await events.until(lambda e: isinstance(e, RosterChanged))).nicks == (
                "ana",
                "bia",
            )
            await bia.send(encode_room(ChatMessage(user="bia", data="bea", type="nick")))
            renamed = await events.until(delivered("nick"))
            assert (renamed.message.user, renamed.message.data) == ("bia", "bea")
            assert client.roster == ("ana", "bea")
            bia.close()
            left = await events.until(delivered("leave"))
            assert left.message.user == "bea"
            await events.until(lambda e: isinstance(e, RosterChanged) and e.nicks == ("ana",))
            await client.close()

    run(body())


def test_nick_change_is_confirmed_with_nick_changed_or_refused_with_a_suggestion() -> None:
    async def body() -> None:
        async with serving() as server:
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            client, events = await opened(server.port)
            await client.send(ChatMessage(user="ana", data="aninha", type=MessageType.NICK))
            changed = await events.until(lambda e: isinstance(e, NickChanged))
            assert changed.nick == "aninha" and client.nick == "aninha"
            notice = await bia.until(lambda m: m.type == "nick")
            assert (notice.message.user, notice.message.data) == ("ana", "aninha")
            await client.send(ChatMessage(user="aninha", data="BIA", type=MessageType.NICK))
            refused = await events.until(status("room_nick_taken"))
            assert refused.details["suggestion"] == "BIA2"
            assert client.nick == "aninha"
            await client.close()

    run(body())


def test_private_and_me_messages_reach_only_their_target() -> None:
    async def body() -> None:
        async with serving() as server:
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            carla = await RawClient.connect(server.port)
            await carla.join("carla")
            client = TcpRoomClient("127.0.0.1", server.port, "ana")
            await client.open()
            await client.send(
                ChatMessage(user="ana", data="psst", type=MessageType.PRIVATE, to="bia")
            )
            await client.send(ChatMessage(user="ana", data="acena", type=MessageType.ME))
            first = await bia.until(lambda m: m.type in ("private", "me"))
            assert (first.type, first.message.data, first.message.to) == ("private", "psst", "bia")
            only = await carla.until(lambda m: m.type in ("private", "me"))
            assert (only.type, only.message.data) == ("me", "acena")
            await client.close()

    run(body())


def test_long_messages_are_sent_in_parts_the_server_accepts() -> None:
    async def body() -> None:
        async with serving() as server:
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            client = TcpRoomClient("127.0.0.1", server.port, "ana")
            await client.open()
            text = "palavra " * 2000
            await client.send(ChatMessage(user="ana", data=text))
            parts = [await bia.until(lambda m: m.type == "chat")]
            while parts[-1].message.part != parts[-1].message.parts:
                parts.append(await bia.until(lambda m: m.type == "chat"))
            assert "".join(p.message.data for p in parts) == text
            assert len(parts) > 1
            await client.close()

    run(body())


def test_close_tells_the_room_i_left_and_ends_events() -> None:
    async def body() -> None:
        async with serving() as server:
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            client, events = await opened(server.port)
            await client.send(ChatMessage(user="ana", data="", type=MessageType.LEAVE))
            await client.close()
            await client.close()  # safe twice
            await events.ended()
            notice = await bia.until(lambda m: m.type == "leave" and m.message.user == "ana")
            assert notice.code == "room_quit"
            with pytest.raises(NetworkError):
                await client.send(ChatMessage(user="ana", data="too late"))

    run(body())


def test_client_reconnects_after_the_server_restarts_and_rejoins_with_its_nick() -> None:
    async def body() -> None:
        first = RoomServer(RoomServerConfig(host="127.0.0.1", port=0))
        await first.start()
        port = first.port
        client, events = await opened(port, "ana", FAST)
        await events.until(status("connected"))
        await first.close()
        await events.until(status("room_server_shutdown"))
        reconnecting = await events.until(status("reconnecting"))
        assert reconnecting.details["attempt"] == 1
        # Typed while away: kept, said so once, and sent as soon as the room is back.
        await client.send(ChatMessage(user="ana", data="while away"))
        await client.send(ChatMessage(user="ana", data="still away"))
        queued = await events.until(status("room_queued"))
        assert queued.details["where"]
        async with serving(RoomServerConfig(host="127.0.0.1", port=port)) as second:
            await events.until(status("connected"), timeout=5)
            assert second.room.nicks == ("ana",)
            assert client.connected
            bia = await RawClient.connect(port)
            await bia.join("bia")
            await client.send(ChatMessage(user="ana", data="back"))
            # ana was back before bia joined: bia gets the kept lines as the room's history.
            chats = [await bia.until(lambda m: m.type == "chat", history=True) for _ in range(3)]
            assert [(m.message.user, m.message.data) for m in chats] == [
                ("ana", "while away"),
                ("ana", "still away"),
                ("ana", "back"),
            ]
            await client.close()

    run(body())


def test_client_gives_up_after_the_named_number_of_attempts() -> None:
    async def body() -> None:
        server = RoomServer(RoomServerConfig(host="127.0.0.1", port=0))
        await server.start()
        config = RoomClientConfig(
            reconnect_initial=0.01, reconnect_max=0.02, reconnect_attempts=3, jitter=lambda d: d
        )
        _client, events = await opened(server.port, "ana", config)
        await server.close()
        await events.until(status("disconnected"))
        await events.ended()
        attempts = [
            e for e in events.seen if isinstance(e, StatusChanged) and e.code == "reconnecting"
        ]
        assert [e.details["attempt"] for e in attempts] == [1, 2, 3]

    run(body())


def test_client_pings_a_silent_server_and_reconnects_when_it_never_answers() -> None:
    async def body() -> None:
        answered: list[bytes] = []

        async def mute_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()  # the join
            writer.write(welcome_line("ana", ["ana"]))
            await writer.drain()
            answered.append(await reader.readline())  # the client's ping; never answered
            await reader.read()

        server = await asyncio.start_server(mute_server, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        config = RoomClientConfig(
            ping_after=0.1, dead_after=0.2, reconnect_initial=5.0, jitter=lambda d: d
        )
        client, events = await opened(port, "ana", config)
        await events.until(status("reconnecting"), timeout=3)
        assert b'"type":"ping"' in answered[0]
        await client.close()
        server.close()

    run(body())


def test_after_the_user_leaves_the_servers_close_ends_events_without_reconnecting() -> None:
    async def body() -> None:
        async with serving() as server:
            client, events = await opened(server.port, "ana", FAST)
            await client.send(ChatMessage(user="ana", data="saiu", type=MessageType.LEAVE))
            await events.ended()
            assert not any(status("reconnecting")(e) for e in events.seen)
            await client.close()

    run(body())


def test_rejoin_takes_the_suggested_nick_when_someone_took_ours_meanwhile() -> None:
    async def body() -> None:
        first = RoomServer(RoomServerConfig(host="127.0.0.1", port=0))
        await first.start()
        port = first.port
        config = RoomClientConfig(reconnect_initial=0.5, jitter=lambda d: d)
        client, events = await opened(port, "ana", config)
        await first.close()
        await events.until(status("reconnecting"))
        async with serving(RoomServerConfig(host="127.0.0.1", port=port)) as second:
            usurper = await RawClient.connect(port)
            await usurper.join("ana")
            renamed = await events.until(lambda e: isinstance(e, NickChanged), timeout=5)
            assert renamed.nick == "ana2"
            await events.until(status("connected"))
            assert second.room.nicks == ("ana", "ana2")
            assert client.nick == "ana2"
            await client.close()

    run(body())


def test_client_answers_the_servers_keep_alive_pings_and_stays() -> None:
    async def body() -> None:
        async with serving(idle_ping_after=0.1, dead_peer_after=0.2) as server:
            client = TcpRoomClient("127.0.0.1", server.port, "ana")
            await client.open()
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            for _ in range(4):  # 4 pings answered: well past one ping + dead-peer timeout
                await bia.until(lambda m: m.type == "ping")
                await bia.send(encode_room(ChatMessage(user="bia", data="", type="pong")))
            assert server.room.nicks == ("ana", "bia")
            assert client.connected
            await client.close()

    run(body())


def test_garbage_from_the_server_is_dropped_and_reported_not_fatal() -> None:
    async def body() -> None:
        async def odd_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()
            writer.write(welcome_line("ana", ["ana", "bia"]))
            writer.write(b"\xff\xfe not utf-8\n" + b"plain words\n")
            writer.write(encode_room(ChatMessage(user="bia", data="still fine")))
            await writer.drain()
            await reader.read()

        server = await asyncio.start_server(odd_server, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client, events = await opened(port)
        got = await events.until(delivered())
        assert got.message.data == "still fine"
        dropped = [e.error.code for e in events.seen if isinstance(e, Dropped)]
        assert dropped == ["decode_invalid_utf8", "room_not_json"]
        await client.close()
        server.close()

    run(body())
