"""A transport that keeps what it sees in the local history: :class:`RecordedTransport`.

It wraps any :class:`~papo.transport.base.ChatTransport` and appends to a
:class:`~papo.store.history.HistoryStore` every message delivered to the user and
every chat line the user sends, under the room's name, then passes everything through
unchanged. Duplicates (a JetStream replay of messages already kept) are stored once.
A history write that fails is reported once as a :class:`StatusChanged` event and
never stops the chat.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from papo.errors import PapoError
from papo.protocol.message import ChatMessage, MessageType
from papo.store.history import HistoryStore
from papo.transport.base import ChatTransport, Delivered, StatusChanged, TransportEvent

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
                data=message.data,
                type=message.type,
                to=message.to,
                ts=round(self._clock(), 3),
            )
            self._keep(kept)

    async def events(self) -> AsyncIterator[TransportEvent]:
        """The wrapped transport's events, each delivered message kept on the way."""
        async for event in self.inner.events():
            if isinstance(event, Delivered) and event.message.type in RECORDED_TYPES:
                problem = self._keep(event.message)
                if problem is not None:
                    yield problem
            yield event

    async def close(self) -> None:
        """Close the wrapped transport (the store belongs to the caller)."""
        await self.inner.close()

    def _keep(self, message: ChatMessage) -> StatusChanged | None:
        try:
            self.store.append(self.room, message)
        except PapoError as error:
            self.failed_writes += 1
            if self.failed_writes == 1:
                return StatusChanged(error.code, dict(error.details))
        return None


__all__ = ["RECORDED_TYPES", "RecordedTransport"]
