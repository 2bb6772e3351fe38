"""Acknowledged delivery of a client's lines to the room server (pure).

The client's in-flight window, the server's per-session id memory and takeover of a dead
connection, the receivers' memory of shown lines, and what clients without a session
(old papo, the handout's programs) keep seeing.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.delivery import (
    MAX_UNACKED_LINES,
    REMEMBERED_IDS_PER_SESSION,
    REMEMBERED_SESSIONS,
    SEEN_LINE_IDS,
    UNDELIVERED_PREVIEW_CHARS,
    Inflight,
    PendingLine,
    SeenIds,
    SessionIds,
    preview,
)
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import (
    RoomMessage,
    RoomType,
    ack_line,
    decode_room,
    encode_room,
    join_line,
    welcome_line,
)
from papo.protocol.room_state import MAX_CLIENTS, Broadcast, Room, RoomRules, Send

RULES = RoomRules(rate_per_second=1e9, rate_burst=10**9)


def pending(inflight: Inflight, text: str, message: int | None = None) -> PendingLine:
    number = inflight.new_message() if message is None else message
    line_id = inflight.new_id()
    line = encode_room(ChatMessage(user="ana", data=text, id=line_id))
    item = PendingLine(line_id, line, number, text)
    inflight.add(item)
    return item


# --- the limits ---------------------------------------------------------------------------


def test_limits_are_named_and_cover_what_a_client_may_send_again() -> None:
    assert 0 < MAX_UNACKED_LINES <= REMEMBERED_IDS_PER_SESSION
    assert REMEMBERED_SESSIONS >= MAX_CLIENTS  # every joined client keeps its memory
    assert SEEN_LINE_IDS >= MAX_UNACKED_LINES
    assert UNDELIVERED_PREVIEW_CHARS > 0


# --- the client's in-flight window ----------------------------------------------------


def test_inflight_keeps_unacked_lines_in_order_and_forgets_acked_ones() -> None:
    inflight = Inflight("p")
    first, second, third = (pending(inflight, text) for text in ("um", "dois", "três"))
    assert (first.id, second.id, third.id) == ("p.1", "p.2", "p.3")
    assert inflight.ack("p.2")
    assert not inflight.ack("p.2")  # a second ack (or an unknown id) changes nothing
    assert not inflight.ack("other.1")
    assert inflight.pending() == [first.line, third.line]
    assert len(inflight) == 2


def test_inflight_window_has_room_up_to_its_limit_and_a_long_message_fits_alone() -> None:
    inflight = Inflight("p", limit=3)
    assert inflight.has_room(10)  # empty: a message longer than the window still goes
    pending(inflight, "a")
    pending(inflight, "b")
    assert inflight.has_room(1)
    assert not inflight.has_room(2)
    pending(inflight, "c")
    assert not inflight.has_room(1)
    inflight.ack("p.1")
    assert inflight.has_room(1)
    with pytest.raises(ValueError):
        Inflight("p", limit=0)


def test_giving_up_counts_typed_messages_not_parts_and_quotes_them() -> None:
    inflight = Inflight("p")
    number = inflight.new_message()
    pending(inflight, "part one ", number)
    pending(inflight, "part two", number)
    pending(inflight, "second")
    undelivered = inflight.take_undelivered()
    assert undelivered is not None
    assert undelivered.count == 2
    assert undelivered.texts == '"part one part two" / "second"'
    assert len(inflight) == 0
    assert inflight.take_undelivered() is None  # said once


def test_the_quoted_texts_are_cut_to_the_named_limit() -> None:
    shown = preview(["x" * 500, "y"])
    assert len(shown) == UNDELIVERED_PREVIEW_CHARS
    assert shown.endswith("…")
    assert preview(["a\nb\tc"]) == '"a b c"'  # one line, whatever was typed


# --- the server's memory of ids per session ---------------------------------------------------


def test_session_ids_tell_a_resent_line_and_are_bounded() -> None:
    ids = SessionIds(sessions=2, ids_per_session=2)
    assert ids.first_time("s1", "a.1")
    assert not ids.first_time("s1", "a.1")
    assert ids.first_time("s2", "a.1")  # another session's id is another line
    assert ids.duplicates == 1
    ids.first_time("s1", "a.2")
    ids.first_time("s1", "a.3")  # pushes a.1 out of s1's window
    assert ids.first_time("s1", "a.1")
    ids.first_time("s3", "x")  # pushes s2 (least recently active) out
    assert len(ids) == 2
    assert ids.first_time("s2", "a.1")


def test_seen_ids_are_per_nick_case_insensitive_and_bounded() -> None:
    seen = SeenIds(size=2)
    assert seen.first_time("ana", "p.1")
    assert not seen.first_time("Ana", "p.1")
    assert seen.first_time("bia", "p.1")  # same id, another author: another line
    seen.first_time("cida", "p.9")
    assert seen.first_time("ana", "p.1")  # forgotten past the bound
    assert seen.duplicates == 1


# --- the wire -------------------------------------------------------------------------------


def test_join_with_a_session_and_welcome_with_acks_round_trip() -> None:
    hello = decode_room(join_line("ana", ("e1", 4), "tok")[:-1])
    assert isinstance(hello, RoomMessage)
    assert (hello.session, hello.message.node, hello.message.seq) == ("tok", "e1", 4)
    plain = decode_room(join_line("ana")[:-1])
    assert isinstance(plain, RoomMessage) and plain.session is None
    welcome = decode_room(welcome_line("ana", ["ana"], acks=True)[:-1])
    assert isinstance(welcome, RoomMessage) and welcome.acks
    assert b"acks" not in welcome_line("ana", ["ana"])  # old clients see the old welcome
    ack = decode_room(ack_line("p.7")[:-1])
    assert isinstance(ack, RoomMessage)
    assert (ack.type, ack.message.id) == (RoomType.ACK, "p.7")


@pytest.mark.parametrize("session", ['""', "5", '"with space"', '"' + "x" * 65 + '"', "true"])
def test_a_bad_session_token_is_a_decode_error(session: str) -> None:
    line = b'{"user":"ana","data":"","type":"join","session":' + session.encode() + b"}"
    assert not isinstance(decode_room(line), RoomMessage)


def test_a_bad_acks_flag_is_a_decode_error() -> None:
    line = b'{"user":"ana","data":"","type":"welcome","acks":"yes"}'
    assert not isinstance(decode_room(line), RoomMessage)


_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


@given(st.sampled_from(["join", "welcome", "ack"]), _ANY_JSON, _ANY_JSON, _ANY_JSON)
def test_any_session_acks_or_id_value_decodes_or_is_refused_never_raises(
    kind: str, session: object, acks: object, line_id: object
) -> None:
    body = {"user": "ana", "data": "", "type": kind, "session": session, "acks": acks}
    body["id"] = line_id
    result = decode_room(json.dumps(body).encode())
    assert isinstance(result, RoomMessage | DecodeError)
    if isinstance(result, RoomMessage) and kind == "join":
        assert result.session is None or result.session == session


@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64))
def test_the_ack_template_gives_the_bytes_of_the_general_encoder(line_id: str) -> None:
    general = encode_room(ChatMessage(user="server", data="", type="ack", v=1, id=line_id))
    assert ack_line(line_id) == general
    decoded = decode_room(ack_line(line_id)[:-1])
    assert isinstance(decoded, RoomMessage) and decoded.message.id == line_id


# --- the room ---------------------------------------------------------------------------------


def chat(text: str, line_id: str | None = None, kind: str = MessageType.CHAT) -> bytes:
    to = "bia" if kind == MessageType.PRIVATE else None
    return encode_room(ChatMessage(user="x", data=text, type=kind, id=line_id, to=to))[:-1]


def join(room: Room, conn: int, nick: str, session: str | None = None) -> list:
    room.connect(conn, f"peer{conn}", 0.0)
    return room.receive(conn, join_line(nick, None, session)[:-1], 0.0)


def decoded(raw: bytes) -> RoomMessage:
    result = decode_room(raw[:-1])
    assert isinstance(result, RoomMessage)
    return result


def acks_to(actions: list, conn: int) -> list[str | None]:
    return [
        decoded(a.line).message.id
        for a in actions
        if isinstance(a, Send) and a.conn == conn and decoded(a.line).type == RoomType.ACK
    ]


def relays(actions: list) -> list[str]:
    return [decoded(a.line).message.data for a in actions if isinstance(a, Broadcast)]


def test_the_welcome_says_acks_only_to_a_client_that_sent_a_session() -> None:
    room = Room(RULES, epoch="e1")
    with_session = decoded(join(room, 1, "ana", "tok")[0].line)
    without = decoded(join(room, 2, "bia")[0].line)
    assert with_session.acks
    assert not without.acks


def test_a_line_with_an_id_is_relayed_with_its_id_and_acked_to_its_author() -> None:
    room = Room(RULES, epoch="e1")
    join(room, 1, "ana", "tok")
    join(room, 2, "bia")
    actions = room.receive(1, chat("oi", "p.1"), 1.0)
    assert relays(actions) == ["oi"]
    relayed = decoded(next(a.line for a in actions if isinstance(a, Broadcast)))
    assert relayed.message.id == "p.1"
    assert acks_to(actions, 1) == ["p.1"]
    assert acks_to(actions, 2) == []


def test_a_duplicate_id_of_the_same_session_is_acked_but_not_relayed_twice() -> None:
    room = Room(RULES, epoch="e1")
    join(room, 1, "ana", "tok")
    join(room, 2, "bia")
    room.receive(1, chat("oi", "p.1"), 1.0)
    room.disconnected(1, "room_connection_lost")
    join(room, 3, "ana", "tok")  # the same client, reconnected, sends it again
    again = room.receive(3, chat("oi", "p.1"), 2.0)
    assert relays(again) == []
    assert acks_to(again, 3) == ["p.1"]
    assert room.session_ids.duplicates == 1
    assert relays(room.receive(3, chat("new", "p.2"), 3.0)) == ["new"]


def test_private_lines_are_acked_and_deduplicated_too() -> None:
    room = Room(RULES, epoch="e1")
    join(room, 1, "ana", "tok")
    join(room, 2, "bia")
    first = room.receive(1, chat("psst", "p.1", MessageType.PRIVATE), 1.0)
    assert [a.conn for a in first if isinstance(a, Send)] == [2, 1]  # to bia, ack to ana
    again = room.receive(1, chat("psst", "p.1", MessageType.PRIVATE), 2.0)
    assert [a.conn for a in again if isinstance(a, Send)] == [1]


def test_a_refused_line_is_acked_so_it_is_not_sent_again() -> None:
    room = Room(RoomRules(rate_per_second=0.0, rate_burst=1), epoch="e1")
    join(room, 1, "ana", "tok")
    join(room, 2, "bia")
    room.receive(1, chat("ok", "p.1"), 1.0)
    refused = room.receive(1, chat("too fast", "p.2"), 1.0)
    assert relays(refused) == []
    assert acks_to(refused, 1) == ["p.2"]


def test_clients_without_a_session_get_no_acks_and_ids_are_not_deduplicated() -> None:
    room = Room(RULES, epoch="e1")
    join(room, 1, "ana")  # an old papo, or a handout-style program, sending its own ids
    join(room, 2, "bia")
    for _ in range(2):
        actions = room.receive(1, chat("same id", "1"), 1.0)
        assert relays(actions) == ["same id"]
        assert acks_to(actions, 1) == []
    handout = room.receive(1, b'{"user": "ana", "data": "oi"}', 2.0)
    assert relays(handout) == ["oi"]
    assert [a.conn for a in handout if isinstance(a, Send)] == []


def test_a_rejoin_of_the_same_session_replaces_its_dead_connection_and_keeps_the_nick() -> None:
    room = Room(RULES, epoch="e1")
    join(room, 1, "ana", "tok")
    join(room, 2, "bia")
    actions = join(room, 3, "ana", "tok")  # the server still thinks conn 1 is alive
    welcome = decoded(next(a.line for a in actions if isinstance(a, Send) and a.conn == 3))
    assert (welcome.type, welcome.message.user) == ("welcome", "ana")
    assert not room.is_joined(1)
    assert room.nicks == ("ana", "bia")
    told = [decoded(a.line) for a in actions if isinstance(a, Broadcast) and 2 in a.conns]
    assert [(m.type, m.message.user) for m in told] == [("leave", "ana"), ("join", "ana")]


def test_another_session_asking_for_a_taken_nick_is_still_refused() -> None:
    room = Room(RULES, epoch="e1")
    join(room, 1, "ana", "tok")
    refused = decoded(join(room, 2, "ana", "other")[0].line)
    assert (refused.type, refused.code) == ("error", "room_nick_taken")
    refused = decoded(join(room, 3, "ana")[0].line)
    assert (refused.type, refused.code) == ("error", "room_nick_taken")
    assert room.is_joined(1)
