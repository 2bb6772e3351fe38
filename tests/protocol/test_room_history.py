"""The room's history for joiners (pure): what is kept, what is replayed, what never is."""

from __future__ import annotations

from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.room import (
    HISTORY_MESSAGES,
    MAX_HISTORY_MESSAGES,
    RoomMessage,
    decode_room,
    encode_room,
    history_line,
    join_line,
    relayed,
    welcome_line,
)
from papo.protocol.room_state import (
    HISTORY_MAX_BYTES,
    Broadcast,
    Room,
    RoomHistory,
    RoomRules,
    Send,
)

RULES = RoomRules(rate_per_second=1e9, rate_burst=10**9)


def line(text: str, kind: str = MessageType.CHAT, to: str | None = None) -> bytes:
    return encode_room(ChatMessage(user="x", data=text, type=kind, to=to))[:-1]


def joined_room(*nicks: str, rules: RoomRules = RULES) -> Room:
    room = Room(rules, epoch="e1")
    for conn, nick in enumerate(nicks, start=1):
        room.connect(conn, f"peer{conn}", 0.0)
        room.receive(conn, join_line(nick)[:-1], 0.0)
    return room


def replay_of(actions: list) -> list[RoomMessage]:
    """The welcome and the lines after it, decoded, from a join's actions."""
    sent = [a.line for a in actions if isinstance(a, Send)]
    assert all(raw.count(b"\n") == 1 for raw in sent)  # one line per Send
    decoded = [decode_room(raw[:-1]) for raw in sent]
    assert all(isinstance(d, RoomMessage) for d in decoded)
    return decoded  # type: ignore[return-value]


def join(room: Room, conn: int, nick: str, since: tuple[str, int] | None = None) -> list:
    room.connect(conn, f"peer{conn}", 0.0)
    return room.receive(conn, join_line(nick, since)[:-1], 0.0)


def test_limits_are_named_and_sane() -> None:
    assert 0 < HISTORY_MESSAGES <= MAX_HISTORY_MESSAGES
    assert RoomRules().history_messages == HISTORY_MESSAGES
    assert RoomRules().history_max_bytes == HISTORY_MAX_BYTES
    from papo.transport.tcp_server import SEND_QUEUE_MAX_BYTES

    assert HISTORY_MAX_BYTES < SEND_QUEUE_MAX_BYTES  # a replay never makes a slow consumer


def test_a_late_joiner_gets_earlier_chat_in_order_marked_as_history_and_no_private() -> None:
    room = joined_room("ana", "bia")
    room.receive(1, line("primeira"), 1.0)
    room.receive(2, line("acena", MessageType.ME), 2.0)
    room.receive(1, line("segredo", MessageType.PRIVATE, to="bia"), 3.0)
    room.receive(2, line("terceira"), 4.0)
    welcome, *history = replay_of(join(room, 3, "cida"))
    assert welcome.type == "welcome" and welcome.history_count == 3
    assert [(m.message.user, m.message.data) for m in history] == [
        ("ana", "primeira"),
        ("bia", "acena"),
        ("bia", "terceira"),
    ]
    assert all(m.history for m in history)
    assert [m.message.seq for m in history] == sorted(m.message.seq for m in history)
    assert {m.message.node for m in history} == {"e1"}


def test_live_relays_carry_the_mark_but_no_history_flag() -> None:
    room = joined_room("ana", "bia")
    actions = room.receive(1, line("oi"), 1.0)
    relay = next(a for a in actions if isinstance(a, Broadcast))
    decoded = decode_room(relay.line[:-1])
    assert isinstance(decoded, RoomMessage)
    assert not decoded.history
    assert (decoded.message.node, decoded.message.seq) == ("e1", 1)


def test_the_room_keeps_only_the_last_n_lines() -> None:
    room = joined_room(
        "ana", rules=RoomRules(rate_per_second=1e9, rate_burst=10**9, history_messages=3)
    )
    for number in range(10):
        room.receive(1, line(f"m{number}"), 1.0)
    _, *history = replay_of(join(room, 2, "bia"))
    assert [m.message.data for m in history] == ["m7", "m8", "m9"]


def test_history_zero_replays_nothing() -> None:
    room = joined_room(
        "ana", rules=RoomRules(rate_per_second=1e9, rate_burst=10**9, history_messages=0)
    )
    room.receive(1, line("oi"), 1.0)
    welcome, *history = replay_of(join(room, 2, "bia"))
    assert history == [] and welcome.history_count == 0


def test_history_is_bounded_in_bytes_too() -> None:
    history = RoomHistory(max_messages=100, max_bytes=1000)
    for seq in range(1, 21):
        history.add(seq, "ana", b"x" * 99 + b"\n")
    assert len(history) == 10
    history.add(21, "ana", b"y" * 2000)  # bigger than the whole budget: not kept
    assert len(history) == 10 and all(b"y" not in raw for raw in history.after(None, "bia"))


def test_a_rejoin_replays_only_newer_lines_and_not_the_joiners_own() -> None:
    room = joined_room("ana", "bia")
    room.receive(2, line("antes"), 1.0)  # seq 1: ana saw it
    room.disconnected(1, "room_connection_lost")
    room.receive(2, line("enquanto fora"), 2.0)  # seq 2: ana missed it
    _, *history = replay_of(join(room, 3, "ana", since=("e1", 1)))
    assert [m.message.data for m in history] == ["enquanto fora"]
    room.receive(3, line("de volta"), 3.0)  # seq 3, by ana
    room.receive(2, line("bem-vinda"), 3.0)  # seq 4
    room.disconnected(3, "room_connection_lost")
    _, *history = replay_of(join(room, 4, "ana", since=("e1", 2)))
    assert [m.message.data for m in history] == ["bem-vinda"]


def test_a_mark_from_another_server_run_replays_everything() -> None:
    room = joined_room("ana")
    room.receive(1, line("um"), 1.0)
    room.receive(1, line("dois"), 1.0)
    _, *history = replay_of(join(room, 2, "bia", since=("old-run", 99)))
    assert [m.message.data for m in history] == ["um", "dois"]


def test_history_flag_and_count_decode_strictly() -> None:
    message = relayed(ChatMessage(user="x", data="oi"), "ana", "e1", 7)
    decoded = decode_room(history_line(message)[:-1])
    assert isinstance(decoded, RoomMessage) and decoded.history
    fake = b'{"user":"ana","data":"history","history":"yes"}'
    assert decode_room(fake).history is False  # type: ignore[union-attr]
    welcome = decode_room(welcome_line("ana", ["ana"], 5)[:-1])
    assert isinstance(welcome, RoomMessage) and welcome.history_count == 5
    for bad in (b"-1", b"true", b"1.5", str(MAX_HISTORY_MESSAGES + 1).encode()):
        raw = b'{"user":"ana","data":"","type":"welcome","nicks":["ana"],"history_count":' + bad
        assert not isinstance(decode_room(raw + b"}"), RoomMessage), bad


def test_a_client_cannot_forge_the_history_flag_or_the_mark() -> None:
    room = joined_room("ana", "bia")
    forged = b'{"user":"ana","data":"oi","node":"e1","seq":999,"history":true}'
    actions = room.receive(1, forged, 1.0)
    relay = next(a for a in actions if isinstance(a, Broadcast))
    decoded = decode_room(relay.line[:-1])
    assert isinstance(decoded, RoomMessage)
    assert not decoded.history and decoded.message.seq == 1
