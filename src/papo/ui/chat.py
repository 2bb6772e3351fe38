"""The everyday chat window: one place to read and type, on any transport.

:func:`run_chat` is the entry point every chat command calls. It opens the transport,
feeds typed lines and transport events through :class:`~papo.session.chat.ChatSession`
and shows the result in one of four modes:

- ``tui``: the terminal window of :mod:`papo.ui.tui` (prompt_toolkit);
- ``plain``: one message per line in, one per line out, no escape codes, flushed;
- ``json``: the received envelopes as JSON lines, for other programs;
- ``auto``: ``tui`` when stdin and stdout are terminals, else ``plain``.

With a history (:class:`HistorySource`, the recording transport), ``/history N``
shows the room's last messages, and the window may open with the last
:data:`SCROLLBACK_LINES` as scroll-back (the TUI does; plain and JSON modes only when
asked, so scripts get the same output every run). Past lines come between a header
and an end line, stamped with the time they were sent.

Every remote string goes through :func:`~papo.protocol.text.terminal_safe` in
:func:`render`, the single place that turns events into text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError
from typing import Protocol, TextIO

from papo.errors import PapoError
from papo.i18n import translate
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.text import terminal_safe
from papo.session.chat import (
    Action,
    ChatLine,
    ChatSession,
    ClearScreen,
    Ended,
    Notice,
    Outgoing,
    ShowHistory,
    UiEvent,
)
from papo.session.identity import Judgement, NickOwnership, Ownership
from papo.transport.base import (
    ChatTransport,
    Delivered,
    Dropped,
    MessagesLate,
    MessagesLost,
    NickChanged,
    RoomEvent,
    RosterChanged,
    StatusChanged,
)
from papo.transport.catch_up import CaughtUp
from papo.ui.text import clock_stamp, error_text

MODES = ("auto", "tui", "plain", "json")

#: Lines typed (or piped) but not yet handled; the reader waits when it is full.
INPUT_QUEUE_SIZE = 256

#: Seconds between two looks at the clock (to show split messages that never completed).
TICK_SECONDS = 1.0

#: Past messages the TUI shows when it opens (plain and JSON modes: none unless asked).
SCROLLBACK_LINES = 10

#: Number of distinct nick colours (style classes ``nick.0`` ... ``nick.N-1``).
NICK_COLOURS = 12

#: A rendered line: (style class, text) fragments; the text is already terminal-safe.
Fragments = list[tuple[str, str]]


def nick_style(nick: str) -> str:
    """The stable colour class of ``nick`` (the same in every run and on every machine)."""
    return f"nick.{zlib.crc32(nick.encode('utf-8', 'replace')) % NICK_COLOURS}"


def _safe_details(details: object, lang: str) -> dict[str, object]:
    safe: dict[str, object] = {}
    for key, value in dict(details).items():  # type: ignore[call-overload]
        if isinstance(value, str):
            safe[key] = terminal_safe(value)
        elif isinstance(value, tuple | list):
            safe[key] = ", ".join(terminal_safe(str(item)) for item in value)
        else:
            safe[key] = value
    return safe


def notice_text(notice: Notice, lang: str) -> str:
    """The text of a system line in ``lang`` (may hold several lines, e.g. the help)."""
    details = _safe_details(notice.details, lang)
    if notice.error is not None:
        details["reason"] = terminal_safe(error_text(notice.error, lang))
    return translate(notice.code, lang, **details)


def render(event: ChatLine | Notice, lang: str) -> list[Fragments]:
    """The screen lines of one event, as styled fragments (terminal-safe)."""
    stamp = ("class:time", f"[{clock_stamp(event.when)}] ")
    if isinstance(event, Notice):
        style = "class:warning" if event.warning else "class:system"
        marker = "! " if event.warning else "-- "
        return [[stamp, (style, marker + line)] for line in notice_text(event, lang).split("\n")]
    message = event.message
    user = terminal_safe(message.user)
    user_style = "class:own" if event.own else f"class:{nick_style(message.user)}"
    fragments: Fragments = [stamp]
    line_style = "class:mention" if event.mention and not event.own else "class:text"
    if event.past:
        line_style = "class:past"
    if message.type == MessageType.ME:
        fragments += [("class:action", "* "), (user_style, user)]
    else:
        fragments.append((user_style, user))
    if message.type == MessageType.PRIVATE:
        target = terminal_safe(message.to or "?")
        fragments.append(("class:private", f" → {target} ({translate('chat_private', lang)})"))
    if message.plain:
        fragments.append(("class:system", f" ({translate('plain_text', lang)})"))
    elif message.parts and message.parts > 1:
        fragments.append(("class:system", f" [{message.part}/{message.parts}]"))
    if event.imitates is not None:
        other = terminal_safe(event.imitates)
        fragments.append(("class:warning", f" ({translate('chat_imitates', lang, other=other)})"))
    if event.impostor is not None:
        flag = translate(
            "chat_impostor",
            lang,
            pinned=event.impostor.pinned,
            presented=event.impostor.presented or "-",
        )
        fragments.append(("class:impostor", f" [{flag}]"))
    separator = " " if message.type == MessageType.ME else ": "
    fragments.append((line_style, separator + terminal_safe(message.data)))
    return [fragments]


def plain_text(lines: list[Fragments]) -> list[str]:
    """The fragments of each line joined, without styles."""
    return ["".join(text for _style, text in line) for line in lines]


class HistorySource(Protocol):
    """Where ``/history`` and the scroll-back come from (the recording transport)."""

    def recent(self, count: int) -> list[ChatMessage]:
        """The ``count`` newest messages of the room, oldest first."""
        ...

    def search(self, text: str, count: int) -> list[ChatMessage]:
        """The ``count`` newest messages of the room containing ``text``, oldest first."""
        ...


class ChatView(Protocol):
    """A screen for :func:`run_chat`: shows events, gives typed lines (None = end)."""

    def show(self, event: UiEvent) -> None:
        """Show one event."""

    def show_transport_event(self, event: RoomEvent) -> bool:
        """Show a raw transport event; return True if the session should not show it."""

    async def read_line(self) -> str | None:
        """The next typed line, or None when input ends."""


class PlainView:
    """Line mode for pipes and scripts: one line per event, no escape codes, flushed."""

    def __init__(self, lang: str, out: TextIO, stdin: TextIO) -> None:
        self.lang = lang
        self._out = out
        self._stdin = stdin
        self._lines: asyncio.Queue[str | None] | None = None

    def show(self, event: UiEvent) -> None:
        if isinstance(event, ChatLine | Notice):
            for line in plain_text(render(event, self.lang)):
                self._write(line)

    def show_transport_event(self, event: RoomEvent) -> bool:
        return False

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()

    async def read_line(self) -> str | None:
        if self._lines is None:
            self._lines = asyncio.Queue(INPUT_QUEUE_SIZE)
            _start_reader(self._stdin, self._lines, asyncio.get_running_loop())
        return await self._lines.get()


class JsonView(PlainView):
    """``--json``: every received envelope (and every other event) as one JSON line.

    With ``verdict`` (``--identity``: the session's verdict on the message just
    delivered) each envelope carries ``ownership`` (``owner``, ``pinned``, ``impostor``
    or ``unsigned``) and the ``fingerprint`` it was signed with (and the ``pinned`` one);
    a replayed signed message is a ``dropped`` event, not an envelope.
    """

    def __init__(
        self,
        lang: str,
        out: TextIO,
        stdin: TextIO,
        verdict: Callable[[], Judgement | None] | None = None,
    ) -> None:
        super().__init__(lang, out, stdin)
        self._verdict = verdict

    def show(self, event: UiEvent) -> None:
        if isinstance(event, Notice):
            text = notice_text(event, self.lang)
            self._dump({"event": "notice", "code": event.code, "text": text})
        elif isinstance(event, ChatLine) and event.past:
            envelope = {**_envelope(event.message), "past": True}
            self._dump(self._owned(envelope, event.judgement))

    def show_transport_event(self, event: RoomEvent) -> bool:
        match event:
            case CaughtUp():
                return False  # the session's past lines: header, envelopes, end
            case Delivered(message):
                judgement = self._verdict() if self._verdict is not None else None
                if judgement is not None and judgement.ownership == Ownership.REPLAYED:
                    source = message.source or message.node or "?"
                    dropped = {"event": "dropped", "source": source, "reason": "nick_replayed"}
                    self._dump({**dropped, "user": message.user})
                else:
                    self._dump(self._owned(_envelope(message), judgement))
            case Dropped(error, source):
                self._dump({"event": "dropped", "source": source, "reason": error.code})
            case RosterChanged(nicks):
                self._dump({"event": "roster", "nicks": list(nicks)})
            case MessagesLost(user, count):
                self._dump({"event": "lost", "user": user, "count": count})
            case MessagesLate(user, count):
                self._dump({"event": "late", "user": user, "count": count})
            case StatusChanged(code, details):
                self._dump({"event": "status", "code": code, "details": _jsonable(details)})
            case NickChanged(nick):
                self._dump({"event": "nick", "nick": nick})
        return True

    def _owned(self, envelope: dict[str, object], judgement: Judgement | None) -> object:
        """``envelope`` with nick ownership's verdict when ``--identity`` is on."""
        if self._verdict is None:
            return envelope
        if judgement is None:
            return {**envelope, "ownership": str(Ownership.UNSIGNED)}
        owned: dict[str, object] = {**envelope, "ownership": str(judgement.ownership)}
        if judgement.presented:
            owned["fingerprint"] = judgement.presented
        if judgement.pinned:
            owned["pinned"] = judgement.pinned
        return owned

    def _dump(self, value: object) -> None:
        # ensure_ascii: the output is plain ASCII, so no byte of it can drive a terminal.
        self._write(json.dumps(value, ensure_ascii=True, separators=(",", ":")))


def _envelope(message: ChatMessage) -> dict[str, object]:
    out = message.wire_dict()
    if message.plain:
        out["plain"] = True
    if message.source is not None:
        out["source"] = message.source
    return out


def _jsonable(details: Mapping[str, object]) -> dict[str, object]:
    return {str(k): v if isinstance(v, int | float | str) else str(v) for k, v in details.items()}


def _start_reader(
    stdin: TextIO, lines: asyncio.Queue[str | None], loop: asyncio.AbstractEventLoop
) -> None:
    """Read ``stdin`` in a daemon thread (works for pipes, files and terminals alike)."""

    def put(item: str | None) -> None:
        coroutine = lines.put(item)
        try:
            asyncio.run_coroutine_threadsafe(coroutine, loop).result()
        except RuntimeError:  # the loop is closed: nobody reads any more
            coroutine.close()
            raise

    def pump() -> None:
        try:
            for line in stdin:
                put(line)
            put(None)
        except (OSError, ValueError, RuntimeError, UnicodeDecodeError, CancelledError):
            pass  # stdin closed or the chat ended: either way, input is over

    threading.Thread(target=pump, name="papo-stdin", daemon=True).start()


async def chat_loop(
    transport: ChatTransport,
    session: ChatSession,
    view: ChatView,
    history: HistorySource | None = None,
) -> int:
    """Run one chat until the user leaves or the transport ends; return the exit code."""
    await transport.open()
    receiving = asyncio.create_task(_receive(transport, session, view), name="papo-receive")
    typing = asyncio.create_task(_type(transport, session, view, history), name="papo-type")
    ticking = asyncio.create_task(_tick(session, view), name="papo-tick")
    try:
        done, _pending = await asyncio.wait(
            {receiving, typing}, return_when=asyncio.FIRST_COMPLETED
        )
        if typing in done:
            typing.result()
    finally:
        for task in (typing, ticking):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await transport.close()
        with contextlib.suppress(asyncio.CancelledError):
            await receiving
    return 0


async def _receive(transport: ChatTransport, session: ChatSession, view: ChatView) -> None:
    async for event in transport.events():
        # The session first (always: it keeps the roster and judges nick ownership).
        ui_events = session.handle_event(event)
        shown = view.show_transport_event(event)
        if not shown:
            for ui_event in ui_events:
                view.show(ui_event)


async def _tick(session: ChatSession, view: ChatView) -> None:
    while True:
        await asyncio.sleep(TICK_SECONDS)
        for ui_event in session.tick():
            view.show(ui_event)


def show_history(
    view: ChatView,
    session: ChatSession,
    history: HistorySource | None,
    count: int,
    header: str,
    search: str | None = None,
) -> None:
    """Show the last ``count`` messages of the room between a header and an end line
    (only those containing ``search``, if given: ``/search``).

    The scroll-back (``header`` ``history_scrollback``) shows nothing when there is
    nothing to show; ``/history`` and ``/search`` say so.
    """
    if history is None:
        view.show(Notice("history_off", time.time(), warning=True))
        return
    try:
        messages = history.recent(count) if search is None else history.search(search, count)
    except PapoError as error:
        view.show(session.send_failed(error))
        return
    if not messages and header == "history_scrollback":
        return
    if search is None:
        events = session.past_lines(messages, header)
    else:
        shown = {"text": terminal_safe(search)}
        events = session.past_lines(
            messages, "history_search", details=shown, empty="history_search_none"
        )
    for event in events:
        view.show(event)


async def _type(
    transport: ChatTransport,
    session: ChatSession,
    view: ChatView,
    history: HistorySource | None = None,
) -> None:
    while True:
        line = await view.read_line()
        actions: list[Action] = (
            session.handle_input(line)
            if line is not None
            else [
                Outgoing(session.farewell()),
                Ended(),
            ]
        )
        for action in actions:
            if isinstance(action, Outgoing):
                try:
                    await transport.send(action.message)
                except PapoError as error:
                    view.show(session.send_failed(error))
                    continue
                if action.echo is not None:
                    view.show(action.echo)
            elif isinstance(action, ShowHistory):
                show_history(view, session, history, action.count, "history_shown", action.search)
            elif isinstance(action, Ended):
                view.show(Notice("chat_bye", time.time()))
                view.show(action)
                return
            else:
                view.show(action)


def choose_mode(mode: str, stdin: TextIO, stdout: TextIO) -> str:
    """Resolve ``auto``: the TUI needs a terminal on both ends."""
    if mode != "auto":
        return mode
    try:
        return "tui" if stdin.isatty() and stdout.isatty() else "plain"
    except (AttributeError, ValueError):
        return "plain"


def _make_view(
    mode: str, lang: str, session: ChatSession, stdin: TextIO, stdout: TextIO
) -> ChatView:
    if mode == "tui":
        try:
            from papo.ui.tui import TuiView
        except ImportError:  # prompt_toolkit missing (multicast.py run without installing)
            return PlainView(lang, stdout, stdin)
        return TuiView(lang, lambda: session.nick, lambda: session.roster)
    if mode == "json":
        verdict = (lambda: session.judgement) if session.judging else None
        return JsonView(lang, stdout, stdin, verdict)
    return PlainView(lang, stdout, stdin)


def run_chat(
    transport: ChatTransport,
    nick: str,
    lang: str,
    *,
    mode: str = "auto",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    history: HistorySource | None = None,
    scrollback: int | None = None,
    warning: PapoError | None = None,
    ownership: NickOwnership | None = None,
    alone_hint: str | None = None,
) -> int:
    """Open ``transport`` as ``nick`` and run the chat window; return the exit code.

    ``history`` serves ``/history``; ``scrollback`` past lines are shown on opening
    (None: :data:`SCROLLBACK_LINES` in the TUI, none in plain and JSON modes).
    ``warning`` is shown after the welcome (e.g. why there is no history).
    ``ownership`` (``--identity``) judges who owns each nick (see
    :mod:`papo.session.identity`). ``alone_hint``: the i18n code shown once if nobody
    else shows up (see :data:`papo.session.chat.ALONE_HINT_SECONDS`).
    """
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    session = ChatSession(nick, ownership=ownership, alone_hint=alone_hint)
    chosen = choose_mode(mode, stdin, stdout)
    view = _make_view(chosen, lang, session, stdin, stdout)
    view.show(Notice("chat_welcome", time.time(), {"nick": session.nick}))
    if ownership is not None:
        fingerprint = ownership.identity.fingerprint
        view.show(Notice("identity_on", time.time(), {"fingerprint": fingerprint}))
    if warning is not None:
        view.show(session.send_failed(warning))
    if scrollback is None:
        scrollback = SCROLLBACK_LINES if chosen == "tui" else 0
    if history is not None and scrollback > 0:
        show_history(view, session, history, scrollback, "history_scrollback")
    return asyncio.run(chat_loop(transport, session, view, history))


__all__ = [
    "MODES",
    "SCROLLBACK_LINES",
    "ChatView",
    "ClearScreen",
    "HistorySource",
    "JsonView",
    "PlainView",
    "chat_loop",
    "choose_mode",
    "nick_style",
    "notice_text",
    "plain_text",
    "render",
    "run_chat",
    "show_history",
]
