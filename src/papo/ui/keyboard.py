"""Reading what the local user types, line by line, for the line-mode programs."""

from __future__ import annotations

from typing import TextIO


def is_tty(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal; False for a closed or file-less stream."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def read_line(stdin: TextIO, prompt: str | None) -> str | None:
    """One typed line without its newline, or None at end of input.

    With a ``prompt`` the line is read with :func:`input` (line editing at a terminal),
    otherwise straight from ``stdin``.
    """
    if prompt is not None:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = stdin.readline()
    return line.rstrip("\r\n") if line else None
