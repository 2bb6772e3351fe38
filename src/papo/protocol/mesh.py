"""Mesh frames for the peer-to-peer chat, on top of the JSON envelope (pure: no I/O, no clock).

Every frame is one papo envelope (``{"user", "data", ...}``) on one line of a TCP link
between two nodes, plus one or two mesh keys the chat codec ignores:

- ``hello`` (first frame on a link, both ways): ``node`` id, ``user`` nick, protocol ``v``
  and the ``port`` where the node's own listener is, so a peer can tell one node reached
  by several paths apart and dial it back; ``room``, the node's named room, if any.
- ``beat`` (heartbeat): flooded through the whole mesh every interval with a fresh
  ``id``; it tells every node who is alive, also nodes it has no direct link to, and in
  which named ``room`` (none: the default room).

Named rooms share one mesh: every node relays every room's frames (so two members of a
room stay connected through nodes of other rooms) but shows, lists and answers catch-up
for its own room only, told by the envelope's ``room`` key.
- chat, me, private, join, leave, nick: flooded with a message ``id`` (origin node and
  sequence number) and ``hops``, the number of further relays allowed.
- ``history-request`` and ``history`` (catch-up, :mod:`papo.protocol.history`): flooded
  the same way, with an id ``<node>:h<n>`` and no ``seq`` (they are not chat lines).

Each node relays a flooded frame to all its links except the one it came from, once: a
:class:`DedupCache` remembers the ids already seen, so each message is shown exactly once
even when it arrives over several paths, and ``hops`` bounds how far it travels.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace

from papo.errors import DecodeError
from papo.protocol.codec import decode, encode
from papo.protocol.history import HISTORY_REQUEST_TYPE, HISTORY_TYPE
from papo.protocol.limits import DEFAULT_LIMITS, MAX_ID_CHARS, Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage, MessageType
from papo.protocol.sequence import MAX_MISSING_PER_NODE, GapTracker

_ID_RE = re.compile(r"[!-~]+\Z")

#: How many relays a flooded frame may take by default: more than any LAN mesh needs
#: (a line of 16 nodes), few enough that a forwarding loop dies out fast.
DEFAULT_MAX_HOPS = 16

#: The largest ``hops`` value accepted from a peer.
MAX_HOPS_LIMIT = 64

#: How many message ids a node remembers to drop copies that arrive by another path.
#: At 10 messages and heartbeats a second this is several minutes of traffic.
DEDUP_CACHE_SIZE = 4096

#: The most direct links a heartbeat may list (a node keeps fewer than this).
MAX_LISTED_LINKS = 256

#: How many nodes one node tracks in its roster at most.
MAX_MESH_MEMBERS = 1024


#: Frame ``type`` of the first frame on each link.
HELLO = "hello"

#: Frame ``type`` of the flooded heartbeat.
BEAT = "beat"

#: Message types a node floods through the mesh (what users say and do).
FLOODED_TYPES = frozenset(
    {
        MessageType.CHAT,
        MessageType.ME,
        MessageType.PRIVATE,
        MessageType.JOIN,
        MessageType.LEAVE,
        MessageType.NICK,
    }
)

#: Catch-up message types a node floods too (:mod:`papo.protocol.history`): a joining
#: node's ``history-request`` and the ``history`` answers addressed to its node id.
CATCH_UP_FLOODED_TYPES = frozenset({HISTORY_REQUEST_TYPE, HISTORY_TYPE})


@dataclass(frozen=True, slots=True)
class Hello:
    """A node introduces itself on a new link; ``room``: its named room (None: default)."""

    node: str
    nick: str
    port: int
    version: int = PROTOCOL_VERSION
    room: str | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Node ``node`` (nick ``nick``) is alive; flooded with id ``node:b<seq>``.

    ``links`` lists the nodes it has a direct link to: they hear this heartbeat from it,
    so relays skip them (on a full mesh nobody relays heartbeats at all). ``room`` is the
    named room the node is in (None: the mesh's default room); only the nodes of that
    room list it, but every node relays it, so the mesh stays one.
    """

    node: str
    nick: str
    seq: int
    hops: int = DEFAULT_MAX_HOPS
    links: tuple[str, ...] = ()
    room: str | None = None

    @property
    def id(self) -> str:
        """The id used to drop copies of this heartbeat."""
        return f"{self.node}:b{self.seq}"


@dataclass(frozen=True, slots=True)
class Flood:
    """A chat message travelling through the mesh; ``message.id`` and ``.node`` are set."""

    message: ChatMessage
    hops: int = DEFAULT_MAX_HOPS

    @property
    def id(self) -> str:
        """The message id (unique per origin node)."""
        assert self.message.id is not None
        return self.message.id


MeshFrame = Hello | Heartbeat | Flood


def message_id(node: str, seq: int) -> str:
    """The id of message number ``seq`` of ``node``: ``"<node>:<seq>"``."""
    return f"{node}:{seq}"


def encode_frame(frame: MeshFrame) -> bytes:
    """The bytes of one frame, without the line's newline."""
    match frame:
        case Hello(node, nick, port, version, room):
            wire = ChatMessage(user=nick, data="", type=HELLO, v=version, node=node, room=room)
            return _with_keys(wire, port=port)
        case Heartbeat(node, nick, seq, hops, links, room):
            wire = ChatMessage(
                user=nick,
                data="",
                type=BEAT,
                v=PROTOCOL_VERSION,
                node=node,
                seq=seq,
                id=frame.id,
                room=room,
            )
            payload = _with_keys(wire, hops=hops)
            if links:
                listed = json.dumps(list(links), separators=(",", ":")).encode()
                payload = payload[:-1] + b',"links":' + listed + b"}"
            return payload
        case Flood(message, hops):
            return _with_keys(message, hops=hops)
    raise TypeError(f"not a mesh frame: {frame!r}")


def _with_keys(message: ChatMessage, **extra: int) -> bytes:
    # The envelope's own encoding, with the mesh keys appended to the object.
    keys = b"".join(f',"{key}":{int(value)}'.encode() for key, value in extra.items())
    return encode(message)[:-1] + keys + b"}"


def decode_frame(
    line: bytes, source: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> MeshFrame | DecodeError:
    """Decode one line from a link; return a frame or a typed error, never raise."""
    message = decode(line, source, limits)
    if isinstance(message, DecodeError):
        return message
    if message.plain or message.node is None:
        return DecodeError("decode_not_mesh")
    try:
        extra = json.loads(line)  # decode() just parsed the same text: this cannot fail
    except ValueError:
        return DecodeError("decode_not_mesh")
    if message.type == HELLO:
        port = extra.get("port")
        if not _is_int(port) or not 1 <= port <= 65535:
            return DecodeError("decode_bad_value", field="port")
        return Hello(message.node, message.user, port, message.v or PROTOCOL_VERSION, message.room)
    hops = extra.get("hops")
    if not _is_int(hops) or not 0 <= hops <= MAX_HOPS_LIMIT:
        return DecodeError("decode_bad_value", field="hops")
    if message.type == BEAT:
        if message.seq is None:
            return DecodeError("decode_missing_field", field="seq")
        links = extra.get("links", [])
        if (
            not isinstance(links, list)
            or len(links) > MAX_LISTED_LINKS
            or not all(
                isinstance(n, str) and _ID_RE.match(n) and len(n) <= MAX_ID_CHARS for n in links
            )
        ):
            return DecodeError("decode_bad_value", field="links")
        return Heartbeat(message.node, message.user, message.seq, hops, tuple(links), message.room)
    if message.type not in FLOODED_TYPES and message.type not in CATCH_UP_FLOODED_TYPES:
        return DecodeError("decode_bad_value", field="type")
    if message.id is None:
        return DecodeError("decode_missing_field", field="id")
    return Flood(replace(message, source=source), hops)


def relayed(frame: Heartbeat | Flood) -> Heartbeat | Flood | None:
    """The copy to pass on to the other links (one hop fewer), or None when out of hops."""
    if frame.hops <= 0:
        return None
    return replace(frame, hops=frame.hops - 1)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class DedupCache:
    """The last ``size`` message ids seen; :meth:`first_time` tells new ids from copies."""

    def __init__(self, size: int = DEDUP_CACHE_SIZE) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        #: How many copies were recognised and dropped.
        self.duplicates = 0

    def first_time(self, message_id: str) -> bool:
        """Remember ``message_id``; True if it was not seen among the last ``size`` ids."""
        if message_id in self._ids:
            self._ids.move_to_end(message_id)
            self.duplicates += 1
            return False
        self._ids[message_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(slots=True)
class _Member:
    nick: str
    last_seen: float


class Presence:
    """Who is in the mesh: node id -> nick and when it was last heard (times passed in).

    Pure: the caller passes ``now`` (seconds, any monotonic clock), so tests need no
    waiting. A node is gone when nothing was heard from it for ``deadline`` seconds.
    At most ``max_members`` nodes are tracked; heartbeats of further nodes are ignored
    (and counted) until some leave, so made-up node ids cannot fill the memory.
    """

    def __init__(self, max_members: int = MAX_MESH_MEMBERS) -> None:
        self.max_members = max_members
        self._members: dict[str, _Member] = {}
        #: Nodes ignored because the table was full.
        self.refused = 0

    def heard(self, node: str, nick: str, now: float) -> tuple[bool, str | None]:
        """Record that ``node`` is alive as ``nick``; return (new member?, old nick if renamed)."""
        member = self._members.get(node)
        if member is None:
            if len(self._members) >= self.max_members:
                self.refused += 1
                return False, None
            self._members[node] = _Member(nick, now)
            return True, None
        member.last_seen = max(member.last_seen, now)
        if member.nick != nick:
            old, member.nick = member.nick, nick
            return False, old
        return False, None

    def remove(self, node: str) -> str | None:
        """Forget ``node`` (it left); return its nick, or None if it was unknown."""
        member = self._members.pop(node, None)
        return None if member is None else member.nick

    def expire(self, now: float, deadline: float) -> list[tuple[str, str]]:
        """Forget and return ``(node, nick)`` of every member silent for over ``deadline``."""
        gone = [
            (node, member.nick)
            for node, member in self._members.items()
            if now - member.last_seen > deadline
        ]
        for node, _nick in gone:
            del self._members[node]
        return gone

    def nick_of(self, node: str) -> str | None:
        """The nick of ``node``, if it is present."""
        member = self._members.get(node)
        return None if member is None else member.nick

    def nicks(self) -> tuple[str, ...]:
        """The sorted nicks of every present member."""
        return tuple(sorted(member.nick for member in self._members.values()))

    def __contains__(self, node: object) -> bool:
        return node in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._members))

    def __len__(self) -> int:
        return len(self._members)


__all__ = [
    "BEAT",
    "CATCH_UP_FLOODED_TYPES",
    "DEDUP_CACHE_SIZE",
    "DEFAULT_MAX_HOPS",
    "HELLO",
    "MAX_HOPS_LIMIT",
    "MAX_MESH_MEMBERS",
    "MAX_MISSING_PER_NODE",
    "DedupCache",
    "Flood",
    "GapTracker",
    "Heartbeat",
    "Hello",
    "MeshFrame",
    "Presence",
    "decode_frame",
    "encode_frame",
    "message_id",
    "relayed",
]
