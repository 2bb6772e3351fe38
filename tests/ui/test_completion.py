"""Tab completion of commands and nicks in the chat window."""

from __future__ import annotations

import asyncio

from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from papo.ui.completion import MAX_COMPLETIONS, candidates
from papo.ui.tui import TuiView

ROSTER = ("ana", "Anabela", "bia", "bruno", "eu")


def texts(before: str, roster: tuple[str, ...] = ROSTER) -> list[str]:
    return [candidate.text for candidate in candidates(before, "eu", roster)]


def test_a_nick_at_the_start_of_the_line_completes_as_a_mention() -> None:
    assert texts("bi") == ["bia: "]


def test_nicks_complete_case_insensitively_and_in_order() -> None:
    assert texts("AN") == ["ana: ", "Anabela: "]


def test_a_nick_inside_the_text_completes_without_a_suffix() -> None:
    assert texts("oi bru") == ["bruno"]
    assert candidates("oi bru", "eu", ROSTER)[0].replaces == len("bru")


def test_the_own_nick_is_never_offered() -> None:
    assert texts("e") == []


def test_the_nick_after_msg_completes_with_a_space_for_the_message() -> None:
    assert texts("/msg b") == ["bia ", "bruno "]
    assert texts("/m an") == ["ana ", "Anabela "]
    assert texts("/msg bia bru") == ["bruno"]


def test_commands_complete_after_a_slash_including_portuguese_names() -> None:
    assert texts("/h") == ["/help ", "/historico ", "/history ", "/histórico "]
    assert "/quem " in texts("/")
    assert texts("/ajud") == ["/ajuda "]


def test_a_doubled_slash_and_an_empty_word_complete_nothing() -> None:
    assert texts("//h") == []
    assert texts("oi ") == []
    assert texts("") == []


def test_remote_nicks_that_are_not_safe_to_type_are_not_offered() -> None:
    hostile = ("ana\x1b[31m", "an a", "an\u202ea", "ana")
    assert texts("an", hostile) == ["ana: "]


def test_a_huge_roster_offers_a_bounded_number_of_completions() -> None:
    roster = tuple(f"user{index}" for index in range(5 * MAX_COMPLETIONS))
    assert len(texts("user", roster)) == MAX_COMPLETIONS


def test_tab_in_the_chat_window_completes_the_nick_being_typed() -> None:
    async def typed(word: str, completed: str, rest: str) -> str | None:
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            view = TuiView("en", lambda: "eu", lambda: ROSTER)
            line = asyncio.create_task(view.read_line())
            pipe.send_text(word + "\t")
            buffer = view._session.default_buffer
            async with asyncio.timeout(10):  # completion runs as its own task: await it
                while buffer.text != completed:
                    await asyncio.sleep(0.01)
            pipe.send_text(rest + "\r")
            return await asyncio.wait_for(line, 10)

    assert asyncio.run(typed("bi", "bia: ", "oi")) == "bia: oi"
    assert asyncio.run(typed("/msg bru", "/msg bruno ", "ola")) == "/msg bruno ola"


def test_the_toolbar_shows_the_nick_the_head_count_and_a_lost_link() -> None:
    from papo.session.chat import Notice

    def toolbar_text(view: TuiView) -> str:
        return "".join(text for _style, text in view._toolbar())

    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        view = TuiView("en", lambda: "eu", lambda: ROSTER)
        assert "eu · 5 in the room · Tab completes" in toolbar_text(view)
        view.show(Notice("reconnecting", 0.0, {"attempt": 1, "seconds": 1.0, "where": "x"}))
        assert "offline" in toolbar_text(view)
        view.show(Notice("connected", 0.0, {"where": "x", "nick": "eu"}))
        assert "offline" not in toolbar_text(view)
        pt = TuiView("pt", lambda: "eu", lambda: ROSTER)
        assert "5 na sala" in toolbar_text(pt)
