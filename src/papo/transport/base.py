"""What every chat-room transport offers the session: the :class:`ChatTransport` contract.

A transport moves :class:`~papo.protocol.message.ChatMessage` values between this program
and a room (a multicast group, a TCP room server, a P2P mesh, a NATS subject) and reports
what happens as :data:`TransportEvent` values. It never prints and never reads the
keyboard. One contract test suite runs against every transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar, runtime_checkable

from papo.errors import DecodeError
from papo.protocol.message import ChatMessage


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message from the room arrived (including join/leave/nick/system messages)."""

    message: ChatMessage


@dataclass(frozen=True, slots=True)
class Dropped:
    """Something arrived that is not a valid message; it was dropped and counted."""

    error: DecodeError
    source: str


@dataclass(frozen=True, slots=True)
class RosterChanged:
    """The transport's current view of who is in the room (sorted nicks)."""

    nicks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MessagesLost:
    """Sequence numbers (or the server) show that ``count`` messages of ``user`` were lost."""

    user: str
    count: int


@dataclass(frozen=True, slots=True)
class MessagesLate:
    """``count`` messages of ``user`` already reported lost arrived after all (overtaken)."""

    user: str
    count: int


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The link changed state: ``code`` is a :mod:`papo.i18n` key, e.g. ``"connected"``,
    ``"reconnecting"``, ``"disconnected"``; ``details`` fill its text."""

    code: str
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NickChanged:
    """The room accepted a new nick for the local user (after a ``type: nick`` message)."""

    nick: str


EventT = TypeVar("EventT")


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """Messages of the room's past that peers sent and this node did not have, oldest first
    (serverless rooms only: see :mod:`papo.transport.catch_up`)."""

    messages: tuple[ChatMessage, ...]


TransportEvent = (
    Delivered | Dropped | RosterChanged | MessagesLost | MessagesLate | StatusChanged | NickChanged
)

#: What :meth:`ChatTransport.events` yields: transport events, and a serverless room's
#: catch-up.
RoomEvent = TransportEvent | CaughtUp


@runtime_checkable
class ChatTransport(Protocol):
    """A way to reach a chat room, used by :mod:`papo.session` and the user interfaces.

    Lifecycle: ``await open()``, then any number of ``await send(message)`` while
    ``async for event in events()`` runs in another task; ``await close()`` ends
    ``events()``. ``send`` raises :class:`~papo.errors.PapoError` subclasses only.

    Rules every transport keeps:

    - It is built with the local nick; ``open()`` joins the room with it (and may raise
      ConfigError, e.g. a nick already taken, with a suggestion in the details).
    - ``send`` takes messages of type chat, me, private (``to`` set), nick (``data`` is
      the new nick; the transport answers with :class:`NickChanged` or a refusal) and
      leave. ``close()`` after a leave message is how the user quits.
    - It never delivers the local user's own messages back (the UI echoes them itself),
      and delivers every other message at most once.
    - It keeps :class:`RosterChanged` up to date (``/who`` shows the latest roster).
    """

    async def open(self) -> None:
        """Connect / join; raise ConfigError or NetworkError with a one-line reason."""

    async def send(self, message: ChatMessage) -> None:
        """Send one message to the room (the transport splits/frames it as needed)."""

    def events(self) -> AsyncIterator[RoomEvent]:
        """Everything that arrives, until :meth:`close`."""
        ...

    async def close(self) -> None:
        """Leave the room and release every resource; safe to call twice."""


_END = object()


class EventQueue(Generic[EventT]):
    """The events a transport has for its reader, bounded, then the end.

    :meth:`put` drops an event when ``max_size`` are already waiting (the reader is not
    keeping up: better lose one line than all memory) and counts it in
    :attr:`overflowed`; :meth:`end` always gets through, so :meth:`events` always ends.
    """

    def __init__(self, max_size: int) -> None:
        self._max_size = max_size
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        #: Events dropped because the reader was behind.
        self.overflowed = 0

    def put(self, event: EventT) -> None:
        """Queue ``event`` (dropped and counted if the queue is full)."""
        if self._queue.qsize() >= self._max_size:
            self.overflowed += 1
            return
        self._queue.put_nowait(event)

    def end(self) -> None:
        """No more events: :meth:`events` stops after the ones queued."""
        self._queue.put_nowait(_END)

    async def events(self) -> AsyncIterator[EventT]:
        """The queued events in order, until :meth:`end`."""
        while True:
            event = await self._queue.get()
            if event is _END:
                return
            yield event  # type: ignore[misc]
