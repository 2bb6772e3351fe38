"""A chat room on a NATS cluster: :class:`NatsTransport`, over the ``nats-py`` client.

How papo maps a room onto NATS (see ``docs/nats.md``):

- room messages (chat, me, private, join, leave, nick) are the usual JSON envelope,
  published with JetStream on the subject ``papo.room.<room>``;
- the stream ``PAPO_ROOM_<room>`` keeps the last :data:`STREAM_MAX_MESSAGES` of them,
  replicated on up to :data:`STREAM_REPLICAS` nodes, so a joiner reads the last
  ``replay`` messages and then everything new, in order, from one ordered consumer;
- presence heartbeats (``type: presence``) go on ``papo.presence.<room>``, plain NATS,
  never stored.

Every message is published with the header ``Nats-Msg-Id: <node>:<seq>``, so a publish
retried during a failover (or relayed twice by bridges) is stored once. Reconnection
and failover between the cluster's nodes are done by the client library; this module
turns them into :class:`~papo.transport.base.StatusChanged` events.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from papo.errors import ConfigError, DecodeError, InputError, NetworkError
from papo.protocol.codec import decode, encode
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.roster import Roster
from papo.protocol.stamp import EnvelopeStamper
from papo.protocol.text import clean_input, validate_nick
from papo.transport.base import (
    Delivered,
    Dropped,
    EventQueue,
    NickChanged,
    RosterChanged,
    StatusChanged,
    TransportEvent,
)

if TYPE_CHECKING:
    from papo.protocol.nickkeys import Signer

#: The room used when none is given.
DEFAULT_ROOM = "geral"

#: The NATS URL used when none is given.
DEFAULT_SERVER = "nats://127.0.0.1:4222"

#: Subject prefix of the stored room messages: ``papo.room.<room>``.
ROOM_SUBJECT_PREFIX = "papo.room"

#: Subject prefix of the presence heartbeats: ``papo.presence.<room>``.
PRESENCE_SUBJECT_PREFIX = "papo.presence"

#: JetStream stream name prefix: ``PAPO_ROOM_<room>``.
STREAM_PREFIX = "PAPO_ROOM_"

#: Messages a room's stream keeps (the oldest are discarded first).
STREAM_MAX_MESSAGES = 10_000

#: Seconds a message stays in a room's stream (seven days).
STREAM_MAX_AGE = 7 * 24 * 3600.0

#: Seconds in which JetStream drops a second publish with the same ``Nats-Msg-Id``.
DUPLICATE_WINDOW = 120.0

#: Copies of each stream on a cluster (falls back to 1 on a single server).
STREAM_REPLICAS = 3

#: Messages of the room's past a joiner receives before the live ones.
HISTORY_REPLAY = 50

#: Seconds one JetStream publish waits for the stream's acknowledgement.
PUBLISH_TIMEOUT = 2.0

#: Seconds a publish is retried (same ``Nats-Msg-Id``) while the cluster fails over.
PUBLISH_RETRY_SECONDS = 20.0

#: Seconds to wait for a server when connecting.
CONNECT_TIMEOUT = 3.0

#: Seconds ``open()`` tries the listed servers before giving up (reconnects after that
#: are unlimited).
INITIAL_CONNECT_SECONDS = 6.0

#: Seconds between two reconnection attempts to the same server.
RECONNECT_WAIT = 0.5

#: Seconds ``open()`` keeps trying while a just-started cluster elects its JetStream leader.
STREAM_SETUP_SECONDS = 15.0

#: Seconds between the consumer's idle heartbeats; two missed ones recreate it.
CONSUMER_HEARTBEAT = 0.5

#: Seconds between two presence heartbeats of one member.
PRESENCE_INTERVAL = 15.0

#: Seconds of silence after which a member leaves the roster.
PRESENCE_TIMEOUT = 50.0

#: Events waiting for the session; beyond this, new events are dropped and counted.
EVENT_QUEUE_SIZE = 1024

#: Envelopes remembered for :meth:`NatsTransport.take_sent` (the oldest forgotten).
MAX_SENT_KEPT = 256

#: The ``type`` of a presence heartbeat.
PRESENCE_TYPE = "presence"

#: Text of the join and leave messages (never the handout's stop word).
JOIN_TEXT = "entrou / joined"
LEAVE_TEXT = "saiu / left"

#: Header that makes JetStream store a message once.
MSG_ID_HEADER = "Nats-Msg-Id"

# JetStream API error codes meaning "cannot keep that many replicas here".
_REPLICA_ERRORS = frozenset({10074, 10005, 10023})
_ROOM_RE = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_TEXT_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.PRIVATE})
_SHOWN_TYPES = frozenset(
    {
        MessageType.CHAT,
        MessageType.ME,
        MessageType.JOIN,
        MessageType.LEAVE,
        MessageType.NICK,
        MessageType.SYSTEM,
    }
)
_REPLAYED_TYPES = frozenset(
    {MessageType.CHAT, MessageType.ME, MessageType.PRIVATE, MessageType.SYSTEM}
)
_QUIT_WORD = "sair"


def check_room(room: str) -> str:
    """Return ``room`` if it can name a subject and a stream, else raise ConfigError."""
    if not _ROOM_RE.match(room):
        raise ConfigError("nats_bad_room", room=room[:80])
    return room


def room_subject(room: str) -> str:
    """The subject of a room's messages: ``papo.room.<room>``."""
    return f"{ROOM_SUBJECT_PREFIX}.{check_room(room)}"


def presence_subject(room: str) -> str:
    """The subject of a room's presence heartbeats: ``papo.presence.<room>``."""
    return f"{PRESENCE_SUBJECT_PREFIX}.{check_room(room)}"


def stream_name(room: str) -> str:
    """The JetStream stream of a room: ``PAPO_ROOM_<room>``."""
    return f"{STREAM_PREFIX}{check_room(room)}"


def dedup_key(message: ChatMessage) -> str | None:
    """``node:seq`` (the ``Nats-Msg-Id``) for messages that carry both, else None."""
    if message.node is not None and message.seq is not None:
        return f"{message.node}:{message.seq}"
    return None


def import_nats() -> Any:
    """The ``nats`` package, or ConfigError saying how to install the extra."""
    try:
        import nats
        import nats.js.api
    except ImportError:
        raise ConfigError("nats_missing_extra") from None
    return nats


async def connect(
    servers: list[str],
    name: str,
    *,
    on_status: Callable[[StatusChanged], None],
    on_error: Callable[[Exception], None] | None = None,
    give_up_after: float = INITIAL_CONNECT_SECONDS,
) -> Any:
    """Connect to the first reachable server of ``servers``; reconnect forever after that."""
    nats = import_nats()

    async def disconnected() -> None:
        on_status(StatusChanged("nats_disconnected"))

    async def reconnected() -> None:
        on_status(StatusChanged("nats_reconnected", {"server": _server_of(client)}))

    async def error(exc: Exception) -> None:
        if on_error is not None:
            on_error(exc)

    try:
        connecting = nats.connect(
            servers=servers,
            name=name,
            connect_timeout=CONNECT_TIMEOUT,
            reconnect_time_wait=RECONNECT_WAIT,
            max_reconnect_attempts=-1,
            allow_reconnect=True,
            dont_randomize=True,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=error,
        )
        client = await asyncio.wait_for(connecting, give_up_after)
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        raise NetworkError(
            "nats_connect_failed", servers=", ".join(servers), reason=str(exc) or type(exc).__name__
        ) from None
    return client


def _server_of(client: Any) -> str:
    url = getattr(client, "connected_url", None)
    return url.netloc if url is not None else "?"


async def ensure_stream(client: Any, room: str, replicas: int = STREAM_REPLICAS) -> Any:
    """Create the room's stream if missing; return its info. Retries while JetStream starts."""
    nats = import_nats()
    api = nats.js.api
    js = client.jetstream(timeout=PUBLISH_TIMEOUT)
    name = stream_name(room)
    deadline = time.monotonic() + STREAM_SETUP_SECONDS
    want = replicas
    while True:
        try:
            return await js.stream_info(name)
        except nats.js.errors.NotFoundError:
            pass
        except nats.errors.NoRespondersError:
            raise ConfigError("nats_no_jetstream", server=_server_of(client)) from None
        except nats.js.errors.ServiceUnavailableError as exc:
            if exc.err_code is None:  # "no responders": this server runs without JetStream
                raise ConfigError("nats_no_jetstream", server=_server_of(client)) from None
            if time.monotonic() > deadline:
                raise NetworkError("nats_stream_failed", room=room, reason=str(exc)) from None
            await asyncio.sleep(0.2)
            continue
        except (nats.errors.Error, TimeoutError) as exc:
            if time.monotonic() > deadline:
                raise NetworkError("nats_stream_failed", room=room, reason=str(exc)) from None
            await asyncio.sleep(0.2)
            continue
        config = api.StreamConfig(
            name=name,
            subjects=[room_subject(room)],
            retention=api.RetentionPolicy.LIMITS,
            max_msgs=STREAM_MAX_MESSAGES,
            max_age=STREAM_MAX_AGE,
            storage=api.StorageType.FILE,
            num_replicas=want,
            duplicate_window=DUPLICATE_WINDOW,
            discard=api.DiscardPolicy.OLD,
        )
        try:
            return await js.add_stream(config)
        except nats.errors.NoRespondersError:
            raise ConfigError("nats_no_jetstream", server=_server_of(client)) from None
        except nats.js.errors.APIError as exc:
            if want > 1 and exc.err_code in _REPLICA_ERRORS:  # a single server: one copy
                want = 1
                continue
            if time.monotonic() > deadline:
                raise NetworkError("nats_stream_failed", room=room, reason=str(exc)) from None
        except (nats.errors.Error, TimeoutError) as exc:
            if time.monotonic() > deadline:
                raise NetworkError("nats_stream_failed", room=room, reason=str(exc)) from None
        await asyncio.sleep(0.2)


async def publish_stored(
    client: Any,
    subject: str,
    payload: bytes,
    msg_id: str | None,
    extra_headers: Mapping[str, str] | None = None,
) -> None:
    """Publish to a stream and wait for its acknowledgement, retrying through failovers.

    Retries reuse ``msg_id`` so JetStream stores the message once. Raises NetworkError
    after :data:`PUBLISH_RETRY_SECONDS`.
    """
    nats = import_nats()
    js = client.jetstream(timeout=PUBLISH_TIMEOUT)
    headers = dict(extra_headers or {})
    if msg_id:
        headers[MSG_ID_HEADER] = msg_id
    deadline = time.monotonic() + PUBLISH_RETRY_SECONDS
    while True:
        try:
            await js.publish(subject, payload, timeout=PUBLISH_TIMEOUT, headers=headers or None)
            return
        except nats.errors.ConnectionClosedError:
            raise NetworkError("nats_not_connected") from None
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            if time.monotonic() > deadline:
                raise NetworkError(
                    "nats_publish_failed", reason=str(exc) or type(exc).__name__
                ) from None
            await asyncio.sleep(RECONNECT_WAIT / 2)


async def subscribe_room(
    client: Any, room: str, start_seq: int, callback: Callable[[Any], Any]
) -> Any:
    """An ordered consumer of the room's stream from ``start_seq``; survives failovers."""
    nats = import_nats()
    api = nats.js.api
    js = client.jetstream(timeout=PUBLISH_TIMEOUT)
    config = api.ConsumerConfig(
        deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=max(1, start_seq)
    )
    return await js.subscribe(
        room_subject(room),
        stream=stream_name(room),
        cb=callback,
        ordered_consumer=True,
        idle_heartbeat=CONSUMER_HEARTBEAT,
        config=config,
    )


class NatsTransport:
    """A chat room on a NATS cluster (see the module doc for subjects and guarantees)."""

    def __init__(
        self,
        servers: list[str],
        nick: str,
        room: str = DEFAULT_ROOM,
        *,
        replay: int = HISTORY_REPLAY,
        replicas: int = STREAM_REPLICAS,
        connect_seconds: float = INITIAL_CONNECT_SECONDS,
        clock: Callable[[], float] = time.time,
        node: str | None = None,
        presence_interval: float = PRESENCE_INTERVAL,
        presence_timeout: float = PRESENCE_TIMEOUT,
        limits: Limits = DEFAULT_LIMITS,
        max_queue: int = EVENT_QUEUE_SIZE,
    ) -> None:
        if not servers:
            raise ConfigError("nats_no_server")
        for server in servers:
            if not re.match(r"(nats|tls|ws|wss)://[^\s/]+\Z", server):
                raise ConfigError("nats_bad_url", url=server[:120])
        self.servers = list(servers)
        self.nick = validate_nick(nick, limits.max_nick_chars)
        self.room = check_room(room)
        self.node = node or secrets.token_hex(8)
        self.replay = max(0, replay)
        self.replicas = max(1, replicas)
        self.connect_seconds = connect_seconds
        self.presence_interval = presence_interval
        self.presence_timeout = presence_timeout
        self.dropped = 0
        self.library_errors = 0
        self._clock = clock
        self._limits = limits
        self._signer: Signer | None = None
        self._events: EventQueue[TransportEvent] = EventQueue(max_queue)
        self._roster = Roster(self.nick)
        self._stamper = EnvelopeStamper(self.node, self.room)
        self._client: Any = None
        self._subscriptions: list[Any] = []
        self._heartbeat: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent: deque[ChatMessage] = deque(maxlen=MAX_SENT_KEPT)
        self._replay_until = 0
        self._in_past = False  # between nats_history_start and nats_history_end
        self._last_stream_seq = 0
        self._left = False
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, set up the room's stream, replay the room's recent past, announce us."""
        self._client = await connect(
            self.servers,
            f"papo {self.nick}",
            on_status=self._status,
            on_error=self._on_error,
            give_up_after=self.connect_seconds,
        )
        try:
            info = await ensure_stream(self._client, self.room, self.replicas)
            last = int(info.state.last_seq)
            self._replay_until = last
            self._last_stream_seq = max(0, last - self.replay)
            self._subscriptions.append(
                await self._client.subscribe(presence_subject(self.room), cb=self._on_presence)
            )
            self._subscriptions.append(
                await subscribe_room(
                    self._client, self.room, last + 1 - self.replay, self._on_room_message
                )
            )
        except BaseException:
            await self._client.close()
            raise
        self._emit(
            StatusChanged("nats_connected", {"server": _server_of(self._client), "room": self.room})
        )
        self._publish_roster(force=True)
        await self._send_stored(self._envelope(MessageType.JOIN, JOIN_TEXT))
        await self._send_presence()
        self._heartbeat = asyncio.create_task(self._beat(), name="papo-nats-presence")

    async def send(self, message: ChatMessage) -> None:
        """Send a chat, me, private, nick or leave message as this user."""
        if self._client is None or self._closed:
            raise NetworkError("nats_not_connected")
        kind = message.type
        if kind in _TEXT_TYPES:
            if kind == MessageType.PRIVATE and not message.to:
                raise InputError("chat_private_needs_nick")
            await self._send_text(kind, clean_input(message.data), to=message.to)
        elif kind == MessageType.NICK:
            await self._change_nick(message.data)
        elif kind == MessageType.LEAVE:
            text = message.data if message.data.strip().casefold() != _QUIT_WORD else LEAVE_TEXT
            self._left = True
            await self._send_stored(self._envelope(MessageType.LEAVE, text or LEAVE_TEXT))
        else:
            raise InputError("chat_unsupported_type", type=str(kind))

    async def events(self) -> AsyncIterator[TransportEvent]:
        """Everything that arrives, until :meth:`close`."""
        async for event in self._events.events():
            yield event

    async def close(self) -> None:
        """Say goodbye (unless already said), stop the heartbeat, close the connection."""
        if self._closed:
            return
        self._closed = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        client = self._client
        if client is not None:
            if not self._left and client.is_connected:
                self._left = True
                with contextlib.suppress(NetworkError, TimeoutError):
                    await asyncio.wait_for(
                        self._send_stored(self._envelope(MessageType.LEAVE, LEAVE_TEXT)),
                        PUBLISH_TIMEOUT,
                    )
            for subscription in self._subscriptions:
                with contextlib.suppress(Exception):  # the library raises its own types here
                    await subscription.unsubscribe()
            with contextlib.suppress(Exception):
                await client.close()
        self._events.end()

    @property
    def server(self) -> str:
        """The ``host:port`` of the server this transport is connected to now."""
        return _server_of(self._client) if self._client is not None else "?"

    # -- roster ----------------------------------------------------------------------

    def roster(self) -> tuple[str, ...]:
        """The nicks in the room now, sorted, this user included."""
        return self._roster.nicks()

    def expire(self, now: float | None = None) -> None:
        """Forget members silent for longer than ``presence_timeout``."""
        now = self._clock() if now is None else now
        self._roster.expire(now, self.presence_timeout)
        self._publish_roster()

    def _touch(self, node: str, nick: str) -> None:
        self._roster.touch(node, nick, self._clock())

    def _publish_roster(self, force: bool = False) -> None:
        nicks = self._roster.changed(force)
        if nicks is not None:
            self._emit(RosterChanged(nicks))

    # -- sending ---------------------------------------------------------------------

    def _envelope(self, kind: str, data: str) -> ChatMessage:
        return self._stamper.control(self.nick, kind, data, self._clock())

    async def _send_text(self, kind: str, text: str, to: str | None) -> None:
        # The same datagram budget as multicast, so a bridge can relay every message.
        messages = self._stamper.text(self.nick, kind, text, to, self._clock(), self._limits)
        for message in messages:
            await self._send_stored(message)

    async def _send_stored(self, message: ChatMessage) -> None:
        if self._signer is not None:
            message = self._signer.sign(message)
        await publish_stored(
            self._client, room_subject(self.room), encode(message), dedup_key(message)
        )
        self._sent.append(message)

    def sign_with(self, signer: Signer) -> None:
        """Sign every message this user publishes (nick ownership, ``--identity``).

        Each part is signed on its own, so the part budget shrinks by the signer's
        overhead; the stream keeps ``key`` and ``sig`` with the message.
        """
        self._signer = signer
        budget = self._limits.send_datagram_bytes - signer.overhead
        self._limits = replace(self._limits, send_datagram_bytes=budget)

    def take_sent(self) -> list[ChatMessage]:
        """The envelopes published since the last call (at most :data:`MAX_SENT_KEPT`)."""
        sent = list(self._sent)
        self._sent.clear()
        return sent

    async def _send_presence(self) -> None:
        nats = import_nats()
        payload = encode(self._envelope(PRESENCE_TYPE, ""))
        try:
            await self._client.publish(presence_subject(self.room), payload)
        except nats.errors.Error as exc:
            self._emit(StatusChanged("nats_presence_failed", {"reason": str(exc)}))

    async def _change_nick(self, new: str) -> None:
        new = validate_nick(new, self._limits.max_nick_chars)
        if new == self.nick:
            return
        if self._roster.holds(new):
            raise ConfigError("chat_nick_taken", nick=new)
        await self._send_stored(self._envelope(MessageType.NICK, new))
        self.nick = self._roster.own_nick = new
        self._emit(NickChanged(new))
        self._publish_roster()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.presence_interval)
            await self._send_presence()
            self.expire()

    # -- receiving -------------------------------------------------------------------

    async def _on_room_message(self, msg: Any) -> None:
        try:
            stream_seq = int(msg.metadata.sequence.stream)
        except (ValueError, AttributeError, IndexError):
            stream_seq = 0
        if stream_seq and stream_seq <= self._last_stream_seq:
            return  # redelivered after a consumer was recreated
        self._last_stream_seq = max(self._last_stream_seq, stream_seq)
        self.receive_payload(msg.data, live=stream_seq > self._replay_until)
        if self._in_past and stream_seq >= self._replay_until:
            self._bracket_past(live=True)

    def receive_payload(self, payload: bytes, *, live: bool = True) -> None:
        """Handle one stored room message (the subscription calls this; tests may too).

        ``live`` is False for messages replayed from the room's past: they are shown
        but do not change the roster nor get answered.
        """
        source = f"nats:{self.room}"
        result = decode(payload, source, self._limits)
        if isinstance(result, DecodeError):
            self._drop(result, source)
            return
        if result.node is not None and result.node == self.node:
            return
        kind = result.type
        if not live and kind not in _REPLAYED_TYPES:
            return  # the past's joins and leaves are noise; its conversation is history
        self._bracket_past(live)
        key = result.node or result.user
        if kind == MessageType.PRIVATE:
            if result.to == self.nick:
                self._emit(Delivered(result))
        elif kind in _SHOWN_TYPES or result.plain:
            self._emit(Delivered(result))
        if not live:
            return
        if kind == MessageType.LEAVE or result.is_quit_word(_QUIT_WORD):
            self._roster.forget(key)
        elif kind == MessageType.NICK:
            try:
                self._touch(key, validate_nick(result.data, self._limits.max_nick_chars))
            except ConfigError:
                self._drop(DecodeError("decode_bad_value", field="data"), source)
        elif not result.plain:
            self._touch(key, result.user)
            if kind == MessageType.JOIN and not self._closed:
                task = asyncio.get_running_loop().create_task(self._send_presence())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        self._publish_roster()

    def _bracket_past(self, live: bool) -> None:
        """Status events around the replayed past, so the session shows it as history
        (old signed lines are judged on their signature, not refused as replays)."""
        if live == self._in_past:
            self._in_past = not live
            self._emit(StatusChanged("nats_history_end" if live else "nats_history_start"))

    async def _on_presence(self, msg: Any) -> None:
        source = f"nats-presence:{self.room}"
        result = decode(msg.data, source, self._limits)
        if isinstance(result, DecodeError):
            self._drop(result, source)
            return
        if result.node is None or result.node == self.node or result.plain:
            return
        self._touch(result.node, result.user)
        self._publish_roster()

    def _status(self, event: StatusChanged) -> None:
        if not self._closed:  # closing the connection is not losing it
            self._emit(event)

    def _on_error(self, exc: Exception) -> None:
        # Reconnection attempts and consumer resets report here; the state changes that
        # matter to the user arrive as disconnected/reconnected.
        self.library_errors += 1

    def _drop(self, error: DecodeError, source: str) -> None:
        self.dropped += 1
        self._emit(Dropped(error, source))

    def _emit(self, event: TransportEvent) -> None:
        self._events.put(event)

    @property
    def overflowed(self) -> int:
        """Events dropped because the reader was behind."""
        return self._events.overflowed


__all__ = [
    "CONSUMER_HEARTBEAT",
    "DEFAULT_ROOM",
    "DEFAULT_SERVER",
    "DUPLICATE_WINDOW",
    "EVENT_QUEUE_SIZE",
    "HISTORY_REPLAY",
    "INITIAL_CONNECT_SECONDS",
    "MAX_SENT_KEPT",
    "MSG_ID_HEADER",
    "PRESENCE_INTERVAL",
    "PRESENCE_SUBJECT_PREFIX",
    "PRESENCE_TIMEOUT",
    "PRESENCE_TYPE",
    "PUBLISH_RETRY_SECONDS",
    "PUBLISH_TIMEOUT",
    "ROOM_SUBJECT_PREFIX",
    "STREAM_MAX_AGE",
    "STREAM_MAX_MESSAGES",
    "STREAM_PREFIX",
    "STREAM_REPLICAS",
    "NatsTransport",
    "check_room",
    "dedup_key",
    "ensure_stream",
    "presence_subject",
    "publish_stored",
    "room_subject",
    "stream_name",
    "subscribe_room",
]
