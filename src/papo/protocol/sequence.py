"""Per-sender sequence numbers as a receiver hears them (pure): lost, duplicated, late.

Every datagram of a serverless sender carries its run's ``node`` and a ``seq`` counting
from 1. Over UDP some never arrive, some arrive twice, some overtake others; the
:class:`SequenceTracker` turns the numbers into exact counts, for any transport that
stamps ``node``/``seq``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

#: How many distinct senders a receiver tracks sequence numbers for (oldest forgotten).
MAX_TRACKED_SENDERS = 1024

#: How many sequence numbers behind a sender's newest one a receiver remembers: within
#: it a repeat is dropped as a duplicate and an overtaken message is recognised as late;
#: older ones are dropped as duplicates (1 024 covers any reordering a LAN produces).
SEQUENCE_WINDOW = 1024


#: Open gaps (messages not yet arrived) tracked per sender by :class:`GapTracker`;
#: a wider gap is counted lost at once.
MAX_MISSING_PER_NODE = 1024


@dataclass(frozen=True, slots=True)
class SequenceVerdict:
    """What one sequence number says about a sender's stream (see :class:`SequenceTracker`)."""

    #: Numbers skipped by this one, reported lost now.
    missing: int = 0
    #: Already seen (a duplicated datagram), or too old to tell: drop it, do not show it.
    duplicate: bool = False
    #: Fills a gap already reported lost (it was overtaken): show it, and take it back.
    late: bool = False


class SequenceTracker:
    """Counts lost, duplicated and late messages per sender from ``node``/``seq``.

    A gap is reported as soon as a higher number arrives (the user learns of a loss at
    once). Each sender gets a sliding window of the last :data:`SEQUENCE_WINDOW` numbers
    seen (a bitmap, as in :class:`~papo.protocol.sealed.ReplayWindow`), so a number seen before is a
    duplicate, and a missing number that arrives after all is *late*: shown, and taken
    back from the loss count, so losses minus late arrivals is exactly what never came.
    A number more than the window behind is dropped as a duplicate, like a replay
    window does. Numbers below the first one heard from a sender were never counted
    lost, so they are shown without a correction. Bounded in senders tracked.
    """

    def __init__(
        self, max_senders: int = MAX_TRACKED_SENDERS, window: int = SEQUENCE_WINDOW
    ) -> None:
        if window < 1:
            raise ValueError("the sequence window needs at least one slot")
        self._senders: OrderedDict[str, _SenderSequence] = OrderedDict()
        self._max_senders = max_senders
        self._window = window
        self._mask = (1 << window) - 1

    def classify(self, node: str, seq: int) -> SequenceVerdict:
        """Record ``seq`` from ``node`` and say whether it skips, repeats or fills a gap.

        The window is a bitmap as in :class:`~papo.protocol.sealed.ReplayWindow` (bit
        ``i`` set: number ``top - i`` arrived), kept inline because this runs for every
        datagram: the next number in order costs a shift and no allocation.
        """
        senders = self._senders
        sender = senders.get(node)
        if sender is None:
            senders[node] = _SenderSequence(first=seq, top=seq, bits=1)
            while len(senders) > self._max_senders:
                senders.popitem(last=False)
            return _IN_ORDER
        senders.move_to_end(node)
        top = sender.top
        if seq > top:
            shift = seq - top
            sender.bits = ((sender.bits << shift) | 1) & self._mask if shift < self._window else 1
            sender.top = seq
            return _IN_ORDER if shift == 1 else SequenceVerdict(missing=shift - 1)
        offset = top - seq  # > 0 here: the newest number's own bit is always set
        if offset >= self._window or (sender.bits >> offset) & 1:
            return _DUPLICATE
        sender.bits |= 1 << offset
        if seq < sender.first:  # from before we started listening: never counted lost
            return _IN_ORDER
        return _LATE

    def observe(self, node: str, seq: int) -> int:
        """Record ``seq`` from ``node``; return how many earlier numbers were skipped."""
        return self.classify(node, seq).missing


class GapTracker:
    """Finds messages that never arrived, from each origin node's sequence numbers.

    Copies travel by several paths, so message 5 may overtake message 4: a gap becomes a
    loss only when it is still open ``wait`` seconds later (:meth:`overdue`). Pure: the
    caller passes ``now``. Bounded: at most ``max_nodes`` origins and ``max_missing`` open
    gaps per origin; a wider gap is counted lost at once.
    """

    def __init__(
        self, max_nodes: int = MAX_TRACKED_SENDERS, max_missing: int = MAX_MISSING_PER_NODE
    ) -> None:
        self.max_nodes = max_nodes
        self.max_missing = max_missing
        self._last: OrderedDict[str, int] = OrderedDict()
        self._missing: dict[str, dict[int, float]] = {}
        self._nicks: dict[str, str] = {}
        self._lost_now: dict[str, int] = {}

    def seen(self, node: str, nick: str, seq: int, now: float) -> bool:
        """Message ``seq`` of ``node`` (nick ``nick``) arrived (first copy only).

        True when it filled a gap not yet reported lost (it was only overtaken).
        """
        self._nicks[node] = nick
        last = self._last.get(node)
        if last is None:
            self._last[node] = seq
            self._forget_oldest()
            return False
        self._last.move_to_end(node)
        missing = self._missing.setdefault(node, {})
        if seq > last:
            width = seq - last - 1
            if len(missing) + width > self.max_missing:
                self._lost_now[node] = self._lost_now.get(node, 0) + width
            else:
                for number in range(last + 1, seq):
                    missing[number] = now
            self._last[node] = seq
            return False
        return missing.pop(seq, None) is not None

    def overdue(self, now: float, wait: float) -> list[tuple[str, int]]:
        """``(nick, count)`` of messages missing for over ``wait`` seconds, each told once."""
        counts = dict(self._lost_now)
        self._lost_now.clear()
        for node, missing in self._missing.items():
            late = [number for number, since in missing.items() if now - since > wait]
            for number in late:
                del missing[number]
            if late:
                counts[node] = counts.get(node, 0) + len(late)
        return [(self._nicks.get(node, "?"), count) for node, count in counts.items() if count]

    def open_gaps(self) -> int:
        """How many numbers are missing and not yet reported (or about to be)."""
        return sum(len(missing) for missing in self._missing.values()) + sum(
            self._lost_now.values()
        )

    def _forget_oldest(self) -> None:
        while len(self._last) > self.max_nodes:
            node, _seq = self._last.popitem(last=False)
            self._missing.pop(node, None)
            self._nicks.pop(node, None)


@dataclass(slots=True)
class _SenderSequence:
    """One sender's numbering as heard: the first and highest numbers, and which arrived."""

    first: int
    top: int
    #: Bit ``i`` set: number ``top - i`` arrived (the last ``SEQUENCE_WINDOW`` numbers).
    bits: int


# Verdicts without a count, shared: the common case allocates nothing.
_IN_ORDER = SequenceVerdict()
_DUPLICATE = SequenceVerdict(duplicate=True)
_LATE = SequenceVerdict(late=True)


__all__ = [
    "MAX_MISSING_PER_NODE",
    "MAX_TRACKED_SENDERS",
    "SEQUENCE_WINDOW",
    "GapTracker",
    "SequenceTracker",
    "SequenceVerdict",
]
