"""Raw asyncio room clients and a running server, shared by the room transport tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from papo.errors import DecodeError
from papo.protocol.framing import LineFramer
from papo.protocol.room import RoomMessage, decode_room, join_line
from papo.transport.tcp_server import RoomServer, RoomServerConfig


def run(coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    """Run one async test body with a deadline."""

    async def bounded() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


@contextlib.asynccontextmanager
async def serving(
    config: RoomServerConfig | None = None, **kwargs: Any
) -> AsyncIterator[RoomServer]:
    """A room server on 127.0.0.1 and a free port, closed at the end."""
    config = config or RoomServerConfig(host="127.0.0.1", port=0, **kwargs)
    server = RoomServer(config)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


class RawClient:
    """A room client made of a bare socket: sends exactly the bytes a test gives it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.framer = LineFramer()
        self.pending: list[bytes | DecodeError] = []

    @classmethod
    async def connect(
        cls, port: int, host: str = "127.0.0.1", rcvbuf: int | None = None
    ) -> RawClient:
        if rcvbuf is None:
            reader, writer = await asyncio.open_connection(host, port)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
            reader, writer = await asyncio.open_connection(sock=sock)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self, timeout: float = 5.0) -> RoomMessage | None:
        """The next decoded line from the server; None at EOF."""
        async with asyncio.timeout(timeout):
            while not self.pending:
                data = await self.reader.read(65536)
                if not data:
                    return None
                self.pending.extend(self.framer.feed(data))
        item = self.pending.pop(0)
        assert not isinstance(item, DecodeError), item
        decoded = decode_room(item)
        assert isinstance(decoded, RoomMessage), (item, decoded)
        return decoded

    async def raw_lines(self, timeout: float = 5.0) -> list[bytes]:
        """The lines of the next chunk(s) read, undecoded (fast path for load tests)."""
        if not self.pending:
            async with asyncio.timeout(timeout):
                while not self.pending:
                    data = await self.reader.read(65536)
                    assert data, "connection closed"
                    self.pending.extend(self.framer.feed(data))
        lines, self.pending = self.pending, []
        assert all(isinstance(line, bytes) for line in lines), lines
        return lines  # type: ignore[return-value]

    async def until(
        self,
        predicate: Callable[[RoomMessage], bool],
        timeout: float = 5.0,
        *,
        history: bool = False,
    ) -> RoomMessage:
        """Skip lines until one matches ``predicate`` (replayed lines only if ``history``)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.line(timeout)
                assert message is not None, "connection closed before the expected line"
                if message.history and not history:
                    continue
                if predicate(message):
                    return message

    async def join(self, nick: str) -> RoomMessage:
        await self.send(join_line(nick))
        return await self.until(lambda m: m.type in ("welcome", "error"))

    async def eof(self, timeout: float = 5.0) -> list[RoomMessage]:
        """Every line until the server closes the connection."""
        seen: list[RoomMessage] = []
        async with asyncio.timeout(timeout):
            while True:
                try:
                    message = await self.line(timeout)
                except ConnectionError:
                    return seen
                if message is None:
                    return seen
                seen.append(message)

    def close(self) -> None:
        self.writer.transport.abort()
