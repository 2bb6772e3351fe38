"""The handout's multicast roles (sans-I/O): the sender (emissor) and the receiver (receptor).

Sessions take bytes and typed text in and give events and bytes to send out; the
caller does the I/O. This keeps every rule of the chat testable without sockets.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from papo.errors import DecodeError
from papo.protocol.codec import decode, encode, split_text
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage
from papo.protocol.ratelimit import SourceRateLimiter
from papo.protocol.sealed import ReplayWindow, Sealer
from papo.protocol.text import clean_input, validate_nick

#: The handout's stop word: typed on a sender, it ends every receiver.
QUIT_WORD = "sair"

#: How many distinct senders a receiver tracks sequence numbers for (oldest forgotten).
MAX_TRACKED_SENDERS = 1024

#: How many sequence numbers behind a sender's newest one a receiver remembers: within
#: it a repeat is dropped as a duplicate and an overtaken message is recognised as late;
#: older ones are dropped as duplicates (1 024 covers any reordering a LAN produces).
SEQUENCE_WINDOW = 1024

Clock = Callable[[], float]


def new_node_id() -> str:
    """A random id for this program run, so receivers can tell senders apart."""
    return secrets.token_hex(8)


def is_quit_word(text: str, word: str = QUIT_WORD) -> bool:
    """True when ``text`` is the stop word, ignoring case and surrounding spaces."""
    return text.strip().casefold() == word


@dataclass(frozen=True, slots=True)
class Received:
    """A message arrived."""

    message: ChatMessage


@dataclass(frozen=True, slots=True)
class Rejected:
    """A datagram was dropped because it is not a valid message."""

    error: DecodeError
    source: str


@dataclass(frozen=True, slots=True)
class Ended:
    """A sender typed the stop word: the receiver should stop."""

    message: ChatMessage


@dataclass(frozen=True, slots=True)
class Lost:
    """Sequence numbers show that ``count`` messages of ``user`` never arrived."""

    user: str
    node: str
    count: int


@dataclass(frozen=True, slots=True)
class Late:
    """``count`` messages of ``user`` reported lost arrived after all (they were overtaken)."""

    user: str
    node: str
    count: int


Event = Received | Rejected | Ended | Lost | Late


class SenderSession:
    """The handout's *emissor*: turns typed lines into datagrams of ``{"user", "data"}``."""

    def __init__(
        self,
        nick: str,
        *,
        node: str | None = None,
        clock: Clock = time.time,
        limits: Limits = DEFAULT_LIMITS,
        seal: Sealer | None = None,
    ) -> None:
        self.nick = validate_nick(nick, limits.max_nick_chars)
        self.node = node or new_node_id()
        self._clock = clock
        self._seal = seal
        if seal is not None:  # sealed parts must still fit send_datagram_bytes
            limits = replace(limits, send_datagram_bytes=limits.send_datagram_bytes - seal.overhead)
        self._limits = limits
        self._next_seq = 1

    def compose(self, text: str) -> list[bytes]:
        """The datagrams that carry ``text`` (several if it does not fit 1024 bytes).

        Raises :class:`~papo.errors.InputError` if the text is too long to send.
        """
        text = clean_input(text)
        now = self._clock()
        first_seq = self._next_seq

        def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
            return ChatMessage(
                user=self.nick,
                data=chunk,
                v=PROTOCOL_VERSION,
                node=self.node,
                seq=first_seq + (part or 1) - 1,
                ts=round(now, 3),
                part=part,
                parts=parts,
            )

        messages = split_text(text, build, self._limits)
        self._next_seq += len(messages)
        if self._seal is not None:
            return [self._seal.seal(encode(message)) for message in messages]
        return [encode(message) for message in messages]

    def farewell(self) -> bytes:
        """The datagram that says the stop word, ending every receiver."""
        (datagram,) = self.compose(QUIT_WORD)
        return datagram


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
    seen (a :class:`~papo.protocol.sealed.ReplayWindow`), so a number seen before is a
    duplicate, and a missing number that arrives after all is *late*: shown, and taken
    back from the loss count, so losses minus late arrivals is exactly what never came.
    A number more than the window behind is dropped as a duplicate, like a replay
    window does. Numbers below the first one heard from a sender were never counted
    lost, so they are shown without a correction. Bounded in senders tracked.
    """

    def __init__(
        self, max_senders: int = MAX_TRACKED_SENDERS, window: int = SEQUENCE_WINDOW
    ) -> None:
        self._senders: OrderedDict[str, _SenderSequence] = OrderedDict()
        self._max_senders = max_senders
        self._window = window

    def classify(self, node: str, seq: int) -> SequenceVerdict:
        """Record ``seq`` from ``node`` and say whether it skips, repeats or fills a gap."""
        sender = self._senders.get(node)
        if sender is None:
            sender = _SenderSequence(first=seq, top=seq, seen=ReplayWindow(self._window))
        self._senders[node] = sender
        self._senders.move_to_end(node)
        while len(self._senders) > self._max_senders:
            self._senders.popitem(last=False)
        if sender.seen.status(seq) != ReplayWindow.NEW:
            return SequenceVerdict(duplicate=True)
        sender.seen.accept(seq)
        if seq > sender.top:
            missing, sender.top = seq - sender.top - 1, seq
            return SequenceVerdict(missing=missing)
        if seq < sender.first:  # from before we started listening: never counted lost
            return SequenceVerdict()
        return SequenceVerdict(late=seq != sender.top)

    def observe(self, node: str, seq: int) -> int:
        """Record ``seq`` from ``node``; return how many earlier numbers were skipped."""
        return self.classify(node, seq).missing


@dataclass(slots=True)
class _SenderSequence:
    """One sender's numbering as heard: the first and highest numbers, and which arrived."""

    first: int
    top: int
    seen: ReplayWindow


class ReceiverSession:
    """The handout's *receptor*: decodes datagrams into events; never reads input."""

    def __init__(
        self,
        *,
        quit_word: str = QUIT_WORD,
        limits: Limits = DEFAULT_LIMITS,
        seal: Sealer | None = None,
        rate_limit: SourceRateLimiter | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._quit_word = quit_word
        self._limits = limits
        self._seal = seal
        self._rate_limit = rate_limit if rate_limit is not None else SourceRateLimiter()
        self._clock = clock
        self._sequences = SequenceTracker()
        self.rejected = 0
        #: Datagrams dropped because their sequence number was already seen.
        self.duplicates = 0

    def receive(self, payload: bytes, source: str) -> list[Event]:
        """Turn one datagram into events (a message, a rejection, losses, the end)."""
        decision = self._rate_limit.check(source, self._clock())
        if not decision.allowed:
            self.rejected += 1
            if decision.started:  # said once per episode, not once per datagram
                rate = round(self._rate_limit.rate)
                return [Rejected(DecodeError("rate_limited", rate=rate), source)]
            return []
        if decision.ended:
            notice = Rejected(DecodeError("rate_limit_ended", count=decision.dropped), source)
            return [notice, *self._receive_allowed(payload, source)]
        return self._receive_allowed(payload, source)

    def _receive_allowed(self, payload: bytes, source: str) -> list[Event]:
        if self._seal is not None:
            opened = self._seal.open(payload, source)
            if isinstance(opened, DecodeError):
                self.rejected += 1
                return [Rejected(opened, source)]
            payload = opened
        result = decode(payload, source, self._limits)
        if isinstance(result, DecodeError):
            self.rejected += 1
            return [Rejected(result, source)]
        events: list[Event] = []
        if result.node is not None and result.seq is not None:
            verdict = self._sequences.classify(result.node, result.seq)
            if verdict.duplicate:
                self.duplicates += 1
                return events
            if verdict.missing:
                events.append(Lost(result.user, result.node, verdict.missing))
            if verdict.late:
                events.append(Late(result.user, result.node, 1))
        events.append(Ended(result) if result.is_quit_word(self._quit_word) else Received(result))
        return events
