"""Putting split messages back together (sans-I/O, bounded, with a deadline).

papo splits a long line into parts that each fit one 1024-byte datagram
(:func:`papo.protocol.codec.split_text`); the parts carry ``part``/``parts`` and
consecutive ``seq`` numbers. :class:`Reassembler` shows them as the one message they
were. Parts that never complete are shown as they are, with their ``[i/n]`` tags,
once :data:`SPLIT_TIMEOUT` passes or when too many splits wait at once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

from papo.protocol.limits import MAX_INPUT_CHARS
from papo.protocol.message import ChatMessage

#: Split messages waiting for their missing parts, at most; beyond, the oldest is shown
#: as it is.
MAX_PENDING_SPLITS = 32

#: Seconds to wait for the rest of a split message before showing the parts that came.
SPLIT_TIMEOUT = 5.0

#: The longest text put back together; a longer split (only a hostile sender makes one,
#: papo never sends more than ``MAX_INPUT_CHARS``) is shown part by part.
MAX_ASSEMBLED_CHARS = MAX_INPUT_CHARS

_SplitKey = tuple[str, str, str, str, int, int]


@dataclass(slots=True)
class _Pending:
    first_seen: float
    total: int
    parts: dict[int, ChatMessage] = field(default_factory=dict)
    chars: int = 0

    def in_order(self) -> list[ChatMessage]:
        return [self.parts[index] for index in sorted(self.parts)]


class Reassembler:
    """Collects the parts of split messages; gives back whole messages in arrival order."""

    def __init__(
        self,
        *,
        max_pending: int = MAX_PENDING_SPLITS,
        timeout: float = SPLIT_TIMEOUT,
        max_chars: int = MAX_ASSEMBLED_CHARS,
    ) -> None:
        self._pending: OrderedDict[_SplitKey, _Pending] = OrderedDict()
        self._max_pending = max_pending
        self._timeout = timeout
        self._max_chars = max_chars

    def add(self, message: ChatMessage, now: float) -> list[ChatMessage]:
        """The messages to show now that ``message`` arrived (maybe none, maybe several)."""
        ready = self.expire(now)
        if not message.parts or message.parts < 2 or not message.part or message.seq is None:
            return [*ready, message]
        key: _SplitKey = (
            message.node or message.source or "",
            message.user,
            str(message.type),
            message.to or "",
            message.seq - message.part + 1,
            message.parts,
        )
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(now, message.parts)
        if message.part in pending.parts:
            return ready  # a duplicate datagram
        pending.parts[message.part] = message
        pending.chars += len(message.data)
        if pending.chars > self._max_chars:
            del self._pending[key]
            return [*ready, *pending.in_order()]
        if len(pending.parts) == pending.total:
            del self._pending[key]
            parts = pending.in_order()
            whole = "".join(part.data for part in parts)
            return [*ready, replace(parts[0], data=whole, part=None, parts=None)]
        while len(self._pending) > self._max_pending:
            _key, oldest = self._pending.popitem(last=False)
            ready.extend(oldest.in_order())
        return ready

    def expire(self, now: float) -> list[ChatMessage]:
        """The parts of splits older than the timeout, as they are, oldest first."""
        stale = [k for k, p in self._pending.items() if now - p.first_seen > self._timeout]
        ready: list[ChatMessage] = []
        for key in stale:
            ready.extend(self._pending.pop(key).in_order())
        return ready

    def __len__(self) -> int:
        return len(self._pending)
