"""The handout's multicast roles (sans-I/O): the sender (emissor) and the receiver (receptor).

Sessions take bytes and typed text in and give events and bytes to send out; the
caller does the I/O. This keeps every rule of the chat testable without sockets.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from papo.errors import DecodeError
from papo.protocol.codec import LineEncoder, decode, encode, split_text
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import ChatMessage
from papo.protocol.ratelimit import SourceRateLimiter, notice_error
from papo.protocol.sealed import Sealer

# Re-exported: the receiver's sequence rules were first written here and are part of its API.
from papo.protocol.sequence import (  # noqa: F401
    MAX_TRACKED_SENDERS,
    SEQUENCE_WINDOW,
    SequenceTracker,
    SequenceVerdict,
)
from papo.protocol.text import clean_input, validate_nick

#: The handout's stop word: typed on a sender, it ends every receiver.
QUIT_WORD = "sair"

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
        self._lines = LineEncoder(self.nick, self.node)
        self._next_seq = 1

    def compose(self, text: str) -> list[bytes]:
        """The datagrams that carry ``text`` (several if it does not fit 1024 bytes).

        Raises :class:`~papo.errors.InputError` if the text is too long to send.
        """
        text = clean_input(text)
        first_seq = self._next_seq
        ts = round(self._clock(), 3)
        limits = self._limits
        # The common case, a line that fits one datagram, is encoded once and directly;
        # what split_text would do with it is exactly this (tests check byte equality).
        # A text longer than the budget in characters cannot fit (each takes a byte).
        if len(text) <= min(limits.send_datagram_bytes, limits.max_input_chars):
            datagram = self._lines.encode(text, first_seq, ts)
            if len(datagram) <= limits.send_datagram_bytes:
                self._next_seq += 1
                return [self._seal.seal(datagram) if self._seal is not None else datagram]

        def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
            return self._lines.message(chunk, first_seq + (part or 1) - 1, ts, part, parts)

        messages = split_text(text, build, limits)
        self._next_seq += len(messages)
        if self._seal is not None:
            return [self._seal.seal(encode(message)) for message in messages]
        return [encode(message) for message in messages]

    def farewell(self) -> bytes:
        """The datagram that says the stop word, ending every receiver."""
        (datagram,) = self.compose(QUIT_WORD)
        return datagram


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
        # said once per episode (of a source, a host or the group), not once per datagram
        notices: list[Event] = [
            Rejected(notice_error(notice, self._rate_limit), source) for notice in decision.notices
        ]
        if not decision.allowed:
            self.rejected += 1
            return notices
        if notices:
            return [*notices, *self._receive_allowed(payload, source)]
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
