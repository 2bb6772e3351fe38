"""A transport that keeps what it sees in the local history: :class:`RecordedTransport`.

It wraps any :class:`~papo.transport.base.ChatTransport` and appends to a
:class:`~papo.store.history.HistoryStore` every message delivered to the user and
every chat line the user sends, under the room's name, then passes everything through
unchanged. Duplicates (a JetStream replay of messages already kept) are stored once.
A history write that fails is reported once as a :class:`StatusChanged` event and
never stops the chat.

It is also the :class:`~papo.transport.catch_up.HistoryKeeper` of a serverless inner
transport (one with ``share_history``, e.g. the multicast room): peers that join are
answered from the store, and the :class:`~papo.transport.catch_up.CaughtUp` messages
this node receives on joining are merged into the store (``store.merge``) before the
event goes on to the window. :meth:`RecordedTransport.recent` serves ``/history``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from papo.errors import PapoError
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.text import clean_input
from papo.store.history import HistoryStore
from papo.transport.base import (
    ChatTransport,
    Delivered,
    NickChanged,
    StatusChanged,
    TransportEvent,
)
from papo.transport.catch_up import SHARED_TYPES, CaughtUp

#: Message types kept in the history: the conversation, not joins, leaves or presence.
RECORDED_TYPES = frozenset(
    {MessageType.CHAT, MessageType.ME, MessageType.PRIVATE, MessageType.SYSTEM}
)


class RecordedTransport:
    """Wraps ``inner`` so the conversation of ``room`` is kept in ``store``."""

    def __init__(
        self,
        inner: ChatTransport,
        store: HistoryStore,
        room: str,
        nick: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inner = inner
        self.store = store
        self.room = room
        self.nick = nick
        self.failed_writes = 0
        self._clock = clock
        share_history = getattr(inner, "share_history", None)
        if share_history is not None:
            share_history(self)

    async def open(self) -> None:
        """Open the wrapped transport."""
        await self.inner.open()

    async def send(self, message: ChatMessage) -> None:
        """Send through the wrapped transport, then keep the line if it was sent."""
        await self.inner.send(message)
        take_sent = getattr(self.inner, "take_sent", None)
        if take_sent is not None:  # the envelopes really sent, with their node and seq
            for sent in take_sent():
                if sent.type in RECORDED_TYPES:
                    self._keep(sent)
        elif message.type in RECORDED_TYPES:
            kept = ChatMessage(
                user=self.nick,
                data=clean_input(message.data),  # as the inner transport sent it
                type=message.type,
                to=message.to,
                ts=round(self._clock(), 3),
            )
            self._keep(kept)

    async def events(self) -> AsyncIterator[TransportEvent | CaughtUp]:
        """The wrapped transport's events, each delivered message kept on the way."""
        async for event in self.inner.events():
            problem = None
            if isinstance(event, NickChanged):
                self.nick = event.nick  # lines sent from now on are kept under it
            if isinstance(event, Delivered) and event.message.type in RECORDED_TYPES:
                problem = self._keep(event.message)
            elif isinstance(event, CaughtUp):
                problem = self._keep(*event.messages)
            if problem is not None:
                yield problem
            yield event

    # -- the history, for the window and for peers --------------------------------------

    def recent(self, count: int) -> list[ChatMessage]:
        """The ``count`` newest kept messages of this room, oldest first (``/history``)."""
        return self.store.last(self.room, count)

    def search(self, text: str, count: int) -> list[ChatMessage]:
        """The ``count`` newest kept messages of this room containing ``text`` (``/search``)."""
        return self.store.search(self.room, text, count)

    def newest_time(self) -> float | None:
        """When the newest kept message of this room was sent (None: nothing kept)."""
        newest = self.store.last(self.room, 1)
        return newest[0].ts if newest else None

    def shared_since(self, since: float) -> list[ChatMessage]:
        """Kept public messages of this room sent after ``since`` (peers' catch-up)."""
        return [m for m in self.store.since(self.room, ts=since) if m.type in SHARED_TYPES]

    async def close(self) -> None:
        """Close the wrapped transport (the store belongs to the caller)."""
        await self.inner.close()

    def _keep(self, *messages: ChatMessage) -> StatusChanged | None:
        try:
            self.store.merge(self.room, messages)
        except PapoError as error:
            self.failed_writes += 1
            if self.failed_writes == 1:
                return StatusChanged(error.code, dict(error.details))
        return None


__all__ = ["RECORDED_TYPES", "RecordedTransport"]
