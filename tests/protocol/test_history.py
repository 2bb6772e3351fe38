"""Catch-up messages: request, answers, unwrapping and merging without duplicates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.codec import decode, encode
from papo.protocol.history import (
    CATCH_UP_MAX_MESSAGES,
    HISTORY_REQUEST_TYPE,
    HISTORY_TYPE,
    CatchUp,
    history_answers,
    history_request,
    identity,
    requested_since,
    unwrap,
)
from papo.protocol.limits import Limits
from papo.protocol.message import ChatMessage


def stored(count: int, node: str = "n1") -> list[ChatMessage]:
    return [
        ChatMessage(user="ana", data=f"m{seq}", v=1, node=node, seq=seq, ts=100.0 + seq)
        for seq in range(1, count + 1)
    ]


def answers_for(messages: list[ChatMessage], to: str = "leo", node: str = "p1"):
    return history_answers(messages, to, nick="bia", node=node, first_seq=10, ts=500.0)


def test_request_says_since_when_and_survives_the_wire() -> None:
    request = history_request("leo", "nl", 1, 123.5, ts=200.0)
    assert request.type == HISTORY_REQUEST_TYPE
    received = decode(encode(request))
    assert isinstance(received, ChatMessage)
    assert requested_since(received) == 123.5
    assert requested_since(history_request("leo", "nl", 2, None, ts=200.0)) == 0.0


def test_bad_requests_are_decode_errors() -> None:
    for data in ("abc", "nan", "inf", "-1", ""):
        bad = ChatMessage(user="x", data=data, type=HISTORY_REQUEST_TYPE)
        assert isinstance(requested_since(bad), DecodeError), data
    assert isinstance(requested_since(ChatMessage(user="x", data="1")), DecodeError)


def test_answers_carry_the_newest_messages_addressed_to_the_requester() -> None:
    answers = answers_for(stored(CATCH_UP_MAX_MESSAGES + 5))
    assert len(answers) == CATCH_UP_MAX_MESSAGES
    assert all(a.type == HISTORY_TYPE and a.to == "leo" for a in answers)
    assert [a.seq for a in answers[:2]] == [10, 11]
    first = unwrap(answers[0])
    assert isinstance(first, ChatMessage) and first.data == "m6"


def test_answers_leave_out_messages_without_identity_and_too_big_ones() -> None:
    handout = ChatMessage(user="zé", data="oi")
    big = ChatMessage(user="ana", data="x" * 900, node="n", seq=1)
    small_limits = Limits(max_datagram_bytes=600)
    answers = history_answers(
        [handout, big, *stored(1)],
        "leo",
        nick="b",
        node="p",
        first_seq=1,
        ts=1.0,
        limits=small_limits,
    )
    assert [unwrap(a).data for a in answers] == ["m1"]  # type: ignore[union-attr]


def test_answers_of_several_peers_merge_into_each_message_once() -> None:
    messages = stored(5)
    catch_up = CatchUp("leo")
    catch_up.known(messages[0])  # seen live already
    got = []
    for peer in ("p1", "p2", "p3"):
        for answer in answers_for(messages, node=peer):
            wire = decode(encode(answer), "10.0.0.9:5007")
            assert isinstance(wire, ChatMessage)
            merged = catch_up.receive(wire)
            if merged is not None:
                got.append(merged.data)
    assert got == ["m2", "m3", "m4", "m5"]
    assert catch_up.duplicates == 11


def test_answers_for_someone_else_or_malformed_are_ignored() -> None:
    catch_up = CatchUp("leo")
    assert catch_up.receive(answers_for(stored(1), to="ana")[0]) is None
    for data in (
        "not json",
        '{"user": "x"}',
        "oi: plain",
        encode(answers_for(stored(1))[0]).decode(),
    ):
        bad = ChatMessage(user="b", data=data, type=HISTORY_TYPE, to="leo")
        assert catch_up.receive(bad) is None, data
    assert catch_up.invalid == 4
    assert isinstance(unwrap(ChatMessage(user="b", data="{}")), DecodeError)


def test_identity_is_id_then_node_and_seq() -> None:
    assert identity(ChatMessage(user="a", data="", id="x", node="n", seq=1)) == "id:x"
    assert identity(ChatMessage(user="a", data="", node="n", seq=1)) == "ns:n:1"
    assert identity(ChatMessage(user="a", data="")) is None


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(texts, st.integers(min_value=0, max_value=2**40), st.sampled_from(["chat", "me"]))
def test_any_stored_message_comes_back_unchanged_through_an_answer(
    text: str, seq: int, kind: str
) -> None:
    original = ChatMessage(user="ana", data=text, type=kind, v=1, node="n", seq=seq, ts=1.5)
    (answer,) = answers_for([original])
    wire = decode(encode(answer))
    assert isinstance(wire, ChatMessage)
    back = unwrap(wire)
    assert isinstance(back, ChatMessage)
    assert back.wire_dict() == original.wire_dict()
