"""The peer-to-peer chat: every node is client and server of a mesh of TCP links.

:class:`MeshTransport` implements :class:`~papo.transport.base.ChatTransport`:

- it listens on a TCP port and dials every peer its discovery methods report (multicast
  beacons, mDNS, ``--peer HOST:PORT``); the first frame each way is a ``hello`` with the
  node id, so a node reached by several paths, interfaces or methods is linked once;
- chat messages and heartbeats are flooded: each node passes every new frame on to all
  its other links, with a hop budget, and drops copies it has seen (by message id), so a
  line A–B–C chats end to end through B and each message is shown exactly once;
- a flooded heartbeat every :attr:`MeshConfig.heartbeat_interval` tells every node who is
  alive; a node not heard from for :attr:`MeshConfig.peer_deadline` seconds leaves the
  roster (killed, or the network between is cut), and reappears when heard again;
- in passphrase mode (``seal``, a :class:`~papo.protocol.sealed_link.LineSeal`) every
  line on every link, the ``hello`` included, is sealed, each relay opens and seals again,
  each link starts with random challenges both ways and a hello bound to the peer's (so a
  recorded link cannot be played back), a link whose ``hello`` does not open is closed
  (said once per host and reason), and beacons carry :data:`HIDDEN_NICK`, not the nick;
- catch-up (when given a :class:`~papo.transport.catch_up.HistoryKeeper` by
  :meth:`MeshTransport.share_history`): when its first link is up, a node floods a
  ``history-request``; every member with a history floods back, once per requester and
  rate-limited, at most :data:`~papo.protocol.history.CATCH_UP_MAX_MESSAGES` public
  ``history`` messages addressed to the requester's node id; those arriving within the
  catch-up window are merged by message id (:class:`~papo.protocol.history.CatchUp`) and
  reported once as a :class:`~papo.transport.catch_up.CaughtUp` event.

The pure rules (frames, de-duplication, presence) live in :mod:`papo.protocol.mesh`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from papo.errors import ConfigError, DecodeError, InputError, NetworkError
from papo.protocol.beacon import Beacon, PeerSighting
from papo.protocol.codec import split_text
from papo.protocol.framing import LineFramer, frame_line
from papo.protocol.history import (
    HISTORY_REQUEST_TYPE,
    HISTORY_TYPE,
    history_answers,
    history_request,
)
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.mesh import (
    DEDUP_CACHE_SIZE,
    DEFAULT_MAX_HOPS,
    MAX_LISTED_LINKS,
    DedupCache,
    Flood,
    GapTracker,
    Heartbeat,
    Hello,
    MeshFrame,
    Presence,
    decode_frame,
    encode_frame,
    message_id,
    relayed,
)
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage, MessageType
from papo.protocol.rooms import check_room_name, fold_room
from papo.protocol.sealed_link import CHALLENGE_BYTES, is_sealed_line
from papo.protocol.text import clean_input, terminal_safe, validate_nick
from papo.transport.base import (
    Delivered,
    Dropped,
    MessagesLost,
    NickChanged,
    RosterChanged,
    StatusChanged,
    TransportEvent,
)
from papo.transport.catch_up import (
    AnswerGate,
    CatchUpWindow,
    CaughtUp,
    HistoryKeeper,
    history_to_share,
)
from papo.transport.multicast_room import (
    CATCH_UP_ANSWERED_CAPACITY,
    CATCH_UP_MAX_ANSWERED,
    CATCH_UP_RATE_SECONDS,
    CATCH_UP_WINDOW,
    MAX_SENT_KEPT,
)

if TYPE_CHECKING:
    from papo.protocol.nickkeys import Signer

#: Seconds between two heartbeats of a node.
HEARTBEAT_INTERVAL = 2.0

#: Seconds without hearing a node before it is reported gone (three missed heartbeats,
#: plus slack for a busy machine).
PEER_DEADLINE = 7.0

#: Seconds to wait for a TCP connection and the peer's ``hello``.
CONNECT_TIMEOUT = 5.0

#: Seconds between two attempts to reach a ``--peer`` address that is not linked.
REDIAL_INTERVAL = 2.0

#: Seconds a node waits for a peer with a smaller node id to dial it before dialling itself.
DIAL_GRACE = 3.0

#: Direct links a node keeps at most; further incoming connections are refused.
MAX_LINKS = 64

#: Bytes queued for one slow peer before its link is dropped (it can reconnect).
MAX_PENDING_BYTES = 1_048_576

#: Bytes queued on a link above which ``send`` waits for it to drain.
SEND_HIGH_WATER_BYTES = 65_536

#: Bytes of text per chat frame: a stream has no datagram limit, but every frame must
#: pass the receivers' ``max_text_chars`` check (8192 characters), so 8192 bytes it is.
STREAM_TEXT_BYTES = 8192

#: Events waiting for the user interface; beyond this, network events are dropped.
EVENT_QUEUE_SIZE = 1024

#: Bytes read from a socket at once.
READ_CHUNK_BYTES = 65_536

#: Bytes kept free in each catch-up answer for what flooding adds to it (``id``, ``hops``),
#: so every answer a node sends still decodes at the receivers.
HISTORY_FRAME_SLACK = 128

_TEXT_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.PRIVATE})
_STREAM_LIMITS = replace(DEFAULT_LIMITS, send_datagram_bytes=STREAM_TEXT_BYTES)
_CLOSED = object()

Found = Callable[[PeerSighting], None]

#: The nick a node in passphrase mode puts in its beacons and mDNS records, which anyone
#: on the LAN can read: the real nick travels only inside sealed frames.
HIDDEN_NICK = "*"


class LinkHandshake(Protocol):
    """One sealed link (see :class:`~papo.protocol.sealed_link.SealedLink`)."""

    def challenge_line(self) -> bytes:
        """The first line to send."""
        ...

    def take_challenge(self, line: bytes) -> DecodeError | None:
        """Read the peer's first line."""
        ...

    def seal_hello(self, payload: bytes) -> bytes:
        """The hello line, bound to the peer's challenge."""
        ...

    def open(self, line: bytes, source: str) -> bytes | DecodeError:
        """The payload of the next line, or the reason it was rejected."""
        ...


class LinkSealer(Protocol):
    """Passphrase mode of the links (see :class:`~papo.protocol.sealed_link.LineSeal`)."""

    def seal_line(self, payload: bytes) -> bytes:
        """The sealed line carrying ``payload`` (sealed once, written to every link)."""
        ...

    def link(self, challenge: bytes) -> LinkHandshake:
        """The handshake state of a new link."""
        ...


class Discovery(Protocol):
    """A way to find peers (beacons, mDNS): announces this node and reports sightings."""

    name: str

    async def start(self, announce: Beacon, found: Found) -> None:
        """Start announcing ``announce`` and call ``found`` for every peer seen."""
        ...

    async def close(self) -> None:
        """Stop announcing and listening; safe to call twice."""
        ...


@dataclass(frozen=True, slots=True)
class MeshConfig:
    """Settings of one mesh node; the defaults suit a LAN."""

    #: Address the TCP listener binds (all interfaces by default).
    listen_host: str = "0.0.0.0"
    #: TCP port of the listener; 0 lets the system pick a free one.
    port: int = 0
    #: ``--peer`` addresses dialled at start and redialled while unlinked.
    bootstrap: tuple[tuple[str, int], ...] = ()
    heartbeat_interval: float = HEARTBEAT_INTERVAL
    peer_deadline: float = PEER_DEADLINE
    connect_timeout: float = CONNECT_TIMEOUT
    redial_interval: float = REDIAL_INTERVAL
    max_hops: int = DEFAULT_MAX_HOPS
    dedup_size: int = DEDUP_CACHE_SIZE
    max_links: int = MAX_LINKS
    max_pending_bytes: int = MAX_PENDING_BYTES

    def validated(self) -> MeshConfig:
        """Return self after checking the numbers, or raise ConfigError."""
        if not 0 <= self.port <= 65535:
            raise ConfigError("bad_port", port=self.port)
        for host, port in self.bootstrap:
            if not host or not 1 <= port <= 65535:
                raise ConfigError("mesh_bad_peer", peer=f"{host}:{port}")
        if not 0 < self.heartbeat_interval < self.peer_deadline:
            raise ConfigError(
                "mesh_bad_deadline",
                interval=self.heartbeat_interval,
                deadline=self.peer_deadline,
            )
        return self


@dataclass(frozen=True, slots=True)
class PeerLink:
    """One direct link, as shown by :meth:`MeshTransport.links`."""

    node: str
    nick: str
    address: str
    outbound: bool
    method: str


@dataclass(eq=False)
class _Link:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: str
    outbound: bool
    method: str
    dialed: tuple[str, int] | None = None
    node: str | None = None
    nick: str = "?"
    last_heard: float = 0.0
    framer: LineFramer = field(default_factory=LineFramer)
    backlog: list[bytes | DecodeError] = field(default_factory=list)
    sealed: LinkHandshake | None = None


def parse_peer(text: str) -> tuple[str, int]:
    """``"host:port"`` or ``"[v6]:port"`` -> ``(host, port)``; raise ConfigError."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError("mesh_bad_peer", peer=text)
    return host, int(port)


def _format(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class MeshTransport:
    """A node of the P2P mesh chat (see the module doc); one per program run."""

    def __init__(
        self,
        nick: str,
        config: MeshConfig | None = None,
        *,
        discoveries: Iterable[Discovery] = (),
        node: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        limits: Limits = DEFAULT_LIMITS,
        max_queue: int = EVENT_QUEUE_SIZE,
        seal: LinkSealer | None = None,
        room: str | None = None,
    ) -> None:
        self.config = (config or MeshConfig()).validated()
        self.nick = validate_nick(nick, limits.max_nick_chars)
        #: The named room this node is in (None: the mesh's default room). It relays
        #: every room's frames, so the mesh stays connected, but shows, lists and answers
        #: catch-up for its own room only.
        self.room = None if room is None else check_room_name(room)
        self._room_key = None if room is None else fold_room(self.room or "")
        self.node = node or secrets.token_hex(8)
        self.port = 0
        #: Frames and lines dropped as invalid; events dropped on a full queue.
        self.dropped = 0
        self.overflowed = 0
        self._discoveries = list(discoveries)
        self._clock = clock
        self._wall_clock = wall_clock
        self._limits = limits
        self._queue: asyncio.Queue[object] = asyncio.Queue(max_queue)
        self._dedup = DedupCache(self.config.dedup_size)
        self._presence = Presence()
        self._gaps = GapTracker()
        self._links: dict[str, _Link] = {}
        self._pending: set[_Link] = set()
        self._dialing: set[tuple[str, int]] = set()
        self._dialing_nodes: set[str] = set()
        self._waiting: dict[str, float] = {}
        self._unreachable: set[tuple[str, int]] = set()
        self._bootstrap_nodes: dict[tuple[str, int], str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._seq = 0
        self._beat_seq = 0
        self._left = False
        self._closed = False
        self._last_roster: tuple[str, ...] = ()
        self._seal = seal
        self._signer: Signer | None = None
        self._refusals_said: set[tuple[str, str]] = set()
        self._refused_count = 0
        self.catch_up_window = CATCH_UP_WINDOW
        self._keeper: HistoryKeeper | None = None
        self._catching_up = CatchUpWindow(self.node, self._limits, self._emit)
        self._history_requested = False
        self._history_seq = 0
        self._answer_gate = AnswerGate(
            CATCH_UP_MAX_ANSWERED, CATCH_UP_RATE_SECONDS, CATCH_UP_ANSWERED_CAPACITY
        )
        self._sent: list[ChatMessage] = []

    @property
    def unanswered(self) -> int:
        """Catch-up requests left unanswered by the rate limit."""
        return self._answer_gate.refused

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Listen, start discovery and dial the ``--peer`` addresses."""
        try:
            self._server = await asyncio.start_server(
                self._accept, self.config.listen_host, self.config.port
            )
        except OSError as exc:
            raise NetworkError(
                "mesh_listen_failed", port=self.config.port, reason=exc.strerror or str(exc)
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]
        self._emit(StatusChanged("mesh_listening", {"port": self.port, "node": self.node}))
        self._publish_roster(force=True)
        if self._seal is not None:
            self._emit(StatusChanged("mesh_sealed_on", {}))
        beacon_nick = self.nick if self._seal is None else HIDDEN_NICK
        announce = Beacon(node=self.node, nick=beacon_nick, port=self.port)
        for discovery in self._discoveries:
            try:
                await discovery.start(announce, self.sighted)
            except (ConfigError, NetworkError) as error:
                # The mesh still works through the other methods and --peer.
                self._emit(StatusChanged(error.code, dict(error.details)))
        for host, port in self.config.bootstrap:
            self._dial(host, port, "peer")
        self._spawn(self._housekeeping(), "papo-mesh-housekeeping")

    def share_history(self, keeper: HistoryKeeper) -> None:
        """Answer peers' catch-up requests from ``keeper`` and catch up on joining."""
        self._keeper = keeper

    def sign_with(self, signer: Signer) -> None:
        """Sign every message this user floods (nick ownership, ``--identity``).

        Relays pass ``key`` and ``sig`` on verbatim (only ``hops`` changes, which the
        signature does not cover); each part is signed on its own.
        """
        self._signer = signer

    def take_sent(self) -> list[ChatMessage]:
        """The chat, me and private envelopes sent since the last call (with node and id)."""
        sent, self._sent = self._sent, []
        return sent

    async def send(self, message: ChatMessage) -> None:
        """Flood a chat, me, private, nick or leave message of this user to the mesh."""
        if self._server is None or self._closed:
            raise NetworkError("mesh_not_open")
        kind = message.type
        if kind in _TEXT_TYPES:
            if kind == MessageType.PRIVATE and not message.to:
                raise InputError("mesh_private_needs_nick")
            if kind == MessageType.PRIVATE and message.to not in self.roster():
                # Nobody with that nick in this room (the mesh knows everyone by their
                # heartbeats): say so, instead of flooding a line nobody will show.
                raise InputError("mesh_unknown_nick", nick=terminal_safe(str(message.to)))
            self._send_text(kind, clean_input(message.data), message.to)
        elif kind == MessageType.NICK:
            self._change_nick(message.data)
        elif kind == MessageType.LEAVE:
            self._originate(MessageType.LEAVE, message.data)
            self._left = True
        else:
            raise InputError("mesh_unsupported_type", type=str(kind))
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Backpressure for a fast typist (or a paste): wait while a link has much data
        queued; a link that cannot take it within the connect timeout is stuck: drop it."""
        for link in list(self._links.values()):
            if link.writer.transport.get_write_buffer_size() <= SEND_HIGH_WATER_BYTES:
                continue
            try:
                await asyncio.wait_for(link.writer.drain(), self.config.connect_timeout)
            except (OSError, TimeoutError):
                link.writer.transport.abort()

    async def events(self) -> AsyncIterator[TransportEvent | CaughtUp]:
        """Everything that arrives, until :meth:`close`."""
        while True:
            event = await self._queue.get()
            if event is _CLOSED:
                return
            yield event  # type: ignore[misc]

    async def close(self) -> None:
        """Say goodbye (unless already said), stop discovery, close every link."""
        if self._closed:
            return
        if self._server is not None and not self._left:
            self._originate(MessageType.LEAVE, "")
            self._left = True
        self._catching_up.abandon()  # leaving: a scroll-back now would come after the goodbye
        self._closed = True
        for discovery in self._discoveries:
            await discovery.close()
        if self._server is not None:
            self._server.close()
        await asyncio.gather(
            *(self._drain_and_close(link) for link in [*self._links.values(), *self._pending])
        )
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(OSError):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        while self._queue.full():
            self._queue.get_nowait()
            self.overflowed += 1
        self._queue.put_nowait(_CLOSED)

    # -- what the user interface may ask ------------------------------------------------

    def roster(self) -> tuple[str, ...]:
        """The nicks in the mesh now, sorted, this user included (one per node)."""
        return tuple(sorted([self.nick, *self._presence.nicks()]))

    def links(self) -> list[PeerLink]:
        """The direct links, one per peer node."""
        return [
            PeerLink(node, link.nick, link.address, link.outbound, link.method)
            for node, link in sorted(self._links.items())
        ]

    def sighted(self, sighting: PeerSighting) -> None:
        """A discovery method saw a peer: dial it unless it is this node or already linked."""
        if self._closed or sighting.node == self.node:
            return
        node = sighting.node
        if node is not None and (node in self._links or node in self._dialing_nodes):
            return
        if node is not None and node < self.node:
            # Both ends see each other's beacons; the smaller node id dials, so they do
            # not connect twice at once. Dial anyway if it has not after a grace period
            # (it may not hear us: multicast can be one-way).
            first = self._waiting.setdefault(node, self._clock())
            if self._clock() - first < DIAL_GRACE:
                return
        self._waiting.pop(node or "", None)
        self._dial(sighting.host, sighting.port, sighting.method, node)

    # -- sending ---------------------------------------------------------------------

    def _next_message(self, kind: str, data: str, **extra: object) -> ChatMessage:
        self._seq += 1
        return ChatMessage(
            user=self.nick,
            data=data,
            type=kind,
            v=PROTOCOL_VERSION,
            node=self.node,
            seq=self._seq,
            id=message_id(self.node, self._seq),
            ts=round(self._wall_clock(), 3),
            room=self.room,
            **extra,  # type: ignore[arg-type]
        )

    def _send_text(self, kind: str, text: str, to: str | None) -> None:
        def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
            return ChatMessage(user=self.nick, data=chunk, type=kind, part=part, parts=parts, to=to)

        for piece in split_text(text, build, _STREAM_LIMITS):
            self._originate(kind, piece.data, part=piece.part, parts=piece.parts, to=to)

    def _originate(self, kind: str, data: str, **extra: object) -> None:
        message = self._next_message(kind, data, **extra)
        if self._signer is not None:
            message = self._signer.sign(message)
        self._dedup.first_time(message.id or "")
        self._broadcast(Flood(message, self.config.max_hops), exclude=None)
        if kind in _TEXT_TYPES:
            self._sent.append(message)
            del self._sent[:-MAX_SENT_KEPT]
            self._catching_up.known(message)

    def _change_nick(self, new: str) -> None:
        new = validate_nick(new, self._limits.max_nick_chars)
        if new == self.nick:
            return
        if new in self._presence.nicks():
            # Like the other rooms: a nick seen in the mesh is refused, or /msg would
            # reach two people and the roster would list one nick twice.
            raise ConfigError("chat_nick_taken", nick=new)
        self._originate(MessageType.NICK, new)
        self.nick = new
        self._emit(NickChanged(new))
        self._publish_roster()

    def _broadcast(
        self, frame: MeshFrame, exclude: _Link | None, skip_nodes: set[str] | None = None
    ) -> None:
        payload = self._line(encode_frame(frame))
        for node, link in list(self._links.items()):
            if link is not exclude and not (skip_nodes and node in skip_nodes):
                self._write(link, payload)

    def _write(self, link: _Link, payload: bytes) -> None:
        if link.writer.is_closing():
            return
        if link.writer.transport.get_write_buffer_size() > self.config.max_pending_bytes:
            link.writer.transport.abort()  # too slow: drop it; the read loop cleans up
            return
        link.writer.write(payload)

    # -- links -----------------------------------------------------------------------

    def _spawn(self, coroutine: object, name: str) -> None:
        task = asyncio.ensure_future(coroutine)  # type: ignore[call-overload]
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dial(self, host: str, port: int, method: str, node: str | None = None) -> None:
        if (host, port) in self._dialing or self._closed:
            return
        if len(self._links) + len(self._pending) + len(self._dialing) >= self.config.max_links:
            return
        self._dialing.add((host, port))
        if node is not None:
            self._dialing_nodes.add(node)
        self._spawn(self._connect(host, port, method, node), f"papo-mesh-dial-{host}:{port}")

    async def _connect(self, host: str, port: int, method: str, node: str | None) -> None:
        try:
            await self._connect_and_serve(host, port, method)
        finally:
            self._dialing.discard((host, port))
            if node is not None:
                self._dialing_nodes.discard(node)

    async def _connect_and_serve(self, host: str, port: int, method: str) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), self.config.connect_timeout
            )
        except (OSError, TimeoutError) as exc:
            if method == "peer" and (host, port) not in self._unreachable:
                # Said once per address; redials go on quietly until one succeeds.
                self._unreachable.add((host, port))
                reason = getattr(exc, "strerror", None) or type(exc).__name__
                self._emit(
                    StatusChanged(
                        "mesh_dial_failed", {"peer": _format(host, port), "reason": reason}
                    )
                )
            return
        self._unreachable.discard((host, port))
        link = _Link(reader, writer, _format(host, port), True, method, dialed=(host, port))
        await self._serve(link)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        link = _Link(reader, writer, _format(str(peer[0]), int(peer[1])), False, "incoming")
        if self._closed or len(self._links) + len(self._pending) >= self.config.max_links:
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # type: ignore[arg-type]
            task.add_done_callback(self._tasks.discard)  # type: ignore[arg-type]
        try:
            await self._serve(link)
        except asyncio.CancelledError:
            # close() cancels us; asyncio's server callback would log a cancelled task
            # as an error, and this task ends here anyway.
            return

    async def _serve(self, link: _Link) -> None:
        """Run one link: hello both ways, then frames until it closes; one bad peer hurts
        only its own link."""
        self._pending.add(link)
        link.last_heard = self._clock()
        hello = encode_frame(Hello(node=self.node, nick=self.nick, port=self.port, room=self.room))
        if self._seal is None:
            self._write(link, frame_line(hello))
        else:
            link.sealed = self._seal.link(secrets.token_bytes(CHALLENGE_BYTES))
            self._write(link, frame_line(link.sealed.challenge_line()))
        try:
            if link.sealed is not None:
                # Passphrase mode: challenges both ways, then a hello bound to the peer's.
                line = await asyncio.wait_for(self._next_line(link), self.config.connect_timeout)
                refused = line is None or link.sealed.take_challenge(line)
                if refused is not None:
                    if isinstance(refused, DecodeError):
                        self._refuse(link, refused)
                    return
                self._write(link, frame_line(link.sealed.seal_hello(hello)))
            first = await asyncio.wait_for(self._next_frame(link), self.config.connect_timeout)
            if not isinstance(first, Hello) or not self._admit(link, first):
                return
            while True:
                frame = await self._next_frame(link)
                if frame is None:
                    return
                link.last_heard = self._clock()
                self._handle(link, frame)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            return
        finally:
            self._pending.discard(link)
            await self._drop_link(link)

    async def _next_line(self, link: _Link) -> bytes | None:
        """The next line of ``link`` (framing errors dropped); None at end of stream."""
        while True:
            while not link.backlog:
                data = await link.reader.read(READ_CHUNK_BYTES)
                if not data:
                    for error in link.framer.end():
                        self._drop(error, link.address)
                    return None
                link.backlog.extend(link.framer.feed(data))
            item = link.backlog.pop(0)
            if isinstance(item, DecodeError):
                self._drop(item, link.address)
                continue
            return item

    async def _next_frame(self, link: _Link) -> MeshFrame | None:
        """The next valid frame of ``link``; None at end of stream."""
        while True:
            item = await self._next_line(link)
            if item is None:
                return None
            if link.sealed is not None or is_sealed_line(item):
                opened = self._open_line(link, item)
                if opened is None:
                    if link.node is None:
                        return None  # its hello did not open: close this link only
                    continue
                item = opened
            frame = decode_frame(item, link.address, self._limits)
            if isinstance(frame, DecodeError):
                self._drop(frame, link.address)
                continue
            return frame

    def _admit(self, link: _Link, hello: Hello) -> bool:
        """Accept ``link`` as the one link to ``hello.node``, or refuse a duplicate."""
        if hello.node == self.node:
            if link.dialed is not None:
                self._bootstrap_nodes[link.dialed] = self.node
            return False  # we dialled ourselves (our own beacon, or --peer to this node)
        try:
            nick = validate_nick(hello.nick, self._limits.max_nick_chars)
        except ConfigError:
            self._drop(DecodeError("decode_bad_value", field="user"), link.address)
            return False
        link.node, link.nick = hello.node, nick
        if link.dialed is not None:
            self._bootstrap_nodes[link.dialed] = hello.node
        existing = self._links.get(hello.node)
        if existing is not None:
            if not self._prefer(link, existing):
                link.node = None
                return False
            existing.node = None  # it no longer owns the node's slot
            existing.writer.close()
        self._pending.discard(link)
        self._links[hello.node] = link
        self._waiting.pop(hello.node, None)
        if existing is None:
            self._emit_linked(link)
        if self._in_my_room(hello.room):
            self._heard(hello.node, nick)
        if self._keeper is not None and not self._history_requested:
            self._request_history()  # the first link is up: ask the mesh what we missed
        return True

    def _emit_linked(self, link: _Link) -> None:
        self._emit(
            StatusChanged(
                "mesh_peer_linked",
                {"nick": link.nick, "address": link.address, "method": link.method},
            )
        )

    def _prefer(self, new: _Link, old: _Link) -> bool:
        """Of two links to one node, both ends keep the one dialled by the smaller node id."""
        peer = new.node or ""
        new_dialer = self.node if new.outbound else peer
        old_dialer = self.node if old.outbound else peer
        if new_dialer == old_dialer:
            return False  # same dialler twice: keep the older link
        return new_dialer == min(self.node, peer)

    async def _drop_link(self, link: _Link) -> None:
        if link.node is not None and self._links.get(link.node) is link:
            del self._links[link.node]
            if not self._closed:
                self._emit(
                    StatusChanged(
                        "mesh_peer_unlinked", {"nick": link.nick, "address": link.address}
                    )
                )
        link.node = None
        link.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(link.writer.wait_closed(), 1.0)

    async def _drain_and_close(self, link: _Link) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(link.writer.drain(), 1.0)
        link.writer.close()

    # -- receiving -------------------------------------------------------------------

    def _line(self, frame: bytes) -> bytes:
        """One frame as a line: sealed in passphrase mode, plain JSON otherwise."""
        return frame_line(frame if self._seal is None else self._seal.seal_line(frame))

    def _open_line(self, link: _Link, line: bytes) -> bytes | None:
        """The plain frame of a line in passphrase mode; None (reported) if it does not open.

        A line that fails on a linked peer is dropped and counted; one that fails before
        the hello (a stranger, a wrong passphrase, a plain peer) is said once per host and
        reason, since such a peer redials at every beacon.
        """
        if link.sealed is None:
            error = DecodeError("mesh_peer_sealed")
            self._refused_count += 1
            error.details["count"] = self._refused_count
        else:
            opened = link.sealed.open(line, link.address)
            if not isinstance(opened, DecodeError):
                return opened
            error = opened
        if link.node is not None:
            self._drop(error, link.address)
            return None
        self._refuse(link, error)
        return None

    def _refuse(self, link: _Link, error: DecodeError) -> None:
        """Count a link refused before its hello; say it once per host and reason."""
        host = link.address.rpartition(":")[0]
        self.dropped += 1
        if (host, error.code) not in self._refusals_said:
            self._refusals_said.add((host, error.code))
            self._emit(Dropped(error, link.address))

    def _drop(self, error: DecodeError, source: str) -> None:
        self.dropped += 1
        self._emit(Dropped(error, source))

    def _handle(self, link: _Link, frame: MeshFrame) -> None:
        if isinstance(frame, Hello):
            return  # a second hello on a link changes nothing
        origin = frame.node if isinstance(frame, Heartbeat) else frame.message.node
        if origin == self.node or not self._dedup.first_time(frame.id):
            return
        onward = relayed(frame)
        if onward is not None:
            # The origin's own links hear a heartbeat from it directly: skip them.
            skip = {frame.node, *frame.links} if isinstance(frame, Heartbeat) else set()
            self._broadcast(onward, exclude=link, skip_nodes=skip)
        if not self._in_my_room(frame.room if isinstance(frame, Heartbeat) else frame.message.room):
            return  # another room's: relayed above, neither shown nor listed here
        if isinstance(frame, Flood) and frame.message.seq is not None:
            self._gaps.seen(
                frame.message.node or "", frame.message.user, frame.message.seq, self._clock()
            )
        if isinstance(frame, Heartbeat):
            try:
                nick = validate_nick(frame.nick, self._limits.max_nick_chars)
            except ConfigError:
                self._drop(DecodeError("decode_bad_value", field="user"), link.address)
                return
            self._heard(frame.node, nick)
        else:
            self._deliver(frame.message, link.address)

    def _in_my_room(self, room: str | None) -> bool:
        """True if a frame of ``room`` (None: the default room) belongs to this node's room."""
        return (None if room is None else fold_room(room)) == self._room_key

    def _deliver(self, message: ChatMessage, source: str) -> None:
        node = message.node or ""
        kind = message.type
        if kind == HISTORY_REQUEST_TYPE:
            self._answer_history(message, source)
            return
        if kind == HISTORY_TYPE:
            self._catching_up.receive(message)
            return
        if kind == MessageType.LEAVE:
            if self._presence.remove(node) is not None:
                self._emit(Delivered(message))
                self._publish_roster()
            return
        if kind == MessageType.NICK:
            try:
                new = validate_nick(message.data, self._limits.max_nick_chars)
            except ConfigError:
                self._drop(DecodeError("decode_bad_value", field="data"), source)
                return
            if node not in self._presence:
                self._heard(node, message.user)
            self._presence.heard(node, new, self._clock())
            self._emit(Delivered(message))
            self._publish_roster()
            return
        self._heard(node, message.user)
        if kind == MessageType.PRIVATE and message.to != self.nick:
            return
        if kind in _TEXT_TYPES:
            self._emit(Delivered(message))
            self._catching_up.known(message)  # seen live: an answer carrying it is a duplicate

    def _heard(self, node: str, nick: str) -> None:
        """``node`` is alive: announce it if new, follow a rename, refresh its deadline."""
        new, old = self._presence.heard(node, nick, self._clock())
        if new:
            joined = ChatMessage(user=nick, data="", type=MessageType.JOIN, node=node)
            self._emit(Delivered(joined))
        elif old is not None:
            renamed = ChatMessage(user=old, data=nick, type=MessageType.NICK, node=node)
            self._emit(Delivered(renamed))
        if new or old is not None:
            self._publish_roster()

    # -- catch-up --------------------------------------------------------------------

    def _flood_history(self, message: ChatMessage) -> None:
        """Flood one catch-up message with an id of its own and no ``seq`` (not a chat
        line: taking chat sequence numbers would look like losses to everyone else)."""
        self._history_seq += 1
        flooded = replace(message, seq=None, id=f"{self.node}:h{self._history_seq}", room=self.room)
        self._dedup.first_time(flooded.id or "")
        self._broadcast(Flood(flooded, self.config.max_hops), exclude=None)

    def _request_history(self) -> None:
        assert self._keeper is not None
        self._history_requested = True
        self._catching_up.start()
        since = self._keeper.newest_time()
        now = round(self._wall_clock(), 3)
        self._flood_history(history_request(self.nick, self.node, 0, since, now))
        self._catching_up.close_after(asyncio.get_running_loop(), self.catch_up_window)

    def _answer_history(self, request: ChatMessage, source: str) -> None:
        keeper = None if self._closed else self._keeper
        stored = history_to_share(request, keeper, self._answer_gate, self._clock())
        if isinstance(stored, DecodeError):
            self._drop(stored, source)
            return
        if stored is None:
            return
        assert request.node is not None  # history_to_share refused a request without one
        room = self._limits.max_datagram_bytes - HISTORY_FRAME_SLACK
        answers = history_answers(
            stored,
            request.node,
            nick=self.nick,
            node=self.node,
            first_seq=0,
            ts=round(self._wall_clock(), 3),
            limits=replace(self._limits, max_datagram_bytes=room),
        )
        for answer in answers:
            self._flood_history(answer)

    # -- time ------------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        """Every heartbeat interval: beat, forget silent nodes and links, redial peers."""
        last_redial = -float("inf")
        while not self._closed:
            self._beat_seq += 1
            beat = Heartbeat(
                self.node,
                self.nick,
                self._beat_seq,
                self.config.max_hops,
                tuple(sorted(self._links))[:MAX_LISTED_LINKS],
                self.room,
            )
            self._dedup.first_time(beat.id)
            self._broadcast(beat, exclude=None)
            self.expire()
            now = self._clock()
            if now - last_redial >= self.config.redial_interval:
                last_redial = now
                self._redial()
            await asyncio.sleep(self.config.heartbeat_interval)

    def expire(self, now: float | None = None) -> None:
        """Report gone every node silent longer than the deadline; close silent links."""
        now = self._clock() if now is None else now
        deadline = self.config.peer_deadline
        for node, nick in self._presence.expire(now, deadline):
            self._emit(StatusChanged("mesh_peer_gone", {"nick": nick, "seconds": deadline}))
            self._emit(
                Delivered(ChatMessage(user=nick, data="", type=MessageType.LEAVE, node=node))
            )
            self._publish_roster()
        for nick, count in self._gaps.overdue(now, deadline):
            self._emit(MessagesLost(nick, count))
        for link in list(self._links.values()):
            if now - link.last_heard > deadline:
                link.writer.transport.abort()  # silent: the network between is cut

    def _redial(self) -> None:
        for address in self.config.bootstrap:
            node = self._bootstrap_nodes.get(address)
            if node == self.node or (node is not None and node in self._links):
                continue
            self._dial(*address, "peer")

    # -- events ----------------------------------------------------------------------

    def _emit(self, event: TransportEvent | CaughtUp) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed += 1

    def _publish_roster(self, force: bool = False) -> None:
        roster = self.roster()
        if force or roster != self._last_roster:
            self._last_roster = roster
            self._emit(RosterChanged(roster))


__all__ = [
    "CONNECT_TIMEOUT",
    "HEARTBEAT_INTERVAL",
    "HIDDEN_NICK",
    "HISTORY_FRAME_SLACK",
    "MAX_LINKS",
    "PEER_DEADLINE",
    "Discovery",
    "LinkHandshake",
    "LinkSealer",
    "MeshConfig",
    "MeshTransport",
    "PeerLink",
    "parse_peer",
]
