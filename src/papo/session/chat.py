"""The everyday chat window's logic, for every transport (sans-I/O, no printing).

:func:`parse_line` turns a typed line into a :data:`Command`; :class:`ChatSession`
turns commands into messages to send plus what to show, and turns
:mod:`papo.transport.base` events into :data:`UiEvent` values a user interface renders.
The handout's ``sair`` means *I leave the room* here; a remote handout sender's
``sair`` is shown as that user leaving.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from papo.errors import ConfigError, PapoError
from papo.protocol.confusables import imitated_nick
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.text import clean_input, validate_nick
from papo.session.identity import Judgement, NickOwnership, Ownership
from papo.session.reassembly import Reassembler
from papo.transport.base import (
    Delivered,
    Dropped,
    MessagesLate,
    MessagesLost,
    NickChanged,
    RosterChanged,
    StatusChanged,
    TransportEvent,
)
from papo.transport.catch_up import CaughtUp

#: Typed to leave the room (the handout's stop word); ``/quit`` does the same.
QUIT_WORD = "sair"

#: The text of the leave message papo sends (never ``sair``: handout receivers stop on it).
LEAVE_TEXT = "saiu / left"

#: The chat commands, in the order ``/help`` lists them.
COMMANDS = ("help", "who", "msg", "nick", "me", "history", "search", "clear", "quit")

#: Transport status codes shown as warnings: something the user typed or expects is lost.
WARNING_STATUS = frozenset(
    {"room_undelivered", "disconnected", "room_server_shutdown", "nats_disconnected"}
)

#: Seconds alone in a room before the chat says how others could be found (once).
ALONE_HINT_SECONDS = 15.0

#: Messages ``/history`` shows when given no number.
DEFAULT_HISTORY_LINES = 20

#: The most messages one ``/search TEXT`` shows (the newest matches).
MAX_SEARCH_RESULTS = 50

#: The most messages one ``/history N`` shows (a larger N shows this many).
MAX_HISTORY_LINES = 500

#: Other names the commands answer to (pt-BR words and short forms).
COMMAND_ALIASES = {
    "h": "help",
    "ajuda": "help",
    "?": "help",
    "w": "who",
    "quem": "who",
    "m": "msg",
    "tell": "msg",
    "q": "quit",
    "exit": "quit",
    "sair": "quit",
    "limpar": "clear",
    "historico": "history",
    "buscar": "search",
    "procurar": "search",
    "s": "search",
    "histórico": "history",
}


_TEXT_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.PRIVATE})

#: Impostor verdicts on received parts remembered until their line is shown.
MAX_JUDGED_MESSAGES = 256

#: Seconds between two notices about replayed signed messages under one nick (the rest
#: are only counted in :attr:`ChatSession.replays_dropped`).
REPLAY_NOTICE_SECONDS = 60.0

#: Nicks whose last replay notice time is remembered (the oldest forgotten first).
MAX_REPLAY_NOTICE_NICKS = 256

#: Status codes a room server's transport sends around the lines it replays to a joiner.
REPLAY_START = "room_history_start"
REPLAY_END = "room_history_end"

#: Every transport's status codes around the room's past replayed to a joiner (the room
#: server's, NATS's stream replay): lines between them are shown and judged as history.
REPLAY_STARTS = frozenset({REPLAY_START, "nats_history_start"})
REPLAY_ENDS = frozenset({REPLAY_END, "nats_history_end"})


# -- commands ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendText:
    """Send ``text`` as a chat line, an action (``me``) or a private message (``to``)."""

    kind: str
    text: str
    to: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeNick:
    """``/nick NEW``."""

    nick: str


@dataclass(frozen=True, slots=True)
class ShowHelp:
    """``/help``."""


@dataclass(frozen=True, slots=True)
class ShowWho:
    """``/who``."""


@dataclass(frozen=True, slots=True)
class ShowHistory:
    """``/history [N]``: show the last ``count`` messages of this room from the history;
    ``/search TEXT``: the last ``count`` of them that contain ``search``."""

    count: int = DEFAULT_HISTORY_LINES
    search: str | None = None


@dataclass(frozen=True, slots=True)
class ClearScreen:
    """``/clear``: wipe the message area (also a UI event)."""


@dataclass(frozen=True, slots=True)
class Leave:
    """``/quit`` or ``sair``: leave the room and close the window."""


@dataclass(frozen=True, slots=True)
class BadCommand:
    """A line starting with ``/`` that is not a known command, or lacks its argument."""

    code: str
    details: Mapping[str, object] = field(default_factory=dict)


Command = (
    SendText | ChangeNick | ShowHelp | ShowWho | ShowHistory | ClearScreen | Leave | BadCommand
)


def parse_line(line: str) -> Command | None:
    """The command a typed line means; None for a blank line.

    ``//text`` sends ``/text`` literally. ``sair`` alone (any case) leaves.
    """
    text = clean_input(line).rstrip("\r\n")
    if not text.strip():
        return None
    if text.strip().casefold() == QUIT_WORD:
        return Leave()
    if text.startswith("//"):
        return SendText(MessageType.CHAT, text[1:])
    if not text.startswith("/"):
        return SendText(MessageType.CHAT, text)
    name, _, rest = text[1:].partition(" ")
    name = COMMAND_ALIASES.get(name.casefold(), name.casefold())
    rest = rest.strip()
    if name == "help":
        return ShowHelp()
    if name == "who":
        return ShowWho()
    if name == "clear":
        return ClearScreen()
    if name == "quit":
        return Leave()
    if name == "history":
        return _history_command(rest)
    if name == "search":
        return ShowHistory(MAX_SEARCH_RESULTS, rest) if rest else BadCommand("chat_usage_search")
    if name == "me":
        return SendText(MessageType.ME, rest) if rest else BadCommand("chat_usage_me")
    if name == "nick":
        return ChangeNick(rest) if rest and " " not in rest else BadCommand("chat_usage_nick")
    if name == "msg":
        target, _, body = rest.partition(" ")
        if not target or not body.strip():
            return BadCommand("chat_usage_msg")
        return SendText(MessageType.PRIVATE, body.strip(), to=target)
    return BadCommand("chat_unknown_command", {"command": "/" + name[:32]})


def _history_command(rest: str) -> ShowHistory | BadCommand:
    """``/history`` with an optional count from 1 up; above the maximum shows the maximum."""
    if not rest:
        return ShowHistory()
    if not rest.isascii() or not rest.isdigit() or int(rest) < 1:
        return BadCommand("chat_usage_history", {"max": MAX_HISTORY_LINES})
    return ShowHistory(min(int(rest), MAX_HISTORY_LINES))


# -- what the user interface shows -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatLine:
    """A chat, action or private message to show (``own`` = typed here).

    ``mention``: it names the local user (or is private to them); ``imitates``: the
    sender's nick looks like another nick in the room (look-alike Unicode); ``past``:
    it comes from the history (``/history``, scroll-back, catch-up), not live;
    ``impostor``: nick ownership says another key (or none) speaks for a pinned nick;
    ``judgement``: nick ownership's verdict, whatever it is (None without ``--identity``).
    """

    message: ChatMessage
    when: float
    own: bool = False
    mention: bool = False
    imitates: str | None = None
    past: bool = False
    impostor: Judgement | None = None
    judgement: Judgement | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A system line: ``code`` is a :mod:`papo.i18n` key; ``error`` fills ``{reason}``."""

    code: str
    when: float
    details: Mapping[str, object] = field(default_factory=dict)
    error: PapoError | None = None
    warning: bool = False


@dataclass(frozen=True, slots=True)
class Ended:
    """The user left: the window closes."""


UiEvent = ChatLine | Notice | ClearScreen | Ended


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for the transport; show ``echo`` once it is sent."""

    message: ChatMessage
    echo: ChatLine | None = None


Action = Outgoing | UiEvent | ShowHistory


class ChatSession:
    """One user's chat: commands in, messages and screen events out (no I/O)."""

    def __init__(
        self,
        nick: str,
        *,
        clock: Callable[[], float] = time.time,
        ownership: NickOwnership | None = None,
        alone_hint: str | None = None,
    ) -> None:
        self.nick = validate_nick(nick)
        # An i18n code shown once if nobody else shows up for ALONE_HINT_SECONDS (the
        # transport knows what "nobody" may mean: a firewall, another group...).
        self._alone_hint = alone_hint
        self._alone_since = clock()
        self.roster: tuple[str, ...] = (self.nick,)
        self._clock = clock
        self._ownership = ownership
        if ownership is not None:
            ownership.claim(self.nick)
        # Worst verdict per split message (user, node, ts) until its parts are shown.
        self._judged: OrderedDict[tuple[object, ...], Judgement] = OrderedDict()
        self._warned_lookalikes: set[frozenset[str]] = set()
        self._splits = Reassembler()
        self._replaying = False  # between the room server's replay notices
        #: Nick ownership's verdict on the last delivered message (None if not judged).
        self.judgement: Judgement | None = None
        #: Live signed messages dropped as replays (too old, too new, or seen already).
        self.replays_dropped = 0
        self._replay_noticed: OrderedDict[str, float] = OrderedDict()

    @property
    def judging(self) -> bool:
        """True when nick ownership is on (``--identity``): messages get a verdict."""
        return self._ownership is not None

    # -- typed lines -------------------------------------------------------------------

    def handle_input(self, line: str) -> list[Action]:
        """What to send and show for one typed line."""
        command = parse_line(line)
        now = self._clock()
        match command:
            case None:
                return []
            case SendText(kind, text, to):
                message = ChatMessage(user=self.nick, data=text, type=kind, to=to)
                return [Outgoing(message, ChatLine(message, now, own=True))]
            case ChangeNick(new):
                try:
                    new = validate_nick(new)
                except ConfigError as error:
                    return [Notice("chat_error", now, error=error, warning=True)]
                if new == self.nick:
                    return []
                return [Outgoing(ChatMessage(user=self.nick, data=new, type=MessageType.NICK))]
            case ShowHelp():
                return [Notice("chat_help", now)]
            case ShowWho():
                return [Notice("chat_who", now, {"count": len(self.roster), "nicks": self.roster})]
            case ShowHistory():
                return [command]
            case ClearScreen():
                return [ClearScreen()]
            case Leave():
                return [Outgoing(self.farewell()), Ended()]
            case BadCommand(code, details):
                return [Notice(code, now, details, warning=True)]
        raise AssertionError(f"unhandled command {command!r}")

    def farewell(self) -> ChatMessage:
        """The leave message (its text is never the handout's stop word)."""
        return ChatMessage(user=self.nick, data=LEAVE_TEXT, type=MessageType.LEAVE)

    def past_lines(
        self,
        messages: list[ChatMessage],
        header: str,
        *,
        judge: bool = False,
        details: Mapping[str, object] | None = None,
        empty: str = "history_empty",
    ) -> list[UiEvent]:
        """The history block: a ``header`` notice (``{count}``), the lines, an end notice.

        ``header`` is an i18n code (``history_shown``, ``history_scrollback``,
        ``history_caught_up``). Only conversation is shown (chat, me, private, system);
        past lines never ring the bell. Nothing to show gives ``history_empty``.
        ``judge``: lines from other people (catch-up) are judged on their signature,
        never on their age (they are old by nature). ``details`` fill the header and the
        ``empty`` notice too (``/search`` names the text looked for).
        """
        now = self._clock()
        shown = [
            self._past_line(message, now, judge)
            for message in messages
            if message.type in (*_TEXT_TYPES, MessageType.SYSTEM)
        ]
        extra = dict(details or {})
        if not shown:
            return [Notice(empty, now, extra)]
        header_notice = Notice(header, now, {**extra, "count": len(shown)})
        return [header_notice, *shown, Notice("history_end", now)]

    def _past_line(self, message: ChatMessage, now: float, judge: bool) -> ChatLine:
        """One line of history; judged on its signature only if ``judge``."""
        judgement = None
        if judge and self._ownership is not None and not message.plain:
            judgement = self._ownership.judge(message)
        impostor = judgement if judgement and judgement.ownership == Ownership.IMPOSTOR else None
        return ChatLine(
            message,
            message.ts if message.ts is not None else now,
            own=message.user == self.nick,
            past=True,
            impostor=impostor,
            judgement=judgement,
        )

    def send_failed(self, error: PapoError) -> Notice:
        """The line to show when the transport refused to send."""
        return Notice("chat_error", self._clock(), error=error, warning=True)

    # -- transport events ----------------------------------------------------------------

    def handle_event(self, event: TransportEvent | CaughtUp) -> list[UiEvent]:
        """What to show for one transport event."""
        now = self._clock()
        self.judgement = None
        match event:
            case CaughtUp(messages):
                if not messages:
                    return []
                return self.past_lines(list(messages), "history_caught_up", judge=True)
            case Delivered(message) if self._replaying and message.type in _TEXT_TYPES:
                # The room server's replay for joiners: earlier lines, shown as such.
                line = self._past_line(message, now, judge=True)
                self.judgement = line.judgement
                return [line]
            case Delivered(message):
                self._alone_hint = None  # someone spoke (a handout sender has no presence)
                shown: list[UiEvent] = self._judge(message, now)
                if self.judgement is not None and self.judgement.ownership == Ownership.REPLAYED:
                    return shown  # a recording played back: dropped, counted
                if message.type in _TEXT_TYPES:
                    for whole in self._splits.add(message, now):
                        shown.extend(self._delivered(whole, now))
                    return shown
                return shown + self._delivered(message, now)
            case Dropped(error, source):
                return [Notice("chat_dropped", now, {"source": source}, error=error, warning=True)]
            case RosterChanged(nicks):
                return self._roster_changed(nicks, now)
            case MessagesLost(user, count):
                return [Notice("chat_lost", now, {"user": user, "count": count}, warning=True)]
            case MessagesLate(user, count):
                return [Notice("chat_late", now, {"user": user, "count": count})]
            case StatusChanged(code, details):
                if code in REPLAY_STARTS | REPLAY_ENDS:
                    self._replaying = code in REPLAY_STARTS
                return [Notice(code, now, details, warning=code in WARNING_STATUS)]
            case NickChanged(nick):
                self.nick = nick
                if self._ownership is not None:
                    self._ownership.claim(nick)
                return [Notice("chat_nick_now", now, {"nick": nick})]
        return []

    def tick(self) -> list[UiEvent]:
        """What to show as time passes: parts of split messages that never completed,
        and the alone hint once nobody else has shown up for :data:`ALONE_HINT_SECONDS`."""
        now = self._clock()
        shown: list[UiEvent] = []
        for part in self._splits.expire(now):
            shown.extend(self._delivered(part, now))
        if self._alone_hint is not None and now - self._alone_since >= ALONE_HINT_SECONDS:
            if set(self.roster) <= {self.nick}:
                shown.append(Notice(self._alone_hint, now, {"seconds": ALONE_HINT_SECONDS}))
            self._alone_hint = None
        return shown

    def _judge(self, message: ChatMessage, now: float) -> list[UiEvent]:
        """Judge a received message's nick ownership; the notices it brings.

        A first valid signature from a nick pins its key (one notice); an impostor's
        text lines are flagged when shown (a split message if any part is), its other
        messages get a warning line here.
        """
        if self._ownership is None or message.plain:
            return []
        judgement = self._ownership.judge(message, now)
        self.judgement = judgement
        details: dict[str, object] = {
            "nick": message.user,
            "pinned": judgement.pinned,
            "presented": judgement.presented or "-",
        }
        if judgement.ownership == Ownership.REPLAYED:
            return self._replayed(message.user, now, details)
        if judgement.ownership == Ownership.PINNED:
            return [Notice("nick_key_pinned", now, details)]
        if judgement.ownership != Ownership.IMPOSTOR:
            return []
        if message.type not in _TEXT_TYPES:
            if not judgement.presented:
                # Unsigned joins, leaves and renames are made by relays (the room server,
                # the mesh's heartbeats), not by their nick: nothing to judge.
                self.judgement = Judgement(Ownership.UNSIGNED)
                return []
            code = "nick_impostor" if judgement.presented else "nick_impostor_unsigned"
            return [Notice(code, now, details, warning=True)]
        key = (*_split_key(message), message.part)
        self._judged[key] = judgement
        while len(self._judged) > MAX_JUDGED_MESSAGES:
            self._judged.popitem(last=False)
        return []

    def _replayed(self, nick: str, now: float, details: dict[str, object]) -> list[UiEvent]:
        """Count a dropped replay; one notice per nick per :data:`REPLAY_NOTICE_SECONDS`."""
        self.replays_dropped += 1
        last = self._replay_noticed.get(nick)
        if last is not None and now - last < REPLAY_NOTICE_SECONDS:
            return []
        self._replay_noticed[nick] = now
        self._replay_noticed.move_to_end(nick)
        while len(self._replay_noticed) > MAX_REPLAY_NOTICE_NICKS:
            self._replay_noticed.popitem(last=False)
        count = {"count": self.replays_dropped}
        return [Notice("nick_replayed", now, {**details, **count}, warning=True)]

    def _verdict(self, message: ChatMessage) -> Judgement | None:
        """The impostor verdict on a shown line: on it, or on any part of its whole."""
        if message.parts is not None:  # a part shown alone (the rest never came)
            return self._judged.pop((*_split_key(message), message.part), None)
        found = [key for key in self._judged if key[:-1] == _split_key(message)]
        verdicts = [self._judged.pop(key) for key in found]
        return verdicts[0] if verdicts else None

    def _delivered(self, message: ChatMessage, now: float) -> list[UiEvent]:
        kind = message.type
        user = message.user
        if kind == MessageType.JOIN:
            return [Notice("chat_joined", now, {"user": user})]
        if kind == MessageType.LEAVE or message.is_quit_word(QUIT_WORD):
            return [Notice("chat_left", now, {"user": user})]
        if kind == MessageType.NICK:
            return [Notice("chat_renamed", now, {"user": user, "nick": message.data})]
        if kind == MessageType.SYSTEM:
            return [Notice("chat_system", now, {"text": message.data})]
        if kind not in (MessageType.CHAT, MessageType.ME, MessageType.PRIVATE):
            return []
        mention = kind == MessageType.PRIVATE or mentions(message.data, self.nick)
        others = {*self.roster, self.nick}
        impostor = None if message.plain else imitated_nick(user, others)
        if user == self.nick and not message.plain:
            impostor = self.nick  # transports never echo our own: this is someone else
        judged = self._verdict(message) if self._judged else None
        return [ChatLine(message, now, mention=mention, imitates=impostor, impostor=judged)]

    def _roster_changed(self, nicks: tuple[str, ...], now: float) -> list[UiEvent]:
        previous = set(self.roster)
        self.roster = nicks
        if set(nicks) - {self.nick}:
            self._alone_hint = None  # someone came: nothing to explain
        notices: list[UiEvent] = []
        for nick in nicks:
            if nick in previous or nick == self.nick:
                continue
            other = imitated_nick(nick, [n for n in (*nicks, self.nick) if n != nick])
            pair = frozenset((nick, other or ""))
            if other is not None and pair not in self._warned_lookalikes:
                self._warned_lookalikes.add(pair)
                notices.append(
                    Notice("chat_lookalike", now, {"user": nick, "other": other}, warning=True)
                )
        return notices


def _split_key(message: ChatMessage) -> tuple[object, ...]:
    """What the parts of one split message share (and its reassembled whole keeps)."""
    first = None if message.seq is None else message.seq - (message.part or 1) + 1
    origin = message.node or message.source or ""
    return (origin, message.user, str(message.type), message.to or "", first)


def mentions(text: str, nick: str) -> bool:
    """True when ``text`` names ``nick`` as a whole word (any case, optional ``@``)."""
    pattern = r"(?<![\w])@?" + re.escape(nick.casefold()) + r"(?![\w])"
    return re.search(pattern, text.casefold()) is not None


__all__ = [
    "COMMANDS",
    "DEFAULT_HISTORY_LINES",
    "LEAVE_TEXT",
    "MAX_HISTORY_LINES",
    "MAX_JUDGED_MESSAGES",
    "MAX_REPLAY_NOTICE_NICKS",
    "QUIT_WORD",
    "REPLAY_NOTICE_SECONDS",
    "Action",
    "BadCommand",
    "ChangeNick",
    "ChatLine",
    "ChatSession",
    "ClearScreen",
    "Command",
    "Ended",
    "Leave",
    "Notice",
    "Outgoing",
    "SendText",
    "ShowHelp",
    "ShowHistory",
    "ShowWho",
    "UiEvent",
    "mentions",
    "parse_line",
]
