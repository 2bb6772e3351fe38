"""Text rules shared by every layer: nick syntax, cleaning typed input, terminal safety."""

from __future__ import annotations

import re
import unicodedata

from papo.errors import ConfigError
from papo.protocol.limits import MAX_NICK_CHARS

# Characters that could move the cursor, change colours, reorder text or hide text when
# printed: C0/C1 controls, DEL, bidi embeddings/overrides/isolates and marks, zero-width
# characters, line/paragraph separators, interlinear annotations, tag characters and
# lone surrogates.
_UNSAFE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NICK_PUNCTUATION = frozenset("_-.")


def terminal_safe(text: str) -> str:
    """Return ``text`` with every unsafe character shown as a visible ``\\uXXXX`` escape.

    The result cannot move the cursor, change colours or reorder the line it is
    printed on. A zero-width joiner between two symbols (emoji sequences) is kept.
    """
    if not _UNSAFE_RE.search(text):
        return text
    return _UNSAFE_RE.sub(lambda match: _escape(match, text), text)


def _escape(match: re.Match[str], text: str) -> str:
    char = match.group()
    start = match.start()
    if (
        char == "\u200d"
        and 0 < start < len(text) - 1
        and unicodedata.category(text[start - 1]) == "So"
        and unicodedata.category(text[start + 1]) == "So"
    ):
        return char
    if char == "\t":
        return " "
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    )


def clean_input(text: str) -> str:
    """Make a typed line sendable: lone surrogates (undecodable bytes) become U+FFFD."""
    return _SURROGATE_RE.sub("\ufffd", text)


def validate_nick(nick: str, max_chars: int = MAX_NICK_CHARS) -> str:
    """Return ``nick`` (NFC-normalised) if it is a valid local nick, else raise ConfigError.

    A nick is 1 to ``max_chars`` letters, digits, marks and ``_ - .``: accents, CJK and
    other scripts are welcome; spaces, symbols and invisible characters are not.
    """
    normal = unicodedata.normalize("NFC", nick)
    ok = 0 < len(normal) <= max_chars and all(
        char in _NICK_PUNCTUATION or unicodedata.category(char)[0] in "LNM" for char in normal
    )
    if not ok or unicodedata.category(normal[0])[0] == "M":
        raise ConfigError("bad_nick", nick=terminal_safe(nick[:64]), max=max_chars)
    return normal
