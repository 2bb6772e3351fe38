"""The decoder's shortcuts (raw_decode, handout-only objects) keep its verdicts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol import codec
from papo.protocol.codec import decode, encode
from papo.protocol.limits import DEFAULT_LIMITS
from papo.protocol.message import ChatMessage, MessageType


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


_FIELDS = list(ChatMessage.__slots__)

# The one-pass fast path only accepts; whatever it accepts, the strict path accepts alike.
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 2**64),
    st.sampled_from([0.0, 1.5, 1e10, 1e11, -1.0, float("nan"), float("inf"), 1795686830.028]),
    st.text(max_size=8),
    st.sampled_from(["chat", "me", "join", "x-1", "Bad", "", " ", "a b", "\ud800", "é"]),
    st.sampled_from(["0" * 16, "n" * 65, "A" * 44, "A" * 88, "=" * 44]),
    st.lists(st.integers(0, 1), max_size=2),
    st.dictionaries(st.just("k"), st.integers(0, 1), max_size=1),
)
_KEYS = st.sampled_from(
    ["v", "type", "id", "node", "seq", "ts", "part", "parts", "to", "room", "key", "sig", "zz"]
)
_TEXTS = st.one_of(
    st.text(max_size=40), st.sampled_from(["ana", " ", "", "a\ud800", "x" * 33]), st.integers(0, 2)
)


def _line(user: object, data: object, **extra: object) -> dict[str, object]:
    return {"user": user, "data": data, **extra}


@given(_TEXTS, _TEXTS, st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_the_fast_path_accepts_only_what_the_strict_path_accepts_alike(
    user: object, data: object, extra: dict[str, object]
) -> None:
    obj = _line(user, data, **extra)
    fast = codec._fast_message(obj, "10.0.0.1:5007", DEFAULT_LIMITS)
    strict = codec._checked_message(obj, "10.0.0.1:5007", DEFAULT_LIMITS)
    if fast is not None:
        assert fast == strict
        assert [type(getattr(fast, f)) for f in _FIELDS] == [
            type(getattr(strict, f)) for f in _FIELDS
        ]


@given(
    st.sampled_from([1, 0, True, None, 1001, "1"]),
    st.sampled_from(["chat", "me", "x-1", "Bad", 1, None, ["chat"]]),
    st.sampled_from(["0" * 16, "", "a b", "n" * 65, "\x7f", 7, None]),
    st.sampled_from([1, 0, -1, 2**63, True, 1.0, None]),
    st.sampled_from([1795686830.028, 0, -0.5, 1e11, 10**400, True, "1", None]),
)
def test_papo_chat_lines_of_every_value_decode_as_the_strict_path_says(
    v: object, kind: object, node: object, seq: object, ts: object
) -> None:
    obj = _line("ana", "oi", v=v, type=kind, node=node, seq=seq, ts=ts)
    text = json.dumps(obj, allow_nan=True)
    result = decode(text.encode())
    strict = codec._checked_message(json.loads(text), None, DEFAULT_LIMITS)
    if isinstance(strict, DecodeError):
        assert isinstance(result, DecodeError)
        assert (result.code, result.details) == (strict.code, strict.details)
    else:
        assert result == strict


def test_the_common_shapes_take_the_fast_path() -> None:
    line = codec.LineEncoder("ana", "0" * 16).encode("oi", 1, 1795686830.028)
    shapes: list[dict[str, object]] = [json.loads(line), {"user": "ana", "data": "oi"}]
    for obj in shapes:
        assert codec._fast_message(obj, None, DEFAULT_LIMITS) is not None


_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from([MessageType.ME, "chat", "\ud800", 'a"\\\n\x00é😀']),
)


@given(
    st.one_of(st.text(max_size=6), st.integers(0, 3)),
    st.one_of(st.text(max_size=6), st.none()),
    st.one_of(st.sampled_from(list(MessageType)), st.text(max_size=4), st.integers(0, 1)),
    st.fixed_dictionaries(
        {},
        optional={
            name: _ANY_VALUE
            for name in [
                "v",
                "id",
                "node",
                "seq",
                "ts",
                "part",
                "parts",
                "to",
                "room",
                "key",
                "sig",
            ]
        },
    ),
)
def test_encode_writes_what_the_json_encoder_writes_of_the_wire_dict(
    user: object, data: object, kind: object, extra: dict[str, object]
) -> None:
    message = ChatMessage(user, data, kind, **extra)  # type: ignore[arg-type]
    try:
        expected: bytes | type[Exception] = codec._encode_dict(message)
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        expected = type(exc)
    try:
        got: bytes | type[Exception] = encode(message)
    except (TypeError, ValueError) as exc:
        got = type(exc)
    assert got == expected
