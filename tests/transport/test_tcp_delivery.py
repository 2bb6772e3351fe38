"""TcpRoomClient's own lines: acknowledged, sent again after a reconnect, never shown twice,
and reported when they could not be delivered; old servers and old clients keep working."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from papo.errors import NetworkError
from papo.protocol.message import ChatMessage
from papo.protocol.room import (
    RoomMessage,
    ack_line,
    encode_room,
    join_line,
    welcome_line,
)
from papo.transport.base import Delivered, NickChanged, StatusChanged
from papo.transport.tcp_client import SESSION_TOKEN_BYTES, RoomClientConfig
from papo.transport.tcp_server import RoomServerConfig
from tests.transport.room_client_helpers import FAST, delivered_text, opened, status
from tests.transport.room_helpers import RawClient, run, serving

#: What a scripted server does with one connection (a RawClient on the server's side).
Handler = Callable[[RawClient], Awaitable[None]]


@contextlib.asynccontextmanager
async def scripted(*handlers: Handler) -> AsyncIterator[asyncio.Server]:
    """A server whose n-th connection runs ``handlers[n]`` (later ones: closed at once)."""
    queue = list(handlers)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if queue:
                await queue.pop(0)(RawClient(reader, writer))
        finally:
            writer.transport.abort()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server
    finally:
        server.close()


def port_of(server: asyncio.Server) -> int:
    return server.sockets[0].getsockname()[1]


async def welcome(side: RawClient, acks: bool) -> RoomMessage:
    hello = await side.line()
    assert hello is not None and hello.type == "join"
    await side.send(welcome_line(hello.message.user, [hello.message.user], acks=acks))
    return hello


def undelivered(event: object) -> bool:
    return isinstance(event, StatusChanged) and event.code == "room_undelivered"


def test_every_line_is_acked_by_papo_serve_so_a_quit_reports_nothing() -> None:
    async def body() -> None:
        async with serving() as server:
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            ana, events = await opened(server.port)
            for number in range(5):
                await ana.send(ChatMessage(user="ana", data=f"line {number}"))
            got = await bia.until(lambda m: m.message.data == "line 4")
            assert got.message.id is not None  # the id travels to the other clients
            await ana.send(ChatMessage(user="ana", data="bye", type="leave"))
            await ana.close()
            await events.ended()
            assert not any(undelivered(e) for e in events.seen), events.seen

    run(body())


def test_the_client_sends_a_session_and_ids_and_resends_unacked_lines_after_a_rejoin() -> None:
    seen: list[RoomMessage] = []

    async def swallow_then_die(side: RawClient) -> None:
        await welcome(side, acks=True)
        for _ in range(2):
            line = await side.line()
            assert line is not None
            seen.append(line)
        await side.send(ack_line(seen[0].message.id or ""))  # only the first one arrived

    async def second_life(side: RawClient) -> None:
        hello = await welcome(side, acks=True)
        seen.append(hello)
        again = await side.line()
        assert again is not None
        seen.append(again)
        await side.send(ack_line(again.message.id or ""))
        await side.line()  # until the client leaves

    async def body() -> None:
        async with scripted(swallow_then_die, second_life) as server:
            config = replace(FAST, random_hex=lambda size: "f" * 2 * size)
            ana, events = await opened(port_of(server), "ana", config)
            await ana.send(ChatMessage(user="ana", data="one"))
            await ana.send(ChatMessage(user="ana", data="two"))
            await events.until(status("reconnecting"))
            await events.until(status("connected"))
            async with asyncio.timeout(5):
                while len(seen) < 4:
                    await asyncio.sleep(0.01)
            await ana.close()
            await events.ended()
            first, second, rejoin, resent = seen
            assert rejoin.session == "f" * 2 * SESSION_TOKEN_BYTES
            assert (resent.message.data, resent.message.id) == ("two", second.message.id)
            assert first.message.id != second.message.id
            assert not any(undelivered(e) for e in events.seen), events.seen

    run(body())


def test_a_duplicate_id_sent_after_a_reconnect_is_not_relayed_twice() -> None:
    async def body() -> None:
        async with serving() as server:
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            ana = await RawClient.connect(server.port)
            await ana.send(join_line("ana", None, "secret"))
            await ana.until(lambda m: m.type == "welcome")
            line = encode_room(ChatMessage(user="ana", data="once", id="p.1"))
            await ana.send(line)
            assert (await ana.until(lambda m: m.type == "ack")).message.id == "p.1"
            ana.close()  # the ack got lost with the link, as far as ana knows
            again = await RawClient.connect(server.port)
            await again.send(join_line("ana", None, "secret"))
            await again.until(lambda m: m.type == "welcome")
            await again.send(line + encode_room(ChatMessage(user="ana", data="next", id="p.2")))
            assert (await again.until(lambda m: m.type == "ack")).message.id == "p.1"
            texts = []
            while "next" not in texts:
                message = await bia.until(lambda m: m.type == "chat")
                texts.append(message.message.data)
            assert texts == ["once", "next"]
            assert server.room.session_ids.duplicates == 1

    run(body())


def test_a_line_a_restarted_server_relays_again_is_shown_once() -> None:
    async def body() -> None:
        line = encode_room(ChatMessage(user="ana", data="once", id="p.1"))
        async with serving() as first:
            port = first.port
            bia, events = await opened(port, "bia", FAST)
            ana = await RawClient.connect(port)
            await ana.send(join_line("ana", None, "secret") + line)
            await events.until(delivered_text("once"))
        async with serving(RoomServerConfig(host="127.0.0.1", port=port)) as second:
            await events.until(status("connected"))
            ana = await RawClient.connect(second.port)  # the author, who missed the ack
            await ana.send(join_line("ana", None, "secret") + line)
            await ana.send(encode_room(ChatMessage(user="ana", data="after", id="p.2")))
            await events.until(delivered_text("after"))
            shown = [e.message.data for e in events.seen if isinstance(e, Delivered)]
            assert shown.count("once") == 1, shown
            assert bia.duplicates == 1
            await bia.close()

    run(body())


def test_lines_never_acked_are_reported_once_when_reconnecting_gives_up() -> None:
    async def swallow(side: RawClient) -> None:
        await welcome(side, acks=True)
        await side.line()
        await side.line()

    async def body() -> None:
        config = RoomClientConfig(
            reconnect_initial=0.01, reconnect_max=0.02, reconnect_attempts=2, jitter=lambda d: d
        )
        async with scripted(swallow) as server:
            ana, events = await opened(port_of(server), "ana", config)
            await ana.send(ChatMessage(user="ana", data="first words"))
            await ana.send(ChatMessage(user="ana", data="x" * 12_000))  # two parts
            await events.ended()
        reports = [e for e in events.seen if undelivered(e)]
        assert len(reports) == 1, events.seen
        assert reports[0].details["count"] == 2
        assert str(reports[0].details["texts"]).startswith('"first words" / "xxx')
        codes = [e.code for e in events.seen if isinstance(e, StatusChanged)]
        assert codes.index("room_undelivered") < codes.index("disconnected")

    run(body())


def test_quitting_before_the_server_confirmed_a_line_reports_it() -> None:
    async def never_ack(side: RawClient) -> None:
        await welcome(side, acks=True)
        while await side.line() is not None:
            pass

    async def body() -> None:
        async with scripted(never_ack) as server:
            ana, events = await opened(port_of(server), "ana", FAST)
            await ana.send(ChatMessage(user="ana", data="lost words"))
            await ana.close()
            await events.ended()
        reports = [e for e in events.seen if undelivered(e)]
        assert [(r.details["count"], r.details["texts"]) for r in reports] == [(1, '"lost words"')]

    run(body())


def test_an_old_server_without_acks_still_works_and_nothing_is_reported() -> None:
    lines: list[RoomMessage] = []

    async def old_server(side: RawClient) -> None:
        await welcome(side, acks=False)
        while (line := await side.line()) is not None:
            lines.append(line)
            await side.send(encode_room(ChatMessage(user="bia", data="oi", node="e", seq=1)))

    async def body() -> None:
        async with scripted(old_server) as server:
            ana, events = await opened(port_of(server), "ana", FAST)
            await ana.send(ChatMessage(user="ana", data="hello"))
            await events.until(delivered_text("oi"))
            await ana.close()
            await events.ended()
        assert lines[0].message.data == "hello"
        assert not any(undelivered(e) for e in events.seen), events.seen

    run(body())


def test_an_old_client_without_a_session_gets_no_acks_and_sees_everything() -> None:
    async def body() -> None:
        async with serving() as server:
            old = await RawClient.connect(server.port)
            await old.join("old")
            ana, events = await opened(server.port)
            await old.until(lambda m: m.type == "join")
            await ana.send(ChatMessage(user="ana", data="from ana"))
            got = await old.until(lambda m: m.type == "chat")
            assert got.message.data == "from ana"
            await old.send(b'{"user": "old", "data": "handout style", "id": "1"}\n')
            await old.send(b'{"user": "old", "data": "end"}\n')
            await events.until(delivered_text("end"))
            shown = [e.message.data for e in events.seen if isinstance(e, Delivered)]
            assert "handout style" in shown
            await old.send(b'{"user": "old", "data": "", "type": "who"}\n')
            kinds = []
            while not kinds or kinds[-1] != "roster":
                message = await old.line()
                assert message is not None
                kinds.append(message.type)
            assert "ack" not in kinds, kinds
            await ana.close()

    run(body())


def test_a_full_in_flight_window_waits_for_acks_then_fails_with_a_clear_error() -> None:
    async def body() -> None:
        two_read = asyncio.Event()

        async def ack_the_first_late(side: RawClient) -> None:
            await welcome(side, acks=True)
            first = await side.line()
            await side.line()
            assert first is not None
            two_read.set()
            await side.send(ack_line(first.message.id or ""))
            while await side.line() is not None:
                pass

        config = replace(FAST, max_unacked=2, send_timeout=0.5)
        async with scripted(ack_the_first_late) as server:
            ana, events = await opened(port_of(server), "ana", config)
            await ana.send(ChatMessage(user="ana", data="one"))
            await ana.send(ChatMessage(user="ana", data="two"))
            await two_read.wait()
            await ana.send(ChatMessage(user="ana", data="three"))  # room once "one" is acked
            with pytest.raises(NetworkError) as info:
                await ana.send(ChatMessage(user="ana", data="four"))
            assert info.value.code == "room_unacked_full"
            assert "2 messages are still waiting" in str(info.value)
            await ana.close()
            await events.ended()

    run(body())


class MutingProxy:
    """A TCP proxy to a port on 127.0.0.1 whose open connections can be made silently dead:
    bytes still go in, nothing comes out either way, nobody is told (a pulled cable)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._links: list[list[bool]] = []  # one [muted] flag per proxied connection
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    def mute_open_connections(self) -> None:
        for link in self._links:
            link[0] = True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = [False]
        self._links.append(link)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    if not link[0]:
                        sink.write(data)

        try:
            await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        finally:
            writer.transport.abort()
            up_writer.transport.abort()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()


def test_a_line_typed_into_a_silently_dead_link_arrives_once_and_the_nick_is_kept() -> None:
    async def body() -> None:
        async with serving() as server:  # it pings a silent client only after 30 s
            bia = await RawClient.connect(server.port)
            await bia.join("bia")
            proxy = MutingProxy(server.port)
            port = await proxy.start()
            config = replace(FAST, ping_after=0.2, dead_after=0.3)
            ana, events = await opened(port, "ana", config)
            await bia.until(lambda m: m.type == "join")
            proxy.mute_open_connections()
            await ana.send(ChatMessage(user="ana", data="into-the-void"))
            await events.until(status("reconnecting"))
            await events.until(status("connected"))
            await ana.send(ChatMessage(user="ana", data="after"))
            seen: list[tuple[str, str]] = []
            while ("chat", "after") not in seen:
                message = await bia.until(lambda m: m.type in ("chat", "leave", "join"))
                seen.append((message.type, message.code or message.message.data or "ana"))
            # The server still held the dead connection: the same session replaced it (or,
            # when the proxy's upstream side closed first, the server saw it lost).
            assert seen[0][1] in ("room_session_replaced", "room_connection_lost"), seen
            rest = [("join", "ana"), ("chat", "into-the-void"), ("chat", "after")]
            assert seen[0][0] == "leave" and seen[1:] == rest, seen
            assert ana.nick == "ana"
            assert not any(isinstance(e, NickChanged) for e in events.seen)
            await ana.close()
            proxy.close()

    run(body())
