"""papo as a library: join a room on any transport, send text, read what arrives.

A bot or a script uses :func:`connect` with a room address and a nick, and gets a
:class:`ChatClient`; the same session rules as the chat window apply (split messages put
back together, look-alike nicks flagged, nick ownership with an identity, history replays
marked as ``past``)::

    import asyncio
    from papo.session.client import ChatLine, connect

    async def main() -> None:
        async with connect("papo://127.0.0.1:5050", "eco") as room:
            async for event in room:
                if isinstance(event, ChatLine) and not event.past:
                    await room.say(f"{event.message.user} said: {event.message.data}")

    asyncio.run(main())

Room addresses (:func:`parse_room_address`):

- ``multicast://`` (the handout's group, 224.3.29.71:5007), ``multicast://GROUP:PORT``,
  ``multicast://[ff02::1]:5007?interface=eth0&ttl=1``, ``multicast://?room=grupo1`` (a
  named room on its own group, as ``papo chat --room``)
- ``papo://HOST[:PORT]``: a ``papo serve`` room server (port 5050 by default);
  ``papos://HOST[:PORT]`` the same over TLS (``?cafile=ca.pem``); ``?room=grupo1`` joins
  that named room of the server (as ``papo connect --room``)
- ``p2p://`` (find peers by multicast beacons), ``p2p://HOST:PORT,HOST:PORT`` (dial these
  peers too; ``?beacons=0`` only these; ``?room=grupo1`` only that room's messages)
- ``nats://HOST:PORT[,HOST:PORT]/ROOM``: a room of a NATS cluster (``papo[nats]``)

``await find_room()`` gives the address of the room server announced on the local
network (``papo serve --host '*'``), so a bot needs no address either.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from papo.errors import ConfigError
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.rooms import check_room_name, room_group
from papo.protocol.text import clean_input, terminal_safe, validate_nick
from papo.session.chat import ChatLine, ChatSession, Notice
from papo.session.identity import NickOwnership
from papo.transport.base import ChatTransport
from papo.transport.multicast import DEFAULT_PORT

#: Events waiting for the program to read them; past this the oldest are dropped and
#: counted in :attr:`ChatClient.dropped_events` (a bot that stops reading cannot make
#: papo grow without bound).
CLIENT_QUEUE_MAX = 10_000

#: Seconds between two looks at the clock while nothing arrives (to hand over the parts
#: of split messages that never completed).
CLIENT_TICK_SECONDS = 1.0

#: Seconds :meth:`ChatClient.close` waits to say goodbye to the room.
CLIENT_LEAVE_SECONDS = 1.0

#: The room server's port when an address gives none.
DEFAULT_ROOM_SERVER_PORT = 5050

#: The schemes :func:`parse_room_address` knows.
ROOM_SCHEMES = ("multicast", "papo", "papos", "p2p", "nats")

ClientEvent = ChatLine | Notice


@dataclass(frozen=True, slots=True)
class RoomAddress:
    """A parsed room address: the scheme, the hosts (host, port), and the options."""

    scheme: str
    hosts: tuple[tuple[str, int], ...] = ()
    room: str | None = None
    options: dict[str, str] = field(default_factory=dict)


# A host name or address (IPv6 with an optional %zone): nothing a terminal would act on.
_HOST_RE = re.compile(r"[A-Za-z0-9._:%-]+")


def _bad(text: str) -> ConfigError:
    return ConfigError("client_bad_address", address=terminal_safe(text[:200]))


def _host_port(text: str, default_port: int | None, original: str) -> tuple[str, int]:
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif ":" in text:
        host, _, port_text = text.rpartition(":")
    if not _HOST_RE.fullmatch(host) or (port_text and not port_text.isascii()):
        raise _bad(original)
    if port_text and not port_text.isdigit():
        raise _bad(original)
    if not port_text and default_port is None:
        raise _bad(original)
    port = int(port_text) if port_text else default_port
    assert port is not None
    if not 1 <= port <= 65535:
        raise ConfigError("bad_port", port=port)
    return host, port


def parse_room_address(text: str) -> RoomAddress:
    """The :class:`RoomAddress` of ``text`` (see the module doc); ConfigError if malformed."""
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced "[" in an IPv6 host
        raise _bad(text) from None
    scheme = parts.scheme.lower()
    if scheme not in ROOM_SCHEMES or parts.fragment or parts.username or parts.password:
        raise _bad(text)
    query = parse_qs(parts.query, keep_blank_values=True)
    if any(len(values) != 1 for values in query.values()):
        raise _bad(text)
    options = {key: values[0] for key, values in query.items()}
    netloc = parts.netloc
    path = parts.path.strip("/")
    if scheme == "multicast":
        if path:
            raise _bad(text)
        group = (_host_port(netloc, DEFAULT_PORT, text),) if netloc else ()
        return RoomAddress(scheme, group, options=options)
    if scheme in ("papo", "papos"):
        if path or not netloc:
            raise _bad(text)
        return RoomAddress(
            scheme, (_host_port(netloc, DEFAULT_ROOM_SERVER_PORT, text),), None, options
        )
    hosts = tuple(_host_port(item, None, text) for item in netloc.split(",") if item)
    if scheme == "p2p":
        if path:
            raise _bad(text)
        return RoomAddress(scheme, hosts, options=options)
    if not hosts or "/" in path:  # nats
        raise _bad(text)
    return RoomAddress(scheme, hosts, path or None, options)


def build_transport(address: RoomAddress, nick: str) -> ChatTransport:
    """The transport for ``address`` (optional extras are imported only when needed)."""
    options = address.options
    known = {
        "multicast": {"interface", "ttl", "room"},
        "papo": {"room"},
        "papos": {"cafile", "insecure", "room"},
        "p2p": {"beacons", "interface", "room"},
        "nats": set(),
    }[address.scheme]
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError("client_unknown_option", option=terminal_safe(unknown[0][:64]))
    if address.scheme == "multicast":
        from papo.transport.multicast import DEFAULT_GROUP, MulticastConfig
        from papo.transport.multicast_room import MulticastRoomTransport

        group, port = address.hosts[0] if address.hosts else (DEFAULT_GROUP, DEFAULT_PORT)
        room = options.get("room")
        if room is not None:
            if address.hosts and group != DEFAULT_GROUP:
                raise ConfigError("room_and_group", room=check_room_name(room), group=group)
            group = room_group(room)
        ttl_text = options.get("ttl", "1")
        if not ttl_text.isdigit():
            raise ConfigError("bad_ttl", ttl=terminal_safe(ttl_text[:16]))
        config = MulticastConfig(
            group=group, port=port, ttl=int(ttl_text), interface=options.get("interface")
        ).validated()
        return MulticastRoomTransport(config, nick, room=room)
    if address.scheme in ("papo", "papos"):
        from papo.transport.tcp_client import TcpRoomClient

        host, port = address.hosts[0]
        tls = None
        if address.scheme == "papos":
            from papo.transport.tls import TlsClientOptions, client_context

            insecure = options.get("insecure", "0") not in ("0", "", "false")
            tls = client_context(TlsClientOptions(options.get("cafile"), insecure))
        return TcpRoomClient(host, port, nick, tls=tls, room=options.get("room"))
    if address.scheme == "p2p":
        from papo.transport.mesh import Discovery, MeshConfig, MeshTransport

        discoveries: list[Discovery] = []
        if options.get("beacons", "1") not in ("0", "false"):
            from papo.discovery.beacon import BeaconDiscovery

            discoveries.append(BeaconDiscovery(options.get("interface")))
        if not discoveries and not address.hosts:
            raise ConfigError("mesh_no_way_to_find_peers")
        mesh = MeshConfig(bootstrap=address.hosts).validated()
        return MeshTransport(nick, mesh, discoveries=discoveries, room=options.get("room"))
    from papo.transport.nats import DEFAULT_ROOM, NatsTransport, import_nats

    import_nats()
    servers = [f"nats://{host}:{port}" for host, port in address.hosts]
    return NatsTransport(servers, nick, address.room or DEFAULT_ROOM)


class ChatClient:
    """One user in one room, for programs: ``say``/``me``/``tell`` out, events in.

    Iterating yields :class:`~papo.session.chat.ChatLine` (a message, whole again if it
    was split) and :class:`~papo.session.chat.Notice` (joins, leaves, losses, link
    status...), exactly what the chat window would show, until the room closes.
    """

    def __init__(
        self,
        transport: ChatTransport,
        nick: str,
        *,
        ownership: NickOwnership | None = None,
        clock: Callable[[], float] = time.time,
        max_queue: int = CLIENT_QUEUE_MAX,
        tick_seconds: float = CLIENT_TICK_SECONDS,
    ) -> None:
        self._transport = transport
        self._session = ChatSession(nick, clock=clock, ownership=ownership)
        self._queue: asyncio.Queue[ClientEvent | None] = asyncio.Queue()
        self._max_queue = max_queue
        self._tick_seconds = tick_seconds
        self._pump: asyncio.Task[None] | None = None
        self._closed = False
        #: Events dropped because the program did not read them in time.
        self.dropped_events = 0

    @property
    def nick(self) -> str:
        """The nick the room knows this client by (``rename`` changes it once accepted)."""
        return self._session.nick

    @property
    def roster(self) -> tuple[str, ...]:
        """Who is in the room, as the transport last reported it."""
        return self._session.roster

    async def open(self) -> None:
        """Join the room (ConfigError or NetworkError with a one-line reason)."""
        await self._transport.open()
        self._pump = asyncio.create_task(self._receive(), name="papo-client-receive")

    async def close(self) -> None:
        """Say goodbye (best effort) and leave; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._pump is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLIENT_LEAVE_SECONDS):
                    await self._transport.send(self._session.farewell())
        await self._transport.close()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        self._put(None)

    async def __aenter__(self) -> ChatClient:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- sending ---------------------------------------------------------------------

    async def say(self, text: str) -> None:
        """Send ``text`` to the room as it is (no ``/commands``; long texts are split)."""
        await self._send(MessageType.CHAT, text)

    async def me(self, text: str) -> None:
        """An action in the third person (``* eco waves``)."""
        await self._send(MessageType.ME, text)

    async def tell(self, nick: str, text: str) -> None:
        """A private message to ``nick``."""
        await self._send(MessageType.PRIVATE, text, to=nick)

    async def rename(self, nick: str) -> None:
        """Ask the room for a new nick (a ``Notice`` says when it is accepted)."""
        new = validate_nick(nick)
        await self._transport.send(
            ChatMessage(user=self._session.nick, data=new, type=MessageType.NICK)
        )

    async def _send(self, kind: MessageType, text: str, to: str | None = None) -> None:
        cleaned = clean_input(text)
        if not cleaned.strip():
            raise ConfigError("client_empty_text")
        await self._transport.send(
            ChatMessage(user=self._session.nick, data=cleaned, type=kind, to=to)
        )

    # -- receiving -------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[ClientEvent]:
        return self.events()

    async def events(self) -> AsyncIterator[ClientEvent]:
        """Everything the room says, until it closes (or :meth:`close` is called)."""
        while True:
            try:
                async with asyncio.timeout(self._tick_seconds):
                    item = await self._queue.get()
            except TimeoutError:
                for event in self._session.tick():
                    if isinstance(event, ChatLine | Notice):
                        yield event
                continue
            if item is None:
                return
            yield item

    async def _receive(self) -> None:
        try:
            async for event in self._transport.events():
                for shown in self._session.handle_event(event):
                    if isinstance(shown, ChatLine | Notice):
                        self._put(shown)
        finally:
            self._put(None)

    def _put(self, item: ClientEvent | None) -> None:
        if item is not None and self._queue.qsize() >= self._max_queue:
            self._queue.get_nowait()
            self.dropped_events += 1
        self._queue.put_nowait(item)


async def find_room(interface: str | None = None, *, seconds: float | None = None) -> str:
    """The ``papo://`` (or ``papos://``) address of the one room server announced on the
    local network; ConfigError if none answers or several do (``rooms_several``).
    """
    from papo.discovery.rooms import ROOM_SEARCH_SECONDS, find_rooms

    wait = ROOM_SEARCH_SECONDS if seconds is None else seconds
    rooms = await find_rooms(interface, seconds=wait)
    if not rooms:
        raise ConfigError("rooms_none", seconds=wait)
    if len(rooms) > 1:
        raise ConfigError("rooms_several", count=len(rooms))
    room = rooms[0]
    host = f"[{room.host}]" if ":" in room.host else room.host
    return f"{'papos' if room.tls else 'papo'}://{host}:{room.port}"


def connect(address: str, nick: str, *, ownership: NickOwnership | None = None) -> ChatClient:
    """A :class:`ChatClient` for the room at ``address`` (use it with ``async with``).

    With ``ownership`` (this user's identity and pins, :mod:`papo.session.identity`) what
    the client sends is signed and what it receives is judged, as with ``--identity``.
    """
    nick = validate_nick(nick)
    transport = build_transport(parse_room_address(address), nick)
    if ownership is not None:
        from papo.session.identity import MessageSigner

        transport.sign_with(MessageSigner(ownership.identity))  # type: ignore[attr-defined]
    return ChatClient(transport, nick, ownership=ownership)


__all__ = [
    "CLIENT_LEAVE_SECONDS",
    "CLIENT_QUEUE_MAX",
    "CLIENT_TICK_SECONDS",
    "DEFAULT_ROOM_SERVER_PORT",
    "ROOM_SCHEMES",
    "ChatClient",
    "ChatLine",
    "ClientEvent",
    "Notice",
    "RoomAddress",
    "build_transport",
    "connect",
    "find_room",
    "parse_room_address",
]
