"""Fuzz every decoder of papo.protocol: any bytes give a value or a typed error, never a crash.

This is the short run that CI does on every change; docs/fuzzing.md shows how to run it
for longer (hypothesis, or atheris with coverage guidance).
"""

from __future__ import annotations

import os

import pytest
from fuzz.decoders import DECODERS, Decoder, check
from fuzz.strategies import near_envelopes, payloads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papo.errors import DecodeError

#: Examples per decoder in the suite; ``PAPO_FUZZ_EXAMPLES`` raises it for long runs.
EXAMPLES = int(os.environ.get("PAPO_FUZZ_EXAMPLES", "75"))

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("decoder", DECODERS, ids=lambda decoder: decoder.name)
@fuzz_settings
@given(data=payloads)
def test_decoder_returns_a_value_or_a_typed_error_for_any_bytes(
    decoder: Decoder, data: bytes
) -> None:
    check(decoder, data)


@fuzz_settings
@given(envelope=near_envelopes)
def test_codec_accepts_only_envelopes_with_text_user_and_data(envelope: dict) -> None:
    import json

    from papo.protocol.codec import decode

    result = decode(json.dumps(envelope).encode(), "fuzz")
    if not isinstance(result, DecodeError):
        assert isinstance(envelope["user"], str) and isinstance(envelope["data"], str)
        assert result.user == envelope["user"] and result.data == envelope["data"]


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 10_000), st.integers(0, 7))
def test_sealed_datagram_with_any_flipped_bit_is_rejected(
    payload: bytes, where: int, bit: int
) -> None:
    sealed = pytest.importorskip("papo.protocol.sealed")
    if not sealed.CRYPTO_AVAILABLE:
        pytest.skip("cryptography is not installed")
    key = sealed.derive_room_key("fuzz", "224.3.29.71", 5007, sealed.ScryptParams(n=2**4))
    sender = sealed.DatagramSeal(key, sender_id=b"a" * 16)
    receiver = sealed.DatagramSeal(key, sender_id=b"b" * 16)
    datagram = bytearray(sender.seal(payload))
    datagram[where % len(datagram)] ^= 1 << bit
    assert isinstance(receiver.open(bytes(datagram), "fuzz"), DecodeError)


def test_every_protocol_decoder_is_fuzzed() -> None:
    names = {decoder.name for decoder in DECODERS}
    assert {"codec.decode", "framing.LineFramer", "text.terminal_safe"} <= names
    assert len(names) == len(DECODERS)
