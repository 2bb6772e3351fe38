"""The handout's sender and receiver rules, without sockets."""

from __future__ import annotations

import json

import pytest

from papo.errors import ConfigError, InputError
from papo.protocol.limits import DEFAULT_LIMITS
from papo.session import (
    Ended,
    Lost,
    Received,
    ReceiverSession,
    Rejected,
    SenderSession,
    SequenceTracker,
    is_quit_word,
)


def test_sender_sends_the_handout_envelope_with_papo_extras() -> None:
    sender = SenderSession("ana", node="n1", clock=lambda: 1000.0)
    (datagram,) = sender.compose("oi")
    payload = json.loads(datagram)
    assert payload["user"] == "ana" and payload["data"] == "oi"
    assert (payload["node"], payload["seq"], payload["ts"], payload["v"]) == ("n1", 1, 1000.0, 1)


def test_sequence_numbers_count_every_datagram_including_parts() -> None:
    sender = SenderSession("ana", node="n1", clock=lambda: 0.0)
    parts = sender.compose("x" * 3000)
    assert len(parts) > 1
    (after,) = sender.compose("next")
    seqs = [json.loads(p)["seq"] for p in [*parts, after]]
    assert seqs == list(range(1, len(parts) + 2))
    assert all(len(p) <= DEFAULT_LIMITS.send_datagram_bytes for p in parts)


def test_farewell_says_sair() -> None:
    assert json.loads(SenderSession("ana").farewell())["data"] == "sair"


def test_sender_refuses_text_over_the_input_limit() -> None:
    with pytest.raises(InputError):
        SenderSession("ana").compose("x" * (DEFAULT_LIMITS.max_input_chars + 1))


def test_sender_refuses_a_bad_nick() -> None:
    with pytest.raises(ConfigError):
        SenderSession("a b")


@pytest.mark.parametrize("text", ["sair", "SAIR", "  Sair \t", "sair\n"])
def test_quit_word_ignores_case_and_spaces(text: str) -> None:
    assert is_quit_word(text)


@pytest.mark.parametrize("text", ["sair!", "sai", "não sair", ""])
def test_other_texts_are_not_the_quit_word(text: str) -> None:
    assert not is_quit_word(text)


def test_receiver_ends_on_sair_from_any_sender_and_names_who() -> None:
    receiver = ReceiverSession()
    (event,) = receiver.receive(b'{"user": "bob", "data": " Sair "}', "h:1")
    assert isinstance(event, Ended) and event.message.user == "bob"


def test_receiver_does_not_end_on_a_leave_notice_or_private_message() -> None:
    receiver = ReceiverSession()
    for kind in ("leave", "private", "me"):
        payload = json.dumps({"user": "bob", "data": "sair", "type": kind}).encode()
        (event,) = receiver.receive(payload, "h:1")
        assert isinstance(event, Received)


def test_receiver_counts_rejected_datagrams() -> None:
    receiver = ReceiverSession()
    for payload in (b"\xff", b"[]", b"{}"):
        (event,) = receiver.receive(payload, "h:1")
        assert isinstance(event, Rejected)
    assert receiver.rejected == 3


def test_receiver_reports_lost_messages_from_sequence_gaps() -> None:
    receiver = ReceiverSession()
    sender = SenderSession("ana", node="n1")
    datagrams = [sender.compose(f"m{i}")[0] for i in range(6)]
    receiver.receive(datagrams[0], "h:1")
    events = receiver.receive(datagrams[4], "h:1")  # 1, 2, 3 never arrived
    assert events[0] == Lost("ana", "n1", 3)
    assert isinstance(events[1], Received)
    assert all(not isinstance(e, Lost) for e in receiver.receive(datagrams[2], "h:1"))


def test_sequence_tracker_is_bounded_in_senders() -> None:
    tracker = SequenceTracker(max_senders=2)
    for node in ("a", "b", "c"):
        tracker.observe(node, 1)
    assert tracker.observe("a", 5) == 0  # "a" was forgotten: no false loss report
    assert tracker.observe("c", 3) == 1
