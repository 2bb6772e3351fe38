"""The decoder's shortcuts (raw_decode, handout-only objects) keep its verdicts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.codec import decode


def _json_error(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.msg
    raise AssertionError("valid JSON")


@pytest.mark.parametrize(
    "text", ['{"user":"a","data":"b"} x', '{"user":"a","data":"b"}{}', '{"user":"a","data":"b"}]']
)
def test_data_after_the_object_is_invalid_json_with_json_loads_reason(text: str) -> None:
    result = decode(text.encode())
    assert isinstance(result, DecodeError) and result.code == "decode_invalid_json"
    assert result.details["reason"] == _json_error(text) == "Extra data"


@pytest.mark.parametrize("padding", ["", " ", "\n", "\r\n", "\t ", "\u00a0"])
def test_whitespace_around_the_object_is_accepted(padding: str) -> None:
    result = decode(f'{padding}{{"user":"a","data":"b"}}{padding}'.encode())
    assert not isinstance(result, DecodeError)
    assert (result.user, result.data) == ("a", "b")


def test_a_handout_message_has_no_papo_fields() -> None:
    result = decode(b'{"user":"ana","data":"oi"}', "10.0.0.1:5007")
    assert not isinstance(result, DecodeError)
    assert (result.v, result.node, result.seq, result.part, result.parts) == (None,) * 5
    assert result.source == "10.0.0.1:5007"


@pytest.mark.parametrize("extra", ['"part":1', '"parts":2', '"part":3,"parts":2'])
def test_parts_still_come_in_consistent_pairs(extra: str) -> None:
    result = decode(('{"user":"a","data":"b",' + extra + "}").encode())
    assert isinstance(result, DecodeError) and result.details.get("field") == "part"


@given(st.dictionaries(st.sampled_from(["user", "data", "v", "seq", "x"]), st.integers(0, 3)))
def test_missing_handout_keys_are_named_user_first(obj: dict[str, int]) -> None:
    result = decode(json.dumps(obj).encode())
    if "user" not in obj:
        assert isinstance(result, DecodeError) and result.details == {"field": "user"}
    elif isinstance(obj["user"], int):
        assert isinstance(result, DecodeError) and result.code == "decode_wrong_type"


@pytest.mark.parametrize("ts", ["1" + "0" * 400, "-1" + "0" * 400, "1e400", "-1e400"])
def test_a_timestamp_too_large_for_a_float_is_a_bad_value_not_a_crash(ts: str) -> None:
    result = decode(('{"user":"a","data":"b","ts":' + ts + "}").encode())
    assert isinstance(result, DecodeError) and result.code == "decode_bad_value"
    assert result.details["field"] == "ts"
