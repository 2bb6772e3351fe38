"""The sender's one-datagram shortcut sends exactly what the general split path sends."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import InputError
from papo.protocol.codec import encode, split_text
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage
from papo.protocol.text import clean_input
from papo.session.multicast import SenderSession

NOW = 1_700_000_000.123456


class Tagger:
    """A stand-in sealer: prefixes an 8-byte tag (its overhead) to what it seals."""

    overhead = 8

    def seal(self, payload: bytes) -> bytes:
        return b"SEALED!:" + payload


def reference(nick: str, node: str, texts: list[str], limits: Limits, seal: bool) -> list[bytes]:
    """What the sender sent before the shortcut: split_text, then encode every part."""
    if seal:
        limits = replace(limits, send_datagram_bytes=limits.send_datagram_bytes - 8)
    out: list[bytes] = []
    seq = 1
    for raw in texts:
        text = clean_input(raw)
        first = seq

        def build(
            chunk: str, part: int | None, parts: int | None, first: int = first
        ) -> ChatMessage:
            return ChatMessage(
                user=nick,
                data=chunk,
                v=PROTOCOL_VERSION,
                node=node,
                seq=first + (part or 1) - 1,
                ts=round(NOW, 3),
                part=part,
                parts=parts,
            )

        messages = split_text(text, build, limits)
        seq += len(messages)
        out += [(b"SEALED!:" if seal else b"") + encode(message) for message in messages]
    return out


def composed(texts: list[str], limits: Limits, seal: bool) -> list[bytes]:
    sender = SenderSession(
        "ana", node="n0", clock=lambda: NOW, limits=limits, seal=Tagger() if seal else None
    )
    return [datagram for text in texts for datagram in sender.compose(text)]


any_text = st.text(max_size=3000)  # includes lone surrogates, controls, emoji
sizes = st.sampled_from([DEFAULT_LIMITS, Limits(send_datagram_bytes=200, max_input_chars=2000)])


@given(st.lists(any_text, min_size=1, max_size=4), sizes, st.booleans())
def test_compose_sends_what_the_split_path_sends(
    texts: list[str], limits: Limits, seal: bool
) -> None:
    assert composed(texts, limits, seal) == reference("ana", "n0", texts, limits, seal)


@pytest.mark.parametrize("seal", [False, True])
def test_a_line_that_just_fits_is_one_datagram_and_one_byte_more_splits(seal: bool) -> None:
    limits = DEFAULT_LIMITS
    budget = limits.send_datagram_bytes - (8 if seal else 0)
    overhead = len(SenderSession("ana", node="n0", clock=lambda: NOW).compose("")[0])
    fits = "x" * (budget - overhead)
    (one,) = composed([fits], limits, seal)
    assert len(one) == limits.send_datagram_bytes
    assert len(composed([fits + "x"], limits, seal)) == 2


def test_input_limit_still_applies_to_short_lines_under_a_small_input_limit() -> None:
    limits = Limits(max_input_chars=10)
    sender = SenderSession("ana", limits=limits)
    assert len(sender.compose("x" * 10)) == 1
    with pytest.raises(InputError):
        sender.compose("x" * 11)
