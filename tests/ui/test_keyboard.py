"""Typed lines for the line-mode programs: newline removed, None at end of input."""

from __future__ import annotations

import io

import pytest

from papo.ui.keyboard import is_tty, read_line


def test_read_line_drops_the_newline_and_gives_none_at_the_end() -> None:
    stdin = io.StringIO("oi, bia\r\nsair\n")
    assert read_line(stdin, None) == "oi, bia"
    assert read_line(stdin, None) == "sair"
    assert read_line(stdin, None) is None


def test_read_line_keeps_an_empty_line_apart_from_the_end() -> None:
    stdin = io.StringIO("\n")
    assert read_line(stdin, None) == ""
    assert read_line(stdin, None) is None


def test_read_line_with_a_prompt_uses_input_and_ends_on_eof(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("ana\n"))
    assert read_line(io.StringIO(), "ana> ") == "ana"
    assert read_line(io.StringIO(), "ana> ") is None


def test_a_closed_or_plain_stream_is_not_a_terminal() -> None:
    closed = io.StringIO()
    closed.close()
    assert not is_tty(closed)
    assert not is_tty(io.StringIO())
