"""What serverless transports need to catch a joining node up: a keeper and an event.

A transport with no server (the multicast room) cannot ask anyone in charge for the
room's past, so each node answers from its own history. The history lives above the
transport (:class:`~papo.transport.recorded.RecordedTransport` owns the store), so the
transport is given a :class:`HistoryKeeper` and reports what it caught up as one
:class:`CaughtUp` event, which the recorder merges into the store and the window shows
as scroll-back, once.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

from papo.errors import DecodeError
from papo.protocol.history import CatchUp, requested_since
from papo.protocol.limits import Limits
from papo.protocol.message import ChatMessage, MessageType
from papo.transport.base import CaughtUp

#: Message types a node shares with peers that ask: the public conversation only.
#: Private messages stay with the two people who exchanged them.
SHARED_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.SYSTEM})


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


class CatchUpWindow:
    """One catch-up after joining: answers are collected while the window is open, then
    handed over once, oldest first, as a :class:`CaughtUp` event.

    Shared by every serverless room (multicast, mesh). ``emit`` receives the event; the
    window closes by itself ``seconds`` after :meth:`close_after`, or at :meth:`close`.
    """

    def __init__(self, node: str, limits: Limits, emit: Callable[[CaughtUp], None]) -> None:
        self._node = node
        self._limits = limits
        self._emit = emit
        self._collecting: CatchUp | None = None
        self._caught: list[ChatMessage] = []
        self._timer: asyncio.TimerHandle | None = None

    @property
    def open(self) -> bool:
        """True while answers are being collected."""
        return self._collecting is not None

    def start(self) -> None:
        """Start collecting answers (a request is about to go out)."""
        self._collecting = CatchUp(self._node, self._limits)

    def close_after(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        """Close the window (and hand over what came) ``seconds`` from now."""
        self._timer = loop.call_later(seconds, self.close)

    def known(self, message: ChatMessage) -> None:
        """``message`` was seen live: an answer carrying it is a duplicate."""
        if self._collecting is not None:
            self._collecting.known(message)

    def receive(self, answer: ChatMessage) -> None:
        """One history answer; kept if it is for this node and the window is open."""
        if self._collecting is None or answer.to != self._node:
            return  # not for us, or the window has closed
        message = self._collecting.receive(answer)
        if message is not None:
            self._caught.append(message)

    def close(self) -> None:
        """Close the window and hand over what came (nothing: no event)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._collecting is None:
            return
        self._collecting = None
        caught, self._caught = self._caught, []
        if caught:
            caught.sort(key=lambda m: (m.ts or 0.0, m.node or "", m.seq or 0))
            self._emit(CaughtUp(tuple(caught)))

    def abandon(self) -> None:
        """Close the window handing nothing over (leaving: a scroll-back would come after
        the goodbye; or the request could not be sent)."""
        self._collecting = None
        self._caught = []
        self.close()


def history_to_share(
    request: ChatMessage, keeper: HistoryKeeper | None, gate: AnswerGate, now: float
) -> list[ChatMessage] | DecodeError | None:
    """What a member answers a ``history-request`` with: the kept public messages since
    the time it asks; None when it does not answer (no history kept, leaving, or the gate
    refuses the requester); a DecodeError for a malformed request (drop and count it)."""
    since = requested_since(request)
    if isinstance(since, DecodeError) or request.node is None:
        return DecodeError("decode_bad_value", field="data")
    if keeper is None or not gate.admit(request.node, now):
        return None
    return [m for m in keeper.shared_since(since) if m.type in SHARED_TYPES]


__all__ = [
    "SHARED_TYPES",
    "AnswerGate",
    "CatchUpWindow",
    "CaughtUp",
    "HistoryKeeper",
    "history_to_share",
]
