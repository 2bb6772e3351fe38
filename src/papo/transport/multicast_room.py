"""The multicast chat room: every papo and every handout program on one group is one room.

:class:`MulticastRoomTransport` implements :class:`~papo.transport.base.ChatTransport` on
asyncio over the sockets of :mod:`papo.transport.multicast`. There is no server, so the
room is kept by everybody:

- ``open()`` sends a ``join``; everyone who hears it answers with a ``presence``, so the
  newcomer learns the roster at once;
- every :data:`PRESENCE_INTERVAL` seconds each member sends a small ``presence``
  heartbeat; a member silent for :data:`PRESENCE_TIMEOUT` seconds is dropped from the
  roster (it crashed or its network went away). Presence travels on the next port
  (:func:`presence_port`), so handout receivers, which print every datagram on the chat
  port, never show heartbeats;
- ``close()`` sends a ``leave`` whose text is :data:`LEAVE_TEXT`, never the handout's
  ``sair``, which would stop every handout receiver on the group;
- catch-up (when given a :class:`~papo.transport.catch_up.HistoryKeeper` by
  :meth:`MulticastRoomTransport.share_history`): on joining, a ``history-request`` goes
  to the presence port; every member with a history answers there with at most
  :data:`~papo.protocol.history.CATCH_UP_MAX_MESSAGES` ``history`` messages addressed
  (``to``) to the requester's node id, once per requester. Answers that arrive within
  :data:`CATCH_UP_WINDOW` seconds are merged by message id (:class:`CatchUp`) and
  reported once as a :class:`~papo.transport.catch_up.CaughtUp` event. Handout
  receivers listen on the chat port only, so they never see any of it.

Programs written to the handout send ``{"user", "data"}`` without node ids: they are
tracked by source address, and their ``sair`` is delivered like any line (the session
shows it as that user leaving). Sequence numbers per node reveal lost datagrams.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from papo.errors import ConfigError, DecodeError, InputError, NetworkError
from papo.protocol.codec import decode, encode
from papo.protocol.history import (
    HISTORY_REQUEST_TYPE,
    HISTORY_TYPE,
    history_answers,
    history_request,
)
from papo.protocol.limits import DEFAULT_LIMITS, MAX_DATAGRAM_BYTES, Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage, MessageType
from papo.protocol.ratelimit import SendPacer, SourceRateLimiter, notice_error
from papo.protocol.rooms import fold_room, room_key
from papo.protocol.roster import MAX_ROSTER_MEMBERS, Roster
from papo.protocol.sequence import GapTracker, SequenceTracker
from papo.protocol.stamp import EnvelopeStamper
from papo.protocol.text import clean_input, validate_nick
from papo.transport.base import (
    Delivered,
    Dropped,
    EventQueue,
    MessagesLate,
    MessagesLost,
    NickChanged,
    RosterChanged,
    StatusChanged,
    TransportEvent,
)
from papo.transport.catch_up import (
    AnswerGate,
    CatchUpWindow,
    CaughtUp,
    HistoryKeeper,
    history_to_share,
)
from papo.transport.multicast import (
    MulticastConfig,
    MulticastReceiver,
    MulticastSender,
    format_address,
)
from papo.transport.pacing import wait_for_turn

if TYPE_CHECKING:
    from papo.protocol.nickkeys import Signer

#: Seconds between two presence heartbeats of one member.
PRESENCE_INTERVAL = 30.0

#: Seconds of silence after which a member leaves the roster (three missed heartbeats).
PRESENCE_TIMEOUT = 95.0

#: The ``type`` of the heartbeat (sent only on the presence port).
PRESENCE_TYPE = "presence"

#: Presence goes to the chat port plus this (minus it for port 65535), away from the
#: chat port that handout receivers listen on.
PRESENCE_PORT_OFFSET = 1

#: Text of the join message (what a handout receiver prints after ``nick:``).
JOIN_TEXT = "entrou / joined"

#: Text of the leave message: a human sentence, never the handout's stop word ``sair``.
LEAVE_TEXT = "saiu / left"

#: Events waiting for the session; beyond this, new events are dropped and counted.
EVENT_QUEUE_SIZE = 1024

#: Datagrams read per wake-up of the event loop, so a flood cannot starve the keyboard.
MAX_DATAGRAMS_PER_WAKEUP = 64

#: Distinct senders whose sequence numbers are tracked (oldest forgotten).
MAX_TRACKED_NODES = 1024

#: Seconds a gap in a sender's numbering may stay open before it is reported lost: UDP
#: may deliver a datagram after a later one, and such a datagram is late, not lost.
LOSS_REPORT_DELAY = 2.0

#: Seconds after joining during which peers' history answers are collected; later
#: answers are ignored (the scroll-back is shown once, when the window closes).
CATCH_UP_WINDOW = 1.5

#: Requesters (node ids) remembered as already answered, so a repeated or replayed
#: request never makes this node send its history twice (oldest forgotten).
CATCH_UP_ANSWERED_CAPACITY = 256

#: Catch-up requests one member answers per :data:`CATCH_UP_RATE_SECONDS` at most (from
#: any requesters), so forged requests cannot turn a member into a datagram amplifier.
CATCH_UP_MAX_ANSWERED = 20

#: The window of :data:`CATCH_UP_MAX_ANSWERED`, in seconds.
CATCH_UP_RATE_SECONDS = 60.0

#: Envelopes sent and not yet taken by :meth:`MulticastRoomTransport.take_sent`.
MAX_SENT_KEPT = 256

#: Types that travel on the presence port, never on the chat port.
PRESENCE_PORT_TYPES = frozenset({PRESENCE_TYPE, HISTORY_REQUEST_TYPE, HISTORY_TYPE})

_TEXT_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.PRIVATE})
_QUIT_WORD = "sair"


class Seal(Protocol):
    """What the security layer offers: wrap every datagram sent, unwrap every one received."""

    def seal(self, payload: bytes) -> bytes:
        """The protected form of ``payload``."""
        ...

    def open(self, payload: bytes, source: str) -> bytes | DecodeError:
        """The original payload, or the reason it is refused."""
        ...


def presence_port(config: MulticastConfig) -> int:
    """The UDP port of the room's presence heartbeats."""
    port = config.port + PRESENCE_PORT_OFFSET
    return port if port <= 65535 else config.port - PRESENCE_PORT_OFFSET


class MulticastRoomTransport:
    """A chat room on a multicast group: join, chat, presence, leave (see the module doc)."""

    def __init__(
        self,
        config: MulticastConfig,
        nick: str,
        *,
        seal: Seal | None = None,
        clock: Callable[[], float] = time.time,
        node: str | None = None,
        presence_interval: float = PRESENCE_INTERVAL,
        presence_timeout: float = PRESENCE_TIMEOUT,
        limits: Limits = DEFAULT_LIMITS,
        max_queue: int = EVENT_QUEUE_SIZE,
        room: str | None = None,
    ) -> None:
        import secrets

        self.config = config.validated()
        self.nick = validate_nick(nick, limits.max_nick_chars)
        self.node = node or secrets.token_hex(8)
        self.presence_interval = presence_interval
        self.presence_timeout = presence_timeout
        self.dropped = 0
        self._seal = seal
        self._signer: Signer | None = None
        self._clock = clock
        self._limits = limits
        self._events: EventQueue[TransportEvent | CaughtUp] = EventQueue(max_queue)
        self._roster = Roster(self.nick)
        self._sequences = SequenceTracker(MAX_TRACKED_NODES)
        self._gaps = GapTracker(MAX_TRACKED_NODES)
        self._loss_timer: asyncio.TimerHandle | None = None
        self.loss_report_delay = LOSS_REPORT_DELAY
        self._rate = SourceRateLimiter()
        #: Paces chat, me, private, nick and leave messages (``papo chat``) under the
        #: receivers' per-source limit, as ``papo send`` is paced; heartbeats and
        #: catch-up answers travel on the presence port, a source of their own.
        self.pacer = SendPacer()
        self._pace_clock: Callable[[], float] = time.monotonic
        #: Datagrams dropped because their sequence number was already seen.
        self.duplicates = 0
        #: The room's name (``--room``): stamped on what this node sends; messages
        #: naming another room (one whose group this one happens to share) are dropped.
        self.room = room
        self._room_key = room_key(room) if room is not None else None
        #: Messages of other rooms dropped.
        self.other_rooms = 0
        self._stamper = EnvelopeStamper(self.node, room)
        self._sender: MulticastSender | None = None
        self._presence_sender: MulticastSender | None = None
        self._receivers: list[MulticastReceiver] = []
        self._heartbeat: asyncio.Task[None] | None = None
        self._left = False
        self._closed = False
        self.catch_up_window = CATCH_UP_WINDOW
        self._keeper: HistoryKeeper | None = None
        self._catch_up = CatchUpWindow(self.node, self._limits, self._emit)
        self._answer_gate = AnswerGate(
            CATCH_UP_MAX_ANSWERED, CATCH_UP_RATE_SECONDS, CATCH_UP_ANSWERED_CAPACITY
        )
        self._history_seq = 1
        self._sent: list[ChatMessage] = []

    @property
    def unanswered(self) -> int:
        """Catch-up requests left unanswered by the rate limit."""
        return self._answer_gate.refused

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Join the group and announce ourselves; raise ConfigError or NetworkError."""
        loop = asyncio.get_running_loop()
        presence = replace(self.config, port=presence_port(self.config))
        try:
            self._receivers.append(MulticastReceiver(self.config))
            self._receivers.append(MulticastReceiver(presence))
            self._sender = MulticastSender(self.config)
            self._presence_sender = MulticastSender(presence)
        except BaseException:
            self._release()
            raise
        for receiver, on_presence_port in zip(self._receivers, (False, True), strict=True):
            receiver.socket.setblocking(False)
            loop.add_reader(receiver.fileno(), self._on_readable, receiver, on_presence_port)
        where = {"group": self.config.group, "port": self.config.port}
        if self.room is None:
            self._emit(StatusChanged("chat_connected_multicast", where))
        else:
            self._emit(StatusChanged("chat_connected_multicast_room", {**where, "room": self.room}))
        self._publish_roster(force=True)
        try:
            self._send_control(MessageType.JOIN, JOIN_TEXT)
        except NetworkError:
            self._release()
            raise
        self._heartbeat = asyncio.create_task(self._beat(), name="papo-presence")
        if self._keeper is not None:
            self._request_history(loop)

    def share_history(self, keeper: HistoryKeeper) -> None:
        """Answer peers' catch-up requests from ``keeper`` and catch up on joining."""
        self._keeper = keeper

    def sign_with(self, signer: Signer) -> None:
        """Sign every message this user sends from now on (nick ownership, ``--identity``).

        Each split part is signed on its own, so the send budget shrinks by the signer's
        overhead: a signed part still fits.
        """
        self._signer = signer
        budget = self._limits.send_datagram_bytes - signer.overhead
        self._limits = replace(self._limits, send_datagram_bytes=budget)

    def _signed(self, message: ChatMessage) -> ChatMessage:
        return message if self._signer is None else self._signer.sign(message)

    def take_sent(self) -> list[ChatMessage]:
        """The chat, me and private envelopes sent since the last call (with node and seq)."""
        sent, self._sent = self._sent, []
        return sent

    async def send(self, message: ChatMessage) -> None:
        """Send a chat, me, private, nick or leave message as this user."""
        if self._sender is None or self._closed:
            raise NetworkError("chat_not_connected")
        kind = message.type
        if kind in _TEXT_TYPES:
            if kind == MessageType.PRIVATE and not message.to:
                raise InputError("chat_private_needs_nick")
            await self._send_text(kind, clean_input(message.data), to=message.to)
        elif kind == MessageType.NICK:
            await self._pace()
            self._change_nick(message.data)
        elif kind == MessageType.LEAVE:
            text = message.data if message.data.strip().casefold() != _QUIT_WORD else LEAVE_TEXT
            await self._pace()
            self._send_control(MessageType.LEAVE, text or LEAVE_TEXT)
            self._left = True
        else:
            raise InputError("chat_unsupported_type", type=str(kind))

    async def events(self) -> AsyncIterator[TransportEvent | CaughtUp]:
        """Everything that arrives, until :meth:`close`."""
        async for event in self._events.events():
            yield event

    async def close(self) -> None:
        """Say goodbye (unless already said), stop the heartbeat, close both sockets."""
        if self._closed:
            return
        self._closed = True
        if self._sender is not None and not self._left:
            with contextlib.suppress(NetworkError):
                self._send_control(MessageType.LEAVE, LEAVE_TEXT)
            self._left = True
        self._catch_up.abandon()  # leaving: a scroll-back now would come after the goodbye
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        self._release()
        self._events.end()

    def _release(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loss_timer is not None:
            self._loss_timer.cancel()
            self._loss_timer = None
        for receiver in self._receivers:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(receiver.fileno())
            receiver.close()
        self._receivers.clear()
        for sender in (self._sender, self._presence_sender):
            if sender is not None:
                sender.close()
        self._sender = self._presence_sender = None

    # -- roster ----------------------------------------------------------------------

    def roster(self) -> tuple[str, ...]:
        """The nicks in the room now, sorted, this user included."""
        return self._roster.nicks()

    def last_heard(self, nick: str) -> float | None:
        """When ``nick`` was last heard from (by this transport's clock), or None."""
        return self._roster.last_heard(nick)

    def expire(self, now: float | None = None) -> None:
        """Forget members silent for longer than ``presence_timeout``."""
        self._roster.expire(self._clock() if now is None else now, self.presence_timeout)
        self._publish_roster()

    def _publish_roster(self, force: bool = False) -> None:
        nicks = self._roster.changed(force)
        if nicks is not None:
            self._emit(RosterChanged(nicks))

    # -- sending ---------------------------------------------------------------------

    async def _pace(self) -> None:
        """Wait, if this node is ahead of :attr:`pacer`, so that the receivers' flood
        limit never takes a file piped into ``papo chat`` for a flood (the event loop
        keeps running meanwhile: ``asyncio.sleep``, never ``time.sleep``)."""
        await wait_for_turn(self.pacer, self._pace_clock)

    async def _send_text(self, kind: str, text: str, to: str | None) -> None:
        parts = self._stamper.text(self.nick, kind, text, to, self._clock(), self._limits)
        messages = [self._signed(m) for m in parts]
        for message in messages:
            await self._pace()
            if self._sender is None or self._closed:
                raise NetworkError("chat_not_connected")
            self._transmit(message)
            self._sent.append(message)
            self._catch_up.known(message)
        del self._sent[:-MAX_SENT_KEPT]

    def _send_control(self, kind: str, data: str) -> None:
        envelope = self._stamper.control(self.nick, kind, data, self._clock())
        self._transmit(self._signed(envelope))

    def _send_presence(self) -> None:
        # No sequence number: it travels on another port, so its order against chat
        # messages means nothing and must not look like a loss.
        presence = ChatMessage(
            user=self.nick,
            data="",
            type=PRESENCE_TYPE,
            v=PROTOCOL_VERSION,
            node=self.node,
            room=self.room,
        )
        self._transmit(presence, self._presence_sender)

    def _transmit(self, message: ChatMessage, sender: MulticastSender | None = None) -> None:
        sender = sender or self._sender
        assert sender is not None
        payload = encode(message)
        if self._seal is not None:
            payload = self._seal.seal(payload)
        sender.send(payload)

    # -- catch-up --------------------------------------------------------------------

    def _request_history(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._keeper is not None
        self._catch_up.start()
        request = history_request(
            self.nick,
            self.node,
            self._take_history_seq(1),
            self._keeper.newest_time(),
            round(self._clock(), 3),
        )
        try:
            self._transmit(request, self._presence_sender)
        except NetworkError as error:
            self._catch_up.abandon()
            self._emit(StatusChanged(error.code, dict(error.details)))
            return
        self._catch_up.close_after(loop, self.catch_up_window)

    def _take_history_seq(self, count: int) -> int:
        # Catch-up has its own counter: it travels on the presence port, and taking chat
        # sequence numbers would look like lost messages to everyone else.
        first = self._history_seq
        self._history_seq += count
        return first

    def _answer_history(self, request: ChatMessage, source: str) -> None:
        keeper = None if self._closed else self._keeper
        stored = history_to_share(request, keeper, self._answer_gate, self._clock())
        if isinstance(stored, DecodeError):
            self._drop(stored, source)
            return
        if stored is None:
            return
        assert request.node is not None  # history_to_share refused a request without one
        answers = history_answers(
            stored,
            request.node,
            nick=self.nick,
            node=self.node,
            first_seq=self._history_seq,
            ts=round(self._clock(), 3),
            limits=self._limits,
        )
        self._take_history_seq(len(answers))
        try:
            for answer in answers:
                self._transmit(answer, self._presence_sender)
        except NetworkError as error:
            self._emit(StatusChanged(error.code, dict(error.details)))

    def _change_nick(self, new: str) -> None:
        new = validate_nick(new, self._limits.max_nick_chars)
        if new == self.nick:
            return
        if self._roster.holds(new):
            raise ConfigError("chat_nick_taken", nick=new)
        self._send_control(MessageType.NICK, new)
        self.nick = self._roster.own_nick = new
        self._emit(NickChanged(new))
        self._publish_roster()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.presence_interval)
            try:
                self._send_presence()
            except NetworkError as error:
                self._emit(StatusChanged(error.code, dict(error.details)))
            self.expire()

    # -- receiving -------------------------------------------------------------------

    def _on_readable(self, receiver: MulticastReceiver, on_presence_port: bool) -> None:
        sock = receiver.socket
        for _ in range(MAX_DATAGRAMS_PER_WAKEUP):
            try:
                payload, address = sock.recvfrom(MAX_DATAGRAM_BYTES + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._emit(StatusChanged("chat_receive_failed", {"reason": exc.strerror or exc}))
                return
            self.receive_datagram(payload, format_address(address), on_presence_port)

    def receive_datagram(self, payload: bytes, source: str, on_presence_port: bool = False) -> None:
        """Handle one datagram from ``source`` (the sockets call this; tests may too).

        The presence port carries only heartbeats and the chat port everything else, so
        a room on the next port up never mixes with this one. A source over its rate
        (:class:`~papo.protocol.ratelimit.SourceRateLimiter`) is dropped, said once.
        """
        # Keyed by host and port, like the handout receiver: on one classroom machine
        # every program shares the host, and one flooding socket must not mute them.
        # Behind it, a budget per host (a new socket per datagram) and one in total with
        # fair shares (many flooders at once): see papo.protocol.ratelimit.
        decision = self._rate.check(source, time.monotonic())
        for notice in decision.notices:
            self._emit(Dropped(notice_error(notice, self._rate), source))
        if not decision.allowed:
            self.dropped += 1
            return
        if self._seal is not None:
            opened = self._seal.open(payload, source)
            if isinstance(opened, DecodeError):
                self._drop(opened, source)
                return
            payload = opened
        result = decode(payload, source, self._limits)
        if isinstance(result, DecodeError):
            self._drop(result, source)
            return
        if result.node is not None and result.node == self.node:
            return  # our own datagram, looped back by the kernel
        if on_presence_port != (result.type in PRESENCE_PORT_TYPES):
            return  # another room's traffic on a port this room shares with it
        if (
            self._room_key is not None
            and result.room is not None
            and fold_room(result.room) != self._room_key
        ):
            # A named room whose group this one happens to share: not ours. (The
            # handout's unnamed room takes all, bridged NATS rooms included.)
            self.other_rooms += 1
            return
        if result.type == HISTORY_REQUEST_TYPE:
            self._answer_history(result, source)
        elif result.type == HISTORY_TYPE:
            self._catch_up.receive(result)
        else:
            self._handle_message(result, source)

    def report_losses(self, now: float | None = None) -> None:
        """Report as lost the gaps open for over :attr:`loss_report_delay` (a timer calls it)."""
        self._loss_timer = None
        now = self._clock() if now is None else now
        for nick, count in self._gaps.overdue(now, self.loss_report_delay):
            self._emit(MessagesLost(nick, count))
        if self._gaps.open_gaps():
            self._schedule_loss_report()

    def _schedule_loss_report(self) -> None:
        if self._loss_timer is not None or self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the loop (tests): report_losses() by hand
            return
        # A little past the delay, so the gaps that opened now are overdue by then.
        self._loss_timer = loop.call_later(self.loss_report_delay * 1.1, self.report_losses)

    def _drop(self, error: DecodeError, source: str) -> None:
        self.dropped += 1
        self._emit(Dropped(error, source))

    def _handle_message(self, message: ChatMessage, source: str) -> None:
        now = self._clock()
        if message.node is not None and message.seq is not None:
            verdict = self._sequences.classify(message.node, message.seq)
            if verdict.duplicate:
                self.duplicates += 1  # the network delivered it twice: shown once
                return
            filled_open_gap = self._gaps.seen(message.node, message.user, message.seq, now)
            if verdict.late and not filled_open_gap:
                self._emit(MessagesLate(message.user, 1))  # it was reported lost
            if verdict.missing:
                self._schedule_loss_report()
        key = message.node or source
        kind = message.type
        if message.plain:
            self._emit(Delivered(message))
            return
        if kind == MessageType.LEAVE or message.is_quit_word(_QUIT_WORD):
            self._roster.forget(key)
            self._emit(Delivered(message))
            self._publish_roster()
            return
        if kind == MessageType.NICK:
            try:
                new = validate_nick(message.data, self._limits.max_nick_chars)
            except ConfigError:
                self._drop(DecodeError("decode_bad_value", field="data"), source)
                return
            self._roster.touch(key, new, now)
            self._emit(Delivered(message))
            self._publish_roster()
            return
        self._roster.touch(key, message.user, now)
        if kind == MessageType.JOIN:
            self._emit(Delivered(message))
            self._answer_join()
        elif kind == MessageType.PRIVATE:
            if message.to == self.nick:
                self._emit(Delivered(message))
        elif kind in (MessageType.CHAT, MessageType.ME, MessageType.SYSTEM):
            self._emit(Delivered(message))
        self._catch_up.known(message)  # seen live: an answer carrying it is a duplicate
        self._publish_roster()

    def _answer_join(self) -> None:
        if self._sender is None or self._closed:
            return
        try:
            self._send_presence()
        except NetworkError as error:
            self._emit(StatusChanged(error.code, dict(error.details)))

    def _emit(self, event: TransportEvent | CaughtUp) -> None:
        self._events.put(event)

    @property
    def overflowed(self) -> int:
        """Events dropped because the reader was behind."""
        return self._events.overflowed


__all__ = [
    "CATCH_UP_ANSWERED_CAPACITY",
    "CATCH_UP_MAX_ANSWERED",
    "CATCH_UP_RATE_SECONDS",
    "CATCH_UP_WINDOW",
    "EVENT_QUEUE_SIZE",
    "JOIN_TEXT",
    "LEAVE_TEXT",
    "MAX_DATAGRAMS_PER_WAKEUP",
    "MAX_ROSTER_MEMBERS",
    "MAX_SENT_KEPT",
    "PRESENCE_INTERVAL",
    "PRESENCE_PORT_OFFSET",
    "PRESENCE_PORT_TYPES",
    "PRESENCE_TIMEOUT",
    "PRESENCE_TYPE",
    "MulticastRoomTransport",
    "Seal",
    "presence_port",
]
