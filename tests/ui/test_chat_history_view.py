"""The window's history: /history and catch-up in plain and JSON modes, hostile text too."""

from __future__ import annotations

import asyncio
import io
import json

from papo.errors import PapoError
from papo.protocol.message import ChatMessage
from papo.session.chat import ChatSession
from papo.transport.catch_up import CaughtUp
from papo.ui.chat import SCROLLBACK_LINES, JsonView, PlainView, chat_loop

NASTY = "\x1b[2J\x1b[31mred\r\u202eevil"


class Transport:
    """Delivers the given events on open; the input decides when the chat ends."""

    def __init__(self, incoming: list[object]) -> None:
        self.incoming = incoming
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    async def open(self) -> None:
        for event in self.incoming:
            self._queue.put_nowait(event)

    async def send(self, message: ChatMessage) -> None:
        pass

    async def events(self):  # type: ignore[no-untyped-def]
        while (event := await self._queue.get()) is not None:
            yield event

    async def close(self) -> None:
        self._queue.put_nowait(None)


class History:
    def __init__(self, messages: list[ChatMessage], fail: bool = False) -> None:
        self.messages = messages
        self.asked: list[int] = []
        self.fail = fail

    def recent(self, count: int) -> list[ChatMessage]:
        self.asked.append(count)
        if self.fail:
            raise PapoError("history_read_failed", path="h", reason="disk on fire")
        return self.messages[-count:]

    def search(self, text: str, count: int) -> list[ChatMessage]:
        self.asked.append(count)
        return [m for m in self.messages if text in m.data][-count:]


KEPT = [
    ChatMessage(user="bob", data="um", node="b", seq=1, ts=0.0),
    ChatMessage(user="ana", data="dois " + NASTY, node="a", seq=1, ts=1.0),
]


def run(view_class, typed: str, history: History | None, incoming=()) -> list[str]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    view = view_class("en", out, io.StringIO(typed))
    session = ChatSession("ana", clock=lambda: 0.0)
    transport = Transport(list(incoming))
    loop = chat_loop(transport, session, view, history)
    assert asyncio.run(asyncio.wait_for(loop, 10)) == 0
    return out.getvalue().splitlines()


def untimed(lines: list[str]) -> list[str]:
    return [line[11:] for line in lines]


def test_history_n_in_plain_mode_is_a_marked_block_of_terminal_safe_lines() -> None:
    history = History(KEPT)
    lines = untimed(run(PlainView, "/history 2\n/history 999999\n", history))
    assert lines[:4] == [
        "-- history: the last 2 message(s) of this room",
        "bob: um",
        "ana: dois \\x1b[2J\\x1b[31mred\\x0d\\u202eevil",
        "-- end of history",
    ]
    assert history.asked == [2, 500]
    assert all(line.isprintable() for line in lines)


def test_search_shows_the_matches_as_a_marked_block_naming_the_text_safely() -> None:
    history = History(KEPT)
    lines = untimed(run(PlainView, "/search dois\n/buscar nada\x1b[2J\n/search\n", history))
    assert lines[:3] == [
        "-- search: 1 message(s) with 'dois' (the newest)",
        "ana: dois \\x1b[2J\\x1b[31mred\\x0d\\u202eevil",
        "-- end of history",
    ]
    assert lines[3] == "-- no message with 'nada\\x1b[2J' in this room's history"
    assert lines[4].startswith("! usage: /search TEXT")
    assert all(line.isprintable() for line in lines)


def test_a_history_that_cannot_be_read_is_one_warning_line() -> None:
    lines = untimed(run(PlainView, "/history\n", History(KEPT, fail=True)))
    assert lines[0] == "! could not read the history h: disk on fire"


def test_catch_up_is_shown_once_as_a_marked_block_in_json_mode() -> None:
    lines = run(JsonView, "", None, [CaughtUp(tuple(KEPT))])
    values = [json.loads(line) for line in lines]
    assert values[0]["code"] == "history_caught_up"
    assert [v["data"] for v in values[1:3]] == ["um", "dois " + NASTY]
    assert all(v["past"] is True for v in values[1:3])
    assert values[3]["code"] == "history_end"
    assert all(line.isascii() for line in lines)


def test_scroll_back_is_named_and_short() -> None:
    assert 1 <= SCROLLBACK_LINES <= 50
