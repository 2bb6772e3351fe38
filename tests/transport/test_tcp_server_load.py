"""The room server's slow-consumer rule under load: bursts from fast publishers to fast
readers cut nobody (backpressure holds the publishers); a reader that stops is cut.

The clients run in their own thread and event loop, as separate programs would, so that
they read as fast as they can while the server works.
"""

from __future__ import annotations

import asyncio
import json

from papo.protocol.message import ChatMessage
from papo.protocol.room import encode_room, join_line
from papo.protocol.room_state import Log
from papo.session.room_server import RoomRules
from papo.transport.tcp_server import (
    BACKPRESSURE_MAX_SECONDS,
    OUTBOX_FLUSH_BYTES,
    SEND_BUFFER_HIGH_BYTES,
    SEND_BUFFER_LOW_BYTES,
    SEND_QUEUE_MAX_BYTES,
    SLOW_CONSUMER_SECONDS,
    RoomServer,
    RoomServerConfig,
)
from tests.transport.room_helpers import RawClient, run

UNLIMITED = RoomRules(rate_per_second=1e9, rate_burst=10**9)

#: Small limits, so that a burst is many times the high mark and the hard limit.
TIGHT = RoomServerConfig(
    host="127.0.0.1",
    port=0,
    send_buffer_high_bytes=32 * 1024,
    send_buffer_low_bytes=8 * 1024,
    send_queue_max_bytes=256 * 1024,
    rules=UNLIMITED,
)


def chat(text: str) -> bytes:
    return encode_room(ChatMessage(user="x", data=text))


def test_the_slow_consumer_limits_are_named_and_ordered() -> None:
    assert 0 < SEND_BUFFER_LOW_BYTES < SEND_BUFFER_HIGH_BYTES < SEND_QUEUE_MAX_BYTES
    # between two backpressure checks a client gets at most one outbox flush more
    assert SEND_BUFFER_HIGH_BYTES + 2 * OUTBOX_FLUSH_BYTES < SEND_QUEUE_MAX_BYTES
    assert 0 < BACKPRESSURE_MAX_SECONDS < SLOW_CONSUMER_SECONDS


async def _count_chats(client: RawClient, expected: int, bad: list[dict[str, object]]) -> int:
    """Read as fast as possible until ``expected`` chat lines came (or EOF, or 5 s of silence)."""
    got = 0
    for _ in range(100_000):  # bounded; a read returns at least one byte
        if got >= expected:
            break
        try:
            async with asyncio.timeout(5):
                data = await client.reader.read(256 * 1024)
        except (ConnectionError, TimeoutError):  # cut, or nothing more: the counts say it
            break
        if not data:
            break
        for line in client.framer.feed(data):
            assert isinstance(line, bytes), line
            if b'"type":"chat"' in line:
                got += 1
            elif b'"type":"leave"' in line or b'"type":"error"' in line:
                bad.append(json.loads(line))
    return got


def _burst(port: int, publishers: int, readers: int, lines_each: int) -> tuple[list[int], list]:
    """Join everyone, then every publisher sends its lines in one write; count deliveries."""

    async def clients() -> tuple[list[int], list]:
        people = []
        for index in range(publishers + readers):
            client = await RawClient.connect(port)
            welcome = await client.join(f"p{index}" if index < publishers else f"r{index}")
            assert welcome.type == "welcome"
            people.append(client)
        last = f"r{publishers + readers - 1}"
        for client in people[:-1]:  # everyone has seen the last join: the roster is full
            await client.until(lambda m: m.type == "join" and m.message.user == last)
        payload = "x" * 150
        blobs = [
            b"".join(chat(f"{p}:{n} {payload}") for n in range(lines_each))
            for p in range(publishers)
        ]
        bad: list[dict[str, object]] = []
        counting = [
            asyncio.create_task(
                _count_chats(
                    client,
                    lines_each * (publishers - 1 if index < publishers else publishers),
                    bad,
                )
            )
            for index, client in enumerate(people)
        ]
        await asyncio.gather(*(people[p].send(blobs[p]) for p in range(publishers)))
        counts = await asyncio.gather(*counting)
        for client in people:
            client.close()
        return list(counts), bad

    return asyncio.run(clients())


def test_fast_readers_are_not_cut_when_fast_publishers_burst_at_once() -> None:
    publishers, readers, lines_each = 4, 4, 2000  # each publisher: one 350 KB write

    async def body() -> None:
        logged: list[Log] = []
        server = RoomServer(TIGHT, log=logged.append)
        await server.start()
        try:
            counts, bad = await asyncio.to_thread(
                _burst, server.port, publishers, readers, lines_each
            )
        finally:
            await server.close()
        assert bad == []  # nobody was told to leave, nobody saw anyone cut
        assert not [e for e in logged if e.details.get("reason") == "room_slow_consumer"]
        assert (
            counts
            == [lines_each * (publishers - 1)] * publishers + [lines_each * publishers] * readers
        )

    run(body(), timeout=60)


def test_a_reader_that_stops_is_cut_once_behind_for_the_named_time() -> None:
    """Below the hard limit, the soft rule cuts: behind for ``slow_consumer_seconds``."""

    async def body() -> None:
        config = RoomServerConfig(
            host="127.0.0.1",
            port=0,
            send_buffer_high_bytes=16 * 1024,
            send_buffer_low_bytes=4 * 1024,
            send_queue_max_bytes=256 * 1024 * 1024,  # never reached here
            backpressure_max_seconds=0.1,
            slow_consumer_seconds=0.5,
            rules=UNLIMITED,
        )
        logged: list[Log] = []
        server = RoomServer(config, log=logged.append)
        await server.start()
        try:
            sender = await RawClient.connect(server.port)
            await sender.join("sender")
            reader = await RawClient.connect(server.port)
            await reader.join("reader")
            stalled = await RawClient.connect(server.port, rcvbuf=4096)
            await stalled.send(join_line("stalled"))  # and never reads again
            await reader.until(lambda m: m.type == "join" and m.message.user == "stalled")
            payload = "y" * 4000
            sent = received = 0
            cut = None
            # At most 1 000 x 10 x 4 KB = 40 MB, under the hard limit: the kernel buffers
            # fill first, then the server's, then the clock runs out for the stalled one.
            for _ in range(1000):
                await sender.send(b"".join(chat(f"{sent + i} {payload}") for i in range(10)))
                sent += 10
                while received < sent:  # the reader keeps up
                    message = await reader.line(timeout=10)
                    assert message is not None
                    if message.type == "leave":
                        cut = message
                        continue
                    assert message.message.data.startswith(f"{received} ")
                    received += 1
                if cut is not None:
                    break
            assert cut is not None, "a client that never reads was never cut"
            assert (cut.message.user, cut.code) == ("stalled", "room_slow_consumer")
            print(f"stalled client cut after {sent} lines of 4 KB to the room")
            assert received == sent  # the reader lost nothing meanwhile
            assert server.room.nicks == ("reader", "sender")
            stalled.close()
            sender.close()
            reader.close()
        finally:
            await server.close()

    run(body(), timeout=60)
