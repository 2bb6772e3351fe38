"""The room client over TCP: a :class:`~papo.transport.base.ChatTransport` for ``papo serve``.

:class:`TcpRoomClient` joins a room server with its nick, turns what the server sends into
transport events, answers keep-alive pings (and pings a silent server itself), and when
the server goes away it reconnects with exponential backoff and rejoins with its nick,
reporting ``StatusChanged("reconnecting")`` then ``StatusChanged("connected")``.

The room's earlier lines, replayed after the welcome, are delivered between
``StatusChanged("room_history_start")`` and ``StatusChanged("room_history_end")``. The
client remembers the ``node``/``seq`` of the last relayed line it saw and sends it when it
rejoins, so a reconnect replays only what it missed, and never shows a line twice.

Its own lines carry an ``id``; it joins with a secret ``session`` token, so a server that
supports it acknowledges each line (:mod:`papo.protocol.delivery`). Lines not acknowledged
when the link dies are sent again, same ids, right after the rejoin (the server, or the
other clients after a server restart, drop a copy they already have); if the client gives
up, or the user leaves before the server confirmed them, one
``StatusChanged("room_undelivered")`` says how many messages were not delivered and which.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import ssl
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from papo.errors import ConfigError, DecodeError, InputError, NetworkError
from papo.protocol.codec import split_text
from papo.protocol.delivery import MAX_UNACKED_LINES, Inflight, PendingLine, SeenIds
from papo.protocol.framing import MAX_LINE_BYTES, LineFramer
from papo.protocol.limits import Limits
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import (
    RELAYED_TYPES,
    RoomMessage,
    RoomType,
    decode_room,
    encode_room,
    join_line,
    leave_line,
    nick_key,
    nick_line,
    ping_line,
    pong_line,
)
from papo.protocol.rooms import check_room_name
from papo.protocol.text import clean_input, validate_nick
from papo.transport.base import (
    Delivered,
    Dropped,
    NickChanged,
    RosterChanged,
    StatusChanged,
    TransportEvent,
)
from papo.transport.tls import handshake_error, looks_like_tls

if TYPE_CHECKING:
    from papo.protocol.nickkeys import Signer

#: Seconds to wait for the TCP connection to the server.
CONNECT_TIMEOUT_SECONDS = 5.0

#: Seconds to wait for the server's answer (welcome or refusal) to our join.
JOIN_TIMEOUT_SECONDS = 5.0

#: Seconds a send may wait for the socket before the link counts as broken.
SEND_TIMEOUT_SECONDS = 10.0

#: Seconds :meth:`TcpRoomClient.close` waits to tell the server we leave.
LEAVE_TIMEOUT_SECONDS = 1.0

#: Seconds without any line from the server before the client pings it.
CLIENT_PING_SECONDS = 20.0

#: Seconds after that ping without any line before the server counts as gone.
CLIENT_DEAD_SECONDS = 20.0

#: First reconnect delay in seconds; each failed attempt doubles it.
RECONNECT_INITIAL_SECONDS = 0.5

#: The longest reconnect delay in seconds (the doubling stops here).
RECONNECT_MAX_SECONDS = 15.0

#: Reconnect attempts before giving up with ``StatusChanged("disconnected")``.
RECONNECT_MAX_ATTEMPTS = 40

#: Events that may wait for the UI; past this the oldest are dropped and counted.
EVENT_QUEUE_MAX = 10_000

#: The most bytes one sent message may take on the wire; longer texts go in parts. Its
#: ``data`` then never passes the receivers' ``max_text_chars``.
SEND_LINE_BYTES = 8_192

#: Random bytes of the session token sent in ``join`` (kept secret: it lets a rejoin
#: replace this client's dead connection).
SESSION_TOKEN_BYTES = 16

#: Random bytes of the prefix of this client's line ids (public; unique per run).
LINE_ID_PREFIX_BYTES = 6


def equal_jitter(delay: float) -> float:
    """A random delay between half of ``delay`` and ``delay`` (spreads reconnect storms)."""
    return random.uniform(delay / 2, delay)


@dataclass(frozen=True, slots=True)
class RoomClientConfig:
    """The client's timeouts and reconnect policy (defaults documented above)."""

    connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    join_timeout: float = JOIN_TIMEOUT_SECONDS
    send_timeout: float = SEND_TIMEOUT_SECONDS
    ping_after: float = CLIENT_PING_SECONDS
    dead_after: float = CLIENT_DEAD_SECONDS
    reconnect_initial: float = RECONNECT_INITIAL_SECONDS
    reconnect_max: float = RECONNECT_MAX_SECONDS
    reconnect_attempts: int = RECONNECT_MAX_ATTEMPTS
    jitter: Callable[[float], float] = field(default=equal_jitter)
    max_line_bytes: int = MAX_LINE_BYTES
    max_unacked: int = MAX_UNACKED_LINES
    random_hex: Callable[[int], str] = field(default=secrets.token_hex)


def backoff_delay(attempt: int, config: RoomClientConfig) -> float:
    """The delay before reconnect ``attempt`` (1, 2, ...): doubling, capped, jittered."""
    base = min(config.reconnect_max, config.reconnect_initial * 2 ** min(attempt - 1, 30))
    return config.jitter(base)


class _ServerGone(Exception):
    """The link to the server ended (EOF, reset, silence or a shutdown notice)."""


_END = object()


class TcpRoomClient:
    """Join the room of a ``papo serve`` at ``host``:``port`` as ``nick``.

    With ``tls`` (a client context from :func:`papo.transport.tls.client_context`) the
    connection is TLS and the server's certificate is checked against ``host``. With
    ``room`` the client joins that named room of the server (ConfigError ``bad_room`` if
    the name is invalid), else the server's default room.
    """

    def __init__(
        self,
        host: str,
        port: int,
        nick: str,
        *,
        config: RoomClientConfig | None = None,
        tls: ssl.SSLContext | None = None,
        room: str | None = None,
    ) -> None:
        self.host = host
        #: The named room joined on the server (None: its default room).
        self.room = None if room is None else check_room_name(room)
        self.port = port
        self.config = config or RoomClientConfig()
        self.tls = tls
        self._first_bytes = b""  # what the server sent first on this connection
        self._asked_nick = nick
        self._nick = nick
        self._roster: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._framer = LineFramer(self.config.max_line_bytes)
        self._backlog: deque[bytes | DecodeError] = deque()  # read, not yet handled
        self._events: asyncio.Queue[object] = asyncio.Queue(EVENT_QUEUE_MAX)
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._closing = False
        self._leaving = False  # the user sent a leave: the server's close is expected
        self._reconnecting = False  # the link is down and reconnect attempts go on
        self._queued_notice = False  # said once per outage that typed lines wait
        self._ended = False
        self._mark: tuple[str, int] | None = None  # (node, seq) of the last relayed line
        self._history_pending = 0  # replayed lines still expected after the welcome
        self._session = self.config.random_hex(SESSION_TOKEN_BYTES)
        self._inflight = Inflight(
            self.config.random_hex(LINE_ID_PREFIX_BYTES), self.config.max_unacked
        )
        self._acks = False  # the server acknowledges our lines (its welcome said so)
        self._acked = asyncio.Event()  # set when an ack frees room in the in-flight window
        self._seen = SeenIds()
        self._signer: Signer | None = None
        #: Events dropped because the UI did not keep up.
        self.dropped_events = 0
        #: Relayed lines dropped because they were already shown (replays after a rejoin).
        self.duplicates = 0

    def sign_with(self, signer: Signer) -> None:
        """Sign every chat, me and private line this user sends (nick ownership).

        The server relays ``key`` and ``sig`` untouched (join, leave and nick lines are
        the server's own, so they are not signed); each part is signed on its own.
        """
        self._signer = signer

    @property
    def nick(self) -> str:
        """The nick the room knows us by now."""
        return self._nick

    @property
    def roster(self) -> tuple[str, ...]:
        """Everyone in the room, as last reported."""
        return tuple(sorted(self._roster.values(), key=nick_key))

    @property
    def connected(self) -> bool:
        """True while joined (False while reconnecting)."""
        return self._connected

    @property
    def _where(self) -> str:
        """``host:port`` of the server, plus ``/room`` in a named room (status lines)."""
        where = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        return where if self.room is None else f"{where}/{self.room}"

    # --- ChatTransport -------------------------------------------------------------------

    async def open(self) -> None:
        """Connect and join; ConfigError if the nick is refused, NetworkError if unreachable."""
        self._nick = validate_nick(self._asked_nick)
        await self._connect_and_join()
        self._joined_events()
        self._task = asyncio.create_task(self._run())

    async def send(self, message: ChatMessage) -> None:
        """Send a chat, me, private, nick or leave message to the room."""
        kind = message.type
        if kind in RELAYED_TYPES:
            if kind == MessageType.PRIVATE and not message.to:
                raise InputError("room_private_needs_nick")
            budget = SEND_LINE_BYTES - (self._signer.overhead if self._signer else 0)
            parts = split_text(
                clean_input(message.data),
                lambda chunk, part, parts: ChatMessage(
                    user=self._nick,
                    data=chunk,
                    type=kind,
                    to=message.to,
                    part=part,
                    parts=parts,
                ),
                Limits(send_datagram_bytes=budget),
            )
            await self._send_tracked(parts)
            return
        elif kind == RoomType.NICK:
            validate_nick(message.data)
            lines = [nick_line(self._nick, message.data)]
        elif kind == RoomType.LEAVE:
            lines = [leave_line(self._nick)]
            self._leaving = True
        else:
            raise InputError("room_cannot_send", type=kind)
        await self._write(b"".join(lines))

    async def _send_tracked(self, parts: list[ChatMessage]) -> None:
        """Send the lines of one typed message, each with an id, kept until acknowledged."""
        if not self._connected:
            if not (self._acks and self._reconnecting and self._inflight.has_room(len(parts))):
                raise NetworkError("room_not_connected", where=self._where)
            # Typed while reconnecting to a server that acknowledges lines: kept in
            # flight, sent right after the rejoin (or reported if reconnecting gives up).
            self._stamped(parts, keep=True)
            if not self._queued_notice:
                self._queued_notice = True
                self._put(StatusChanged("room_queued", {"where": self._where}))
            return
        if self._acks:
            await self._wait_for_room(len(parts))
        lines = self._stamped(parts, keep=self._acks)
        try:
            await self._write(b"".join(lines))
        except NetworkError:
            if not self._acks:
                raise
            # In flight: sent again after the reconnect, or reported if that fails.

    def _stamped(self, parts: list[ChatMessage], keep: bool) -> list[bytes]:
        """The lines of one typed message, each with an id (signed if signing); ``keep``:
        also kept in flight until the server acknowledges them."""
        number = self._inflight.new_message()
        lines = []
        for part in parts:
            line_id = self._inflight.new_id()
            stamped = replace(part, id=line_id)  # before signing: the id is signed too
            line = encode_room(stamped if self._signer is None else self._signer.sign(stamped))
            if keep:
                self._inflight.add(PendingLine(line_id, line, number, part.data))
            lines.append(line)
        return lines

    async def _wait_for_room(self, count: int) -> None:
        """Wait until ``count`` more lines fit in the in-flight window (or fail)."""
        try:
            async with asyncio.timeout(self.config.send_timeout):
                while not self._inflight.has_room(count):
                    self._acked.clear()
                    await self._acked.wait()
        except TimeoutError:
            raise NetworkError(
                "room_unacked_full", count=len(self._inflight), where=self._where
            ) from None
        if not self._connected:
            raise NetworkError("room_not_connected", where=self._where)

    async def events(self) -> AsyncIterator[TransportEvent]:
        """Everything that arrives, until :meth:`close` (or reconnecting gives up)."""
        while True:
            item = await self._events.get()
            if item is _END:
                return
            yield item  # type: ignore[misc]

    async def close(self) -> None:
        """Leave the room (if still in it) and release everything; safe to call twice."""
        if self._closing:
            return
        self._closing = True
        if self._connected and not self._leaving and self._writer is not None:
            with contextlib.suppress(OSError, NetworkError, RuntimeError, TimeoutError):
                async with asyncio.timeout(LEAVE_TIMEOUT_SECONDS):
                    await self._write(leave_line(self._nick))
                    self._leaving = True
        if self._leaving and self._connected and self._inflight and self._task is not None:
            # The server acks what it got before our leave, then closes: read that far.
            await asyncio.wait({self._task}, timeout=LEAVE_TIMEOUT_SECONDS)
        self._connected = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._drop_connection()
        self._report_undelivered()
        self._finish()

    # --- the link ------------------------------------------------------------------------

    async def _connect_and_join(self) -> None:
        """Open the TCP connection and join as ``self._nick``; leaves it ready to read."""
        tls = self.tls
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host,
                    self.port,
                    ssl=tls,
                    server_hostname=self.host if tls is not None else None,
                    ssl_handshake_timeout=self.config.connect_timeout if tls is not None else None,
                )
        except TimeoutError as exc:
            raise NetworkError("room_unreachable", where=self._where, reason="timeout") from exc
        except OSError as exc:
            tls_error = handshake_error(exc, self._where, self.host) if tls is not None else None
            if tls_error is not None:
                raise tls_error from exc
            raise NetworkError(
                "room_unreachable", where=self._where, reason=exc.strerror or str(exc)
            ) from exc
        self._reader, self._writer = reader, writer
        self._framer = LineFramer(self.config.max_line_bytes)
        self._backlog = deque()
        self._first_bytes = b""
        try:
            writer.write(join_line(self._nick, self._mark, self._session, self.room))
            async with asyncio.timeout(self.config.join_timeout):
                await writer.drain()
                welcome = await self._await_welcome()
        except TimeoutError as exc:
            self._drop_connection()
            raise NetworkError("room_join_timeout", where=self._where) from exc
        except (OSError, _ServerGone) as exc:
            self._drop_connection()
            if tls is None and looks_like_tls(self._first_bytes):
                raise NetworkError("tls_server_needs_tls", where=self._where) from exc
            if tls is None and not self._first_bytes:
                raise NetworkError("room_closed_silently", where=self._where) from exc
            raise NetworkError("room_closed_during_join", where=self._where) from exc
        except ConfigError:
            self._drop_connection()
            raise
        self._nick = welcome.message.user
        self._roster = {nick_key(nick): nick for nick in welcome.nicks}
        self._roster[nick_key(self._nick)] = self._nick
        self._history_pending = welcome.history_count
        self._acks = welcome.acks
        if self._inflight:
            # Lines the last connection may have lost: again, same ids, before anything new.
            writer.write(b"".join(self._inflight.pending()))
            if not self._acks:  # this server never acks: it has them now, or never will
                self._inflight.take_undelivered()
        self._connected = True

    async def _await_welcome(self) -> RoomMessage:
        while True:
            item = await self._next_line()
            if isinstance(item, DecodeError):
                continue
            decoded = decode_room(item)
            if isinstance(decoded, DecodeError):
                continue
            if decoded.type == RoomType.WELCOME:
                return decoded
            if decoded.type == RoomType.ERROR:
                details = dict(decoded.details)
                if decoded.code == "room_nick_taken":
                    raise ConfigError(
                        "room_nick_taken",
                        nick=details.get("nick", self._nick),
                        suggestion=decoded.suggestion or "",
                    )
                if decoded.code == "room_bad_nick":
                    raise ConfigError("room_bad_nick", **details)
                raise NetworkError(decoded.code or "room_refused", **details)
            if decoded.type == RoomType.SHUTDOWN:
                raise _ServerGone

    async def _next_line(self, timeout: float | None = None) -> bytes | DecodeError:
        """The next line from the server; _ServerGone at EOF; TimeoutError after ``timeout``."""
        while not self._backlog:
            assert self._reader is not None
            async with asyncio.timeout(timeout):
                data = await self._reader.read(64 * 1024)
            if not data:
                raise _ServerGone
            if not self._first_bytes:
                self._first_bytes = data[:8]
            self._backlog.extend(self._framer.feed(data))
        return self._backlog.popleft()

    async def _write(self, data: bytes) -> None:
        writer = self._writer
        if not self._connected or writer is None:
            raise NetworkError("room_not_connected", where=self._where)
        try:
            writer.write(data)
            async with asyncio.timeout(self.config.send_timeout):
                await writer.drain()
        except (OSError, TimeoutError, RuntimeError) as exc:
            raise NetworkError("room_not_connected", where=self._where) from exc

    def _drop_connection(self) -> None:
        self._connected = False
        if self._writer is not None:
            self._writer.transport.abort()
        self._reader = self._writer = None

    # --- running -------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._closing:
                with contextlib.suppress(_ServerGone, OSError, NetworkError):
                    await self._read_loop()
                self._drop_connection()
                if self._closing or self._leaving:
                    break
                if not await self._reconnect():
                    self._report_undelivered()
                    self._put(StatusChanged("disconnected", {"where": self._where}))
                    break
        finally:
            self._report_undelivered()
            self._finish()

    async def _read_loop(self) -> None:
        config = self.config
        pinged = False
        while True:
            try:
                item = await self._next_line(config.dead_after if pinged else config.ping_after)
            except TimeoutError:
                if pinged:
                    raise _ServerGone from None
                pinged = True
                await self._write(ping_line(self._nick))
                continue
            pinged = False
            self._handle(item)

    async def _reconnect(self) -> bool:
        self._reconnecting, self._queued_notice = True, False
        try:
            return await self._reconnect_attempts()
        finally:
            self._reconnecting = False

    async def _reconnect_attempts(self) -> bool:
        for attempt in range(1, self.config.reconnect_attempts + 1):
            delay = backoff_delay(attempt, self.config)
            self._put(
                StatusChanged(
                    "reconnecting",
                    {"where": self._where, "attempt": attempt, "seconds": round(delay, 1)},
                )
            )
            await asyncio.sleep(delay)
            try:
                await self._connect_and_join()
            except ConfigError as exc:
                suggestion = exc.details.get("suggestion")
                if exc.code == "room_nick_taken" and suggestion:
                    self._nick = str(suggestion)
                    self._put(NickChanged(self._nick))
                continue
            except NetworkError:
                continue
            self._joined_events()
            return True
        return False

    def _joined_events(self) -> None:
        self._put(StatusChanged("connected", {"where": self._where, "nick": self._nick}))
        self._put(RosterChanged(self.roster))
        if self._history_pending:
            self._put(StatusChanged("room_history_start", {"count": self._history_pending}))

    def _handle(self, item: bytes | DecodeError) -> None:
        """Turn one line from the server into events."""
        decoded = item if isinstance(item, DecodeError) else decode_room(item)
        if isinstance(decoded, DecodeError):
            self._put(Dropped(decoded, self._where))
            return
        message = decoded.message
        kind = decoded.type
        if kind in RELAYED_TYPES:
            if self._is_new(message):
                self._put(Delivered(message))
            if decoded.history and self._history_pending:
                self._history_pending -= 1
                if not self._history_pending:
                    self._put(StatusChanged("room_history_end"))
        elif kind == RoomType.JOIN:
            self._roster[nick_key(message.user)] = message.user
            self._put(Delivered(message))
            self._put(RosterChanged(self.roster))
        elif kind == RoomType.LEAVE:
            self._roster.pop(nick_key(message.user), None)
            self._put(Delivered(message))
            self._put(RosterChanged(self.roster))
        elif kind == RoomType.NICK:
            self._renamed(message)
        elif kind == RoomType.ROSTER:
            self._roster = {nick_key(nick): nick for nick in decoded.nicks}
            self._put(RosterChanged(self.roster))
        elif kind == RoomType.ERROR:
            details: dict[str, object] = dict(decoded.details)
            if decoded.suggestion:
                details["suggestion"] = decoded.suggestion
            self._put(StatusChanged(decoded.code or "room_refused", details))
        elif kind == RoomType.ACK:
            if message.id is not None and self._inflight.ack(message.id):
                self._acked.set()
        elif kind == RoomType.PING:
            task = asyncio.ensure_future(self._write(pong_line(self._nick)))
            task.add_done_callback(_ignore_result)
        elif kind == RoomType.SHUTDOWN:
            self._put(StatusChanged("room_server_shutdown", {"where": self._where}))
            raise _ServerGone

    def _is_new(self, message: ChatMessage) -> bool:
        """False for a relayed line at or below the last one seen; moves the mark on."""
        node, seq = message.node, message.seq
        if node is not None and seq is not None:
            if self._mark is not None and self._mark[0] == node and seq <= self._mark[1]:
                self.duplicates += 1
                return False
            self._mark = (node, seq)
        if message.id is not None and not self._seen.first_time(message.user, message.id):
            self.duplicates += 1  # sent again by its author after a server restart
            return False
        return True

    def _report_undelivered(self) -> None:
        """Give up on the lines still waiting for an ack: one event says which."""
        undelivered = self._inflight.take_undelivered()
        self._acked.set()  # wake a send waiting for room: it finds the link gone
        if undelivered is not None:
            self._put(
                StatusChanged(
                    "room_undelivered",
                    {"count": undelivered.count, "texts": undelivered.texts},
                )
            )

    def _renamed(self, message: ChatMessage) -> None:
        old, new = message.user, message.data
        self._roster.pop(nick_key(old), None)
        self._roster[nick_key(new)] = new
        if nick_key(old) == nick_key(self._nick):
            self._nick = new
            self._put(NickChanged(new))
        else:
            self._put(Delivered(message))
        self._put(RosterChanged(self.roster))

    def _put(self, event: object) -> None:
        if self._ended:
            return
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped_events += 1

    def _finish(self) -> None:
        if self._ended:
            return
        while True:
            try:
                self._events.put_nowait(_END)
                break
            except asyncio.QueueFull:
                self._events.get_nowait()
                self.dropped_events += 1
        self._ended = True


def _ignore_result(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it; the read loop notices


__all__ = [
    "CLIENT_DEAD_SECONDS",
    "CLIENT_PING_SECONDS",
    "CONNECT_TIMEOUT_SECONDS",
    "EVENT_QUEUE_MAX",
    "JOIN_TIMEOUT_SECONDS",
    "LEAVE_TIMEOUT_SECONDS",
    "LINE_ID_PREFIX_BYTES",
    "RECONNECT_INITIAL_SECONDS",
    "RECONNECT_MAX_ATTEMPTS",
    "RECONNECT_MAX_SECONDS",
    "SEND_LINE_BYTES",
    "SEND_TIMEOUT_SECONDS",
    "SESSION_TOKEN_BYTES",
    "RoomClientConfig",
    "TcpRoomClient",
    "backoff_delay",
    "equal_jitter",
]
