"""``/history N``, the history block the session builds, and catch-up as scroll-back."""

from __future__ import annotations

import pytest

from papo.i18n import translate
from papo.protocol.message import ChatMessage, MessageType
from papo.session.chat import (
    COMMANDS,
    DEFAULT_HISTORY_LINES,
    MAX_HISTORY_LINES,
    MAX_SEARCH_RESULTS,
    BadCommand,
    ChatLine,
    ChatSession,
    Notice,
    ShowHistory,
    parse_line,
)
from papo.transport.catch_up import CaughtUp


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("/history", ShowHistory(DEFAULT_HISTORY_LINES)),
        ("/history 5", ShowHistory(5)),
        ("/HISTORY 1", ShowHistory(1)),
        ("/historico 3", ShowHistory(3)),
        ("/histórico", ShowHistory(DEFAULT_HISTORY_LINES)),
        (f"/history {MAX_HISTORY_LINES}", ShowHistory(MAX_HISTORY_LINES)),
        (f"/history {MAX_HISTORY_LINES + 1}", ShowHistory(MAX_HISTORY_LINES)),
        ("/history 99999999999999999999", ShowHistory(MAX_HISTORY_LINES)),
    ],
)
def test_history_command_takes_an_optional_count_capped_at_the_maximum(
    line: str, command: ShowHistory
) -> None:
    assert parse_line(line) == command


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("/search reunião", ShowHistory(MAX_SEARCH_RESULTS, "reunião")),
        ("/buscar  duas palavras ", ShowHistory(MAX_SEARCH_RESULTS, "duas palavras")),
        ("/procurar x", ShowHistory(MAX_SEARCH_RESULTS, "x")),
        ("/search", BadCommand("chat_usage_search")),
        ("/buscar   ", BadCommand("chat_usage_search")),
    ],
)
def test_search_takes_the_text_to_look_for(line: str, command: object) -> None:
    assert parse_line(line) == command


@pytest.mark.parametrize("rest", ["0", "-3", "abc", "2.5", "٣", "5 6"])
def test_history_with_a_bad_count_explains_its_usage(rest: str) -> None:
    command = parse_line(f"/history {rest}")
    assert command == BadCommand("chat_usage_history", {"max": MAX_HISTORY_LINES})
    assert translate("chat_usage_history", "en", max=MAX_HISTORY_LINES) == (
        f"usage: /history [N], N from 1 to {MAX_HISTORY_LINES}"
    )


def test_history_defaults_are_named_and_sane() -> None:
    assert 1 <= DEFAULT_HISTORY_LINES <= MAX_HISTORY_LINES
    assert "history" in COMMANDS


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_help_lists_history_with_its_default_and_maximum(lang: str) -> None:
    help_text = translate("chat_help", lang)
    line = next(line for line in help_text.split("\n") if "/history [N]" in line)
    assert str(DEFAULT_HISTORY_LINES) in line and str(MAX_HISTORY_LINES) in line


def test_history_command_is_handed_to_the_window_to_read_the_store() -> None:
    session = ChatSession("ana", clock=lambda: 100.0)
    assert session.handle_input("/history 3") == [ShowHistory(3)]


def past(user: str, text: str, ts: float, kind: str = MessageType.CHAT) -> ChatMessage:
    return ChatMessage(user=user, data=text, type=kind, node="n", seq=int(ts), ts=ts)


def test_past_lines_come_between_a_header_and_an_end_stamped_when_sent() -> None:
    session = ChatSession("ana", clock=lambda: 100.0)
    messages = [
        past("bob", "oi ana", 10.0),
        past("ana", "oi", 11.0),
        past("bob", "x", 12.0, MessageType.JOIN),
    ]
    shown = session.past_lines(messages, "history_shown")
    assert shown[0] == Notice("history_shown", 100.0, {"count": 2})
    assert shown[1] == ChatLine(messages[0], 10.0, own=False, past=True)
    assert shown[2] == ChatLine(messages[1], 11.0, own=True, past=True)
    assert shown[3] == Notice("history_end", 100.0)
    assert len(shown) == 4
    assert not any(isinstance(line, ChatLine) and line.mention for line in shown)


def test_past_lines_of_an_empty_history_say_so() -> None:
    session = ChatSession("ana", clock=lambda: 100.0)
    assert session.past_lines([], "history_shown") == [Notice("history_empty", 100.0)]


def test_caught_up_messages_are_shown_once_as_scroll_back() -> None:
    session = ChatSession("cid", clock=lambda: 100.0)
    messages = (past("ana", "um", 1.0), past("bob", "dois", 2.0))
    shown = session.handle_event(CaughtUp(messages))
    assert [type(line).__name__ for line in shown] == ["Notice", "ChatLine", "ChatLine", "Notice"]
    assert shown[0] == Notice("history_caught_up", 100.0, {"count": 2})
    assert all(line.past for line in shown if isinstance(line, ChatLine))
    assert session.handle_event(CaughtUp(())) == []
