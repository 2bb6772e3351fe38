"""The room's rules, driven line by line without sockets or clocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import (
    RoomMessage,
    decode_room,
    encode_room,
    join_line,
    leave_line,
    nick_line,
    ping_line,
    who_line,
)
from papo.session.room_server import (
    MAX_CLIENTS,
    MAX_ERRORS_PER_CLIENT,
    RATE_BURST,
    RATE_MESSAGES_PER_SECOND,
    Broadcast,
    Close,
    Log,
    Room,
    RoomRules,
    Send,
    TokenBucket,
)


def line(data: bytes) -> bytes:
    return data.rstrip(b"\n")


def chat(text: str, kind: str = MessageType.CHAT, to: str | None = None) -> bytes:
    return line(encode_room(ChatMessage(user="whatever", data=text, type=kind, to=to)))


def sent_to(actions: list, conn: int) -> list[RoomMessage]:
    out = []
    for action in actions:
        if (isinstance(action, Send) and action.conn == conn) or (
            isinstance(action, Broadcast) and conn in action.conns
        ):
            decoded = decode_room(line(action.line))
            assert isinstance(decoded, RoomMessage)
            out.append(decoded)
    return out


def joined_room(*nicks: str, rules: RoomRules | None = None) -> Room:
    room = Room(rules or RoomRules())
    for conn, nick in enumerate(nicks, start=1):
        room.connect(conn, f"127.0.0.1:{1000 + conn}", 0.0)
        actions = room.receive(conn, line(join_line(nick)), 0.0)
        assert sent_to(actions, conn)[0].type == "welcome"
    return room


def test_limits_are_named_with_sane_defaults() -> None:
    assert MAX_CLIENTS >= 200
    assert RATE_BURST >= RATE_MESSAGES_PER_SECOND > 0
    assert MAX_ERRORS_PER_CLIENT > 0


def test_join_welcomes_with_roster_and_tells_the_others() -> None:
    room = joined_room("ana")
    room.connect(2, "peer", 0.0)
    actions = room.receive(2, line(join_line("bia")), 0.0)
    (welcome,) = sent_to(actions, 2)
    assert welcome.nicks == ("ana", "bia")
    (notice,) = sent_to(actions, 1)
    assert (notice.type, notice.message.user) == ("join", "bia")
    assert any(isinstance(a, Log) and a.code == "room_log_joined" for a in actions)


def test_chat_goes_to_everyone_else_never_back_to_the_sender() -> None:
    room = joined_room("ana", "bia", "carla")
    actions = room.receive(1, chat("oi"), 1.0)
    assert sent_to(actions, 1) == []
    for conn in (2, 3):
        (got,) = sent_to(actions, conn)
        assert (got.message.user, got.message.data) == ("ana", "oi")


def test_me_action_is_relayed_with_its_type() -> None:
    room = joined_room("ana", "bia")
    (got,) = sent_to(room.receive(1, chat("acena", MessageType.ME), 1.0), 2)
    assert got.type == "me"


def test_private_reaches_only_its_target_case_insensitively() -> None:
    room = joined_room("ana", "Bia", "carla")
    actions = room.receive(1, chat("psst", MessageType.PRIVATE, to="bia"), 1.0)
    assert sent_to(actions, 3) == [] and sent_to(actions, 1) == []
    (got,) = sent_to(actions, 2)
    assert (got.type, got.message.user, got.message.to) == ("private", "ana", "bia")


def test_private_to_unknown_nick_gets_an_error() -> None:
    room = joined_room("ana")
    (error,) = sent_to(room.receive(1, chat("x", MessageType.PRIVATE, to="zé"), 1.0), 1)
    assert error.code == "room_unknown_nick"


def test_nick_clash_is_case_insensitive_and_suggests_an_alternative() -> None:
    room = joined_room("ana")
    room.connect(2, "peer", 0.0)
    (error,) = sent_to(room.receive(2, line(join_line("ANA")), 0.0), 2)
    assert error.code == "room_nick_taken"
    assert error.suggestion == "ANA2"
    assert not room.is_joined(2)
    (welcome,) = sent_to(room.receive(2, line(join_line("ANA2")), 0.0), 2)
    assert welcome.type == "welcome"


@pytest.mark.parametrize("nick", ["a\x1b[2Jb", "ana bia", "tab\there", "\u202eevil"])
def test_nick_with_control_or_invisible_characters_is_refused(nick: str) -> None:
    room = Room()
    room.connect(1, "peer", 0.0)
    (error,) = sent_to(room.receive(1, line(join_line(nick)), 0.0), 1)
    assert error.code == "room_bad_nick"
    assert "\x1b" not in str(error.details.get("nick", ""))
    assert not room.is_joined(1)


def test_nick_change_is_announced_to_everyone_including_the_renamed() -> None:
    room = joined_room("ana", "bia")
    actions = room.receive(1, line(nick_line("ana", "aninha")), 1.0)
    for conn in (1, 2):
        (got,) = sent_to(actions, conn)
        assert (got.type, got.message.user, got.message.data) == ("nick", "ana", "aninha")
    assert room.nicks == ("aninha", "bia")


def test_nick_change_to_a_taken_nick_is_refused() -> None:
    room = joined_room("ana", "bia")
    (error,) = sent_to(room.receive(1, line(nick_line("ana", "Bia")), 1.0), 1)
    assert error.code == "room_nick_taken"
    assert room.nicks == ("ana", "bia")


def test_changing_only_the_case_of_ones_own_nick_is_allowed() -> None:
    room = joined_room("ana")
    room.receive(1, line(nick_line("ana", "Ana")), 1.0)
    assert room.nicks == ("Ana",)


def test_who_answers_with_the_roster() -> None:
    room = joined_room("bia", "ana")
    (roster,) = sent_to(room.receive(1, line(who_line("bia")), 1.0), 1)
    assert roster.nicks == ("ana", "bia")


def test_leave_tells_the_others_and_closes_only_that_client() -> None:
    room = joined_room("ana", "bia")
    actions = room.receive(1, line(leave_line("ana")), 1.0)
    assert Close(1, "room_quit") in actions
    (notice,) = sent_to(actions, 2)
    assert (notice.type, notice.message.user, notice.code) == ("leave", "ana", "room_quit")
    assert room.nicks == ("bia",)
    assert room.disconnected(1, "room_gone") == []  # no second notice


def test_sair_typed_as_chat_is_just_chat_not_everyone_stops() -> None:
    room = joined_room("ana", "bia")
    actions = room.receive(1, chat("sair"), 1.0)
    assert not any(isinstance(a, Close) for a in actions)
    assert sent_to(actions, 2)[0].message.data == "sair"


def test_ping_gets_a_pong() -> None:
    room = joined_room("ana")
    (pong,) = sent_to(room.receive(1, line(ping_line("ana")), 1.0), 1)
    assert pong.type == "pong"


def test_first_line_must_be_a_join_or_the_connection_is_closed() -> None:
    room = Room()
    room.connect(1, "peer", 0.0)
    actions = room.receive(1, chat("oi"), 0.0)
    assert sent_to(actions, 1)[0].code == "room_hello_expected"
    assert Close(1, "room_hello_expected") in actions


@pytest.mark.parametrize(
    "bad",
    [
        b"not json",
        b"\xff\xfe\xfd",
        b"{",
        b"\x00\x01\x02\x03",
        b'{"user":"a","data":"","type":"welcome"}',
    ],
)
def test_bad_lines_get_an_error_and_others_lose_nothing(bad: bytes) -> None:
    room = joined_room("ana", "bia")
    actions = room.receive(1, bad, 1.0)
    (error,) = sent_to(actions, 1)
    assert error.type == "error" and error.code
    assert sent_to(actions, 2) == []
    assert room.nicks == ("ana", "bia")
    (got,) = sent_to(room.receive(1, chat("still here"), 1.0), 2)
    assert got.message.data == "still here"


def test_framing_errors_are_reported_to_the_client() -> None:
    room = joined_room("ana")
    error = DecodeError("frame_too_long", size=70000, max=65535)
    (reply,) = sent_to(room.receive(1, error, 1.0), 1)
    assert reply.code == "frame_too_long" and reply.details["max"] == 65535


def test_too_many_bad_lines_cut_the_client() -> None:
    room = joined_room("ana", "bia", rules=RoomRules(max_errors=3))
    actions: list = []
    for _ in range(4):
        actions = room.receive(1, b"garbage", 1.0)
    assert Close(1, "room_too_many_errors") in actions
    assert sent_to(actions, 2)[-1].code == "room_too_many_errors"


def test_rate_limit_drops_messages_over_the_burst_then_refills() -> None:
    room = joined_room("ana", "bia", rules=RoomRules(rate_per_second=1.0, rate_burst=2))
    delivered = [bool(sent_to(room.receive(1, chat(str(i)), 10.0), 2)) for i in range(3)]
    assert delivered == [True, True, False]
    assert bool(sent_to(room.receive(1, chat("later"), 11.0), 2))


def test_token_bucket_refills_at_its_rate_up_to_the_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=2, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [True, True, False]
    assert bucket.take(0.5) is True
    assert bucket.take(0.5) is False
    assert [bucket.take(100.0) for _ in range(3)] == [True, True, False]


def test_room_refuses_a_client_over_max_clients() -> None:
    room = joined_room("ana", rules=RoomRules(max_clients=1))
    room.connect(2, "peer", 0.0)
    actions = room.receive(2, line(join_line("bia")), 0.0)
    assert Close(2, "room_full") in actions


def test_expel_tells_the_client_why_and_the_room_it_left() -> None:
    room = joined_room("ana", "bia")
    actions = room.expel(1, "room_idle_timeout")
    assert sent_to(actions, 1)[0].code == "room_idle_timeout"
    assert sent_to(actions, 2)[0].code == "room_idle_timeout"
    assert Close(1, "room_idle_timeout") in actions


def test_disconnect_of_a_joined_client_tells_the_others_once() -> None:
    room = joined_room("ana", "bia")
    actions = room.disconnected(1, "room_connection_lost")
    assert [m.code for m in sent_to(actions, 2)] == ["room_connection_lost"]
    assert room.disconnected(1, "room_connection_lost") == []


def test_shutdown_tells_every_connection_and_closes_them() -> None:
    room = joined_room("ana", "bia")
    room.connect(3, "pending", 0.0)
    actions = room.shutdown()
    for conn in (1, 2, 3):
        assert sent_to(actions, conn)[0].type == "shutdown"
        assert Close(conn, "room_server_shutdown") in actions
    assert room.nicks == ()


def test_every_code_the_room_uses_has_a_text_in_both_languages() -> None:
    import re
    from pathlib import Path

    from papo.i18n import CATALOG

    src = Path(__file__).resolve().parents[2] / "src" / "papo"
    files = [
        "protocol/room.py",
        "protocol/framing.py",
        "protocol/room_state.py",
        "transport/tcp_server.py",
        "transport/tcp_client.py",
        "ui/server.py",
        "cli/room.py",
    ]
    text = "".join((src / name).read_text(encoding="utf-8") for name in files)
    codes = set(re.findall(r'"((?:room|frame)_[a-z_]+|connected|reconnecting|disconnected)"', text))
    codes -= {"frame_line"}  # a function name, not a text
    assert len(codes) > 30
    missing = sorted(code for code in codes if code not in CATALOG)
    assert missing == []
    assert all(CATALOG[code][0] and CATALOG[code][1] for code in codes)


_LINES = st.one_of(
    st.binary(max_size=60),
    st.sampled_from(
        [
            line(join_line("ana")),
            line(join_line("ANA")),
            line(join_line("bia")),
            line(nick_line("x", "ana")),
            line(nick_line("x", "carla")),
            line(leave_line("x")),
            line(who_line("x")),
            line(ping_line("x")),
            chat("oi"),
            chat("psst", MessageType.PRIVATE, to="bia"),
        ]
    ),
)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(1, 4), _LINES), max_size=40))
def test_any_sequence_of_lines_keeps_nicks_unique_and_never_raises(steps) -> None:
    room = Room(RoomRules(max_errors=5))
    for conn in range(1, 5):
        room.connect(conn, f"peer{conn}", 0.0)
    for now, (conn, data) in enumerate(steps):
        for action in room.receive(conn, data, float(now)):
            if isinstance(action, Send | Broadcast):
                assert action.line.endswith(b"\n")
                assert isinstance(decode_room(line(action.line)), RoomMessage)
        keys = [nick.casefold() for nick in room.nicks]
        assert len(keys) == len(set(keys))
