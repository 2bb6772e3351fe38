"""A bridge that relays one LAN multicast room into a NATS room and back, without loops.

One bridge runs on each LAN (site). It listens to the multicast group and publishes
every valid envelope, untouched, to the room's NATS subject (room messages with
JetStream, presence heartbeats with plain NATS); and it sends every envelope that
arrives from NATS, untouched, to the multicast group. So two LANs chat through the
cluster and NATS users see both.

Loops are cut in three places:

- what this bridge publishes carries the header ``Papo-Bridge: <bridge id>``, and the
  bridge ignores NATS messages with its own id;
- every relayed message is remembered by its identity (``node:seq``); the same identity
  heard again (the kernel loops our own multicast datagrams back, a second bridge
  relays it again) is not relayed twice. JetStream's ``Nats-Msg-Id`` dedup does the
  same inside the cluster;
- handout programs send no ``node``/``seq``: for them the bridge remembers the exact
  bytes it sent to the LAN and ignores them once when they come back.

Run one bridge per LAN and room: two bridges on one LAN would each relay NATS traffic
to it. The bridge relays what arrives while it runs; it does not replay history
to the LAN (the NATS stream keeps it for NATS clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

from papo.errors import DecodeError, NetworkError
from papo.protocol.codec import decode, encode
from papo.protocol.limits import DEFAULT_LIMITS, MAX_DATAGRAM_BYTES, Limits
from papo.protocol.message import ChatMessage
from papo.protocol.ratelimit import SendPacer
from papo.transport.base import Dropped, EventQueue, StatusChanged
from papo.transport.multicast import (
    MulticastConfig,
    MulticastReceiver,
    MulticastSender,
    format_address,
)
from papo.transport.nats import (
    DEFAULT_ROOM,
    MSG_ID_HEADER,
    PRESENCE_TYPE,
    STREAM_REPLICAS,
    check_room,
    connect,
    dedup_key,
    ensure_stream,
    import_nats,
    presence_subject,
    publish_stored,
    room_subject,
    subscribe_room,
)
from papo.transport.pacing import Sleep, wait_for_turn

#: The NATS header naming the bridge that published a message.
BRIDGE_HEADER = "Papo-Bridge"

#: Message identities remembered to stop loops and duplicates (oldest forgotten first).
BRIDGE_SEEN_CAPACITY = 8192

#: Handout payloads sent to the LAN and not yet heard back, remembered at most.
BRIDGE_ECHO_CAPACITY = 1024

#: Messages waiting to be published to NATS; beyond this, new ones are dropped and counted.
BRIDGE_QUEUE_SIZE = 1024

#: Datagrams read per wake-up of the event loop, so a flood cannot starve NATS traffic.
MAX_DATAGRAMS_PER_WAKEUP = 64

#: Events waiting for the user interface; beyond this, new ones are dropped and counted.
EVENT_QUEUE_SIZE = 256


class _Seen:
    """A bounded set of message identities, oldest forgotten first."""

    def __init__(self, capacity: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def add(self, key: str) -> bool:
        """Remember ``key``; False when it was already remembered."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
        return True


class MulticastNatsBridge:
    """Relays a multicast room and a NATS room both ways (see the module doc)."""

    def __init__(
        self,
        multicast: MulticastConfig,
        servers: list[str],
        room: str = DEFAULT_ROOM,
        *,
        bridge_id: str | None = None,
        replicas: int = STREAM_REPLICAS,
        limits: Limits = DEFAULT_LIMITS,
        seen_capacity: int = BRIDGE_SEEN_CAPACITY,
        queue_size: int = BRIDGE_QUEUE_SIZE,
    ) -> None:
        self.multicast = multicast.validated()
        self.servers = list(servers)
        self.room = check_room(room)
        self.bridge_id = bridge_id or secrets.token_hex(8)
        self.replicas = replicas
        #: Messages relayed LAN -> NATS and NATS -> LAN, loops cut, and bad input dropped.
        self.to_nats = 0
        self.to_lan = 0
        self.loops_cut = 0
        self.dropped = 0
        self._outbox_overflowed = 0
        self._limits = limits
        self._seen = _Seen(seen_capacity)
        self._echoes: Counter[str] = Counter()
        self._outbox: asyncio.Queue[tuple[str, bytes, str | None]] = asyncio.Queue(queue_size)
        self._events: EventQueue[StatusChanged | Dropped] = EventQueue(EVENT_QUEUE_SIZE)
        self._client: Any = None
        self._sender: MulticastSender | None = None
        self._receiver: MulticastReceiver | None = None
        self._subscriptions: list[Any] = []
        self._publisher: asyncio.Task[None] | None = None
        self._closed = False
        #: Pace what the bridge sends each way, as ``papo send`` is paced: to the LAN
        #: (the whole NATS room comes from one source, the bridge's socket, and the
        #: receivers' per-source limit must not take it for a flood) and to NATS (where
        #: the other LANs' bridges relay it to their receivers).
        self.lan_pacer = SendPacer()
        self.nats_pacer = SendPacer()
        self._pace_clock: Callable[[], float] = time.monotonic
        self._sleep: Sleep = asyncio.sleep

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Connect to NATS, set up the room's stream, join the multicast group."""
        self._client = await connect(
            self.servers, f"papo bridge {self.bridge_id}", on_status=self._emit
        )
        try:
            info = await ensure_stream(self._client, self.room, self.replicas)
            receiver = MulticastReceiver(self.multicast)
            try:
                sender = MulticastSender(self.multicast)
            except BaseException:
                receiver.close()
                raise
            self._receiver, self._sender = receiver, sender
            receiver.socket.setblocking(False)
            self._subscriptions.append(
                await self._client.subscribe(presence_subject(self.room), cb=self._from_nats)
            )
            self._subscriptions.append(
                await subscribe_room(
                    self._client, self.room, int(info.state.last_seq) + 1, self._from_nats
                )
            )
        except BaseException:
            await self._release()
            raise
        asyncio.get_running_loop().add_reader(receiver.fileno(), self._on_readable)
        self._publisher = asyncio.create_task(self._publish_loop(), name="papo-bridge-publish")
        self._emit(
            StatusChanged(
                "bridge_ready",
                {
                    "group": self.multicast.group,
                    "port": self.multicast.port,
                    "subject": room_subject(self.room),
                    "server": self.server,
                },
            )
        )

    async def events(self) -> AsyncIterator[StatusChanged | Dropped]:
        """Status changes and dropped input, until :meth:`close`."""
        async for event in self._events.events():
            yield event

    async def close(self) -> None:
        """Stop relaying and release the sockets and the connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        await self._release()
        self._events.end()

    async def _release(self) -> None:
        if self._receiver is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._receiver.fileno())
            self._receiver.close()
        if self._sender is not None:
            self._sender.close()
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):  # the library raises its own types here
                await subscription.unsubscribe()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()

    @property
    def server(self) -> str:
        """The ``host:port`` of the NATS server the bridge is connected to now."""
        url = getattr(self._client, "connected_url", None)
        return url.netloc if url is not None else "?"

    # -- LAN -> NATS -----------------------------------------------------------------

    def _on_readable(self) -> None:
        assert self._receiver is not None
        sock = self._receiver.socket
        for _ in range(MAX_DATAGRAMS_PER_WAKEUP):
            try:
                payload, address = sock.recvfrom(MAX_DATAGRAM_BYTES + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._emit(StatusChanged("bridge_receive_failed", {"reason": exc.strerror}))
                return
            self.from_lan(payload, format_address(address))

    def from_lan(self, payload: bytes, source: str) -> None:
        """Handle one datagram heard on the LAN (the socket calls this; tests may too)."""
        message = decode(payload, source, self._limits)
        if isinstance(message, DecodeError):
            self._drop(message, source)
            return
        key = dedup_key(message)
        if key is None:
            echo = _payload_key(payload)
            if self._echoes[echo] > 0:  # a handout message we relayed, looped back
                self._echoes[echo] -= 1
                if self._echoes[echo] == 0:
                    del self._echoes[echo]
                self.loops_cut += 1
                return
        elif not self._seen.add(key):
            self.loops_cut += 1
            return
        if message.plain:  # bare text from a handout program: give NATS a real envelope
            payload = encode(ChatMessage(user=message.user, data=message.data))
        subject = (
            presence_subject(self.room)
            if message.type == PRESENCE_TYPE
            else room_subject(self.room)
        )
        try:
            self._outbox.put_nowait((subject, payload, key))
        except asyncio.QueueFull:
            self._outbox_overflowed += 1

    async def _publish_loop(self) -> None:
        presence = presence_subject(self.room)
        while True:
            subject, payload, key = await self._outbox.get()
            await wait_for_turn(self.nats_pacer, self._pace_clock, self._sleep)
            try:
                if subject == presence:
                    await self._client.publish(
                        subject, payload, headers={BRIDGE_HEADER: self.bridge_id}
                    )
                else:
                    await self._publish_stored(subject, payload, key)
                self.to_nats += 1
            except NetworkError as error:
                self._emit(StatusChanged(error.code, dict(error.details)))
            except import_nats().errors.Error as exc:
                self._emit(StatusChanged("bridge_publish_failed", {"reason": str(exc)}))

    async def _publish_stored(self, subject: str, payload: bytes, key: str | None) -> None:
        await publish_stored(
            self._client, subject, payload, key, extra_headers={BRIDGE_HEADER: self.bridge_id}
        )

    # -- NATS -> LAN -----------------------------------------------------------------

    async def _from_nats(self, msg: Any) -> None:
        headers = msg.headers or {}
        if headers.get(BRIDGE_HEADER) == self.bridge_id:
            return  # what we published ourselves
        # Awaited in the subscription's callback: what comes faster waits in the NATS
        # client's pending buffer (bounded by the library; beyond it, a slow consumer).
        await wait_for_turn(self.lan_pacer, self._pace_clock, self._sleep)
        self.from_nats(msg.data)

    def from_nats(self, payload: bytes) -> None:
        """Handle one message from the NATS room (the subscriptions call this; tests may too)."""
        source = f"nats:{self.room}"
        message = decode(payload, source, self._limits)
        if isinstance(message, DecodeError) or message.plain:
            self._drop(
                message if isinstance(message, DecodeError) else DecodeError("decode_bad_value"),
                source,
            )
            return
        key = dedup_key(message)
        if key is not None and not self._seen.add(key):
            self.loops_cut += 1
            return
        if key is None:
            echo = _payload_key(payload)
            if len(self._echoes) < BRIDGE_ECHO_CAPACITY or echo in self._echoes:
                self._echoes[echo] += 1
        if self._sender is None or self._closed:
            return
        try:
            self._sender.send(payload)
            self.to_lan += 1
        except NetworkError as error:
            self._emit(StatusChanged(error.code, dict(error.details)))

    # -- events ----------------------------------------------------------------------

    def _drop(self, error: DecodeError, source: str) -> None:
        self.dropped += 1
        self._emit(Dropped(error, source))

    def _emit(self, event: StatusChanged | Dropped) -> None:
        self._events.put(event)

    @property
    def overflowed(self) -> int:
        """Messages and events dropped because the other side was behind."""
        return self._outbox_overflowed + self._events.overflowed


def _payload_key(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:32]


__all__ = [
    "BRIDGE_ECHO_CAPACITY",
    "BRIDGE_HEADER",
    "BRIDGE_QUEUE_SIZE",
    "BRIDGE_SEEN_CAPACITY",
    "MSG_ID_HEADER",
    "MulticastNatsBridge",
]
