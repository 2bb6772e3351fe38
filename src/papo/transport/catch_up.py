"""What serverless transports need to catch a joining node up: a keeper and an event.

A transport with no server (the multicast room) cannot ask anyone in charge for the
room's past, so each node answers from its own history. The history lives above the
transport (:class:`~papo.transport.recorded.RecordedTransport` owns the store), so the
transport is given a :class:`HistoryKeeper` and reports what it caught up as one
:class:`CaughtUp` event, which the recorder merges into the store and the window shows
as scroll-back, once.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Protocol

from papo.protocol.message import ChatMessage, MessageType

#: Message types a node shares with peers that ask: the public conversation only.
#: Private messages stay with the two people who exchanged them.
SHARED_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.SYSTEM})


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """Messages of the room's past that peers sent and this node did not have, oldest first."""

    messages: tuple[ChatMessage, ...]


class AnswerGate:
    """Whom a member answers with its history: each requester once, and at most ``limit``
    requesters per ``window`` seconds, so forged requests cannot make it an amplifier.

    Shared by every serverless room (multicast, mesh); bounded: at most ``capacity``
    requesters are remembered (the oldest forgotten).
    """

    def __init__(self, limit: int, window: float, capacity: int) -> None:
        self._limit = limit
        self._window = window
        self._capacity = capacity
        self._answered: OrderedDict[str, None] = OrderedDict()
        self._times: deque[float] = deque()
        #: Requests left unanswered because of the rate limit.
        self.refused = 0

    def admit(self, requester: str, now: float) -> bool:
        """True when ``requester`` should be answered now (and remember that it was)."""
        if requester in self._answered:
            return False
        while self._times and now - self._times[0] >= self._window:
            self._times.popleft()
        if len(self._times) >= self._limit:
            self.refused += 1
            return False
        self._times.append(now)
        self._answered[requester] = None
        while len(self._answered) > self._capacity:
            self._answered.popitem(last=False)
        return True


class HistoryKeeper(Protocol):
    """The local history of one room, as a transport sees it."""

    def newest_time(self) -> float | None:
        """When the newest kept message was sent (None: nothing kept)."""
        ...

    def shared_since(self, since: float) -> list[ChatMessage]:
        """Kept messages of :data:`SHARED_TYPES` sent after ``since``, oldest first."""
        ...


__all__ = ["SHARED_TYPES", "CaughtUp", "HistoryKeeper"]
