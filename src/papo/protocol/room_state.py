"""The room's rules as a pure state machine: who is in, what each line does, what goes where.

:class:`Room` is the sans-I/O heart of the room server (as h11's ``Connection`` is of an
HTTP server). The transport tells it that a connection arrived, sent a line, timed out or
went away; it answers with :data:`Action` values (send these bytes to this connection,
close that one, log this). No sockets, no clock (the time is passed in), no randomness.
It lives in the protocol layer so the transport can run it without importing upward;
:mod:`papo.session.room_server` is its session-facing name.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from papo.errors import ConfigError, DecodeError
from papo.protocol.delivery import SessionIds
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import (
    CLIENT_TYPES,
    HISTORY_MESSAGES,
    MAX_ROSTER_NICKS,
    RELAYED_TYPES,
    REPLAYED_TYPES,
    RoomMessage,
    RoomType,
    ack_line,
    as_history,
    decode_room,
    encode_room,
    error_line,
    joined_line,
    left_line,
    nick_changed_line,
    nick_key,
    pong_line,
    relayed,
    roster_line,
    shutdown_line,
    suggest_nick,
    welcome_line,
)
from papo.protocol.rooms import MAX_ROOM_NAME_CHARS, check_room_name, fold_room
from papo.protocol.text import validate_nick

#: The most clients one room holds at once; one more is refused with ``room_full``.
MAX_CLIENTS = MAX_ROSTER_NICKS

#: Messages per second a client may send, sustained (token bucket refill rate).
RATE_MESSAGES_PER_SECOND = 20.0

#: Messages a client may send in a burst before the rate limit applies (bucket size).
RATE_BURST = 60

#: Bad lines (invalid, refused, over the rate) a client may send before it is cut.
MAX_ERRORS_PER_CLIENT = 20

#: Bytes of history the room keeps and replays to one joiner, at most (the oldest lines
#: go first); well under the server's per-client send queue, so a replay never makes a
#: joiner a slow consumer.
HISTORY_MAX_BYTES = 256 * 1024

#: The most named rooms one server holds at once (each with its roster and history, so
#: this bounds the server's memory); a join naming one more is refused with
#: ``room_too_many_rooms``. The default room (clients that name none) is not counted.
MAX_ROOMS = 64


@dataclass(frozen=True, slots=True)
class RoomRules:
    """The room's limits; defaults are the documented constants of this module."""

    max_clients: int = MAX_CLIENTS
    rate_per_second: float = RATE_MESSAGES_PER_SECOND
    rate_burst: int = RATE_BURST
    max_errors: int = MAX_ERRORS_PER_CLIENT
    limits: Limits = DEFAULT_LIMITS
    history_messages: int = HISTORY_MESSAGES
    history_max_bytes: int = HISTORY_MAX_BYTES


class TokenBucket:
    """A token bucket: ``burst`` tokens, refilled at ``rate`` per second (time passed in)."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one; False means: over the rate, drop it."""
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass(frozen=True, slots=True)
class Send:
    """Queue ``line`` (framed bytes) for connection ``conn``."""

    conn: int
    line: bytes


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Queue the same ``line`` for each connection of ``conns``."""

    conns: tuple[int, ...]
    line: bytes


@dataclass(frozen=True, slots=True)
class Close:
    """Close ``conn`` once the lines queued for it are sent; ``reason`` is an i18n code."""

    conn: int
    reason: str


@dataclass(frozen=True, slots=True)
class Log:
    """Something the server console shows: ``code`` is an i18n key filled by ``details``."""

    code: str
    details: dict[str, Any] = field(default_factory=dict)


Action = Send | Broadcast | Close | Log


@dataclass(slots=True)
class _Member:
    conn: int
    peer: str
    bucket: TokenBucket
    nick: str | None = None  # None until the hello is accepted
    errors: int = 0
    session: str | None = None  # the join's token: its lines with an id are acked


class RoomHistory:
    """The room's last chat/me lines, bounded in count and bytes, each with its ``seq``."""

    def __init__(self, max_messages: int, max_bytes: int) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._lines: deque[tuple[int, str, bytes]] = deque()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, seq: int, nick: str, line: bytes) -> None:
        """Keep ``line`` (a framed history line by ``nick``); forget the oldest past the limits."""
        if self.max_messages <= 0 or len(line) > self.max_bytes:
            return
        self._lines.append((seq, nick_key(nick), line))
        self._bytes += len(line)
        while len(self._lines) > self.max_messages or self._bytes > self.max_bytes:
            _, _, old = self._lines.popleft()
            self._bytes -= len(old)

    def after(self, seq: int | None, nick: str) -> list[bytes]:
        """The lines to replay to ``nick`` who last saw ``seq`` (None: a first join).

        On a rejoin (``seq`` set) the lines ``nick`` wrote are left out: the server never
        relays a line back to its author, so they are not part of the mark, yet that
        client has them on its screen already.
        """
        if seq is None:
            return [line for _, _, line in self._lines]
        key = nick_key(nick)
        return [line for number, author, line in self._lines if number > seq and author != key]


class Room:
    """The room: connections, their nicks, and the rules for every line they send.

    ``epoch`` names this run of the room (the server picks a random one); relayed lines
    carry it as ``node`` with a counter as ``seq``, so a rejoining client can say what
    it has already seen.
    """

    def __init__(self, rules: RoomRules = RoomRules(), epoch: str = "room") -> None:
        self.rules = rules
        self.epoch = epoch
        self.history = RoomHistory(rules.history_messages, rules.history_max_bytes)
        self._seq = 0
        self._members: dict[int, _Member] = {}
        self._joined: dict[int, _Member] = {}  # in join order
        self._by_key: dict[str, _Member] = {}
        # The roster kept sorted as people come and go (a join costs a binary search and
        # one list insert, not a sort of everyone), and what is built from it, cached
        # until the next change: the nicks in order and the joined connections.
        self._roster_keys: list[str] = []
        self._roster_nicks: list[str] = []
        self._nicks: tuple[str, ...] | None = None
        self._conns: tuple[int, ...] | None = None
        #: The ids of the lines each session sent (a re-send is acked, not relayed again).
        self.session_ids = SessionIds()
        #: Lines refused or dropped so far (bad input, over the rate), for the console.
        self.dropped_lines = 0

    @property
    def nicks(self) -> tuple[str, ...]:
        """Everyone who has joined, sorted case-insensitively."""
        if self._nicks is None:
            self._nicks = tuple(self._roster_nicks)
        return self._nicks

    def _everyone(self) -> tuple[int, ...]:
        """The joined connections, in join order (shared until someone comes or goes)."""
        if self._conns is None:
            self._conns = tuple(self._joined)
        return self._conns

    def _others(self, conn: int) -> tuple[int, ...]:
        """The joined connections but ``conn`` (two slices of :meth:`_everyone`: C speed)."""
        everyone = self._everyone()
        try:
            index = everyone.index(conn)
        except ValueError:
            return everyone
        return everyone[:index] + everyone[index + 1 :]

    def _enter(self, member: _Member, nick: str) -> None:
        """Put ``member`` in the roster as ``nick`` (its key is free)."""
        key = nick_key(nick)
        member.nick = nick
        self._by_key[key] = member
        index = bisect_left(self._roster_keys, key)
        self._roster_keys.insert(index, key)
        self._roster_nicks.insert(index, nick)
        self._nicks = None

    def _leave_roster(self, nick: str) -> None:
        """Take ``nick`` out of the roster."""
        key = nick_key(nick)
        del self._by_key[key]
        index = bisect_left(self._roster_keys, key)
        del self._roster_keys[index]
        del self._roster_nicks[index]
        self._nicks = None

    @property
    def is_empty(self) -> bool:
        """True when no connection is in the room (joined or saying hello)."""
        return not self._members

    def is_joined(self, conn: int) -> bool:
        """True once ``conn``'s hello was accepted (and until it leaves)."""
        return conn in self._joined

    def nick_of(self, conn: int) -> str | None:
        """The nick of ``conn``, or None before it joins."""
        member = self._members.get(conn)
        return member.nick if member else None

    # --- events from the transport -------------------------------------------------------

    def connect(self, conn: int, peer: str, now: float) -> list[Action]:
        """A connection arrived from ``peer``; it must say hello (type ``join``) first."""
        rules = self.rules
        self._members[conn] = _Member(
            conn, peer, TokenBucket(rules.rate_per_second, rules.rate_burst, now)
        )
        return []

    def receive(self, conn: int, line: bytes | DecodeError, now: float) -> list[Action]:
        """``conn`` sent one line (without ``\\n``) or broke the framing (``DecodeError``)."""
        member = self._members.get(conn)
        if member is None:
            return []
        if isinstance(line, DecodeError):
            return self._bad(member, line)
        if not line.strip():
            return []  # an empty line (someone pressed Enter in nc): nothing to do
        decoded = decode_room(line, self.rules.limits)
        if isinstance(decoded, DecodeError):
            return self._bad(member, decoded)
        if member.nick is None:
            return self._hello(member, decoded)
        kind = decoded.type
        if kind not in CLIENT_TYPES:
            return self._bad(member, DecodeError("room_unexpected_type", type=kind))
        if kind == RoomType.PING:
            return [Send(conn, pong_line())]
        if kind == RoomType.PONG:
            return []
        if kind == RoomType.LEAVE:
            return self._remove(member, "room_quit", close=True)
        line_id = decoded.message.id if member.session and kind in RELAYED_TYPES else None
        if line_id is None:
            return self._act(member, decoded, now)
        assert member.session is not None  # only session members get line ids checked
        if not self.session_ids.first_time(member.session, line_id):
            return [Send(conn, ack_line(line_id))]  # sent again after a reconnect
        return [*self._act(member, decoded, now), Send(conn, ack_line(line_id))]

    def _act(self, member: _Member, decoded: RoomMessage, now: float) -> list[Action]:
        """Rate-limit, then answer, rename, or relay one line of a joined ``member``."""
        assert member.nick is not None
        conn, kind = member.conn, decoded.type
        if not member.bucket.take(now):
            return self._bad(
                member, DecodeError("room_rate_limited", rate=int(self.rules.rate_per_second))
            )
        if kind == RoomType.WHO:
            return [Send(conn, roster_line(self.nicks))]
        if kind == RoomType.NICK:
            return self._rename(member, decoded.message.data)
        if kind == MessageType.PRIVATE:
            return self._private(member, decoded)
        message = self._relayed(decoded, member.nick)
        line_out = encode_room(message)
        if kind in REPLAYED_TYPES and self.history.max_messages > 0:
            self.history.add(self._seq, message.user, as_history(line_out))
        return [Broadcast(self._others(conn), line_out)]

    def expel(self, conn: int, reason: str) -> list[Action]:
        """Tell ``conn`` why (``reason``, an i18n code), close it, and tell the room."""
        member = self._members.get(conn)
        if member is None:
            return []
        return [Send(conn, error_line(reason)), *self._remove(member, reason, close=True)]

    def has(self, conn: int) -> bool:
        """True while ``conn`` is in the room (joined or saying hello)."""
        return conn in self._members

    def forget(self, conn: int) -> None:
        """Let go of ``conn`` before its hello, without a word (it moves to another room)."""
        if conn not in self._joined:
            self._members.pop(conn, None)

    def disconnected(self, conn: int, reason: str) -> list[Action]:
        """``conn`` is gone (closed, reset, cut by the transport); tell the room."""
        member = self._members.get(conn)
        if member is None:
            return []
        return self._remove(member, reason, close=False)

    def shutdown(self) -> list[Action]:
        """The server stops: tell every connection and close them all."""
        actions: list[Action] = [Log("room_log_shutdown", {"clients": len(self._joined)})]
        line = shutdown_line()
        for conn in list(self._members):
            actions.append(Send(conn, line))
            actions.append(Close(conn, "room_server_shutdown"))
        self._members.clear()
        self._joined.clear()
        self._by_key.clear()
        self._roster_keys.clear()
        self._roster_nicks.clear()
        self._nicks = self._conns = None
        return actions

    # --- rules ---------------------------------------------------------------------------

    def _bad(self, member: _Member, error: DecodeError) -> list[Action]:
        self.dropped_lines += 1
        member.errors += 1
        details = {
            k: v
            for k, v in error.details.items()
            if isinstance(v, str | int) and k != "suggestion"  # error_line's own argument
        }
        actions: list[Action] = [
            Send(member.conn, error_line(error.code, None, **details)),
            Log(
                "room_log_bad_line",
                {"who": self._who(member), "code": error.code, "details": details},
            ),
        ]
        if member.errors > self.rules.max_errors:
            actions += self.expel(member.conn, "room_too_many_errors")
        return actions

    def _hello(self, member: _Member, decoded: RoomMessage) -> list[Action]:
        if decoded.type != RoomType.JOIN:
            self.dropped_lines += 1
            return self.expel(member.conn, "room_hello_expected")
        asked = decoded.message.user
        try:
            nick = validate_nick(asked, self.rules.limits.max_nick_chars)
        except ConfigError as exc:
            return self._bad(member, DecodeError("room_bad_nick", **exc.details))
        taken: list[Action] = []
        holder = self._by_key.get(nick_key(nick))
        if holder is not None and holder.session is not None and holder.session == decoded.session:
            # The same client again, from a new connection: the old one is dead (MQTT's
            # session takeover), so it goes instead of the nick being refused.
            taken = self.expel(holder.conn, "room_session_replaced")
        elif holder is not None:
            return self._refuse_taken(member, nick)
        if len(self._joined) >= self.rules.max_clients:
            return self.expel(member.conn, "room_full")
        member.session = decoded.session
        others = self._everyone()  # before the newcomer joins them
        self._joined[member.conn] = member
        self._conns = None
        self._enter(member, nick)
        since = decoded.message.seq if decoded.message.node == self.epoch else None
        replay = self.history.after(since, nick)
        return [
            *taken,
            Send(
                member.conn,
                welcome_line(nick, self.nicks, len(replay), decoded.session is not None),
            ),
            *(Send(member.conn, history) for history in replay),
            Broadcast(others, joined_line(nick)),
            Log("room_log_joined", {"nick": nick, "peer": member.peer, "count": len(self._joined)}),
        ]

    def _refuse_taken(self, member: _Member, nick: str) -> list[Action]:
        self.dropped_lines += 1
        member.errors += 1
        suggestion = suggest_nick(nick, self._by_key)
        actions: list[Action] = [
            Send(member.conn, error_line("room_nick_taken", suggestion=suggestion, nick=nick))
        ]
        if member.errors > self.rules.max_errors:
            actions += self.expel(member.conn, "room_too_many_errors")
        return actions

    def _rename(self, member: _Member, asked: str) -> list[Action]:
        assert member.nick is not None
        try:
            new = validate_nick(asked, self.rules.limits.max_nick_chars)
        except ConfigError as exc:
            return self._bad(member, DecodeError("room_bad_nick", **exc.details))
        old = member.nick
        holder = self._by_key.get(nick_key(new))
        if holder is not None and holder is not member:
            return self._refuse_taken(member, new)
        if new == old:
            return []
        self._leave_roster(old)
        self._enter(member, new)
        return [
            Broadcast(self._everyone(), nick_changed_line(old, new)),
            Log("room_log_nick", {"old": old, "new": new}),
        ]

    def _private(self, member: _Member, decoded: RoomMessage) -> list[Action]:
        assert member.nick is not None
        to = decoded.message.to
        if to is None:
            return self._bad(member, DecodeError("decode_missing_field", field="to"))
        target = self._by_key.get(nick_key(to))
        if target is None:
            return [Send(member.conn, error_line("room_unknown_nick", nick=to))]
        return [Send(target.conn, encode_room(self._relayed(decoded, member.nick)))]

    def _relayed(self, decoded: RoomMessage, nick: str) -> ChatMessage:
        self._seq += 1
        return relayed(decoded.message, nick, self.epoch, self._seq)

    def _remove(self, member: _Member, reason: str, *, close: bool) -> list[Action]:
        self._members.pop(member.conn, None)
        actions: list[Action] = [Close(member.conn, reason)] if close else []
        if self._joined.pop(member.conn, None) is None:
            actions.append(Log("room_log_refused", {"peer": member.peer, "reason": reason}))
            return actions
        assert member.nick is not None
        self._conns = None
        self._leave_roster(member.nick)
        actions.append(Broadcast(self._everyone(), left_line(member.nick, reason)))
        actions.append(
            Log(
                "room_log_left",
                {
                    "nick": member.nick,
                    "peer": member.peer,
                    "reason": reason,
                    "count": len(self._joined),
                },
            )
        )
        return actions

    def _who(self, member: _Member) -> str:
        return member.nick or member.peer


class Rooms:
    """Many rooms on one server: a :class:`Room` per name, the default room for the rest.

    Every connection starts in the default room (a client that names no room, such as
    the handout's or ``nc``, stays there, exactly as on a one-room server). A ``join``
    whose envelope names a ``room`` moves the connection, before its hello is handled,
    to that room, created on first join and dropped once empty; at most ``max_rooms``
    named rooms exist at once (one more is refused with ``room_too_many_rooms``). Each
    room keeps its own roster, history and marks (its epoch is the server's plus a
    generation number, so a room created again never matches an old client's mark).
    The interface is :class:`Room`'s, so the transport drives either.
    """

    def __init__(
        self, rules: RoomRules = RoomRules(), epoch: str = "room", max_rooms: int = MAX_ROOMS
    ) -> None:
        self.rules = rules
        self.epoch = epoch
        self.max_rooms = max_rooms
        #: The room of clients that name none (today's room: never dropped).
        self.default = Room(rules, epoch)
        self._named: dict[str, tuple[str, Room]] = {}  # key -> (name as first joined, room)
        self._room_of: dict[int, tuple[str | None, Room]] = {}  # conn -> (key, room)
        self._peers: dict[int, str] = {}
        self._generation = 0

    @property
    def names(self) -> tuple[str, ...]:
        """The named rooms that exist right now, sorted case-insensitively."""
        return tuple(name for _, (name, _) in sorted(self._named.items()))

    def room(self, name: str | None = None) -> Room | None:
        """The room called ``name`` (None: the default room), or None if it does not exist."""
        if name is None:
            return self.default
        entry = self._named.get(fold_room(name))
        return entry[1] if entry else None

    @property
    def dropped_lines(self) -> int:
        """Lines refused or dropped so far, in every room that exists."""
        return self.default.dropped_lines + sum(r.dropped_lines for _, r in self._named.values())

    def is_joined(self, conn: int) -> bool:
        """True once ``conn``'s hello was accepted by its room (and until it leaves)."""
        entry = self._room_of.get(conn)
        return entry is not None and entry[1].is_joined(conn)

    def nick_of(self, conn: int) -> str | None:
        """The nick of ``conn`` in its room, or None before it joins."""
        entry = self._room_of.get(conn)
        return entry[1].nick_of(conn) if entry else None

    def room_name_of(self, conn: int) -> str | None:
        """The name of ``conn``'s room (None: the default room, or gone)."""
        entry = self._room_of.get(conn)
        if entry is None or entry[0] is None:
            return None
        return self._named[entry[0]][0]

    # --- events from the transport -------------------------------------------------------

    def connect(self, conn: int, peer: str, now: float) -> list[Action]:
        """A connection arrived; until its hello names a room it is in the default room."""
        self._peers[conn] = peer
        self._room_of[conn] = (None, self.default)
        return self.default.connect(conn, peer, now)

    def receive(self, conn: int, line: bytes | DecodeError, now: float) -> list[Action]:
        """``conn`` sent one line; a hello that names a room moves it there first."""
        entry = self._room_of.get(conn)
        if entry is None:
            return []
        key, room = entry
        if key is None and isinstance(line, bytes) and not room.is_joined(conn):
            asked = self._asked_room(line)
            if asked is not None:
                moved = self._move(conn, asked, now)
                if moved is None:
                    return self._refuse(conn, asked)
                key, room = moved
        return self._tagged(key, room, room.receive(conn, line, now), conn)

    def expel(self, conn: int, reason: str) -> list[Action]:
        """Tell ``conn`` why, close it, and tell its room."""
        entry = self._room_of.get(conn)
        if entry is None:
            return []
        key, room = entry
        return self._tagged(key, room, room.expel(conn, reason), conn)

    def disconnected(self, conn: int, reason: str) -> list[Action]:
        """``conn`` is gone; tell its room (dropped if that leaves it empty)."""
        entry = self._room_of.get(conn)
        if entry is None:
            return []
        key, room = entry
        return self._tagged(key, room, room.disconnected(conn, reason), conn)

    def shutdown(self) -> list[Action]:
        """The server stops: tell every connection in every room and close them all."""
        actions = self.default.shutdown()
        for _, room in self._named.values():
            actions += [a for a in room.shutdown() if not isinstance(a, Log)]
        self._named.clear()
        self._room_of.clear()
        self._peers.clear()
        return actions

    # --- rooms ---------------------------------------------------------------------------

    def _asked_room(self, line: bytes) -> str | None:
        """The room a hello line names (None: none, or not a hello: the room decides)."""
        if b'"room"' not in line:
            return None
        decoded = decode_room(line, self.rules.limits)
        if isinstance(decoded, DecodeError) or decoded.type != RoomType.JOIN:
            return None
        return decoded.message.room

    def _move(self, conn: int, asked: str, now: float) -> tuple[str, Room] | None:
        """Move ``conn`` from the default room to room ``asked``; None if it cannot be made."""
        try:
            name = check_room_name(asked)
        except ConfigError:
            return None
        key = fold_room(name)
        entry = self._named.get(key)
        if entry is None:
            if len(self._named) >= self.max_rooms:
                return None
            self._generation += 1
            entry = (name, Room(self.rules, f"{self.epoch}.{self._generation}"))
            self._named[key] = entry
        room = entry[1]
        self.default.forget(conn)
        self._room_of[conn] = (key, room)
        room.connect(conn, self._peers[conn], now)
        return key, room

    def _refuse(self, conn: int, asked: str) -> list[Action]:
        """Close ``conn``, whose hello names a room that is invalid or one too many."""
        try:
            check_room_name(asked)
        except ConfigError:
            reason = "room_bad_room"
            error = error_line(reason, room=asked[:80], max=MAX_ROOM_NAME_CHARS)
        else:
            reason = "room_too_many_rooms"
            error = error_line(reason, max=self.max_rooms)
        self.default.dropped_lines += 1
        actions = self.default.expel(conn, reason)
        self._room_of.pop(conn, None)
        self._peers.pop(conn, None)
        return [Send(conn, error), *[a for a in actions if not isinstance(a, Send)]]

    def _tagged(
        self, key: str | None, room: Room, actions: list[Action], conn: int
    ) -> list[Action]:
        """``actions`` with the room's name in its log lines; forget what has gone."""
        if not room.has(conn):
            self._room_of.pop(conn, None)
            self._peers.pop(conn, None)
        if key is None:
            return actions
        name = self._named[key][0]
        if room.is_empty:
            del self._named[key]
        return [
            Log(a.code, {**a.details, "room": name}) if isinstance(a, Log) else a for a in actions
        ]


__all__ = [
    "HISTORY_MAX_BYTES",
    "MAX_CLIENTS",
    "MAX_ERRORS_PER_CLIENT",
    "MAX_ROOMS",
    "RATE_BURST",
    "RATE_MESSAGES_PER_SECOND",
    "Action",
    "Broadcast",
    "Close",
    "Log",
    "Room",
    "RoomHistory",
    "RoomRules",
    "Rooms",
    "Send",
    "TokenBucket",
]
