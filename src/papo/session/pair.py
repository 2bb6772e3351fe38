"""The 1:1 TCP chat of §1 of the handout, as pure rules (sans-I/O).

Two ways to talk, one class each:

- :class:`HandoutPairSession` is the wire behaviour of the programs students write from
  the course videos: the client sends its name as raw UTF-8, the server answers with its
  own, then strict alternation (client, server, client, ...), each message one unframed
  ``send`` that the peer reads with one ``recv(1024)``. ``fim`` or ``sair`` ends the chat.
- :class:`FramedPairSession` (``--moderno``) carries the papo JSON envelope, one object
  per line, full duplex: either side may write at any time.

Sessions take received bytes and typed lines and return events and bytes to send; the
caller does the I/O (see :mod:`papo.ui.pair`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from papo.errors import DecodeError, InputError
from papo.protocol.codec import decode, encode
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage, MessageType
from papo.protocol.text import clean_input, terminal_safe

#: Words that end the 1:1 chat when either side types them (the videos use ``fim``; the
#: handout's multicast chat uses ``sair``), compared ignoring case and surrounding spaces.
QUIT_WORDS = ("fim", "sair")

#: What a side sends when its user leaves without typing a quit word (EOF, Ctrl-C).
FAREWELL_WORD = "fim"

#: The most bytes one message may take on the handout wire: the video programs read each
#: message with one ``recv(1024)``, so anything longer would arrive in pieces and break
#: the alternation. papo refuses to send longer lines (the user types another).
MAX_HANDOUT_MESSAGE_BYTES = 1024

#: The longest peer name shown, in characters (a longer name is cut, never refused).
MAX_PEER_NAME_CHARS = 64

#: How long a side waits for the other's name before giving up, in seconds.
NAME_TIMEOUT_SECONDS = 30.0

#: The largest line accepted in the framed (``--moderno``) mode, in bytes; a longer line
#: is dropped whole and reported.
MAX_FRAMED_LINE_BYTES = DEFAULT_LIMITS.max_datagram_bytes


class Role(StrEnum):
    """Which end of the connection this program is."""

    SERVER = "server"
    CLIENT = "client"


class Phase(StrEnum):
    """Where the conversation is."""

    NAMES = "names"  # exchanging names
    CHAT = "chat"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class PeerNamed:
    """The other side told its name; the chat can start (``Conectado com NOME``)."""

    name: str


@dataclass(frozen=True, slots=True)
class PeerSaid:
    """The other side sent a line of chat (terminal-safe text)."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class PeerEnded:
    """The other side typed a quit word (``text``); the chat is over."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class PeerVanished:
    """The connection ended without a quit word (the peer closed, crashed or was cut)."""

    name: str


@dataclass(frozen=True, slots=True)
class PeerDropped:
    """The other side sent something that is not a valid message (framed mode only)."""

    name: str
    error: DecodeError


PairEvent = PeerNamed | PeerSaid | PeerEnded | PeerVanished | PeerDropped


def is_quit(text: str) -> bool:
    """True when ``text`` is one of :data:`QUIT_WORDS`."""
    return text.strip().casefold() in QUIT_WORDS


def peer_name(raw: str) -> str:
    """A received name made safe to show: stripped, cut, terminal-safe, never empty."""
    name = terminal_safe(raw.strip())[:MAX_PEER_NAME_CHARS]
    return name or "?"


def _is_framed_hello(data: bytes) -> bool:
    """True when a "name" is really the ``join`` line of a ``--moderno`` peer."""
    result = decode(data.strip())
    return isinstance(result, ChatMessage) and not result.plain and result.type == MessageType.JOIN


class HandoutPairSession:
    """The video programs' 1:1 chat: names first, then strict alternation, unframed.

    ``receive`` takes the result of one ``recv(1024)`` (``b""`` when the peer closed);
    ``compose`` takes one typed line when :attr:`my_turn` is true. Bytes to send
    (the local name, replies) are collected in :meth:`outgoing`.
    """

    def __init__(self, role: Role, name: str) -> None:
        self.role = role
        self.name = name
        self.peer = "?"
        self.phase = Phase.NAMES
        self._my_turn = False
        self._outbox: list[bytes] = []
        if role == Role.CLIENT:
            self._outbox.append(name.encode("utf-8"))

    @property
    def my_turn(self) -> bool:
        """True when the local user may send the next message."""
        return self.phase == Phase.CHAT and self._my_turn

    @property
    def ended(self) -> bool:
        """True once either side ended the chat or the connection dropped."""
        return self.phase == Phase.ENDED

    def outgoing(self) -> list[bytes]:
        """Take the payloads to send now, each one ``send`` on the socket, in order."""
        out, self._outbox = self._outbox, []
        return out

    def receive(self, data: bytes) -> list[PairEvent]:
        """Handle one ``recv`` result from the peer; ``b""`` means it closed."""
        if self.phase == Phase.ENDED:
            return []
        if not data:
            self.phase = Phase.ENDED
            return [PeerVanished(self.peer)]
        text = data.decode("utf-8", "replace")
        if self.phase == Phase.NAMES:
            if _is_framed_hello(data):
                self.phase = Phase.ENDED
                return [PeerDropped(self.peer, DecodeError("pair_peer_is_framed"))]
            self.peer = peer_name(text)
            self.phase = Phase.CHAT
            if self.role == Role.SERVER:
                self._outbox.append(self.name.encode("utf-8"))
            self._my_turn = self.role == Role.CLIENT
            return [PeerNamed(self.peer)]
        # Out of turn data is still shown: a peer may type twice in a row, it is not an error.
        self._my_turn = True
        shown = terminal_safe(text.rstrip("\r\n"))
        if is_quit(text):
            self.phase = Phase.ENDED
            return [PeerEnded(self.peer, shown)]
        return [PeerSaid(self.peer, shown)]

    def compose(self, line: str) -> bytes | None:
        """The payload for one typed line, or None when there is nothing to send.

        Raises :class:`~papo.errors.InputError` when the line is longer than
        :data:`MAX_HANDOUT_MESSAGE_BYTES`; the turn stays with the local user.
        """
        if not self.my_turn:
            raise RuntimeError("compose() called when it is not the local user's turn")
        text = clean_input(line.rstrip("\r\n"))
        if not text.strip():
            return None  # an empty send() would reach nobody and stall both sides
        if is_quit(text):
            text = text.strip().casefold()  # the video programs compare with == "fim"
        payload = text.encode("utf-8")
        if len(payload) > MAX_HANDOUT_MESSAGE_BYTES:
            raise InputError("pair_too_long", size=len(payload), max=MAX_HANDOUT_MESSAGE_BYTES)
        self._my_turn = False
        if is_quit(text):
            self.phase = Phase.ENDED
        return payload

    def farewell(self) -> bytes | None:
        """The payload that ends the chat when the user leaves (EOF, Ctrl-C), if any."""
        if self.phase != Phase.CHAT:
            self.phase = Phase.ENDED
            return None
        self.phase = Phase.ENDED
        return FAREWELL_WORD.encode("utf-8")


class FramedPairSession:
    """The ``--moderno`` 1:1 chat: papo JSON envelope, newline-delimited, full duplex.

    Each side first sends a ``join`` message carrying its name; then chat messages in
    either direction at any time. A chat message whose text is a quit word ends it.
    """

    def __init__(
        self, name: str, limits: Limits = DEFAULT_LIMITS, max_line: int = MAX_FRAMED_LINE_BYTES
    ) -> None:
        self.name = name
        self.peer = "?"
        self.phase = Phase.NAMES
        self._limits = limits
        self._max_line = max_line
        self._buffer = bytearray()
        self._discarding = False

    @property
    def ended(self) -> bool:
        """True once either side ended the chat or the connection dropped."""
        return self.phase == Phase.ENDED

    def hello(self) -> bytes:
        """The first line to send: a ``join`` message with the local name."""
        return self._line(ChatMessage(user=self.name, data="", type=MessageType.JOIN))

    def compose(self, line: str) -> bytes | None:
        """The line to send for one typed line, or None when there is nothing to send.

        Raises :class:`~papo.errors.InputError` when the text is too long.
        """
        text = clean_input(line.rstrip("\r\n"))
        if not text.strip():
            return None
        if len(text) > self._limits.max_text_chars:
            raise InputError("input_too_long", length=len(text), max=self._limits.max_text_chars)
        if is_quit(text):
            self.phase = Phase.ENDED
        return self._line(ChatMessage(user=self.name, data=text))

    def farewell(self) -> bytes | None:
        """The line that ends the chat when the user leaves (EOF, Ctrl-C), if any."""
        if self.phase == Phase.ENDED:
            return None
        self.phase = Phase.ENDED
        return self._line(ChatMessage(user=self.name, data=FAREWELL_WORD))

    def receive(self, data: bytes) -> list[PairEvent]:
        """Handle bytes from the peer (any split); ``b""`` means it closed."""
        if self.phase == Phase.ENDED:
            return []
        if not data:
            self.phase = Phase.ENDED
            return [PeerVanished(self.peer)]
        events: list[PairEvent] = []
        self._buffer += data
        start = self._buffer.lstrip()[:1]
        if self.phase == Phase.NAMES and start and start != b"{":
            self.phase = Phase.ENDED  # a handout-mode peer: its name is bare text
            return [PeerDropped(self.peer, DecodeError("pair_peer_not_framed"))]
        while self.phase != Phase.ENDED:
            newline = self._buffer.find(b"\n")
            if newline < 0:
                if len(self._buffer) > self._max_line:
                    self._buffer.clear()
                    if not self._discarding:
                        self._discarding = True
                        events.append(self._too_long())
                break
            line = bytes(self._buffer[:newline])
            del self._buffer[: newline + 1]
            if self._discarding:
                self._discarding = False  # the tail of a line already reported
                continue
            if len(line) > self._max_line:
                events.append(self._too_long())
                continue
            if line.strip():
                events.extend(self._handle_line(line))
        return events

    def _too_long(self) -> PeerDropped:
        return PeerDropped(self.peer, DecodeError("pair_line_too_long", max=self._max_line))

    def _handle_line(self, line: bytes) -> list[PairEvent]:
        result = decode(line, self.peer, self._limits)
        if isinstance(result, DecodeError):
            return [PeerDropped(self.peer, result)]
        if result.type == MessageType.JOIN:
            if self.phase != Phase.NAMES:
                return []
            self.peer = peer_name(result.user)
            self.phase = Phase.CHAT
            return [PeerNamed(self.peer)]
        if result.type not in (MessageType.CHAT, MessageType.ME):
            return []
        events: list[PairEvent] = []
        if self.phase == Phase.NAMES:  # a peer that skipped the join still gets a name
            self.peer = peer_name(result.user)
            self.phase = Phase.CHAT
            events.append(PeerNamed(self.peer))
        text = terminal_safe(result.data)
        if result.type == MessageType.CHAT and is_quit(result.data):
            self.phase = Phase.ENDED
            events.append(PeerEnded(self.peer, text))
        else:
            events.append(PeerSaid(self.peer, text))
        return events

    def _line(self, message: ChatMessage) -> bytes:
        stamped = ChatMessage(
            user=message.user, data=message.data, type=message.type, v=PROTOCOL_VERSION
        )
        return encode(stamped) + b"\n"
