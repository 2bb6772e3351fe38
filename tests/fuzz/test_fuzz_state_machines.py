"""Fuzz the pure state machines that eat network input: whatever arrives, in any order,
they return actions or events and keep their invariants; they never raise."""

from __future__ import annotations

import os

import pytest
from fuzz.strategies import payloads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.i18n import CATALOG
from papo.protocol.codec import encode
from papo.protocol.message import ChatMessage
from papo.session import Ended, Late, Lost, Received, ReceiverSession, Rejected

EXAMPLES = int(os.environ.get("PAPO_FUZZ_EXAMPLES", "75"))
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

room_lines = payloads | st.sampled_from(
    [
        b'{"user":"ana","data":"","type":"join"}',
        b'{"user":"bia","data":"","type":"join"}',
        b'{"user":"ana","data":"oi"}',
        b'{"user":"x","data":"bia","type":"nick"}',
        b'{"user":"x","data":"ana","type":"nick"}',
        b'{"user":"x","data":"psst","type":"private","to":"bia"}',
        b'{"user":"x","data":"","type":"who"}',
        b'{"user":"x","data":"","type":"leave"}',
        b'{"user":"x","data":"","type":"ping"}',
        b"",
    ]
)

room_events = st.lists(
    st.tuples(
        st.sampled_from(["connect", "line", "line", "line", "disconnect", "expel"]),
        st.integers(0, 4),
        room_lines,
        st.floats(0, 2),
    ),
    max_size=60,
)


@fuzz_settings
@given(events=room_events)
def test_room_state_machine_survives_any_sequence_of_connections_and_lines(events) -> None:
    room_state = pytest.importorskip("papo.protocol.room_state")
    room = room_state.Room()
    connected: set[int] = set()
    now = 0.0
    for kind, conn, line, gap in events:
        now += gap
        if kind == "connect":
            if conn in connected:
                continue  # a connection id is used once at a time
            connected.add(conn)
            actions = room.connect(conn, f"10.0.0.{conn}:4000", now)
        elif kind == "line":
            actions = room.receive(conn, line, now)
        elif kind == "disconnect":
            connected.discard(conn)
            actions = room.disconnected(conn, "room_gone")
        else:
            connected.discard(conn)
            actions = room.expel(conn, "room_too_many_errors")
        for action in actions:
            if isinstance(action, room_state.Log):
                assert action.code in CATALOG
            if isinstance(action, room_state.Close):
                connected.discard(action.conn)
        nicks = room.nicks
        assert len(nicks) == len({nick.casefold() for nick in nicks}), "nicks are unique"
        assert all(room.is_joined(conn) for conn in range(5) if room.nick_of(conn))
    room.shutdown()
    assert room.nicks == ()


receiver_inputs = st.lists(
    st.tuples(
        payloads
        | st.builds(
            lambda node, seq, data: encode(
                ChatMessage(user="ana", data=data, v=1, node=node, seq=seq)
            ),
            st.sampled_from(["n1", "n2"]),
            st.integers(0, 2**63 - 1),
            st.text(max_size=20),
        ),
        st.sampled_from(["10.0.0.1:5007", "10.0.0.2:5007", "[fe80::1]:5007"]),
    ),
    max_size=40,
)


@fuzz_settings
@given(datagrams=receiver_inputs, with_seal=st.booleans())
def test_receiver_session_turns_any_datagrams_into_events(datagrams, with_seal: bool) -> None:
    seal = None
    if with_seal:
        sealed = pytest.importorskip("papo.protocol.sealed")
        if not sealed.CRYPTO_AVAILABLE:
            pytest.skip("cryptography is not installed")
        key = sealed.derive_room_key("fuzz", "224.3.29.71", 5007, sealed.ScryptParams(n=2**4))
        seal = sealed.DatagramSeal(key, sender_id=bytes(16))
    ticks = iter(range(10**6))
    session = ReceiverSession(seal=seal, clock=lambda: next(ticks) * 0.001)
    for payload, source in datagrams:
        for event in session.receive(payload, source):
            assert isinstance(event, Received | Rejected | Ended | Lost | Late)
            if isinstance(event, Rejected):
                assert isinstance(event.error, DecodeError)
                assert event.error.code in CATALOG
            if isinstance(event, Lost | Late):
                assert event.count > 0
