"""Passphrase mode: sealing, opening, replay window, distinct and counted rejections."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("cryptography")

from papo.errors import ConfigError, DecodeError
from papo.i18n import translate
from papo.protocol import sealed
from papo.protocol.limits import SEND_DATAGRAM_BYTES
from papo.protocol.sealed import (
    HEADER_BYTES,
    MAGIC,
    REPLAY_WINDOW,
    SEAL_OVERHEAD,
    DatagramSeal,
    ReplayWindow,
    ScryptParams,
    derive_room_key,
    room_salt,
)

#: Cheap scrypt for unit tests; the default cost is tested once, below.
FAST = ScryptParams(n=2**4, r=8, p=1)
GROUP, PORT = "224.3.29.71", 5007
ANA_ID = bytes(range(16))
BIA_ID = bytes(range(16, 32))


def make_seal(passphrase: str = "correct horse", sender_id: bytes = ANA_ID, **kwargs):
    key = derive_room_key(passphrase, GROUP, PORT, FAST)
    return DatagramSeal(key, sender_id=sender_id, **kwargs)


@pytest.fixture
def ana() -> DatagramSeal:
    return make_seal(sender_id=ANA_ID)


@pytest.fixture
def bia() -> DatagramSeal:
    return make_seal(sender_id=BIA_ID)


def test_member_opens_what_another_member_sealed(ana, bia) -> None:
    datagram = ana.seal(b'{"user":"ana","data":"oi"}')
    assert bia.open(datagram, "10.0.0.1:5007") == b'{"user":"ana","data":"oi"}'
    assert not bia.counts


def test_sealed_datagram_hides_the_payload_and_adds_fixed_overhead(ana) -> None:
    payload = b'{"user":"ana","data":"segredo"}'
    datagram = ana.seal(payload)
    assert datagram.startswith(MAGIC)
    assert b"segredo" not in datagram and b"ana" not in datagram
    assert len(datagram) == len(payload) + SEAL_OVERHEAD


def test_same_payload_sealed_twice_gives_different_datagrams(ana) -> None:
    assert ana.seal(b"x") != ana.seal(b"x")


def test_replayed_datagram_is_rejected_and_counted(ana, bia) -> None:
    datagram = ana.seal(b"once")
    assert bia.open(datagram, "s") == b"once"
    for count in (1, 2):
        error = bia.open(datagram, "s")
        assert isinstance(error, DecodeError) and error.code == "sealed_replayed"
        assert error.details["count"] == count
    assert bia.counts == {"sealed_replayed": 2}


def test_reordered_datagrams_within_the_window_are_all_accepted_once(ana, bia) -> None:
    datagrams = [ana.seal(str(i).encode()) for i in range(50)]
    for datagram in reversed(datagrams):
        assert not isinstance(bia.open(datagram, "s"), DecodeError)
    assert all(isinstance(bia.open(d, "s"), DecodeError) for d in datagrams)


def test_datagram_older_than_the_window_is_rejected_as_too_old(ana) -> None:
    receiver = make_seal(sender_id=BIA_ID, replay_window=8)
    old = ana.seal(b"old")
    for index in range(9):
        assert receiver.open(ana.seal(str(index).encode()), "s") == str(index).encode()
    error = receiver.open(old, "s")
    assert isinstance(error, DecodeError) and error.code == "sealed_too_old"


@pytest.mark.parametrize("position", [0, 4, 8, 24, HEADER_BYTES, -1])
def test_any_flipped_bit_is_rejected(ana, bia, position: int) -> None:
    datagram = bytearray(ana.seal(b"hello"))
    datagram[position] ^= 0x01
    error = bia.open(bytes(datagram), "s")
    assert isinstance(error, DecodeError)
    assert error.code in {
        "sealed_not_sealed",
        "sealed_wrong_passphrase",
        "sealed_forged",
    }


def test_tampered_ciphertext_is_counted_as_forged_then_the_genuine_one_passes(ana, bia) -> None:
    genuine = ana.seal(b"hello")
    forged = genuine[:-1] + bytes([genuine[-1] ^ 0x80])
    error = bia.open(forged, "s")
    assert isinstance(error, DecodeError) and error.code == "sealed_forged"
    assert bia.open(genuine, "s") == b"hello", "a forgery must not burn the counter"
    assert bia.counts == {"sealed_forged": 1}


def test_wrong_passphrase_is_reported_as_such(ana) -> None:
    stranger = make_seal("another passphrase", BIA_ID)
    error = stranger.open(ana.seal(b"hi"), "10.0.0.1:5007")
    assert isinstance(error, DecodeError) and error.code == "sealed_wrong_passphrase"
    assert translate(error.code, "en", **error.details).startswith(
        "cannot decrypt: wrong passphrase?"
    )
    assert "senha errada" in translate(error.code, "pt", **error.details)


def test_plain_handout_datagram_is_rejected_as_not_sealed(bia) -> None:
    error = bia.open(b'{"user":"ana","data":"oi"}', "s")
    assert isinstance(error, DecodeError) and error.code == "sealed_not_sealed"


@pytest.mark.parametrize("size", [0, 1, len(MAGIC), SEAL_OVERHEAD - 1])
def test_short_datagram_is_rejected_as_truncated_or_not_sealed(bia, size: int) -> None:
    error = bia.open((MAGIC + bytes(64))[:size], "s")
    assert isinstance(error, DecodeError)
    assert error.code in {"sealed_not_sealed", "sealed_truncated"}


def test_oversize_datagram_is_rejected_before_any_crypto(bia) -> None:
    error = bia.open(MAGIC + bytes(70_000), "s")
    assert isinstance(error, DecodeError) and error.code == "decode_oversize"


def test_another_room_with_the_same_passphrase_cannot_read(ana) -> None:
    other_room = DatagramSeal(derive_room_key("correct horse", GROUP, 5008, FAST), sender_id=BIA_ID)
    error = other_room.open(ana.seal(b"hi"), "s")
    assert isinstance(error, DecodeError) and error.code == "sealed_wrong_passphrase"


def test_salt_is_the_papo_label_and_the_canonical_room() -> None:
    assert room_salt("224.3.29.71", 5007) == b"papo/sealed/v1\x00224.3.29.71\x005007"
    assert room_salt("FF02:0:0::1", 5007) == room_salt("ff02::1", 5007)


def test_passphrase_is_normalised_so_every_keyboard_gives_the_same_key() -> None:
    composed = derive_room_key("ação", GROUP, PORT, FAST)
    decomposed = derive_room_key("ac\u0327a\u0303o", GROUP, PORT, FAST)
    assert composed == decomposed


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        derive_room_key("   ", GROUP, PORT, FAST)
    assert info.value.code == "passphrase_empty"


def test_default_cost_is_the_documented_scrypt_and_gives_a_stable_key() -> None:
    assert (sealed.SCRYPT_N, sealed.SCRYPT_R, sealed.SCRYPT_P) == (2**17, 8, 1)
    # A fixed vector: every papo, on any machine and version, derives this same room key.
    expected = "016a014db91e89046e02b946fbbce4295100acc5b282b235f17f06b4d425501e"
    assert derive_room_key("correct horse", GROUP, PORT).hex() == expected


def test_senders_table_is_bounded_and_keeps_recent_senders() -> None:
    receiver = make_seal(sender_id=BIA_ID, max_senders=3)
    for index in range(10):
        sender = make_seal(sender_id=bytes([index]) * 16)
        assert receiver.open(sender.seal(b"x"), "s") == b"x"
    assert len(receiver._peers) == 3


def test_split_parts_still_fit_the_handout_datagram_size_once_sealed() -> None:
    assert SEAL_OVERHEAD < SEND_DATAGRAM_BYTES // 4


def test_missing_cryptography_gives_the_install_hint(monkeypatch) -> None:
    monkeypatch.setattr(sealed, "CRYPTO_AVAILABLE", False)
    with pytest.raises(ConfigError) as info:
        derive_room_key("x", GROUP, PORT, FAST)
    assert info.value.code == "crypto_missing"
    assert "pip install 'papo[crypto]'" in translate("crypto_missing", "en")


class TestReplayWindow:
    def test_new_counters_are_accepted_once(self) -> None:
        window = ReplayWindow(4)
        for counter in (0, 1, 5, 3):
            assert window.status(counter) == ReplayWindow.NEW
            window.accept(counter)
            assert window.status(counter) == ReplayWindow.REPLAYED

    def test_counter_left_of_the_window_is_too_old(self) -> None:
        window = ReplayWindow(4)
        window.accept(10)
        assert window.status(6) == ReplayWindow.TOO_OLD
        assert window.status(7) == ReplayWindow.NEW

    def test_default_size_is_the_named_limit(self) -> None:
        assert ReplayWindow().size == REPLAY_WINDOW == 1024

    @given(st.lists(st.integers(min_value=0, max_value=200), max_size=300))
    def test_window_accepts_each_counter_at_most_once(self, counters: list[int]) -> None:
        window = ReplayWindow(64)
        accepted: list[int] = []
        for counter in counters:
            if window.status(counter) == ReplayWindow.NEW:
                window.accept(counter)
                accepted.append(counter)
        assert len(accepted) == len(set(accepted))
        if counters:
            assert max(counters) in accepted


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_open_returns_bytes_or_a_typed_error_for_any_input(payload: bytes) -> None:
    receiver = make_seal(sender_id=BIA_ID)
    for candidate in (payload, MAGIC + payload, MAGIC + receiver.key_id + payload):
        result = receiver.open(candidate, "fuzz")
        assert isinstance(result, DecodeError)  # nothing a stranger makes is accepted
        assert result.code.startswith(("sealed_", "decode_"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1500))
def test_any_payload_survives_seal_and_open(payload: bytes) -> None:
    sender, receiver = make_seal(sender_id=ANA_ID), make_seal(sender_id=BIA_ID)
    assert receiver.open(sender.seal(payload), "s") == payload
