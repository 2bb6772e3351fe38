"""How a received §3 record is shown: the handout's three forms, terminal-safe, both languages."""

from __future__ import annotations

from papo.protocol.record import Record
from papo.ui.record import record_lines


def test_the_three_forms_in_portuguese_are_the_handouts_words() -> None:
    assert record_lines(Record("Alice", 25, "alice@example.com"), "pt") == [
        "Dados recebidos:",
        "{'nome': 'Alice', 'idade': 25, 'email': 'alice@example.com'}",
        "Dados recebidos:",
        "Alice",
        "25",
        "alice@example.com",
        "Dados recebidos. Nome: Alice. Idade: 25. Email: alice@example.com",
    ]


def test_the_three_forms_in_english() -> None:
    lines = record_lines(Record("Alice", 25, "alice@example.com"), "en")
    assert lines[0] == lines[2] == "Data received:"
    assert lines[-1] == "Data received. Name: Alice. Age: 25. Email: alice@example.com"


def test_escape_sequences_and_bidi_in_a_record_are_shown_escaped() -> None:
    record = Record("\x1b[31mAlice\u202e", 25, "a@b.co")
    lines = record_lines(record, "en")
    assert all("\x1b" not in line and "\u202e" not in line for line in lines)
    assert lines[3] == "\\x1b[31mAlice\\u202e"
    assert "Name: \\x1b[31mAlice\\u202e." in lines[-1]
