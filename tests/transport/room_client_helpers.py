"""A TcpRoomClient opened for a test, and its events read in the background."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from papo.protocol.message import MessageType
from papo.transport.base import Delivered, StatusChanged, TransportEvent
from papo.transport.tcp_client import RoomClientConfig, TcpRoomClient

#: Reconnect at once and without jitter, so reconnect tests take a fraction of a second.
FAST = RoomClientConfig(reconnect_initial=0.05, reconnect_max=0.2, jitter=lambda delay: delay)


class Events:
    """Reads a transport's events in the background; tests wait for the one they expect."""

    def __init__(self, client: TcpRoomClient) -> None:
        self.seen: list[TransportEvent] = []
        self._queue: asyncio.Queue[TransportEvent | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump(client.events()))

    async def _pump(self, events: AsyncIterator[TransportEvent]) -> None:
        async for event in events:
            await self._queue.put(event)
        await self._queue.put(None)

    async def until(
        self, predicate: Callable[[TransportEvent], bool], timeout: float = 5.0
    ) -> TransportEvent:
        async with asyncio.timeout(timeout):
            while True:
                event = await self._queue.get()
                assert event is not None, f"events ended; seen {self.seen}"
                self.seen.append(event)
                if predicate(event):
                    return event

    async def ended(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while (event := await self._queue.get()) is not None:
                self.seen.append(event)


async def opened(
    port: int, nick: str = "ana", config: RoomClientConfig | None = None
) -> tuple[TcpRoomClient, Events]:
    """A client of the room server on 127.0.0.1:``port``, joined as ``nick``, and its events."""
    client = TcpRoomClient("127.0.0.1", port, nick, config=config)
    await client.open()
    return client, Events(client)


def status(code: str) -> Callable[[TransportEvent], bool]:
    return lambda event: isinstance(event, StatusChanged) and event.code == code


def delivered(kind: str = MessageType.CHAT) -> Callable[[TransportEvent], bool]:
    return lambda event: isinstance(event, Delivered) and event.message.type == kind


def delivered_text(text: str) -> Callable[[TransportEvent], bool]:
    return lambda event: isinstance(event, Delivered) and event.message.data == text
