"""Look-alike nicks: a *skeleton* that is equal for nicks a reader cannot tell apart (pure).

Modelled on Unicode TR 39 (``skeleton(X)``), with a small table for the scripts a chat
on a Brazilian LAN meets (Latin, Cyrillic, Greek) and the classic digit tricks (``0``/``O``,
``1``/``l``/``I``). Two nicks with the same skeleton but different spelling are flagged,
so ``аna`` (Cyrillic а) cannot pass for ``ana``.
"""

from __future__ import annotations

import unicodedata

#: Characters mapped to the one they imitate (after NFKC and casefold, so lower case).
#: Cyrillic and Greek letters that look like Latin ones, and digits that look like letters.
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "с": "c",
    "ԁ": "d",
    "е": "e",
    "ё": "e",
    "һ": "h",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "ѕ": "s",
    "т": "t",
    "у": "y",
    "ү": "y",
    "х": "x",
    "ԝ": "w",
    "ь": "b",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "γ": "y",
    "ω": "w",
    "ϲ": "c",
    # Latin look-alikes
    "ı": "i",
    "ɩ": "i",
    "ł": "l",
    "ø": "o",
    "ß": "ss",
    # digits and punctuation that pass for letters
    "0": "o",
    "1": "l",
    "i": "l",  # "I" casefolds to "i"; both look like "l" in many fonts
    "3": "e",
    "5": "s",
    "|": "l",
    "_": "-",
    ".": "-",
}


def _resolve_chains(table: dict[str, str]) -> dict[str, str]:
    """Map every entry to its final form ("і" -> "i" -> "l" becomes "і" -> "l").

    Without this, :func:`skeleton` would not be idempotent, and a nick and its skeleton
    could be judged different people.
    """

    def final(text: str) -> str:
        for _ in range(len(table)):  # chains are short; the bound only guards cycles
            mapped = "".join(table.get(char, char) for char in text)
            if mapped == text:
                break
            text = mapped
        return text

    return {char: final(target) for char, target in table.items()}


CONFUSABLES = _resolve_chains(CONFUSABLES)

#: The longest nick :func:`skeleton` looks at; longer input is cut (bounded work).
MAX_SKELETON_INPUT = 256


def skeleton(nick: str) -> str:
    """The form of ``nick`` that look-alikes share: NFKC, casefold, then the table.

    Accents are kept (``josé`` and ``jose`` are different people); invisible format
    characters are dropped, since nobody can see them.
    """
    text = unicodedata.normalize("NFKC", nick[:MAX_SKELETON_INPUT]).casefold()
    visible = (char for char in text if unicodedata.category(char) != "Cf")
    return unicodedata.normalize("NFC", "".join(CONFUSABLES.get(char, char) for char in visible))


def imitates(nick: str, other: str) -> bool:
    """True when ``nick`` is spelled differently from ``other`` but looks the same."""
    return nick != other and skeleton(nick) == skeleton(other)


def imitated_nick(nick: str, known: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The first nick of ``known`` that ``nick`` imitates, or None."""
    mark = skeleton(nick)
    for other in sorted(known):
        if other != nick and skeleton(other) == mark:
            return other
    return None
