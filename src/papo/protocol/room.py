"""The multi-user room protocol: control messages on top of the JSON envelope (pure).

Every line on a room connection is one envelope (:mod:`papo.protocol.codec`) plus ``\\n``.
Control messages are envelopes with a room ``type`` and, where they need them, a few
extra keys that other programs ignore:

==========  =========  =======================================================
type        direction  meaning
==========  =========  =======================================================
join        c -> s     hello: ``user`` is the nick asked for (the first line); on a
                       rejoin ``node``/``seq`` name the last relayed line seen; an
                       optional ``session`` (a secret token) asks for acks
welcome     s -> c     joined: ``user`` is the accepted nick, ``nicks`` the roster,
                       ``history_count`` how many earlier lines follow, ``acks``
                       true if the server acknowledges this session's lines
join        s -> c     someone else joined (``user``)
leave       both       c -> s: I leave. s -> c: ``user`` left, ``code`` says why
nick        both       c -> s: ``data`` is the new nick. s -> c: ``user`` is now ``data``
who         c -> s     ask for the roster
roster      s -> c     ``nicks``: everyone in the room
chat/me     both       relayed to everyone else; the server sets ``user``
private     both       relayed to ``to`` only
error       s -> c     ``code`` (an i18n key), optional ``suggestion`` and ``details``
shutdown    s -> c     the server is stopping; reconnect later
ping/pong   both       keep-alive: answer a ping with a pong
ack         s -> c     the chat line ``id`` of this session was relayed (or refused)
==========  =========  =======================================================

The server stamps every relayed line with ``node`` (its instance, the *epoch*) and
``seq`` (a counter of the room). Right after ``welcome`` it replays the room's last
chat/me lines (never private ones) with ``"history": true``: scroll-back, shown once.
A client that rejoins sends the ``node``/``seq`` of the last line it saw, so only newer
lines are replayed (and it drops any line at or below that mark itself).

A client that joins with a ``session`` gives its chat lines an ``id``; the server acks
each one, remembers the ids per session (a line sent again after a reconnect is acked,
not relayed twice), and a join whose nick is held by a connection of the same session
replaces that dead connection instead of being refused (:mod:`papo.protocol.delivery`).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from papo.errors import DecodeError
from papo.protocol.codec import decode, encode
from papo.protocol.framing import frame_line
from papo.protocol.limits import DEFAULT_LIMITS, MAX_NICK_CHARS, Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage, MessageType

#: The TCP port a room server listens on unless told otherwise (not the handout's 5007
#: nor its 12345); ``papo chat --server HOST`` and ``papo connect HOST`` use it too.
DEFAULT_ROOM_PORT = 5050

#: The most nicks a ``welcome``/``roster`` message may list (and so the most clients one
#: room server accepts).
MAX_ROSTER_NICKS = 1_000

#: The most entries an error's ``details`` may hold.
MAX_ERROR_DETAILS = 8

#: The ``user`` of messages the server itself writes (control messages, notices).
SERVER_USER = "server"

#: Chat lines a room server keeps to replay to joiners unless told otherwise
#: (``papo serve --history N``; 0 keeps none).
HISTORY_MESSAGES = 50

#: The most chat lines a room server may be told to keep (bounds its memory: each line
#: is at most one framed line).
MAX_HISTORY_MESSAGES = 1_000

#: The key that marks a replayed (scroll-back) line.
HISTORY_KEY = "history"

#: The ``join`` key with the client's session token (asks for acks; never relayed).
SESSION_KEY = "session"

#: The ``welcome`` key that says the server acknowledges the session's lines.
ACKS_KEY = "acks"

_SESSION_RE = re.compile(r"[!-~]+\Z")
_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,47}\Z")
_DETAIL_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")
_MAX_DETAIL_CHARS = 200


class RoomType(StrEnum):
    """The ``type`` values of room control messages (chat types are in MessageType)."""

    JOIN = "join"
    WELCOME = "welcome"
    LEAVE = "leave"
    NICK = "nick"
    WHO = "who"
    ROSTER = "roster"
    ERROR = "error"
    SHUTDOWN = "shutdown"
    PING = "ping"
    PONG = "pong"
    ACK = "ack"


#: Types a joined client may send, relayed or acted on by the server.
CLIENT_TYPES = frozenset(
    {
        MessageType.CHAT,
        MessageType.ME,
        MessageType.PRIVATE,
        RoomType.NICK,
        RoomType.LEAVE,
        RoomType.WHO,
        RoomType.PING,
        RoomType.PONG,
    }
)

#: Types whose messages are chat a person wrote (relayed with the sender's nick).
RELAYED_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.PRIVATE})

#: Types a room server keeps in its history and replays to joiners.
REPLAYED_TYPES = frozenset({MessageType.CHAT, MessageType.ME})

_EXTRA_TYPES = frozenset(
    {RoomType.WELCOME, RoomType.ROSTER, RoomType.ERROR, RoomType.LEAVE, RoomType.SHUTDOWN}
)


@dataclass(frozen=True, slots=True)
class RoomMessage:
    """One decoded room line: the envelope plus the room's extra keys."""

    message: ChatMessage
    code: str | None = None
    nicks: tuple[str, ...] = ()
    suggestion: str | None = None
    details: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))
    history: bool = False
    history_count: int = 0
    session: str | None = None
    acks: bool = False

    @property
    def type(self) -> str:
        """The message's ``type`` (``chat`` when absent)."""
        return self.message.type


@functools.lru_cache(maxsize=2 * MAX_ROSTER_NICKS)
def nick_key(nick: str) -> str:
    """The form two nicks are compared in: ``Ana`` and ``ana`` clash.

    Cached (a room's nicks, bounded), because every welcome and roster line sorts the
    whole roster by it.
    """
    return unicodedata.normalize("NFC", nick).casefold()


def suggest_nick(nick: str, taken: Iterable[str], max_chars: int = MAX_NICK_CHARS) -> str:
    """A free nick like ``nick`` (``ana2``, ``ana3``...) given the ``taken`` nick keys."""
    taken_keys = {nick_key(name) for name in taken}
    for number in range(2, MAX_ROSTER_NICKS + 2):
        suffix = str(number)
        candidate = nick[: max_chars - len(suffix)] + suffix
        if nick_key(candidate) not in taken_keys:
            return candidate
    raise ValueError("no free nick")  # unreachable while the roster is bounded


def encode_room(message: ChatMessage, **extras: object) -> bytes:
    """The framed line (``...\\n``) of ``message`` with the room's ``extras`` keys added."""
    if not extras:
        return frame_line(encode(message))
    body = message.wire_dict()
    body.update({key: value for key, value in extras.items() if value is not None})
    return frame_line(
        json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    )


def decode_room(line: bytes, limits: Limits = DEFAULT_LIMITS) -> RoomMessage | DecodeError:
    """Decode one line (without ``\\n``) into a :class:`RoomMessage`; never raises."""
    message = decode(line, None, limits)
    if isinstance(message, DecodeError):
        return message
    if message.plain:
        return DecodeError("room_not_json")
    if message.type == RoomType.JOIN and b'"session"' in line:
        return _with_session(message, line, limits)
    if message.type not in _EXTRA_TYPES:
        if message.type in REPLAYED_TYPES and b'"history"' in line:
            return RoomMessage(message, history=_history_flag(line))
        return RoomMessage(message)
    try:  # the codec accepted it, so this parses; never let a surprise escape anyway
        obj = json.loads(line.decode("utf-8").removeprefix("\ufeff").strip())
    except ValueError as exc:
        return DecodeError("decode_invalid_json", reason=str(exc)[:80])
    if not isinstance(obj, dict):
        return DecodeError("decode_not_object", kind="?")
    return _with_extras(message, obj, limits)


def _history_flag(line: bytes) -> bool:
    try:  # the codec accepted it, so this parses
        obj = json.loads(line.decode("utf-8").removeprefix("\ufeff").strip())
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get(HISTORY_KEY) is True


def _with_session(message: ChatMessage, line: bytes, limits: Limits) -> RoomMessage | DecodeError:
    try:  # the codec accepted it, so this parses
        obj = json.loads(line.decode("utf-8").removeprefix("\ufeff").strip())
    except ValueError as exc:
        return DecodeError("decode_invalid_json", reason=str(exc)[:80])
    session = obj.get(SESSION_KEY) if isinstance(obj, dict) else None
    if session is None:
        return RoomMessage(message)
    if not (
        isinstance(session, str)
        and 0 < len(session) <= limits.max_id_chars
        and _SESSION_RE.match(session)
    ):
        return DecodeError("decode_bad_value", field=SESSION_KEY)
    return RoomMessage(message, session=session)


def _with_extras(
    message: ChatMessage, obj: dict[str, object], limits: Limits
) -> RoomMessage | DecodeError:
    code = obj.get("code")
    if code is not None and not (isinstance(code, str) and _CODE_RE.match(code)):
        return DecodeError("decode_bad_value", field="code")
    nicks = obj.get("nicks", [])
    if not (
        isinstance(nicks, list)
        and len(nicks) <= MAX_ROSTER_NICKS
        and all(_is_nick_text(nick, limits) for nick in nicks)
    ):
        return DecodeError("decode_bad_value", field="nicks")
    suggestion = obj.get("suggestion")
    if suggestion is not None and not _is_nick_text(suggestion, limits):
        return DecodeError("decode_bad_value", field="suggestion")
    assert suggestion is None or isinstance(suggestion, str)  # _is_nick_text checked it
    details = obj.get("details", {})
    if not (
        isinstance(details, dict)
        and len(details) <= MAX_ERROR_DETAILS
        and all(_is_detail(key, value) for key, value in details.items())
    ):
        return DecodeError("decode_bad_value", field="details")
    count = obj.get("history_count", 0)
    if isinstance(count, bool) or not isinstance(count, int):
        return DecodeError("decode_bad_value", field="history_count")
    if not 0 <= count <= MAX_HISTORY_MESSAGES:
        return DecodeError("decode_bad_value", field="history_count")
    acks = obj.get(ACKS_KEY, False)
    if not isinstance(acks, bool):
        return DecodeError("decode_bad_value", field=ACKS_KEY)
    return RoomMessage(
        message,
        code=code,
        nicks=tuple(nicks),
        suggestion=suggestion,
        details=MappingProxyType(dict(details)),
        history_count=count,
        acks=acks,
    )


def _is_nick_text(value: object, limits: Limits) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limits.max_nick_chars


def _is_detail(key: str, value: object) -> bool:
    if not _DETAIL_KEY_RE.match(key):
        return False
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and len(value) <= _MAX_DETAIL_CHARS)


def _control(kind: str, user: str = SERVER_USER, data: str = "", **fields: object) -> ChatMessage:
    return ChatMessage(user=user, data=data, type=kind, v=PROTOCOL_VERSION, **fields)  # type: ignore[arg-type]


# --- what a client sends -----------------------------------------------------------------


def join_line(
    nick: str,
    since: tuple[str, int] | None = None,
    session: str | None = None,
    room: str | None = None,
) -> bytes:
    """The client's hello: join the room as ``nick``.

    ``since`` is the ``(node, seq)`` of the last relayed line this client saw (on a
    rejoin), so the server replays only newer lines. ``session`` (a secret token kept
    across reconnects) asks the server to acknowledge the lines that carry an ``id``.
    ``room`` names the room to join on a server with many (None: the default room).
    """
    node, seq = since if since is not None else (None, None)
    hello = _control(RoomType.JOIN, user=nick, node=node, seq=seq, room=room)
    return encode_room(hello, session=session)


def who_line(nick: str) -> bytes:
    """Ask the server for the roster."""
    return encode_room(_control(RoomType.WHO, user=nick))


def leave_line(nick: str) -> bytes:
    """Tell the server that I leave (the server then closes the connection)."""
    return encode_room(_control(RoomType.LEAVE, user=nick))


def nick_line(nick: str, new_nick: str) -> bytes:
    """Ask to be called ``new_nick`` from now on."""
    return encode_room(_control(RoomType.NICK, user=nick, data=new_nick))


def ping_line(user: str = SERVER_USER) -> bytes:
    """A keep-alive probe; the peer answers with :func:`pong_line`."""
    return encode_room(_control(RoomType.PING, user=user))


def pong_line(user: str = SERVER_USER) -> bytes:
    """The answer to a ping."""
    return encode_room(_control(RoomType.PONG, user=user))


# --- what the server sends ---------------------------------------------------------------


def welcome_line(
    nick: str, nicks: Iterable[str], history_count: int = 0, acks: bool = False
) -> bytes:
    """You joined as ``nick``; ``nicks`` is everyone in the room (you included).

    ``history_count`` earlier lines (:func:`history_line`) follow this one; ``acks``
    says your lines with an ``id`` will be acknowledged (:func:`ack_line`).
    """
    return encode_room(
        _control(RoomType.WELCOME, user=nick),
        nicks=sorted(nicks, key=nick_key),
        history_count=history_count or None,
        acks=acks or None,
    )


def ack_line(line_id: str) -> bytes:
    """Your chat line ``line_id`` was dealt with (relayed, or refused with an error).

    One per relayed line, so it is built from a template (the same bytes as
    ``encode_room``; the id was checked by the codec: printable ASCII only).
    """
    return _ACK_HEAD + json.dumps(line_id).encode("ascii") + b"}\n"


_ACK_HEAD = encode_room(_control(RoomType.ACK, id="-")).removesuffix(b'"-"}\n')


def roster_line(nicks: Iterable[str]) -> bytes:
    """Everyone in the room."""
    return encode_room(_control(RoomType.ROSTER), nicks=sorted(nicks, key=nick_key))


def joined_line(nick: str) -> bytes:
    """``nick`` entered the room."""
    return encode_room(_control(RoomType.JOIN, user=nick))


def left_line(nick: str, reason: str) -> bytes:
    """``nick`` left the room; ``reason`` is an i18n code (``room_quit``...)."""
    return encode_room(_control(RoomType.LEAVE, user=nick), code=reason)


def nick_changed_line(old: str, new: str) -> bytes:
    """``old`` is now called ``new`` (sent to everyone, the renamed client included)."""
    return encode_room(_control(RoomType.NICK, user=old, data=new))


def error_line(code: str, suggestion: str | None = None, **details: str | int) -> bytes:
    """A refusal or a problem with what the client sent; ``code`` is an i18n key."""
    return encode_room(
        _control(RoomType.ERROR),
        code=code,
        suggestion=suggestion,
        details=details or None,
    )


def shutdown_line() -> bytes:
    """The server is stopping now."""
    return encode_room(_control(RoomType.SHUTDOWN), code="room_server_shutdown")


def relayed(
    message: ChatMessage, nick: str, node: str | None = None, seq: int | None = None
) -> ChatMessage:
    """A person's chat ``message`` as the server relays it: by ``nick``, stamped ``node:seq``.

    The author's ``id``, ``ts``, ``room``, ``key`` and ``sig`` pass through verbatim, so a
    signature (nick ownership, :mod:`papo.protocol.nickkeys`) still verifies; the server
    neither checks nor needs them.
    """
    kind = message.type
    return ChatMessage(  # positional: this runs for every relayed line
        nick,
        message.data,
        kind,
        PROTOCOL_VERSION,
        message.id,
        node,
        seq,
        message.ts,
        message.part,
        message.parts,
        message.to if kind == MessageType.PRIVATE else None,
        message.room,
        message.key,
        message.sig,
    )


def history_line(message: ChatMessage) -> bytes:
    """A relayed ``message`` replayed to a joiner, marked as scroll-back."""
    return as_history(encode_room(message))


def as_history(line: bytes) -> bytes:
    """The framed relay ``line`` (one JSON object) marked as scroll-back, without re-encoding."""
    if not line.endswith(b"}\n"):
        raise ValueError("not a framed JSON object")
    return line[:-2] + b',"' + HISTORY_KEY.encode() + b'":true}\n'


def relay_line(message: ChatMessage, nick: str) -> bytes:
    """A person's chat ``message`` as relayed by the server, attributed to ``nick``."""
    return encode_room(relayed(message, nick))


__all__ = [
    "ACKS_KEY",
    "CLIENT_TYPES",
    "DEFAULT_ROOM_PORT",
    "HISTORY_KEY",
    "HISTORY_MESSAGES",
    "MAX_ERROR_DETAILS",
    "MAX_HISTORY_MESSAGES",
    "MAX_ROSTER_NICKS",
    "RELAYED_TYPES",
    "REPLAYED_TYPES",
    "SERVER_USER",
    "SESSION_KEY",
    "RoomMessage",
    "RoomType",
    "ack_line",
    "as_history",
    "decode_room",
    "encode_room",
    "error_line",
    "history_line",
    "join_line",
    "joined_line",
    "leave_line",
    "left_line",
    "nick_changed_line",
    "nick_key",
    "nick_line",
    "ping_line",
    "pong_line",
    "relay_line",
    "relayed",
    "roster_line",
    "shutdown_line",
    "suggest_nick",
    "welcome_line",
    "who_line",
]
