"""The room server on real sockets: load, slow consumers, bad input, timeouts, shutdown."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from papo.errors import NetworkError
from papo.protocol.framing import MAX_LINE_BYTES
from papo.protocol.message import ChatMessage
from papo.protocol.room import encode_room, join_line, leave_line
from papo.session.room_server import RoomRules
from papo.transport.tcp_server import (
    DEAD_PEER_SECONDS,
    HELLO_TIMEOUT_SECONDS,
    IDLE_PING_SECONDS,
    MAX_CONNECTIONS,
    SEND_QUEUE_MAX_BYTES,
    SHUTDOWN_GRACE_SECONDS,
    SLOW_CONSUMER_SECONDS,
    RoomServer,
    RoomServerConfig,
)
from tests.transport.room_helpers import RawClient, run, serving

UNLIMITED = RoomRules(rate_per_second=1e9, rate_burst=10**9)


def chat(text: str) -> bytes:
    return encode_room(ChatMessage(user="x", data=text))


async def joined(port: int, *nicks: str) -> list[RawClient]:
    clients = []
    for nick in nicks:
        client = await RawClient.connect(port)
        welcome = await client.join(nick)
        assert welcome.type == "welcome", welcome
        clients.append(client)
    for index, client in enumerate(clients):  # skip the join notices of later joiners
        for later in nicks[index + 1 :]:
            await client.until(lambda m, later=later: m.type == "join" and m.message.user == later)
    return clients


async def assert_room_still_works(port: int) -> None:
    """A fresh pair of clients can still talk: the server kept running."""
    a, b = await joined(port, "witness_a", "witness_b")
    await a.send(chat("still alive"))
    got = await b.until(lambda m: m.type == "chat")
    assert got.message.data == "still alive"
    a.close()
    b.close()


def test_limits_are_named_and_sane() -> None:
    assert SEND_QUEUE_MAX_BYTES >= 64 * MAX_LINE_BYTES // 16
    assert 0 < SHUTDOWN_GRACE_SECONDS < 1
    assert HELLO_TIMEOUT_SECONDS > 0 and SLOW_CONSUMER_SECONDS > 0
    assert IDLE_PING_SECONDS > 0 and DEAD_PEER_SECONDS > 0


def test_messages_reach_every_other_client_but_never_the_sender() -> None:
    async def body() -> None:
        async with serving() as server:
            ana, bia, carla = await joined(server.port, "ana", "bia", "carla")
            await ana.send(chat("oi"))
            for other in (bia, carla):
                got = await other.until(lambda m: m.type == "chat")
                assert (got.message.user, got.message.data) == ("ana", "oi")
            await bia.send(chat("olá"))
            got = await ana.until(lambda m: m.type == "chat")
            assert got.message.user == "bia"  # ana's own "oi" never came back

    run(body())


def test_two_hundred_clients_get_every_message_once_and_in_order() -> None:
    clients_count, per_client = 200, 5

    async def body() -> float:
        async with serving(rules=UNLIMITED) as server:
            clients = await asyncio.gather(
                *(RawClient.connect(server.port) for _ in range(clients_count))
            )
            welcomes = await asyncio.gather(*(c.join(f"user{i}") for i, c in enumerate(clients)))
            assert all(w.type == "welcome" for w in welcomes)
            started = time.monotonic()

            async def talk(index: int, client: RawClient) -> dict[str, list[int]]:
                await client.send(b"".join(chat(f"{index}:{n}") for n in range(per_client)))
                seen: dict[str, list[int]] = {}
                expected = (clients_count - 1) * per_client
                got = 0
                while got < expected:
                    for raw in await client.raw_lines(timeout=15):
                        message = json.loads(raw)
                        if message.get("type") != "chat":
                            continue
                        sender, number = message["data"].split(":")
                        assert message["user"] == f"user{sender}"
                        seen.setdefault(sender, []).append(int(number))
                        got += 1
                return seen

            results = await asyncio.gather(*(talk(i, c) for i, c in enumerate(clients)))
            elapsed = time.monotonic() - started
            for index, seen in enumerate(results):
                assert str(index) not in seen  # no echo
                assert len(seen) == clients_count - 1
                assert all(numbers == list(range(per_client)) for numbers in seen.values())
            for client in clients:
                client.close()
            return elapsed

    elapsed = run(body(), timeout=60)
    print(f"200 clients x {per_client} messages: {elapsed:.2f} s")


def test_a_stalled_client_is_cut_with_a_reason_and_the_others_lose_nothing() -> None:
    async def body() -> None:
        config = RoomServerConfig(
            host="127.0.0.1",
            port=0,
            send_buffer_high_bytes=16 * 1024,
            send_buffer_low_bytes=4 * 1024,
            send_queue_max_bytes=64 * 1024,
            backpressure_max_seconds=0.2,
            rules=UNLIMITED,
        )
        async with serving(config) as server:
            sender, reader = await joined(server.port, "sender", "reader")
            stalled = await RawClient.connect(server.port, rcvbuf=4096)
            await stalled.send(join_line("stalled"))  # and never reads again
            await sender.until(lambda m: m.type == "join")
            await reader.until(lambda m: m.type == "join")
            payload = "x" * 4000
            sent = 0
            cut = None
            received = 0
            for batch in range(200):  # noqa: B007  # at most 200 x 10 x 4 KB = 8 MB
                await sender.send(b"".join(chat(f"{sent + i} {payload}") for i in range(10)))
                sent += 10
                while received < sent:
                    message = await reader.line(timeout=10)
                    assert message is not None
                    if message.type == "leave":
                        cut = message
                        continue
                    assert message.type == "chat"
                    assert message.message.data.startswith(f"{received} ")
                    received += 1
                if cut is not None:
                    break
            assert cut is not None, f"stalled client not cut after {batch + 1} batches"
            assert (cut.message.user, cut.code) == ("stalled", "room_slow_consumer")
            print(f"stalled client cut after {sent} messages of 4 KB to the room")
            assert received == sent
            assert server.room.nicks == ("reader", "sender")

    run(body())


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (b"hello, this is not json\n", "room_not_json"),
        (b"\xff\xfe\xfa invalid utf-8\n", "decode_invalid_utf8"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07{\n", "room_not_json"),
        (b'{"user": "a", \n', "decode_invalid_json"),
        (b'{"user": "a", "data": [1, 2]}\n', "decode_wrong_type"),
        (b"x" * (MAX_LINE_BYTES + 10) + b"\n", "frame_too_long"),
        (b'{"user":"a","data":"","type":"welcome"}\n', "room_unexpected_type"),
    ],
)
def test_bad_lines_get_a_clear_error_and_nobody_else_loses_anything(bad: bytes, code: str) -> None:
    async def body() -> None:
        async with serving() as server:
            ana, bia = await joined(server.port, "ana", "bia")
            await ana.send(bad)
            error = await ana.until(lambda m: m.type == "error")
            assert error.code == code
            await ana.send(chat("after the bad line"))
            got = await bia.until(lambda m: m.type == "chat")
            assert got.message.data == "after the bad line"
            await assert_room_still_works(server.port)

    run(body())


def test_binary_garbage_flood_gets_the_client_cut_and_the_server_keeps_running() -> None:
    async def body() -> None:
        async with serving() as server:
            (bia,) = await joined(server.port, "bia")
            vandal = await RawClient.connect(server.port)
            await vandal.join("vandal")
            garbage = bytes(range(256)) * 4
            await vandal.send((garbage + b"\n") * 50)
            seen = await vandal.eof()
            assert seen[-1].code == "room_too_many_errors"
            notice = await bia.until(lambda m: m.type == "leave")
            assert (notice.message.user, notice.code) == ("vandal", "room_too_many_errors")
            await assert_room_still_works(server.port)

    run(body())


@pytest.mark.parametrize("nick", ["ana\x1b[31m", "bell\x07", "new\nline", "a b", "\u202eevil"])
def test_nick_with_control_characters_is_refused_with_a_clear_error(nick: str) -> None:
    async def body() -> None:
        async with serving() as server:
            client = await RawClient.connect(server.port)
            line = json.dumps({"user": nick, "data": "", "type": "join"}).encode() + b"\n"
            await client.send(line)
            error = await client.until(lambda m: m.type == "error")
            assert error.code == "room_bad_nick"
            assert server.room.nicks == ()
            await assert_room_still_works(server.port)

    run(body())


def test_connect_and_say_nothing_is_closed_after_the_hello_timeout() -> None:
    async def body() -> None:
        async with serving(hello_timeout=0.3) as server:
            silent = await RawClient.connect(server.port)
            started = time.monotonic()
            seen = await silent.eof()
            assert [m.code for m in seen] == ["room_hello_timeout"]
            assert seen[0].details["seconds"] == 0
            assert 0.25 < time.monotonic() - started < 3
            await assert_room_still_works(server.port)

    run(body())


def test_a_first_line_that_is_not_a_join_closes_the_connection() -> None:
    async def body() -> None:
        async with serving() as server:
            client = await RawClient.connect(server.port)
            await client.send(chat("hi without joining"))
            seen = await client.eof()
            assert [m.code for m in seen] == ["room_hello_expected"]

    run(body())


def test_half_closed_connection_mid_line_is_dropped_and_the_room_told() -> None:
    async def body() -> None:
        async with serving() as server:
            ana, bia = await joined(server.port, "ana", "bia")
            await ana.send(b'{"user":"ana","data":"unfinished')
            ana.writer.write_eof()
            notice = await bia.until(lambda m: m.type == "leave")
            assert (notice.message.user, notice.code) == ("ana", "room_connection_lost")
            await assert_room_still_works(server.port)

    run(body())


def test_a_silent_peer_is_pinged_then_cut_as_dead() -> None:
    async def body() -> None:
        async with serving(idle_ping_after=0.2, dead_peer_after=0.3) as server:
            ghost, bia = await joined(server.port, "ghost", "bia")
            ping = await ghost.until(lambda m: m.type == "ping")
            assert ping.type == "ping"  # and the ghost never answers
            notice = await bia.until(lambda m: m.type == "leave", timeout=5)
            assert (notice.message.user, notice.code) == ("ghost", "room_idle_timeout")

    run(body())


def test_a_peer_that_answers_pings_stays() -> None:
    async def body() -> None:
        async with serving(idle_ping_after=0.1, dead_peer_after=0.2) as server:
            (ana,) = await joined(server.port, "ana")
            for _ in range(3):
                await ana.until(lambda m: m.type == "ping")
                await ana.send(encode_room(ChatMessage(user="ana", data="", type="pong")))
            assert server.room.nicks == ("ana",)

    run(body())


def test_leave_closes_only_the_leaver() -> None:
    async def body() -> None:
        async with serving() as server:
            ana, bia = await joined(server.port, "ana", "bia")
            await ana.send(leave_line("ana"))
            assert await ana.eof() == []
            notice = await bia.until(lambda m: m.type == "leave")
            assert notice.code == "room_quit"
            assert server.room.nicks == ("bia",)

    run(body())


def test_graceful_shutdown_tells_every_client_and_closes_within_a_second() -> None:
    async def body() -> None:
        server = RoomServer(RoomServerConfig(host="127.0.0.1", port=0))
        await server.start()
        clients = await joined(server.port, "ana", "bia", "carla")
        silent = await RawClient.connect(server.port, rcvbuf=4096)  # never joins
        started = time.monotonic()
        await server.close()
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, elapsed
        for client in clients:
            seen = await client.eof(timeout=2)
            assert [m.type for m in seen] == ["shutdown"]
            assert seen[0].code == "room_server_shutdown"
        assert [m.type for m in await silent.eof(timeout=2)] == ["shutdown"]
        with pytest.raises(OSError):
            await RawClient.connect(server.port)

    run(body())


def test_a_port_really_in_use_gives_a_network_error_naming_the_port() -> None:
    async def body() -> None:
        async with serving() as first:
            second = RoomServer(RoomServerConfig(host="127.0.0.1", port=first.port))
            with pytest.raises(NetworkError) as info:
                await second.start()
            assert info.value.code == "address_in_use"
            assert info.value.details["port"] == first.port
            assert str(first.port) in str(info.value)

    run(body())


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")
def test_the_room_works_over_ipv6() -> None:
    async def body() -> None:
        async with serving(RoomServerConfig(host="::1", port=0)) as server:
            assert server.addresses[0][0] == "::1"
            ana = await RawClient.connect(server.port, host="::1")
            bia = await RawClient.connect(server.port, host="::1")
            await ana.join("ana")
            await bia.join("bia")
            await ana.send(chat("over v6"))
            got = await bia.until(lambda m: m.type == "chat")
            assert got.message.data == "over v6"

    run(body())


def test_connections_over_the_limit_are_told_the_room_is_full() -> None:
    async def body() -> None:
        async with serving(max_connections=2) as server:
            (ana,) = await joined(server.port, "ana")  # kept open: it holds one place
            silent = await RawClient.connect(server.port)
            extra = await RawClient.connect(server.port)
            seen = await extra.eof()
            assert [m.code for m in seen] == ["room_full"]
            silent.close()
            ana.close()
            assert MAX_CONNECTIONS >= 2 * 200

    run(body())


def test_a_bug_while_serving_one_connection_costs_only_that_connection() -> None:
    async def body() -> None:
        logged = []
        server = RoomServer(RoomServerConfig(host="127.0.0.1", port=0), log=logged.append)
        await server.start()
        try:
            ana, bia = await joined(server.port, "ana", "bia")
            original = server.room.receive

            def explode(conn, line, now):
                if line == b"boom":
                    raise RuntimeError("simulated bug")
                return original(conn, line, now)

            server.room.receive = explode  # type: ignore[method-assign]
            victim = await RawClient.connect(server.port)
            await victim.send(b"boom\n")
            assert await victim.eof() == []
            assert any(entry.code == "room_log_internal_error" for entry in logged)
            await ana.send(chat("fine"))
            assert (await bia.until(lambda m: m.type == "chat")).message.data == "fine"
        finally:
            await server.close()

    run(body())


@pytest.mark.netns  # the failed lookup must not reach a real resolver
def test_an_unknown_host_name_is_a_one_line_network_error() -> None:
    async def body() -> None:
        server = RoomServer(RoomServerConfig(host="no-such-host.invalid", port=0))
        with pytest.raises(NetworkError) as info:
            await server.start()
        assert info.value.code == "room_bad_host"
        assert "no-such-host.invalid" in str(info.value)
        await server.close()

    run(body())


def test_shutdown_takes_under_a_second_even_with_a_client_whose_socket_is_full() -> None:
    async def body() -> None:
        config = RoomServerConfig(
            host="127.0.0.1", port=0, send_queue_max_bytes=64 * 1024 * 1024, rules=UNLIMITED
        )
        server = RoomServer(config)
        await server.start()
        (sender,) = await joined(server.port, "sender")
        stalled = await RawClient.connect(server.port, rcvbuf=4096)
        await stalled.send(join_line("stalled"))
        await sender.until(lambda m: m.type == "join")
        payload = "x" * 8000
        for _ in range(50):  # 50 x 10 x 8 KB = 4 MB: more than the socket buffers hold
            await sender.send(b"".join(chat(payload) for _ in range(10)))
        await sender.send(encode_room(ChatMessage(user="x", data="", type="ping")))
        await sender.until(lambda m: m.type == "pong")  # the server has read it all
        waiting = [c.transport.get_write_buffer_size() for c in server._clients.values()]
        assert max(waiting) > 0  # the stalled client's bytes are stuck behind a full socket
        started = time.monotonic()
        await server.close()
        assert time.monotonic() - started < 1.0
        stalled.close()

    run(body())


def test_a_client_over_its_rate_gets_errors_and_its_extra_lines_are_dropped() -> None:
    async def body() -> None:
        rules = RoomRules(rate_per_second=0.001, rate_burst=3)
        async with serving(rules=rules) as server:
            fast, bia = await joined(server.port, "fast", "bia")
            await fast.send(b"".join(chat(str(n)) for n in range(10)))
            errors = [await fast.until(lambda m: m.type == "error") for _ in range(7)]
            assert {e.code for e in errors} == {"room_rate_limited"}
            await fast.send(encode_room(ChatMessage(user="x", data="", type="ping")))
            await fast.until(lambda m: m.type == "pong")
            got = [(await bia.until(lambda m: m.type == "chat")).message.data for _ in range(3)]
            assert got == ["0", "1", "2"]
            assert server.room.dropped_lines == 7

    run(body())
