"""The envelope codec: encoding, strict and total decoding, splitting."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError, InputError
from papo.protocol.codec import decode, encode, split_text
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import ChatMessage, MessageType


def wire(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_handout_envelope_decodes_to_user_and_data() -> None:
    message = decode(b'{"user": "ana", "data": "oi"}')
    assert isinstance(message, ChatMessage)
    assert (message.user, message.data, message.type, message.plain) == ("ana", "oi", "chat", False)


def test_encoded_message_is_readable_by_a_handout_receiver() -> None:
    payload = encode(ChatMessage(user="ana", data="ção 😀", v=1, seq=3, node="ab12"))
    handout_view = json.loads(payload.decode("utf-8"))
    assert handout_view["user"] == "ana"
    assert handout_view["data"] == "ção 😀"
    assert list(handout_view)[:2] == ["user", "data"]


def test_round_trip_keeps_every_papo_field() -> None:
    original = ChatMessage(
        user="ana",
        data="oi",
        type=MessageType.ME,
        v=1,
        id="x1",
        node="n1",
        seq=7,
        ts=1.5,
        part=1,
        parts=2,
        to="bia",
        room="geral",
    )
    assert decode(encode(original)) == original


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "decode_empty"),
        (b"   \n", "decode_empty"),
        (b"\xff\xfe", "decode_invalid_utf8"),
        (b"{not json", "decode_invalid_json"),
        (b'{"user": "ana", "data": "oi"', "decode_invalid_json"),
        (b"[1, 2]", "decode_not_object"),
        (b'"just a string"', "decode_not_object"),
        (b"{}", "decode_missing_field"),
        (b'{"user": "ana"}', "decode_missing_field"),
        (b'{"data": "oi"}', "decode_missing_field"),
        (b'{"user": 1, "data": "oi"}', "decode_wrong_type"),
        (b'{"user": "ana", "data": null}', "decode_wrong_type"),
        (b'{"user": "", "data": "oi"}', "decode_bad_value"),
        (b'{"user": "ana", "data": "oi", "seq": true}', "decode_wrong_type"),
        (b'{"user": "ana", "data": "oi", "seq": -1}', "decode_bad_value"),
        (b'{"user": "ana", "data": "oi", "ts": "noon"}', "decode_wrong_type"),
        (b'{"user": "ana", "data": "oi", "ts": NaN}', "decode_invalid_json"),
        (b'{"user": "ana", "data": "oi", "ts": 1e999}', "decode_bad_value"),
        (b'{"user": "ana", "data": "oi", "type": "DROP TABLE"}', "decode_bad_value"),
        (b'{"user": "ana", "data": "oi", "id": "with space"}', "decode_bad_value"),
        (b'{"user": "ana", "data": "oi", "part": 2}', "decode_bad_value"),
        (b'{"user": "ana", "data": "oi", "part": 3, "parts": 2}', "decode_bad_value"),
        (b'{"user": "\\ud800", "data": "oi"}', "decode_bad_value"),
        (b'{"user": "ana", "data": "oi", "seq": 1' + b"0" * 5000 + b"}", "decode_invalid_json"),
        (b"[" * 30_000 + b"]" * 30_000, "decode_too_deep"),
        (b"[" * 100_000, "decode_oversize"),
        (b'{"user": "ana", "data": "oi", "x": ' + b"[" * 9 + b"]" * 9 + b"}", "decode_too_deep"),
    ],
)
def test_bad_input_gives_a_typed_error(payload: bytes, code: str) -> None:
    result = decode(payload)
    assert isinstance(result, DecodeError)
    assert result.code == code
    assert str(result)  # has a one-line text


def test_oversize_datagram_is_rejected_before_parsing() -> None:
    result = decode(b"x" * (DEFAULT_LIMITS.max_datagram_bytes + 1))
    assert isinstance(result, DecodeError) and result.code == "decode_oversize"


def test_too_long_text_and_nick_are_rejected() -> None:
    long_data = wire(user="ana", data="x" * (DEFAULT_LIMITS.max_text_chars + 1))
    long_user = wire(user="a" * (DEFAULT_LIMITS.max_nick_chars + 1), data="oi")
    for payload in (long_data, long_user):
        result = decode(payload)
        assert isinstance(result, DecodeError) and result.code == "decode_too_long"


def test_nesting_at_the_limit_is_accepted() -> None:
    depth = DEFAULT_LIMITS.max_json_depth - 1  # plus the envelope itself
    payload = b'{"user": "ana", "data": "oi", "x": ' + b"[" * depth + b"]" * depth + b"}"
    assert isinstance(decode(payload), ChatMessage)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    payload = wire(user="ana", data="[" * 1000 + '"\\{')
    message = decode(payload)
    assert isinstance(message, ChatMessage) and message.data.startswith("[[[")


def test_unknown_keys_are_ignored() -> None:
    message = decode(b'{"user": "ana", "data": "oi", "color": "red", "n": [1, {"a": 2}]}')
    assert isinstance(message, ChatMessage) and message.data == "oi"


def test_plain_text_is_a_message_attributed_to_its_source() -> None:
    message = decode("ana: olá\n".encode(), source="10.0.0.7:40000")
    assert isinstance(message, ChatMessage)
    assert message.plain and message.user == "10.0.0.7:40000" and message.data == "ana: olá"


def test_bare_numbers_and_words_are_plain_text_not_errors() -> None:
    for text in (b"123", b"true", b"sair"):
        message = decode(text, source="h:1")
        assert isinstance(message, ChatMessage) and message.plain


def test_limits_are_parameters() -> None:
    strict = Limits(max_datagram_bytes=10)
    assert isinstance(decode(b'{"user":"ana","data":"oi"}', limits=strict), DecodeError)


@given(st.binary(max_size=2048))
def test_any_bytes_decode_to_a_message_or_a_typed_error(payload: bytes) -> None:
    assert isinstance(decode(payload, "h:1"), ChatMessage | DecodeError)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    ["user", "data", "seq", "ts", "v", "type", "part", "parts", "id", "x"]
                ),
                children,
                max_size=6,
            )
        ),
        max_leaves=30,
    )
)
def test_any_json_value_decodes_to_a_message_or_a_typed_error(value: object) -> None:
    payload = json.dumps(value).encode()
    assert isinstance(decode(payload, "h:1"), ChatMessage | DecodeError)


@given(st.binary(max_size=300))
def test_decoding_every_prefix_never_raises(payload: bytes) -> None:
    full = b'{"user": "ana", "data": "' + payload.hex().encode() + b'"}'
    for end in range(len(full) + 1):
        assert isinstance(decode(full[:end], "h:1"), ChatMessage | DecodeError)


@given(st.text(max_size=DEFAULT_LIMITS.max_input_chars // 4))
def test_split_parts_fit_the_handout_buffer_and_rebuild_the_text(text: str) -> None:
    def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
        return ChatMessage(
            user="ana",
            data=chunk,
            v=1,
            node="n" * 16,
            seq=1000 + (part or 1),
            ts=1e9,
            part=part,
            parts=parts,
        )

    messages = split_text(text, build)
    assert "".join(message.data for message in messages) == text
    for message in messages:
        payload = encode(message)
        assert len(payload) <= DEFAULT_LIMITS.send_datagram_bytes
        assert decode(payload) == message
    if len(messages) > 1:
        assert [m.part for m in messages] == list(range(1, len(messages) + 1))
        assert {m.parts for m in messages} == {len(messages)}


def test_split_refuses_input_over_the_limit() -> None:
    with pytest.raises(InputError) as info:
        split_text("x" * (DEFAULT_LIMITS.max_input_chars + 1), lambda c, p, n: ChatMessage("a", c))
    assert info.value.code == "input_too_long"


def test_split_refuses_more_parts_than_the_limit() -> None:
    limits = Limits(max_parts=2)
    with pytest.raises(InputError) as info:
        split_text("x" * 3000, lambda c, p, n: ChatMessage("a", c, part=p, parts=n), limits)
    assert info.value.code == "too_many_parts"


def test_split_prefers_to_cut_at_spaces() -> None:
    words = " ".join(["palavra"] * 400)
    messages = split_text(words, lambda c, p, n: ChatMessage("a", c, part=p, parts=n))
    assert len(messages) > 1
    for message in messages[:-1]:
        assert message.data.endswith(" ")


def test_bracket_depths_ignore_brackets_inside_strings_and_escapes() -> None:
    from papo.protocol.codec import bracket_depths

    assert list(bracket_depths('{"a": "[{\\"}", "b": [1, [2]]}')) == [1, 2, 3, 2, 1, 0]
