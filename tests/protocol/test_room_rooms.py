"""Many rooms on one server (pure): a room per name, the default room for the rest."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from papo.i18n import CATALOG
from papo.protocol.message import ChatMessage
from papo.protocol.room import RoomType, decode_room, encode_room, join_line
from papo.protocol.room_state import MAX_ROOMS, Action, Broadcast, Close, Log, Rooms, Send


def chat(nick: str, text: str) -> bytes:
    return encode_room(ChatMessage(user=nick, data=text))[:-1]


def hello(rooms: Rooms, conn: int, nick: str, room: str | None = None) -> list[Action]:
    rooms.connect(conn, f"10.0.0.{conn}:4000", 0.0)
    return rooms.receive(conn, join_line(nick, room=room)[:-1], 0.0)


def sent_to(actions: list[Action], conn: int) -> list[str]:
    """The types of the lines ``actions`` send to ``conn``."""
    types = []
    for action in actions:
        to_conn = isinstance(action, Send) and action.conn == conn
        if not (to_conn or (isinstance(action, Broadcast) and conn in action.conns)):
            continue
        assert isinstance(action, Send | Broadcast)
        line = action.line
        decoded = decode_room(line[:-1])
        assert not isinstance(decoded, Exception)
        types.append(decoded.type)
    return types


def test_a_hello_without_a_room_joins_the_default_room_as_before() -> None:
    rooms = Rooms()
    actions = hello(rooms, 1, "ana")
    assert sent_to(actions, 1) == [RoomType.WELCOME]
    assert rooms.default.nicks == ("ana",)
    assert rooms.names == ()
    assert rooms.room_name_of(1) is None


def test_the_same_nick_may_be_in_two_rooms() -> None:
    rooms = Rooms()
    assert sent_to(hello(rooms, 1, "ana", "grupo1"), 1) == [RoomType.WELCOME]
    assert sent_to(hello(rooms, 2, "ana", "grupo2"), 2) == [RoomType.WELCOME]
    assert sent_to(hello(rooms, 3, "ana"), 3) == [RoomType.WELCOME]
    assert sent_to(hello(rooms, 4, "ANA", "Grupo1"), 4) == [RoomType.ERROR]  # taken there
    assert rooms.names == ("grupo1", "grupo2")


def test_chat_reaches_only_the_senders_room() -> None:
    rooms = Rooms()
    hello(rooms, 1, "ana", "grupo1")
    hello(rooms, 2, "bia", "grupo1")
    hello(rooms, 3, "caio", "grupo2")
    hello(rooms, 4, "davi")
    actions = rooms.receive(1, chat("ana", "oi"), 1.0)
    assert sent_to(actions, 2) == ["chat"]
    assert sent_to(actions, 3) == [] and sent_to(actions, 4) == []
    actions = rooms.receive(4, chat("davi", "ola"), 1.0)
    assert sent_to(actions, 1) == [] and sent_to(actions, 2) == [] and sent_to(actions, 3) == []


def test_who_and_joins_are_per_room() -> None:
    rooms = Rooms()
    hello(rooms, 1, "ana", "grupo1")
    joined = hello(rooms, 2, "bia", "grupo2")
    assert sent_to(joined, 1) == []  # another room's join is not announced
    who = rooms.receive(1, encode_room(ChatMessage(user="ana", data="", type="who"))[:-1], 1.0)
    roster = [a for a in who if isinstance(a, Send)]
    decoded = decode_room(roster[0].line[:-1])
    assert not isinstance(decoded, Exception) and decoded.nicks == ("ana",)


def test_history_is_per_room() -> None:
    rooms = Rooms()
    hello(rooms, 1, "ana", "grupo1")
    rooms.receive(1, chat("ana", "so no grupo1"), 1.0)
    assert sent_to(hello(rooms, 2, "bia", "grupo1"), 2) == [RoomType.WELCOME, "chat"]
    assert sent_to(hello(rooms, 3, "caio", "grupo2"), 3) == [RoomType.WELCOME]
    assert sent_to(hello(rooms, 4, "davi"), 4) == [RoomType.WELCOME]


def test_a_room_is_dropped_when_its_last_member_leaves() -> None:
    rooms = Rooms()
    hello(rooms, 1, "ana", "grupo1")
    rooms.receive(1, chat("ana", "esquecida"), 1.0)
    rooms.disconnected(1, "room_connection_lost")
    assert rooms.names == ()
    assert rooms.room("grupo1") is None
    assert sent_to(hello(rooms, 2, "bia", "grupo1"), 2) == [RoomType.WELCOME]  # no history


def test_a_recreated_room_has_a_new_epoch_so_old_marks_replay_nothing_wrong() -> None:
    rooms = Rooms(epoch="e")
    hello(rooms, 1, "ana", "grupo1")
    first = rooms.room("grupo1")
    assert first is not None
    rooms.disconnected(1, "room_quit")
    hello(rooms, 2, "ana", "grupo1")
    second = rooms.room("grupo1")
    assert second is not None and second.epoch != first.epoch != rooms.default.epoch


def test_one_room_more_than_the_cap_is_refused_with_a_clear_code() -> None:
    rooms = Rooms(max_rooms=2)
    hello(rooms, 1, "ana", "a")
    hello(rooms, 2, "bia", "b")
    actions = hello(rooms, 3, "caio", "c")
    errors = [decode_room(a.line[:-1]) for a in actions if isinstance(a, Send)]
    assert [getattr(e, "code", None) for e in errors] == ["room_too_many_rooms"]
    assert any(isinstance(a, Close) and a.conn == 3 for a in actions)
    assert rooms.names == ("a", "b")
    assert not rooms.is_joined(3)
    assert sent_to(hello(rooms, 4, "davi", "A"), 4) == [RoomType.WELCOME]  # existing room


def test_the_room_cap_is_a_documented_bound() -> None:
    assert 1 <= MAX_ROOMS <= 1_000
    assert Rooms().max_rooms == MAX_ROOMS


def test_an_invalid_room_name_is_refused() -> None:
    rooms = Rooms()
    actions = hello(rooms, 1, "ana", "sala com espaço")
    errors = [decode_room(a.line[:-1]) for a in actions if isinstance(a, Send)]
    assert [getattr(e, "code", None) for e in errors] == ["room_bad_room"]
    assert rooms.names == ()


def test_the_console_log_names_the_room() -> None:
    rooms = Rooms()
    logs = [a for a in hello(rooms, 1, "ana", "grupo1") if isinstance(a, Log)]
    assert logs and logs[0].code == "room_log_joined" and logs[0].details["room"] == "grupo1"
    logs = [a for a in hello(rooms, 2, "bia") if isinstance(a, Log)]
    assert "room" not in logs[0].details


def test_room_names_compare_case_insensitively_and_keep_the_first_spelling() -> None:
    rooms = Rooms()
    hello(rooms, 1, "ana", "Grupo1")
    hello(rooms, 2, "bia", "GRUPO1")
    assert rooms.names == ("Grupo1",)
    assert rooms.room_name_of(2) == "Grupo1"


def test_shutdown_closes_every_room() -> None:
    rooms = Rooms()
    hello(rooms, 1, "ana", "grupo1")
    hello(rooms, 2, "bia")
    closed = {a.conn for a in rooms.shutdown() if isinstance(a, Close)}
    assert closed == {1, 2}
    assert rooms.names == ()


_ROOMS = (None, "grupo1", "GRUPO1", "grupo2", "a b")
_LINES = (
    b'{"user":"ana","data":"oi"}',
    b'{"user":"x","data":"","type":"who"}',
    b'{"user":"x","data":"bia","type":"nick"}',
    b'{"user":"x","data":"psst","type":"private","to":"bia"}',
    b'{"user":"x","data":"","type":"leave"}',
    b"not json",
)


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(["join", "join", "line", "line", "disconnect"]),
            st.integers(0, 2),
            st.sampled_from(_ROOMS),
            st.sampled_from(("ana", "bia", "Ana")),
            st.sampled_from(_LINES),
        ),
        max_size=60,
    )
)
def test_rooms_never_leak_a_line_across_rooms_and_forget_empty_ones(events) -> None:
    rooms = Rooms(max_rooms=1)
    open_conns: set[int] = set()
    for kind, conn, room, nick, line in events:
        if kind != "disconnect" and conn not in open_conns:
            open_conns.add(conn)  # every connection says something: start it first
            assert rooms.connect(conn, "peer", 0.0) == []
        before = rooms.room_name_of(conn)  # a leave or a disconnect takes conn out
        if kind == "join":
            actions = rooms.receive(conn, join_line(nick, room=room)[:-1], 0.0)
        elif kind == "line":
            actions = rooms.receive(conn, line, 0.0)
        else:
            open_conns.discard(conn)
            actions = rooms.disconnected(conn, "room_connection_lost")
        if any(isinstance(action, Close) and action.conn == conn for action in actions):
            open_conns.discard(conn)
        sender = rooms.room_name_of(conn) if kind == "join" else before
        for action in actions:
            if isinstance(action, Broadcast):
                for other in action.conns:
                    assert rooms.room_name_of(other) == sender
            if isinstance(action, Log):
                assert action.code in CATALOG
        assert len(rooms.names) <= rooms.max_rooms
        for name in rooms.names:
            named = rooms.room(name)
            assert named is not None and not named.is_empty
    for conn in list(open_conns):
        rooms.disconnected(conn, "room_connection_lost")
    assert rooms.names == ()
    assert rooms.default.is_empty
