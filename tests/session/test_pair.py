"""The 1:1 chat rules (sans-I/O): names first, strict alternation, quit words, framed mode."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import InputError
from papo.session.pair import (
    MAX_HANDOUT_MESSAGE_BYTES,
    MAX_PEER_NAME_CHARS,
    FramedPairSession,
    HandoutPairSession,
    PeerDropped,
    PeerEnded,
    PeerNamed,
    PeerSaid,
    PeerVanished,
    Role,
    is_quit,
    peer_name,
)


def chatting(role: Role, peer: bytes = b"bia") -> HandoutPairSession:
    session = HandoutPairSession(role, "ana")
    session.outgoing()
    session.receive(peer)
    session.outgoing()
    return session


def test_client_sends_its_name_first_and_server_waits() -> None:
    client = HandoutPairSession(Role.CLIENT, "ana")
    server = HandoutPairSession(Role.SERVER, "bia")
    assert client.outgoing() == [b"ana"]
    assert server.outgoing() == []
    assert not client.my_turn and not server.my_turn


def test_server_answers_the_name_with_its_own_and_lets_the_client_start() -> None:
    server = HandoutPairSession(Role.SERVER, "bia")
    assert server.receive(b"ana") == [PeerNamed("ana")]
    assert server.outgoing() == [b"bia"]
    assert not server.my_turn
    client = HandoutPairSession(Role.CLIENT, "ana")
    client.outgoing()
    assert client.receive(b"bia") == [PeerNamed("bia")]
    assert client.my_turn and client.outgoing() == []


def test_a_whole_alternating_conversation() -> None:
    client = HandoutPairSession(Role.CLIENT, "ana")
    server = HandoutPairSession(Role.SERVER, "bia")
    for payload in client.outgoing():
        server.receive(payload)
    for payload in server.outgoing():
        client.receive(payload)
    for line, sender, receiver in (
        ("oi", client, server),
        ("olá", server, client),
        ("tudo bem?", client, server),
    ):
        assert sender.my_turn and not receiver.my_turn
        payload = sender.compose(line)
        assert payload == line.encode()
        assert receiver.receive(payload) == [PeerSaid(sender.name, line)]
    assert server.my_turn
    assert client.receive(server.compose("fim")) == [PeerEnded("bia", "fim")]
    assert client.ended and server.ended


def test_compose_out_of_turn_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError):
        chatting(Role.SERVER).compose("oi")


@pytest.mark.parametrize("line", ["", "   ", "\n"])
def test_empty_lines_are_not_sent_and_the_turn_stays(line: str) -> None:
    session = chatting(Role.CLIENT)
    assert session.compose(line) is None
    assert session.my_turn


def test_a_message_over_the_recv_size_is_refused_and_the_turn_stays() -> None:
    session = chatting(Role.CLIENT)
    with pytest.raises(InputError) as caught:
        session.compose("ç" * (MAX_HANDOUT_MESSAGE_BYTES // 2 + 1))
    assert caught.value.code == "pair_too_long"
    assert session.my_turn
    assert session.compose("x" * MAX_HANDOUT_MESSAGE_BYTES) == b"x" * MAX_HANDOUT_MESSAGE_BYTES


@pytest.mark.parametrize("word", ["fim", "sair", "FIM", "  Sair "])
def test_typing_a_quit_word_sends_it_and_ends(word: str) -> None:
    session = chatting(Role.CLIENT)
    assert session.compose(word) == word.strip().lower().encode()  # what `== "fim"` expects
    assert session.ended and not session.my_turn


@pytest.mark.parametrize("word", [b"fim", b"sair", b"Fim\n"])
def test_receiving_a_quit_word_ends(word: bytes) -> None:
    session = chatting(Role.SERVER)
    (event,) = session.receive(word)
    assert isinstance(event, PeerEnded) and session.ended


def test_end_of_stream_is_a_vanished_peer() -> None:
    session = chatting(Role.SERVER)
    assert session.receive(b"") == [PeerVanished("bia")]
    assert session.ended and session.receive(b"more") == []


def test_end_of_stream_before_the_name_is_a_vanished_peer() -> None:
    assert HandoutPairSession(Role.SERVER, "bia").receive(b"") == [PeerVanished("?")]


def test_remote_text_is_made_terminal_safe() -> None:
    session = chatting(Role.SERVER)
    (event,) = session.receive(b"\x1b[2Jgotcha\xff")
    assert isinstance(event, PeerSaid)
    assert "\x1b" not in event.text and event.text.startswith("\\x1b[2J")
    assert event.text.endswith("\ufffd")


def test_peer_names_are_cleaned_cut_and_never_empty() -> None:
    assert peer_name("  bia \n") == "bia"
    assert peer_name("") == "?"
    assert peer_name("a\x07b") == "a\\x07b"
    assert len(peer_name("x" * 500)) == MAX_PEER_NAME_CHARS


def test_farewell_says_fim_only_while_chatting() -> None:
    assert HandoutPairSession(Role.SERVER, "bia").farewell() is None
    session = chatting(Role.SERVER)
    assert session.farewell() == b"fim"
    assert session.ended and session.farewell() is None


def test_quit_words() -> None:
    assert is_quit("fim") and is_quit(" SAIR\n")
    assert not is_quit("fim de semana") and not is_quit("")


@given(st.lists(st.binary(max_size=64), max_size=12), st.sampled_from(list(Role)))
def test_any_received_bytes_never_break_the_handout_session(chunks, role) -> None:
    session = HandoutPairSession(role, "ana")
    for chunk in chunks:
        session.receive(chunk)
        session.outgoing()
        if session.my_turn:
            session.compose("oi")


# --- framed (--moderno) -------------------------------------------------------------


def joined(name: str = "bia") -> FramedPairSession:
    session = FramedPairSession("ana")
    session.receive(FramedPairSession(name).hello())
    return session


def test_hello_is_one_json_join_line_with_the_name() -> None:
    line = FramedPairSession("ana").hello()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    obj = json.loads(line)
    assert (obj["user"], obj["type"]) == ("ana", "join")


def test_a_join_split_byte_by_byte_names_the_peer() -> None:
    session = FramedPairSession("ana")
    events = []
    for byte in FramedPairSession("bia").hello():
        events += session.receive(bytes([byte]))
    assert events == [PeerNamed("bia")]


def test_several_lines_in_one_chunk_give_several_events() -> None:
    bia = FramedPairSession("bia")
    session = joined()
    events = session.receive(bia.compose("um") + bia.compose("dois"))
    assert events == [PeerSaid("bia", "um"), PeerSaid("bia", "dois")]


def test_either_side_may_send_twice_in_a_row() -> None:
    session = joined()
    assert session.compose("a") and session.compose("b")


def test_a_bad_line_is_dropped_and_the_next_one_still_arrives() -> None:
    session = joined()
    events = session.receive(b'{"user": 5}\n{"user": "bia", "data": "ok"}\n')
    assert isinstance(events[0], PeerDropped)
    assert events[1] == PeerSaid("bia", "ok")


def test_an_oversize_line_is_dropped_once_and_the_stream_recovers() -> None:
    session = FramedPairSession("ana", max_line=100)
    session.receive(FramedPairSession("bia").hello())
    events = session.receive(b"x" * 150)
    events += session.receive(b"y" * 150)
    events += session.receive(b'z\n{"user": "bia", "data": "ok"}\n')
    assert [type(event) for event in events] == [PeerDropped, PeerSaid]
    assert events[0].error.code == "pair_line_too_long"


def test_a_chat_line_without_a_join_still_names_the_peer() -> None:
    session = FramedPairSession("ana")
    assert session.receive(b'{"user": "eve", "data": "oi"}\n') == [
        PeerNamed("eve"),
        PeerSaid("eve", "oi"),
    ]


def test_a_framed_quit_word_ends_both_ways() -> None:
    bia = FramedPairSession("bia")
    session = joined()
    line = bia.compose("sair")
    assert bia.ended
    assert session.receive(line) == [PeerEnded("bia", "sair")]
    assert session.ended


def test_framed_farewell_and_vanishing() -> None:
    session = joined()
    assert json.loads(session.farewell())["data"] == "fim"
    assert session.farewell() is None
    other = joined()
    assert other.receive(b"") == [PeerVanished("bia")]


def test_framed_compose_refuses_text_over_the_limit() -> None:
    with pytest.raises(InputError):
        joined().compose("x" * 100_000)


@given(st.lists(st.binary(max_size=200), max_size=12))
def test_any_received_bytes_never_break_the_framed_session(chunks) -> None:
    session = FramedPairSession("ana", max_line=300)
    for chunk in chunks:
        session.receive(chunk)


def test_a_handout_session_spots_a_framed_peer_instead_of_a_name() -> None:
    session = HandoutPairSession(Role.SERVER, "bia")
    (event,) = session.receive(FramedPairSession("ana").hello())
    assert isinstance(event, PeerDropped) and event.error.code == "pair_peer_is_framed"
    assert session.ended


def test_a_name_that_merely_looks_like_json_is_still_a_name() -> None:
    session = HandoutPairSession(Role.SERVER, "bia")
    assert session.receive(b"{ana}") == [PeerNamed("{ana}")]


def test_a_framed_session_spots_a_handout_peer_sending_a_bare_name() -> None:
    session = FramedPairSession("bia")
    (event,) = session.receive(b"ana")
    assert isinstance(event, PeerDropped) and event.error.code == "pair_peer_not_framed"
    assert session.ended
