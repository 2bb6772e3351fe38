"""The discovery beacon: round trip and total decoding of anything a network delivers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.beacon import MAX_BEACON_BYTES, Beacon, decode_beacon, encode_beacon


def test_beacon_round_trips_nick_port_node_and_version() -> None:
    beacon = Beacon(node="a1b2c3", nick="ção", port=40123, version=1)
    assert decode_beacon(encode_beacon(beacon)) == beacon


def test_encoded_beacon_is_small() -> None:
    beacon = Beacon(node="f" * 64, nick="n" * 32, port=65535)
    assert len(encode_beacon(beacon)) < MAX_BEACON_BYTES // 2


def test_chat_datagram_is_not_a_beacon() -> None:
    error = decode_beacon(b'{"user": "ana", "data": "oi"}')
    assert isinstance(error, DecodeError)
    assert error.code == "decode_not_beacon"


def test_oversize_datagram_is_refused_before_parsing() -> None:
    error = decode_beacon(b" " * (MAX_BEACON_BYTES + 1))
    assert isinstance(error, DecodeError)
    assert error.code == "decode_oversize"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 0),
        ("port", 70000),
        ("port", "80"),
        ("port", True),
        ("node", ""),
        ("node", "has space"),
        ("node", "x" * 65),
        ("user", ""),
        ("user", "   "),
        ("user", 5),
        ("v", 0),
        ("v", 1.5),
    ],
)
def test_beacon_with_bad_field_is_refused_naming_the_field(field: str, value: object) -> None:
    wire = {"papo": "beacon", "v": 1, "node": "n1", "user": "ana", "port": 4000}
    wire[field] = value
    error = decode_beacon(json.dumps(wire).encode())
    assert isinstance(error, DecodeError)
    assert error.details.get("field") == field


@given(st.binary(max_size=600))
def test_decoding_any_bytes_never_raises(payload: bytes) -> None:
    result = decode_beacon(payload)
    assert isinstance(result, Beacon | DecodeError)


@given(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64),
    st.text(min_size=1, max_size=32).filter(lambda s: s.strip()),
    st.integers(1, 65535),
)
def test_every_valid_beacon_round_trips(node: str, nick: str, port: int) -> None:
    beacon = Beacon(node=node, nick=nick, port=port)
    assert decode_beacon(encode_beacon(beacon)) == beacon
