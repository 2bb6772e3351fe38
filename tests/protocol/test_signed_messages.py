"""Signed envelopes on the wire: ``key``/``sig`` keys, canonical bytes, split parts."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("cryptography")

from papo.errors import DecodeError
from papo.protocol.codec import decode, encode, split_text
from papo.protocol.limits import DEFAULT_LIMITS, SEND_DATAGRAM_BYTES
from papo.protocol.message import KEY_CHARS, SIG_CHARS, ChatMessage, MessageType
from papo.protocol.nickkeys import (
    SIGNATURE_CONTEXT,
    SIGNATURE_OVERHEAD,
    SIGNED_ID_BYTES,
    NickIdentity,
    sign_message,
    signed_bytes,
    signer_key,
    stamped,
)
from papo.session.reassembly import Reassembler

ANA = NickIdentity(b"\x01" * 32)
EVE = NickIdentity(b"\x02" * 32)


def test_a_signed_message_round_trips_and_verifies_with_the_senders_key() -> None:
    message = sign_message(ANA, ChatMessage(user="ana", data="oi", node="n1", seq=3, ts=1.5))
    decoded = decode(encode(message))
    assert isinstance(decoded, ChatMessage)
    assert len(decoded.key or "") == KEY_CHARS and len(decoded.sig or "") == SIG_CHARS
    assert signer_key(decoded) == ANA.public_key


@pytest.mark.parametrize(
    "change",
    [
        {"data": "tchau"},
        {"user": "eve"},
        {"type": MessageType.ME},
        {"to": "bia"},
        {"room": "outra"},
        {"id": "x2"},
        {"ts": 2.0},
        {"part": 2, "parts": 2},
    ],
)
def test_changing_any_signed_field_breaks_the_signature(change: dict[str, object]) -> None:
    message = sign_message(ANA, ChatMessage(user="ana", data="oi", node="n1", seq=3, ts=1.5))
    assert signer_key(replace(message, **change)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"node": "server-epoch", "seq": 41},  # the room server re-stamps
        {"v": 1},
        {"source": "10.0.0.2:5007"},
    ],
)
def test_what_relays_change_is_not_signed(change: dict[str, object]) -> None:
    message = sign_message(ANA, ChatMessage(user="ana", data="oi", node="n1", seq=3, ts=1.5))
    assert signer_key(replace(message, **change)) == ANA.public_key  # type: ignore[arg-type]


def test_relay_keys_added_to_the_json_keep_the_signature() -> None:
    message = sign_message(ANA, ChatMessage(user="ana", data="oi", id="i1", ts=1.5))
    wire = json.loads(encode(message))
    wire.update(hops=3, history=True, node="epoch", seq=9)  # mesh hops, server scroll-back
    relayed = decode(json.dumps(wire).encode())
    assert isinstance(relayed, ChatMessage) and signer_key(relayed) == ANA.public_key


def test_another_key_on_a_signature_does_not_verify() -> None:
    message = sign_message(ANA, ChatMessage(user="ana", data="oi"))
    forged = replace(message, key=base64.b64encode(EVE.public_key).decode())
    assert signer_key(forged) is None
    assert signer_key(ChatMessage(user="ana", data="oi")) is None


def test_signed_bytes_are_sorted_compact_json_with_the_type_always_present() -> None:
    message = ChatMessage(user="ana", data="olá", seq=1, ts=2.5)
    body = '{"data":"olá","ts":2.5,"type":"chat","user":"ana"}'.encode()
    assert signed_bytes(message) == SIGNATURE_CONTEXT + body
    assert (
        json.loads(signed_bytes(replace(message, v=1)).removeprefix(SIGNATURE_CONTEXT))["type"]
        == "chat"
    )


def test_signature_overhead_bounds_what_signing_and_stamping_add_to_the_encoding() -> None:
    plain = ChatMessage(user="ana", data="oi")
    signed = sign_message(ANA, stamped(plain, 4_102_444_799.999, bytes(SIGNED_ID_BYTES)))
    added = len(encode(signed)) - len(encode(plain))
    assert added <= SIGNATURE_OVERHEAD
    assert SIGNATURE_OVERHEAD - added <= 8, "the bound is tight"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("key", 12),
        ("key", "short"),
        ("key", "!" * KEY_CHARS),
        ("key", "A" * KEY_CHARS),  # 33 bytes, not an Ed25519 key
        ("sig", ["x"]),
        ("sig", "A" * (SIG_CHARS - 1)),
        ("sig", "=" * SIG_CHARS),
    ],
)
def test_malformed_key_or_sig_is_a_typed_decode_error(key: str, value: object) -> None:
    payload = json.dumps({"user": "ana", "data": "oi", key: value}).encode()
    assert isinstance(decode(payload), DecodeError)


@given(
    st.one_of(st.text(max_size=100), st.integers(), st.none(), st.lists(st.text())), st.booleans()
)
def test_any_key_or_sig_value_decodes_or_gives_a_typed_error(value: object, as_key: bool) -> None:
    payload = json.dumps({"user": "ana", "data": "oi", "key" if as_key else "sig": value})
    result = decode(payload.encode())
    assert isinstance(result, ChatMessage | DecodeError)


def test_a_long_signed_message_splits_into_signed_parts_within_the_datagram_budget() -> None:
    limits = replace(DEFAULT_LIMITS, send_datagram_bytes=SEND_DATAGRAM_BYTES - SIGNATURE_OVERHEAD)

    def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
        return ChatMessage(user="ana", data=chunk, node="n1", seq=part or 1, part=part, parts=parts)

    text = "ação " * 700
    parts = [sign_message(ANA, part) for part in split_text(text, build, limits)]
    assert len(parts) > 1
    reassembler = Reassembler()
    whole: list[ChatMessage] = []
    for part in parts:
        payload = encode(part)
        assert len(payload) <= SEND_DATAGRAM_BYTES
        received = decode(payload)
        assert isinstance(received, ChatMessage) and signer_key(received) == ANA.public_key
        whole += reassembler.add(received, 0.0)
    assert [message.data for message in whole] == [text]
