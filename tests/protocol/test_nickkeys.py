"""Nick ownership by trust on first use: signatures, pins, impostors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("cryptography")

from papo.errors import DecodeError
from papo.i18n import translate
from papo.protocol.nickkeys import (
    MAX_PINNED_NICKS,
    NickIdentity,
    NickPins,
    PinVerdict,
    fingerprint,
    verify,
)

ANA = NickIdentity(b"\x01" * 32)
EVE = NickIdentity(b"\x02" * 32)


def test_signature_verifies_with_the_signers_key_only() -> None:
    payload = b'{"user":"ana","data":"oi"}'
    signature = ANA.sign(payload)
    assert verify(ANA.public_key, payload, signature)
    assert not verify(EVE.public_key, payload, signature)
    assert not verify(ANA.public_key, payload + b" ", signature)


@given(st.binary(max_size=40), st.binary(max_size=80), st.binary(max_size=100))
def test_verify_never_raises_on_garbage(key: bytes, payload: bytes, signature: bytes) -> None:
    assert verify(key, payload, signature) in (True, False)


def test_first_key_is_pinned_and_another_key_for_the_nick_is_an_impostor() -> None:
    pins = NickPins()
    assert pins.check("ana", ANA.public_key).verdict == PinVerdict.FIRST_USE
    assert pins.check("ana", ANA.public_key).verdict == PinVerdict.MATCH
    result = pins.check("Ana", EVE.public_key)
    assert result.verdict == PinVerdict.IMPOSTOR, "nicks differing in case are one nick"
    assert (result.pinned, result.presented) == (ANA.fingerprint, EVE.fingerprint)
    line = translate(
        "nick_impostor", "en", nick="ana", pinned=result.pinned, presented=result.presented
    )
    assert line.startswith("! IMPOSTOR? ana speaks with another key")


def test_forgetting_a_nick_lets_its_new_key_be_pinned() -> None:
    pins = NickPins()
    pins.check("ana", ANA.public_key)
    assert pins.forget("ana")
    assert pins.check("ana", EVE.public_key).verdict == PinVerdict.FIRST_USE


def test_fingerprint_is_short_grouped_and_stable() -> None:
    text = fingerprint(ANA.public_key)
    assert len(text) == 19 and text.count(":") == 3
    assert text == ANA.fingerprint != EVE.fingerprint


def test_pins_round_trip_through_json() -> None:
    pins = NickPins()
    pins.check("ana", ANA.public_key)
    pins.check("eve", EVE.public_key)
    again = NickPins.from_json(pins.to_json())
    assert isinstance(again, NickPins)
    assert again.check("ana", ANA.public_key).verdict == PinVerdict.MATCH
    assert again.check("eve", ANA.public_key).verdict == PinVerdict.IMPOSTOR


@pytest.mark.parametrize(
    "value",
    [[], "x", None, {"ana": 1}, {"ana": "not base64!"}, {"ana": "AAAA"}, {1: "x"}],
)
def test_damaged_pins_are_a_decode_error(value: object) -> None:
    assert isinstance(NickPins.from_json(value), DecodeError)


def test_pins_are_bounded() -> None:
    pins = NickPins(max_nicks=2)
    for nick in ("a", "b", "c"):
        pins.check(nick, ANA.public_key)
    assert len(pins) == 2
    assert MAX_PINNED_NICKS == 10_000


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        NickIdentity(b"short")
