"""Tab completion in the chat window: command names after ``/`` and nicks of the room.

:func:`candidates` is the pure rule (text before the cursor in, completions out), so it is
tested without a terminal; :class:`ChatCompleter` hands it to prompt_toolkit. As in IRC
clients, a nick completed at the start of the line gets ``": "`` after it (a mention), a
nick completed after ``/msg`` a space (the message follows), and a nick inside the text
nothing. Remote nicks are completed only if they are safe to put into the input line
(nothing that :func:`~papo.protocol.text.terminal_safe` would change, no spaces).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from papo.protocol.text import terminal_safe
from papo.session.chat import COMMAND_ALIASES, COMMANDS

#: The most completions offered for one Tab (a room of 1 000 nicks stays readable).
MAX_COMPLETIONS = 50

#: Commands whose first argument is a nick (completed with a space after it).
NICK_ARGUMENT_COMMANDS = frozenset({"msg"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """One completion: the text that replaces the word being typed, and that word's length."""

    text: str
    replaces: int


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _completable(nick: str) -> bool:
    return bool(nick) and terminal_safe(nick) == nick and not any(c.isspace() for c in nick)


def candidates(before_cursor: str, own_nick: str, roster: Iterable[str]) -> list[Candidate]:
    """What Tab offers for ``before_cursor``: commands after a lone ``/word``, else nicks."""
    word_start = max(before_cursor.rfind(" "), before_cursor.rfind("\t")) + 1
    word = before_cursor[word_start:]
    head = before_cursor[:word_start]
    if not head and word.startswith("/") and not word.startswith("//"):
        prefix = _fold(word[1:])
        names = [*COMMANDS, *(alias for alias in COMMAND_ALIASES if len(alias) > 1)]
        matches = sorted({name for name in names if name.startswith(prefix)})
        return [Candidate(f"/{name} ", len(word)) for name in matches[:MAX_COMPLETIONS]]
    if not word:
        return []
    command = head.split()[0][1:].casefold() if head.startswith("/") else ""
    command = COMMAND_ALIASES.get(command, command)
    if command in NICK_ARGUMENT_COMMANDS and len(head.split()) == 1:
        suffix = " "
    elif not head.strip():
        suffix = ": "
    else:
        suffix = ""
    prefix = _fold(word)
    own = _fold(own_nick)
    nicks = sorted(
        {
            nick
            for nick in roster
            if _completable(nick) and _fold(nick).startswith(prefix) and _fold(nick) != own
        },
        key=_fold,
    )
    return [Candidate(nick + suffix, len(word)) for nick in nicks[:MAX_COMPLETIONS]]


class ChatCompleter(Completer):
    """prompt_toolkit's view of :func:`candidates` (the nick and roster read at each Tab)."""

    def __init__(self, nick: Callable[[], str], roster: Callable[[], Sequence[str]]) -> None:
        self._nick = nick
        self._roster = roster

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        """The completions for the text before the cursor."""
        for candidate in candidates(document.text_before_cursor, self._nick(), self._roster()):
            yield Completion(candidate.text, start_position=-candidate.replaces)


__all__ = [
    "MAX_COMPLETIONS",
    "NICK_ARGUMENT_COMMANDS",
    "Candidate",
    "ChatCompleter",
    "candidates",
]
