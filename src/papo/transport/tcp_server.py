"""The room server over TCP (asyncio): sockets, buffers and timers around :class:`Room`.

Each connection gets a reader task (bytes -> :class:`~papo.protocol.framing.LineFramer`
-> :class:`~papo.protocol.room_state.Room`). There is no writer task and no queue per
client: the lines the room sends are gathered in one outbox and written straight to each
recipient's transport at the end of the event loop's pass (or as soon as
:data:`OUTBOX_FLUSH_BYTES` are waiting), one ``write`` per recipient for everything that
pass produced, the encoded line shared by all of them.

What a client has not taken yet waits in its transport's buffer, and that is what the
slow-consumer rule measures (Redis's ``client-output-buffer-limit``, a hard limit plus a
soft limit with seconds; NATS's pending-bytes limit plus write deadline):

- over :data:`SEND_BUFFER_HIGH_BYTES` a client is *behind*: the server stops reading
  every connection (backpressure on the publishers) until it is down to
  :data:`SEND_BUFFER_LOW_BYTES` again, for at most :data:`BACKPRESSURE_MAX_SECONDS`;
  a client that reads as fast as it can catches up long before that, and is never cut
  for a burst;
- a client still behind after :data:`SLOW_CONSUMER_SECONDS`, or with more than
  :data:`SEND_QUEUE_MAX_BYTES` waiting at any moment, is cut with ``room_slow_consumer``;
  once its hold on the publishers has expired nobody else waits for it.

Silent clients are pinged after :data:`IDLE_PING_SECONDS` and cut
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
from collections.abc import Callable
from dataclasses import dataclass, field

from papo.errors import NetworkError
from papo.protocol.framing import MAX_LINE_BYTES, LineFramer
from papo.protocol.room import DEFAULT_ROOM_PORT, error_line, ping_line
from papo.protocol.room_state import (
    MAX_CLIENTS,
    MAX_ROOMS,
    Action,
    Broadcast,
    Close,
    Log,
    Room,
    RoomRules,
    Rooms,
    Send,
)

#: Bytes waiting for one client (beyond what its socket took) over which it is *behind*:
#: the server stops reading from every connection until it has caught up (backpressure
#: on the publishers, at most :data:`BACKPRESSURE_MAX_SECONDS`) and its slow-consumer
#: clock (:data:`SLOW_CONSUMER_SECONDS`) runs.
SEND_BUFFER_HIGH_BYTES = 256 * 1024

#: A client that was behind has caught up once the bytes waiting for it fall to this.
SEND_BUFFER_LOW_BYTES = 64 * 1024

#: Hard limit: bytes that may wait for one client at all; past this it is a slow consumer
#: and is cut at once (the socket's own buffers come on top of this).
SEND_QUEUE_MAX_BYTES = 1024 * 1024

#: Seconds one client that is behind may hold back the publishers; after that the room
#: moves on without it (its bytes pile up towards :data:`SEND_QUEUE_MAX_BYTES`).
BACKPRESSURE_MAX_SECONDS = 1.0

#: Seconds a client may stay behind (over :data:`SEND_BUFFER_HIGH_BYTES` without getting
#: down to :data:`SEND_BUFFER_LOW_BYTES`) before it is cut as a slow consumer.
SLOW_CONSUMER_SECONDS = 10.0

#: Bytes of lines (each counted once, however many recipients) gathered in the outbox
#: before they are written out at once instead of at the end of the loop's pass; bounds
#: what one client can receive between two backpressure checks.
OUTBOX_FLUSH_BYTES = 64 * 1024

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
    send_buffer_high_bytes: int = SEND_BUFFER_HIGH_BYTES
    send_buffer_low_bytes: int = SEND_BUFFER_LOW_BYTES
    send_queue_max_bytes: int = SEND_QUEUE_MAX_BYTES
    backpressure_max_seconds: float = BACKPRESSURE_MAX_SECONDS
    slow_consumer_seconds: float = SLOW_CONSUMER_SECONDS
    hello_timeout: float = HELLO_TIMEOUT_SECONDS
    idle_ping_after: float = IDLE_PING_SECONDS
    dead_peer_after: float = DEAD_PEER_SECONDS
    shutdown_grace: float = SHUTDOWN_GRACE_SECONDS
    max_connections: int = MAX_CONNECTIONS
    max_rooms: int = MAX_ROOMS
    rules: RoomRules = field(default_factory=RoomRules)
    tls: ssl.SSLContext | None = None


def format_peer(address: object) -> str:
    """``host:port`` (``[v6]:port`` for IPv6) of a socket address."""
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


class _Client:
    """One connection: its stream writer (whose transport buffers what it has not taken)."""

    __slots__ = ("closing", "conn", "overflowed", "transport", "watcher", "writer")

    def __init__(self, conn: int, writer: asyncio.StreamWriter) -> None:
        self.conn = conn
        self.writer = writer
        self.transport = writer.transport
        self.closing = False  # no more lines for it: closed, or being cut
        self.overflowed = False  # cut as a slow consumer
        #: The task waiting for it to catch up while it is behind (None otherwise).
        self.watcher: asyncio.Task[None] | None = None


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
        #: Every room: the default one (clients that name none) and the named ones.
        self.rooms = Rooms(self.config.rules, epoch or secrets.token_hex(6), self.config.max_rooms)
        #: The default room (a one-room server's only room).
        self.room: Room = self.rooms.default
        self._log = log or (lambda entry: None)
        self._clock = clock
        self._server: asyncio.Server | None = None
        self._addresses: list[tuple[str, int]] = []
        self._clients: dict[int, _Client] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Lines on their way out, in order: (recipients, the lines they all get), or
        # ((conn,), None): close conn once what came before is written.
        self._outbox: list[tuple[tuple[int, ...], list[bytes] | None]] = []
        self._outbox_bytes = 0
        self._flush_scheduled = False
        self._flushing = False
        # Clients behind that still hold back the publishers, and the way to wait for none.
        self._holding: set[int] = set()
        self._publishers_go = asyncio.Event()
        self._publishers_go.set()
        self._high = max(
            1, min(self.config.send_buffer_high_bytes, self.config.send_queue_max_bytes)
        )
        self._low = max(0, min(self.config.send_buffer_low_bytes, self._high - 1))
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
        self._apply(self.rooms.shutdown())
        self._flush()
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
        client = _Client(conn, writer)
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
        writer.transport.set_write_buffer_limits(high=self._high, low=self._low)
        self._apply(self.rooms.connect(conn, peer, self._clock()))
        reason = "room_connection_lost"
        try:
            reason = await self._read_loop(conn, client, reader)
        except (ConnectionError, OSError):
            reason = "room_connection_lost"
        except Exception as exc:  # a bug must cost one connection, never the server
            reason = "room_connection_lost"
            self._log(Log("room_log_internal_error", {"peer": peer, "error": repr(exc)[:200]}))
        finally:
            self._apply(self.rooms.disconnected(conn, reason))
            try:
                await self._finish(client)
            finally:
                self._clients.pop(conn, None)
                self._tasks.discard(task)  # type: ignore[arg-type]

    async def _finish(self, client: _Client) -> None:
        """Write out what is left for ``client``, close it; abort it if that takes too long."""
        self._post_close(client.conn)
        transport = client.transport
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            await asyncio.wait_for(client.writer.wait_closed(), self.config.shutdown_grace)
        if client.watcher is not None:
            client.watcher.cancel()
        self._release(client)
        transport.abort()  # nothing if it is closed already

    async def _read_loop(self, conn: int, client: _Client, reader: asyncio.StreamReader) -> str:
        """Feed the room until the connection ends; return why it ended (an i18n code)."""
        config = self.config
        framer = LineFramer(config.max_line_bytes)
        hello_deadline = self._clock() + config.hello_timeout
        pinged = False
        while not client.closing:
            if not self.rooms.is_joined(conn):
                timeout = max(0.0, hello_deadline - self._clock())
            else:
                timeout = config.dead_peer_after if pinged else config.idle_ping_after
            try:
                async with asyncio.timeout(timeout):
                    data = await reader.read(_READ_CHUNK)
            except TimeoutError:
                if not self.rooms.is_joined(conn):
                    self._apply(self._expel(conn, "room_hello_timeout", config.hello_timeout))
                    return "room_hello_timeout"
                if pinged:
                    self._apply(self._expel(conn, "room_idle_timeout", config.dead_peer_after))
                    return "room_idle_timeout"
                pinged = True
                self._apply([Send(conn, ping_line())])
                continue
            if (
                self.config.tls is None
                and not self.rooms.is_joined(conn)
                and data.startswith(_TLS_HANDSHAKE_START)
            ):
                return "room_tls_client_on_plain"
            if not data:
                for error in framer.end():
                    self._apply(self.rooms.receive(conn, error, self._clock()))
                return "room_connection_lost"
            pinged = False
            for item in framer.feed(data):
                if self._holding:  # someone is behind: let it catch up first
                    await self._publishers_go.wait()
                if client.closing:
                    break
                self._apply(self.rooms.receive(conn, item, self._clock()))
        return "room_quit"

    def _expel(self, conn: int, reason: str, seconds: float) -> list[Action]:
        """Like :meth:`Rooms.expel`, with the timeout's seconds in the error's details."""
        actions = self.rooms.expel(conn, reason)
        return [
            Send(conn, error_line(reason, seconds=int(seconds)))
            if isinstance(a, Send) and a.conn == conn
            else a
            for a in actions
        ]

    # --- actions and the write path -------------------------------------------------------

    def _apply(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Broadcast):
                if action.conns:
                    self._post(action.conns, action.line)
            elif isinstance(action, Send):
                self._post((action.conn,), action.line)
            elif isinstance(action, Close):
                self._post_close(action.conn)
            else:
                self._log(action)

    def _post(self, conns: tuple[int, ...], line: bytes) -> None:
        """Put ``line`` in the outbox for ``conns``; it goes out with this pass's others."""
        outbox = self._outbox
        if outbox and outbox[-1][0] == conns and outbox[-1][1] is not None:
            outbox[-1][1].append(line)  # the common case: the same recipients again
        else:
            outbox.append((conns, [line]))
        self._outbox_bytes += len(line)
        self._schedule_flush()

    def _post_close(self, conn: int) -> None:
        """Close ``conn`` once the lines already in the outbox for it are written."""
        self._outbox.append(((conn,), None))
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flushing:
            return  # the running flush schedules the next one
        if self._outbox_bytes >= OUTBOX_FLUSH_BYTES:
            self._flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write the outbox: everything one recipient gets in one ``write``, in order."""
        self._flush_scheduled = False
        outbox = self._outbox
        if not outbox or self._flushing:
            return
        self._outbox = []
        self._outbox_bytes = 0
        self._flushing = True
        try:
            conns, only = outbox[0]
            if len(outbox) == 1 and only is not None:  # the same bytes for everyone
                data = only[0] if len(only) == 1 else b"".join(only)
                for conn in conns:
                    self._write(conn, data)
                return
            per_conn: dict[int, list[bytes]] = {}
            closing: list[int] = []
            for conns, lines in outbox:
                if lines is None:
                    closing.append(conns[0])
                    continue
                data = lines[0] if len(lines) == 1 else b"".join(lines)
                for conn in conns:
                    pieces = per_conn.get(conn)
                    if pieces is None:
                        per_conn[conn] = [data]
                    else:
                        pieces.append(data)
            for conn, pieces in per_conn.items():
                self._write(conn, pieces[0] if len(pieces) == 1 else b"".join(pieces))
            for conn in closing:
                client = self._clients.get(conn)
                if client is not None:
                    self._close_client(client)
        finally:
            self._flushing = False
            if self._outbox and not self._flush_scheduled:  # posted while flushing
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)

    def _write(self, conn: int, data: bytes) -> None:
        client = self._clients.get(conn)
        if client is None or client.closing:
            return
        transport = client.transport
        if transport.is_closing():  # lost: its reader has yet to tell the room
            return
        try:
            transport.write(data)
        except (RuntimeError, OSError):  # closing under us: its reader ends it
            return
        waiting = transport.get_write_buffer_size()
        if waiting > self._high:
            self._behind(client, waiting)

    def _behind(self, client: _Client, waiting: int) -> None:
        """``client`` has more than the high mark waiting: hold the publishers, or cut it."""
        if waiting > self.config.send_queue_max_bytes:
            self._cut_slow_consumer(client, waiting)
        elif client.watcher is None:
            self._holding.add(client.conn)
            self._publishers_go.clear()
            client.watcher = asyncio.create_task(self._watch_behind(client))

    async def _watch_behind(self, client: _Client) -> None:
        """Wait for ``client`` to catch up; release the publishers, then cut it if it never does."""
        config = self.config
        try:
            try:
                async with asyncio.timeout(config.backpressure_max_seconds):
                    await client.writer.drain()
                return
            except TimeoutError:
                self._release(client)  # the room moves on; it has to catch up on its own
            rest = max(0.0, config.slow_consumer_seconds - config.backpressure_max_seconds)
            try:
                async with asyncio.timeout(rest):
                    await client.writer.drain()
            except TimeoutError:
                self._cut_slow_consumer(client, client.transport.get_write_buffer_size())
        except (ConnectionError, OSError):
            pass  # gone: its reader tells the room
        finally:
            client.watcher = None
            self._release(client)

    def _release(self, client: _Client) -> None:
        """``client`` no longer holds back the publishers."""
        self._holding.discard(client.conn)
        if not self._holding:
            self._publishers_go.set()

    def _close_client(self, client: _Client) -> None:
        """Close ``client`` once what waits for it is written (never wait longer than a cut)."""
        if client.closing:
            return
        client.closing = True
        transport = client.transport
        if transport.is_closing():
            return
        with contextlib.suppress(OSError, RuntimeError):
            if transport.can_write_eof():
                transport.write_eof()
        transport.close()
        # A peer that stopped reading never lets the rest out: do not hold it forever.
        asyncio.get_running_loop().call_later(self.config.slow_consumer_seconds, transport.abort)

    def _cut_slow_consumer(self, client: _Client, waiting: int) -> None:
        """Tell ``client`` why if its socket still takes it, cut it, tell the room."""
        if client.overflowed:
            return
        client.overflowed = True
        client.closing = True
        self._release(client)
        reason = "room_slow_consumer"
        transport = client.transport
        with contextlib.suppress(OSError, RuntimeError):
            transport.write(
                error_line(reason, queued=waiting, max=self.config.send_queue_max_bytes)
            )
            transport.close()
        # Its socket is full, so the notice may never leave: never wait long for it.
        asyncio.get_running_loop().call_later(self.config.shutdown_grace, transport.abort)
        self._apply(self.rooms.disconnected(client.conn, reason))


__all__ = [
    "BACKPRESSURE_MAX_SECONDS",
    "DEAD_PEER_SECONDS",
    "HELLO_TIMEOUT_SECONDS",
    "IDLE_PING_SECONDS",
    "LISTEN_BACKLOG",
    "MAX_CONNECTIONS",
    "OUTBOX_FLUSH_BYTES",
    "SEND_BUFFER_HIGH_BYTES",
    "SEND_BUFFER_LOW_BYTES",
    "SEND_QUEUE_MAX_BYTES",
    "SHUTDOWN_GRACE_SECONDS",
    "SLOW_CONSUMER_SECONDS",
    "RoomServer",
    "RoomServerConfig",
    "format_peer",
]
