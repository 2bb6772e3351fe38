"""The room server over TCP (asyncio): sockets, queues and timers around :class:`Room`.

Each connection gets a reader (bytes -> :class:`~papo.protocol.framing.LineFramer` ->
:class:`~papo.protocol.room_state.Room`) and a writer task draining its own bounded send
queue. A client whose queue passes :data:`SEND_QUEUE_MAX_BYTES` (it does not read fast
enough) is cut with ``room_slow_consumer``; nobody else waits for it (the ngIRCd/NATS
"slow consumer" rule). Silent clients are pinged after :data:`IDLE_PING_SECONDS` and cut
:data:`DEAD_PEER_SECONDS` later; a connection that does not join within
:data:`HELLO_TIMEOUT_SECONDS` is closed. :meth:`RoomServer.close` tells everyone and
closes within :data:`SHUTDOWN_GRACE_SECONDS`.

With ``RoomServerConfig.tls`` (an :class:`ssl.SSLContext`, see :mod:`papo.transport.tls`)
every connection is TLS; a handshake that fails (a plain client, garbage, an untrusting
client) costs only that connection, and must finish within :data:`HELLO_TIMEOUT_SECONDS`.
A plain server closes a connection that opens with a TLS handshake at once, so a client
with ``--tls`` gets a clear error instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import secrets
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from papo.errors import NetworkError
from papo.protocol.framing import MAX_LINE_BYTES, LineFramer
from papo.protocol.room import DEFAULT_ROOM_PORT, error_line, ping_line
from papo.protocol.room_state import (
    MAX_CLIENTS,
    Action,
    Broadcast,
    Close,
    Log,
    Room,
    RoomRules,
    Send,
)

#: Bytes that may wait in one client's send queue; past this the client is a slow
#: consumer and is disconnected (the socket's own buffers come on top of this).
SEND_QUEUE_MAX_BYTES = 512 * 1024

#: Seconds one write to a client may stay blocked before it counts as a slow consumer.
SLOW_CONSUMER_SECONDS = 10.0

#: Seconds a new connection has to send its ``join`` line.
HELLO_TIMEOUT_SECONDS = 10.0

#: Seconds without any line from a client before the server pings it.
IDLE_PING_SECONDS = 30.0

#: Seconds after that ping without any line before the client is considered dead.
DEAD_PEER_SECONDS = 30.0

#: Seconds a graceful shutdown waits for the notice to reach clients before cutting.
SHUTDOWN_GRACE_SECONDS = 0.5

#: Open connections (joined or still saying hello) the server holds at once; one more is
#: told ``room_full`` and closed, so a flood of silent connections cannot exhaust it.
MAX_CONNECTIONS = 2 * MAX_CLIENTS

#: Pending connections the listening socket queues (200 clients may arrive at once).
LISTEN_BACKLOG = 1024

_READ_CHUNK = 64 * 1024

#: How a TLS connection starts: a handshake record (0x16) of TLS/SSL 3.x.
_TLS_HANDSHAKE_START = b"\x16\x03"


@dataclass(frozen=True, slots=True)
class RoomServerConfig:
    """Where the room server listens and the limits it applies (defaults documented above)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_ROOM_PORT
    max_line_bytes: int = MAX_LINE_BYTES
    send_queue_max_bytes: int = SEND_QUEUE_MAX_BYTES
    slow_consumer_seconds: float = SLOW_CONSUMER_SECONDS
    hello_timeout: float = HELLO_TIMEOUT_SECONDS
    idle_ping_after: float = IDLE_PING_SECONDS
    dead_peer_after: float = DEAD_PEER_SECONDS
    shutdown_grace: float = SHUTDOWN_GRACE_SECONDS
    max_connections: int = MAX_CONNECTIONS
    rules: RoomRules = field(default_factory=RoomRules)
    tls: ssl.SSLContext | None = None


def format_peer(address: object) -> str:
    """``host:port`` (``[v6]:port`` for IPv6) of a socket address."""
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


class _Client:
    """One connection: its bounded send queue and the task that writes it out."""

    def __init__(self, conn: int, writer: asyncio.StreamWriter, max_bytes: int) -> None:
        self.conn = conn
        self.writer = writer
        self.max_bytes = max_bytes
        self.queue: deque[bytes] = deque()
        self.queued_bytes = 0
        self.wakeup = asyncio.Event()
        self.closing = False
        self.overflowed = False

    def enqueue(self, line: bytes) -> bool:
        """Queue ``line``; False when that would pass the limit (nothing is queued)."""
        if self.closing:
            return True
        if self.queued_bytes + len(line) > self.max_bytes:
            return False
        self.queue.append(line)
        self.queued_bytes += len(line)
        self.wakeup.set()
        return True


class RoomServer:
    """A chat room many clients join over TCP; see the module docstring for the rules.

    ``log`` receives every :class:`~papo.protocol.room_state.Log` the room produces (the
    console turns them into lines); ``clock`` is the monotonic time source; ``epoch``
    names this run in the marks of relayed lines (random unless given).
    """

    def __init__(
        self,
        config: RoomServerConfig | None = None,
        *,
        log: Callable[[Log], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        epoch: str | None = None,
    ) -> None:
        self.config = config or RoomServerConfig()
        self.room = Room(self.config.rules, epoch or secrets.token_hex(6))
        self._log = log or (lambda entry: None)
        self._clock = clock
        self._server: asyncio.Server | None = None
        self._addresses: list[tuple[str, int]] = []
        self._clients: dict[int, _Client] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._closing = False
        self._closed = asyncio.Event()

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The ``(host, port)`` of every listening socket (after :meth:`start`)."""
        return list(self._addresses)

    @property
    def port(self) -> int:
        """The port actually listened on (useful with port 0)."""
        return self.addresses[0][1]

    @property
    def client_count(self) -> int:
        """Open connections right now (joined or not)."""
        return len(self._clients)

    async def start(self) -> None:
        """Listen; raise NetworkError with a one-line reason if the port cannot be used."""
        host = self.config.host
        try:
            self._server = await asyncio.start_server(
                self._serve_connection,
                host=None if host in ("", "*") else host,
                port=self.config.port,
                backlog=LISTEN_BACKLOG,
                reuse_address=True,
                limit=_READ_CHUNK,
                ssl=self.config.tls,
                ssl_handshake_timeout=self.config.hello_timeout if self.config.tls else None,
            )
        except socket.gaierror as exc:  # an OSError too: name lookup failed
            raise NetworkError("room_bad_host", host=host, reason=exc.strerror) from exc
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise NetworkError("address_in_use", port=self.config.port) from exc
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise NetworkError(
                    "permission_denied", action="action_bind", reason=exc.strerror
                ) from exc
            raise NetworkError(
                "os_error", action="action_bind", reason=exc.strerror or str(exc)
            ) from exc
        self._addresses = [sock.getsockname()[:2] for sock in self._server.sockets]
        self._log(
            Log(
                "room_log_listening_tls" if self.config.tls else "room_log_listening",
                {"addresses": ", ".join(format_peer(a) for a in self.addresses)},
            )
        )

    async def wait_closed(self) -> None:
        """Return once :meth:`close` has finished."""
        await self._closed.wait()

    async def close(self) -> None:
        """Tell every client the server stops, give them a moment, close everything."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        if self._server is None:  # never started: nothing to tell anyone
            self._closed.set()
            return
        self._server.close()
        self._apply(self.room.shutdown())
        if self._tasks:
            _done, pending = await asyncio.wait(
                list(self._tasks), timeout=self.config.shutdown_grace
            )
            for client in list(self._clients.values()):
                client.writer.transport.abort()
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=self.config.shutdown_grace)
        self._closed.set()

    # --- one connection ------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        conn = next(self._ids)
        peer = format_peer(writer.get_extra_info("peername"))
        client = _Client(conn, writer, self.config.send_queue_max_bytes)
        if self._closing or len(self._clients) >= self.config.max_connections:
            if not self._closing:
                writer.write(error_line("room_full"))
                self._log(Log("room_log_refused", {"peer": peer, "reason": "room_full"}))
            writer.close()
            asyncio.get_running_loop().call_later(
                self.config.shutdown_grace, writer.transport.abort
            )
            self._tasks.discard(task)  # type: ignore[arg-type]
            return
        self._clients[conn] = client
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer_task = asyncio.create_task(self._write_loop(client))
        self._apply(self.room.connect(conn, peer, self._clock()))
        reason = "room_connection_lost"
        try:
            reason = await self._read_loop(conn, client, reader)
        except (ConnectionError, OSError):
            reason = "room_connection_lost"
        except Exception as exc:  # a bug must cost one connection, never the server
            reason = "room_connection_lost"
            self._log(Log("room_log_internal_error", {"peer": peer, "error": repr(exc)[:200]}))
        finally:
            self._apply(self.room.disconnected(conn, reason))
            client.closing = True
            client.wakeup.set()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer_task, self.config.shutdown_grace)
            if not writer.transport.is_closing():
                writer.transport.abort()
            self._clients.pop(conn, None)
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _read_loop(self, conn: int, client: _Client, reader: asyncio.StreamReader) -> str:
        """Feed the room until the connection ends; return why it ended (an i18n code)."""
        config = self.config
        framer = LineFramer(config.max_line_bytes)
        hello_deadline = self._clock() + config.hello_timeout
        pinged = False
        while not client.closing:
            if not self.room.is_joined(conn):
                timeout = max(0.0, hello_deadline - self._clock())
            else:
                timeout = config.dead_peer_after if pinged else config.idle_ping_after
            try:
                async with asyncio.timeout(timeout):
                    data = await reader.read(_READ_CHUNK)
            except TimeoutError:
                if not self.room.is_joined(conn):
                    self._apply(self._expel(conn, "room_hello_timeout", config.hello_timeout))
                    return "room_hello_timeout"
                if pinged:
                    self._apply(self._expel(conn, "room_idle_timeout", config.dead_peer_after))
                    return "room_idle_timeout"
                pinged = True
                self._queue(client, ping_line())
                continue
            if (
                self.config.tls is None
                and not self.room.is_joined(conn)
                and data.startswith(_TLS_HANDSHAKE_START)
            ):
                return "room_tls_client_on_plain"
            if not data:
                for item in framer.end():
                    self._apply(self.room.receive(conn, item, self._clock()))
                return "room_connection_lost"
            pinged = False
            for item in framer.feed(data):
                self._apply(self.room.receive(conn, item, self._clock()))
                if client.closing:
                    break
        return "room_quit"

    def _expel(self, conn: int, reason: str, seconds: float) -> list[Action]:
        """Like :meth:`Room.expel`, with the timeout's seconds in the error's details."""
        actions = self.room.expel(conn, reason)
        return [
            Send(conn, error_line(reason, seconds=int(seconds)))
            if isinstance(a, Send) and a.conn == conn
            else a
            for a in actions
        ]

    async def _write_loop(self, client: _Client) -> None:
        """Write ``client``'s queue out; a write blocked too long makes it a slow consumer."""
        writer = client.writer
        try:
            while True:
                await client.wakeup.wait()
                client.wakeup.clear()
                if client.queue:
                    batch = b"".join(client.queue)
                    client.queue.clear()
                    client.queued_bytes = 0
                    writer.write(batch)
                    try:
                        async with asyncio.timeout(self.config.slow_consumer_seconds):
                            await writer.drain()
                    except TimeoutError:
                        self._cut_slow_consumer(client, len(batch))
                        return
                if client.closing and not client.queue:
                    break
            if writer.can_write_eof():
                with contextlib.suppress(OSError):
                    writer.write_eof()
            writer.close()
            with contextlib.suppress(asyncio.TimeoutError, OSError):
                await asyncio.wait_for(writer.wait_closed(), self.config.shutdown_grace)
        except (ConnectionError, OSError):
            writer.transport.abort()

    # --- actions -------------------------------------------------------------------------

    def _apply(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Broadcast):
                for conn in action.conns:
                    client = self._clients.get(conn)
                    if client is not None:
                        self._queue(client, action.line)
            elif isinstance(action, Send):
                client = self._clients.get(action.conn)
                if client is not None:
                    self._queue(client, action.line)
            elif isinstance(action, Close):
                client = self._clients.get(action.conn)
                if client is not None:
                    client.closing = True
                    client.wakeup.set()
            else:
                self._log(action)

    def _queue(self, client: _Client, line: bytes) -> None:
        if not client.enqueue(line):
            self._cut_slow_consumer(client, client.queued_bytes + len(line))

    def _cut_slow_consumer(self, client: _Client, queued: int) -> None:
        """Drop ``client``'s queue, tell it why if its socket still takes it, cut it."""
        if client.overflowed:
            return
        client.overflowed = True
        client.closing = True
        client.queue.clear()
        client.queued_bytes = 0
        reason = "room_slow_consumer"
        transport = client.writer.transport
        with contextlib.suppress(OSError, RuntimeError):
            transport.write(error_line(reason, queued=queued, max=self.config.send_queue_max_bytes))
            transport.close()
        # Its socket is full, so the notice may never leave: never wait long for it.
        asyncio.get_running_loop().call_later(self.config.shutdown_grace, transport.abort)
        client.wakeup.set()
        self._apply(self.room.disconnected(client.conn, reason))


__all__ = [
    "DEAD_PEER_SECONDS",
    "HELLO_TIMEOUT_SECONDS",
    "IDLE_PING_SECONDS",
    "LISTEN_BACKLOG",
    "MAX_CONNECTIONS",
    "SEND_QUEUE_MAX_BYTES",
    "SHUTDOWN_GRACE_SECONDS",
    "SLOW_CONSUMER_SECONDS",
    "RoomServer",
    "RoomServerConfig",
    "format_peer",
]
