"""The chat window's text: rendering, plain and JSON modes, driven by a scripted transport."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import unicodedata
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError, NetworkError
from papo.protocol.message import ChatMessage
from papo.session.chat import ChatLine, ChatSession, Notice
from papo.transport.base import Delivered, Dropped, MessagesLost, RosterChanged, TransportEvent
from papo.ui.chat import (
    JsonView,
    PlainView,
    chat_loop,
    choose_mode,
    nick_style,
    plain_text,
    render,
)

NASTY = "\x1b[2J\x1b[31mred\x1b]0;title\x07\rover\u202eevil\u2066x\x00\x9b1m"


class ScriptedTransport:
    """Delivers ``incoming`` events on open, records what is sent."""

    def __init__(self, incoming: list[TransportEvent], fail_sends: bool = False) -> None:
        self.incoming = incoming
        self.sent: list[ChatMessage] = []
        self.drained = threading.Event()
        self.closed = 0
        self._fail = fail_sends
        self._queue: asyncio.Queue[TransportEvent | None] = asyncio.Queue()

    async def open(self) -> None:
        for event in self.incoming:
            self._queue.put_nowait(event)

    async def send(self, message: ChatMessage) -> None:
        if self._fail and message.type == "chat":
            raise NetworkError("no_multicast_route", group="224.3.29.71")
        self.sent.append(message)

    async def events(self) -> AsyncIterator[TransportEvent]:
        while True:
            if self._queue.empty():
                self.drained.set()
            event = await self._queue.get()
            if event is None:
                return
            yield event

    async def close(self) -> None:
        self.closed += 1
        self._queue.put_nowait(None)


class GatedInput(io.StringIO):
    """Typed lines that arrive only after every incoming event was shown."""

    def __init__(self, text: str, gate: threading.Event) -> None:
        super().__init__(text)
        self._gate = gate

    def __iter__(self) -> Iterator[str]:
        assert self._gate.wait(5)
        return super().__iter__()


def run_plain(
    incoming: list[TransportEvent], typed: str, lang: str = "en", view_class=PlainView, **kw
) -> tuple[list[str], ScriptedTransport]:
    transport = ScriptedTransport(incoming, **kw)
    out = io.StringIO()
    view = view_class(lang, out, GatedInput(typed, transport.drained))
    session = ChatSession("ana", clock=lambda: 0.0)
    assert asyncio.run(asyncio.wait_for(chat_loop(transport, session, view), 10)) == 0
    return out.getvalue().splitlines(), transport


def strip_time(line: str) -> str:
    assert line.startswith("[") and line[9:11] == "] ", line
    return line[11:]


def test_chat_line_shows_time_nick_and_text() -> None:
    event = ChatLine(ChatMessage(user="bob", data="oi"), when=0.0)
    (line,) = plain_text(render(event, "en"))
    assert strip_time(line) == "bob: oi"


def test_remote_escapes_bidi_and_carriage_returns_are_made_visible() -> None:
    event = ChatLine(ChatMessage(user="b\x1b[0mob", data=NASTY), when=0.0)
    (line,) = plain_text(render(event, "en"))
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line)
    assert "\u202e" not in line and "\u2066" not in line
    assert "\\x1b[2J" in line and "\\u202e" in line and "\\x0d" in line


def test_nick_colour_is_stable_and_spread() -> None:
    assert nick_style("ana") == nick_style("ana")
    assert len({nick_style(f"user{n}") for n in range(100)}) > 6


def test_help_is_translated_and_spans_lines() -> None:
    pt = plain_text(render(Notice("chat_help", 0.0), "pt"))
    en = plain_text(render(Notice("chat_help", 0.0), "en"))
    assert "Comandos:" in pt[0] and "Commands:" in en[0]
    assert len(pt) == len(en) > 5
    assert any("/msg" in line for line in pt)


def test_plain_mode_shows_room_events_one_per_line_and_sends_typed_lines() -> None:
    incoming: list[TransportEvent] = [
        RosterChanged(("ana", "bob")),
        Delivered(ChatMessage(user="bob", data="entrou", type="join")),
        Delivered(ChatMessage(user="bob", data="oi ana")),
        Delivered(ChatMessage(user="bob", data="acena", type="me")),
        MessagesLost("bob", 2),
        Dropped(DecodeError("decode_empty"), "10.0.0.7:999"),
    ]
    lines, transport = run_plain(incoming, "olá bob\n/me sorri\n/who\nsair\n")
    assert [strip_time(line) for line in lines] == [
        "-- bob joined the room",
        "bob: oi ana",
        "* bob acena",
        "! 2 message(s) from bob lost on the network",
        "! invalid message from 10.0.0.7:999 dropped: empty datagram",
        "ana: olá bob",
        "* ana sorri",
        "-- In the room (2): ana, bob",
        "-- you left the room.",
    ]
    assert [(m.type, m.data) for m in transport.sent] == [
        ("chat", "olá bob"),
        ("me", "sorri"),
        ("leave", "saiu / left"),
    ]
    assert transport.closed == 1


def test_end_of_input_leaves_the_room() -> None:
    _lines, transport = run_plain([], "oi\n")
    assert [m.type for m in transport.sent] == ["chat", "leave"]


def test_a_refused_send_is_one_warning_line_and_the_chat_goes_on() -> None:
    lines, _ = run_plain([], "oi\n/me ainda aqui\n", fail_sends=True)
    texts = [strip_time(line) for line in lines]
    assert any(t.startswith("! no multicast route") for t in texts)
    assert "* ana ainda aqui" in texts


def test_plain_output_has_no_escape_codes_even_for_hostile_messages() -> None:
    hostile = Delivered(ChatMessage(user="mal\u202e", data=NASTY + "y" * 10_000))
    lines, _ = run_plain([hostile], "")
    output = "\n".join(lines)
    assert "\x1b" not in output and "\r" not in output and "\u202e" not in output
    assert sum(1 for line in lines if "y" * 100 in line) == 1


def test_json_mode_prints_each_envelope_as_an_ascii_json_line() -> None:
    incoming: list[TransportEvent] = [
        Delivered(ChatMessage(user="bob", data="ção " + NASTY, v=1, seq=4, node="n1")),
        RosterChanged(("ana", "bob")),
    ]
    lines, _ = run_plain(incoming, "", view_class=JsonView)
    values = [json.loads(line) for line in lines]
    assert all(line.isascii() for line in lines)
    envelope = next(v for v in values if v.get("user") == "bob")
    assert envelope["data"] == "ção " + NASTY and envelope["seq"] == 4
    assert {"event": "roster", "nicks": ["ana", "bob"]} in values


@pytest.mark.parametrize(
    ("mode", "tty", "expected"),
    [("auto", True, "tui"), ("auto", False, "plain"), ("json", True, "json")],
)
def test_auto_mode_uses_the_tui_only_on_a_terminal(mode: str, tty: bool, expected: str) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert choose_mode(mode, Stream(), Stream()) == expected


@given(
    user=st.text(min_size=1, max_size=40),
    data=st.text(max_size=300),
    kind=st.sampled_from(["chat", "me", "private"]),
)
def test_no_remote_text_can_put_a_control_character_on_screen(
    user: str, data: str, kind: str
) -> None:
    message = ChatMessage(user=user, data=data, type=kind, to=user if kind == "private" else None)
    for line in plain_text(render(ChatLine(message, 0.0), "pt")):
        assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in line)
        assert not any(c in line for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
