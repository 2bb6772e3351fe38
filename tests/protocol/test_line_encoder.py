"""The sender's fast path: LineEncoder gives exactly the bytes the generic encoder gives."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.codec import LineEncoder, decode, encode
from papo.protocol.message import PROTOCOL_VERSION

nicks = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=32)
nodes = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
stamps = st.floats(min_value=0, max_value=1e11, exclude_max=True)  # what a receiver accepts


@given(nicks, nodes, texts, st.integers(0, 2**63 - 1), stamps)
def test_encoded_line_is_byte_for_byte_the_generic_encoding(
    nick: str, node: str, text: str, seq: int, ts: float
) -> None:
    lines = LineEncoder(nick, node)
    assert lines.encode(text, seq, ts) == encode(lines.message(text, seq, ts))


@given(texts, stamps)
def test_encoded_line_decodes_back_to_the_same_message(text: str, ts: float) -> None:
    lines = LineEncoder("ana", "0123abcd")
    decoded = decode(lines.encode(text, 7, ts), "10.0.0.1:5007")
    assert decoded == replace(lines.message(text, 7, ts), source="10.0.0.1:5007")


def test_the_message_carries_the_senders_constant_keys() -> None:
    message = LineEncoder("ana", "n1").message("oi", 3, 1.5, 1, 2)
    assert (message.user, message.node, message.v, message.type) == (
        "ana",
        "n1",
        PROTOCOL_VERSION,
        "chat",
    )
    assert (message.data, message.seq, message.ts, message.part, message.parts) == (
        "oi",
        3,
        1.5,
        1,
        2,
    )


def test_values_outside_the_shortcut_take_the_generic_path_with_the_same_result() -> None:
    lines = LineEncoder("ana", "n1")
    for ts in (5, 1_700_000_000):  # an int clock
        assert lines.encode("oi", 1, ts) == encode(lines.message("oi", 1, ts))  # type: ignore[arg-type]


@pytest.mark.parametrize("ts", [math.nan, math.inf])
def test_a_non_finite_timestamp_is_refused_as_by_the_generic_encoder(ts: float) -> None:
    lines = LineEncoder("ana", "n1")
    with pytest.raises(ValueError):
        encode(lines.message("oi", 1, ts))
    with pytest.raises(ValueError):
        lines.encode("oi", 1, ts)
