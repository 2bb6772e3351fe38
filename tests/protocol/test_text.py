"""Terminal safety, nick rules and input cleaning."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import ConfigError
from papo.protocol.text import clean_input, terminal_safe, validate_nick

BIDI_AND_INVISIBLE = set("\u061c\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e") | set(
    "\u2066\u2067\u2068\u2069\u2028\u2029\ufeff\u00ad"
)


@given(st.text())
def test_safe_text_has_no_control_bidi_or_surrogate_characters(text: str) -> None:
    safe = terminal_safe(text)
    for char in safe:
        assert unicodedata.category(char) not in ("Cc", "Cs"), repr(char)
        assert char not in BIDI_AND_INVISIBLE - {"\u200d"}, repr(char)
        assert not 0xE0000 <= ord(char) <= 0xE007F


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))))
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert terminal_safe(text) == text.replace("\u00ad", "\\xad").replace("\u180e", "\\u180e")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\rb", "a\\x0db"),
        ("x\u202ey", "x\\u202ey"),
        ("tab\there", "tab here"),
        ("\x9b31m", "\\x9b31m"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        ("a\u200db", "a\\u200db"),
    ],
)
def test_unsafe_characters_are_shown_as_visible_escapes(text: str, shown: str) -> None:
    assert terminal_safe(text) == shown


@pytest.mark.parametrize("nick", ["ana", "João", "ana_2", "a.b-c", "李雷", "Ωmega", "x" * 32])
def test_valid_nicks(nick: str) -> None:
    assert validate_nick(nick) == unicodedata.normalize("NFC", nick)


@pytest.mark.parametrize(
    "nick", ["", "ana maria", "a\x1bb", "x" * 33, "a\u202eb", "a\u200bb", "ana!", "\u0301a", "😀"]
)
def test_invalid_nicks_raise_a_config_error(nick: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_nick(nick)
    assert info.value.code == "bad_nick"


def test_undecodable_typed_bytes_become_replacement_characters() -> None:
    typed = b"ol\xe1".decode("utf-8", "surrogateescape")
    assert clean_input(typed) == "ol\ufffd"
    assert clean_input("olá") == "olá"
