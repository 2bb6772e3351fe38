"""The room protocol: control lines round-trip; extras are validated; nick rules."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import (
    DEFAULT_ROOM_PORT,
    MAX_ROSTER_NICKS,
    RoomMessage,
    RoomType,
    decode_room,
    error_line,
    join_line,
    left_line,
    nick_changed_line,
    nick_key,
    ping_line,
    relay_line,
    roster_line,
    shutdown_line,
    suggest_nick,
    welcome_line,
)


def roundtrip(line: bytes) -> RoomMessage:
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    decoded = decode_room(line[:-1])
    assert isinstance(decoded, RoomMessage), decoded
    return decoded


def test_default_port_is_neither_the_handouts_multicast_nor_json_port() -> None:
    assert DEFAULT_ROOM_PORT not in (5007, 12345)
    assert 1024 < DEFAULT_ROOM_PORT < 49152


def test_default_port_is_the_one_papo_chat_server_uses() -> None:
    from papo.cli.chat import DEFAULT_SERVER_PORT

    assert DEFAULT_ROOM_PORT == DEFAULT_SERVER_PORT


def test_every_line_is_a_handout_envelope_with_user_and_data() -> None:
    for line in (join_line("ana"), welcome_line("ana", ["ana", "bia"]), shutdown_line()):
        obj = json.loads(line)
        assert isinstance(obj["user"], str) and isinstance(obj["data"], str)


def test_welcome_carries_the_sorted_roster() -> None:
    decoded = roundtrip(welcome_line("ana", ["bia", "Ana", "carla"]))
    assert decoded.type == RoomType.WELCOME
    assert decoded.message.user == "ana"
    assert decoded.nicks == ("Ana", "bia", "carla")


def test_error_carries_code_suggestion_and_details() -> None:
    decoded = roundtrip(error_line("room_nick_taken", suggestion="ana2", nick="ana"))
    assert decoded.type == RoomType.ERROR
    assert decoded.code == "room_nick_taken"
    assert decoded.suggestion == "ana2"
    assert dict(decoded.details) == {"nick": "ana"}


def test_leave_notice_says_why() -> None:
    decoded = roundtrip(left_line("ana", "room_slow_consumer"))
    assert (decoded.type, decoded.message.user, decoded.code) == (
        "leave",
        "ana",
        "room_slow_consumer",
    )


def test_nick_change_names_old_and_new() -> None:
    decoded = roundtrip(nick_changed_line("ana", "aninha"))
    assert (decoded.message.user, decoded.message.data) == ("ana", "aninha")


def test_relay_stamps_the_senders_nick_and_keeps_to_only_for_private() -> None:
    spoofed = ChatMessage(user="someone-else", data="oi", to="bia")
    assert roundtrip(relay_line(spoofed, "ana")).message.user == "ana"
    assert roundtrip(relay_line(spoofed, "ana")).message.to is None
    private = ChatMessage(user="x", data="psst", type=MessageType.PRIVATE, to="bia")
    assert roundtrip(relay_line(private, "ana")).message.to == "bia"


def test_roster_and_ping_round_trip() -> None:
    assert roundtrip(roster_line(["b", "a"])).nicks == ("a", "b")
    assert roundtrip(ping_line()).type == RoomType.PING


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"code": "Not A Code"}, "code"),
        ({"code": 5}, "code"),
        ({"nicks": "ana"}, "nicks"),
        ({"nicks": [1, 2]}, "nicks"),
        ({"nicks": ["x" * 33]}, "nicks"),
        ({"nicks": ["a"] * (MAX_ROSTER_NICKS + 1)}, "nicks"),
        ({"suggestion": ""}, "suggestion"),
        ({"details": {"Bad Key": 1}}, "details"),
        ({"details": {"k": [1]}}, "details"),
        ({"details": {"k": True}}, "details"),
        ({"details": {f"k{i}": i for i in range(9)}}, "details"),
    ],
)
def test_bad_extras_are_decode_errors_not_crashes(extra: dict, field: str) -> None:
    body = {"user": "server", "data": "", "type": "error", **extra}
    result = decode_room(json.dumps(body).encode())
    assert isinstance(result, DecodeError)
    assert result.details["field"] == field


@pytest.mark.parametrize(
    "line",
    [b"hello there", b"\xff\xfe", b"{", b"[]", b"\x00\x01\x02", b'{"user": 1, "data": ""}'],
)
def test_garbage_lines_are_decode_errors(line: bytes) -> None:
    assert isinstance(decode_room(line), DecodeError)


def test_plain_text_is_refused_with_room_not_json() -> None:
    result = decode_room(b"just typing in nc")
    assert isinstance(result, DecodeError)
    assert result.code == "room_not_json"


def test_nick_key_makes_case_and_normalisation_clash() -> None:
    assert nick_key("Ana") == nick_key("ana")
    assert nick_key("Jos\u00e9") == nick_key("Jose\u0301")


def test_suggest_nick_finds_a_free_variant_within_the_length_limit() -> None:
    assert suggest_nick("ana", ["ana"]) == "ana2"
    assert suggest_nick("ana", ["ana", "ANA2"]) == "ana3"
    long = "x" * 32
    suggestion = suggest_nick(long, [long])
    assert len(suggestion) == 32 and suggestion.endswith("2")


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b"\x1c", b" \t", b"\x1f\x1e"])
def test_lines_the_codec_accepts_with_odd_leading_bytes_never_raise(prefix: bytes) -> None:
    result = decode_room(prefix + b'{"user":"a","data":"","type":"leave","code":"room_quit"}')
    assert isinstance(result, RoomMessage | DecodeError)
    if isinstance(result, RoomMessage):
        assert result.code == "room_quit"


@given(st.binary(max_size=200))
def test_decode_room_never_raises_on_any_bytes(data: bytes) -> None:
    assert isinstance(decode_room(data), RoomMessage | DecodeError)


@given(
    st.fixed_dictionaries(
        {"user": st.text(min_size=1, max_size=5), "data": st.text(max_size=5)},
        optional={
            "type": st.sampled_from(["welcome", "roster", "error", "leave", "shutdown"]),
            "code": st.one_of(st.text(max_size=10), st.integers(), st.none()),
            "nicks": st.one_of(st.lists(st.text(max_size=5), max_size=3), st.text(max_size=3)),
            "suggestion": st.one_of(st.text(max_size=5), st.integers()),
            "details": st.dictionaries(
                st.text(max_size=5), st.one_of(st.text(max_size=5), st.integers(), st.none())
            ),
        },
    )
)
def test_decode_room_never_raises_on_any_envelope_with_extras(body: dict) -> None:
    line = json.dumps(body).encode()
    assert isinstance(decode_room(line), RoomMessage | DecodeError)
