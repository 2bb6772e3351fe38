"""Nick ownership by trust on first use: signatures, pins, impostors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("cryptography")

from papo.errors import DecodeError
from papo.i18n import translate
from papo.protocol.message import ChatMessage
from papo.protocol.nickkeys import (
    MAX_PINNED_NICKS,
    SIGNED_MAX_AGE_SECONDS,
    Freshness,
    NickIdentity,
    NickPins,
    PinVerdict,
    ReplayGuard,
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


# -- replay guard ---------------------------------------------------------------------

NOW = 1_700_000_000.0


def dated(ts: float | None, message_id: str | None = "i1", part: int | None = None):
    return ChatMessage(user="ana", data="oi", ts=ts, id=message_id, part=part)


def test_a_fresh_signed_message_is_accepted_once_then_refused_as_replayed() -> None:
    guard = ReplayGuard()
    assert guard.check(ANA.public_key, dated(NOW), NOW) == Freshness.FRESH
    assert guard.check(ANA.public_key, dated(NOW), NOW + 1) == Freshness.REPLAYED
    assert guard.check(EVE.public_key, dated(NOW), NOW + 1) == Freshness.FRESH, "per key"
    assert guard.check(ANA.public_key, dated(NOW, part=2), NOW) == Freshness.FRESH, "per part"


@pytest.mark.parametrize(
    "message",
    [
        dated(NOW - SIGNED_MAX_AGE_SECONDS - 0.001),
        dated(NOW + SIGNED_MAX_AGE_SECONDS + 0.001),
        dated(None),
        dated(NOW, message_id=None),
        dated(float("nan")),
    ],
)
def test_signed_messages_outside_the_window_or_undated_are_stale(message: ChatMessage) -> None:
    assert ReplayGuard().check(ANA.public_key, message, NOW) == Freshness.STALE


def test_the_window_edges_are_inside() -> None:
    guard = ReplayGuard()
    assert guard.check(ANA.public_key, dated(NOW - SIGNED_MAX_AGE_SECONDS), NOW) == Freshness.FRESH
    later = dated(NOW + SIGNED_MAX_AGE_SECONDS, "i2")
    assert guard.check(ANA.public_key, later, NOW) == Freshness.FRESH


def test_a_full_guard_forgets_the_oldest_and_refuses_anything_not_newer() -> None:
    guard = ReplayGuard(capacity=3)
    for index in range(4):
        message = dated(NOW + index, f"i{index}")
        assert guard.check(ANA.public_key, message, NOW + 4) == Freshness.FRESH
    assert len(guard) == 3
    # i0 was forgotten to make room: replaying it is refused all the same.
    assert guard.check(ANA.public_key, dated(NOW, "i0"), NOW + 4) == Freshness.STALE
    assert guard.check(ANA.public_key, dated(NOW + 5, "i5"), NOW + 5) == Freshness.FRESH


def test_a_flood_dated_in_the_future_does_not_lock_out_honest_lines() -> None:
    guard = ReplayGuard(capacity=2)
    for index in range(5):
        future = dated(NOW + SIGNED_MAX_AGE_SECONDS, f"f{index}")
        guard.check(EVE.public_key, future, NOW)
    assert guard.check(ANA.public_key, dated(NOW + 1, "honest"), NOW + 1) == Freshness.FRESH


def test_entries_leave_the_guard_when_their_time_leaves_the_window() -> None:
    guard = ReplayGuard()
    guard.check(ANA.public_key, dated(NOW, "old"), NOW)
    guard.check(ANA.public_key, dated(NOW + 400, "new"), NOW + 400)
    assert len(guard) == 1


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.floats(0, 400), st.integers(0, 30)),
        max_size=60,
    ),
    st.integers(1, 8),
)
def test_no_signed_message_is_ever_accepted_twice(
    events: list[tuple[int, float, int]], capacity: int
) -> None:
    guard = ReplayGuard(capacity=capacity)
    accepted: set[tuple[int, float]] = set()
    now = NOW
    for message_number, skew, step in events:
        now += step
        # Dated at or before the first now (a clock ahead of ours is the documented gap).
        ts = NOW - message_number * 10 - abs(skew)
        verdict = guard.check(ANA.public_key, dated(ts, f"m{message_number}"), now)
        if verdict == Freshness.FRESH:
            assert (message_number, ts) not in accepted
            accepted.add((message_number, ts))
        assert len(guard) <= capacity
