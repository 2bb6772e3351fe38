"""The room keeps its roster sorted as people come, go and rename (no sort per join), and
its broadcasts still reach exactly the joined connections."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from papo.protocol.message import ChatMessage
from papo.protocol.room import encode_room, join_line, nick_key, nick_line
from papo.protocol.room_state import Broadcast, Room, RoomRules, Send

UNLIMITED = RoomRules(rate_per_second=1e9, rate_burst=10**9)
NICKS = ["ana", "Ana", "bia", "BIA", "carla", "Zé", "ze", "Émile", "émile", "a1", "b_2"]


def line(data: bytes) -> bytes:
    return data.rstrip(b"\n")


def recipients(actions: list) -> set[int]:
    conns: set[int] = set()
    for action in actions:
        if isinstance(action, Broadcast):
            conns.update(action.conns)
    return conns


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["join", "leave", "rename", "chat"]),
        st.integers(1, 6),
        st.sampled_from(NICKS),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(steps=STEPS)
def test_the_roster_is_always_everyone_sorted_and_broadcasts_reach_the_others(steps) -> None:
    room = Room(UNLIMITED)
    joined: dict[int, str] = {}  # the model: conn -> nick
    connected: set[int] = set()
    for kind, conn, nick in steps:
        if kind == "join" and conn not in connected:
            room.connect(conn, f"peer{conn}", 0.0)
            connected.add(conn)
            actions = room.receive(conn, line(join_line(nick)), 0.0)
            if any(isinstance(a, Send) and b'"welcome"' in a.line for a in actions):
                assert nick_key(nick) not in {nick_key(n) for n in joined.values()}
                assert recipients(actions) == set(joined)  # the others hear of the join
                joined[conn] = nick
        elif kind == "leave" and conn in connected:
            actions = room.disconnected(conn, "room_quit")
            connected.discard(conn)
            if joined.pop(conn, None) is not None:
                assert recipients(actions) == set(joined)
        elif kind == "rename" and conn in joined:
            actions = room.receive(conn, line(nick_line(joined[conn], nick)), 0.0)
            if recipients(actions):
                joined[conn] = nick
                assert recipients(actions) == set(joined)
        elif kind == "chat" and conn in joined:
            actions = room.receive(conn, line(encode_room(ChatMessage(user="x", data="oi"))), 0.0)
            assert recipients(actions) == set(joined) - {conn}
        assert room.nicks == tuple(sorted(joined.values(), key=nick_key))


def test_a_joiner_is_welcomed_with_the_whole_roster_in_order() -> None:
    room = Room(UNLIMITED)
    for conn, nick in enumerate(["carla", "Ana", "bia"], start=1):
        room.connect(conn, "p", 0.0)
        actions = room.receive(conn, line(join_line(nick)), 0.0)
    welcome = next(a for a in actions if isinstance(a, Send))
    assert b'"nicks":["Ana","bia","carla"]' in welcome.line
