"""The handout's sender and receiver rules, without sockets."""

from __future__ import annotations

import json

import pytest

from papo.errors import ConfigError, InputError
from papo.protocol.limits import DEFAULT_LIMITS
from papo.session import (
    Ended,
    Late,
    Lost,
    Received,
    ReceiverSession,
    Rejected,
    SenderSession,
    SequenceTracker,
    SequenceVerdict,
    is_quit_word,
)
from papo.session.multicast import SEQUENCE_WINDOW


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


def numbered(count: int) -> list[bytes]:
    sender = SenderSession("ana", node="n1", clock=lambda: 0.0)
    return [sender.compose(f"m{i}")[0] for i in range(count)]


def kinds(events: list) -> list[type]:
    return [type(event) for event in events]


def test_receiver_drops_and_counts_a_duplicated_datagram() -> None:
    receiver = ReceiverSession()
    first, second = numbered(2)
    for datagram in (first, first, second, first, second):
        receiver.receive(datagram, "h:1")
    assert receiver.duplicates == 3
    receiver = ReceiverSession()
    assert kinds(receiver.receive(first, "h:1")) == [Received]
    assert receiver.receive(first, "h:1") == []


def test_duplicated_sair_does_not_end_twice_or_show_twice() -> None:
    receiver = ReceiverSession()
    farewell = SenderSession("ana", node="n1").farewell()
    assert kinds(receiver.receive(farewell, "h:1")) == [Ended]
    assert receiver.receive(farewell, "h:1") == []


def test_overtaken_message_is_shown_late_and_takes_back_its_loss() -> None:
    receiver = ReceiverSession()
    datagrams = numbered(4)
    receiver.receive(datagrams[0], "h:1")
    events = receiver.receive(datagrams[2], "h:1")
    assert events[0] == Lost("ana", "n1", 1)
    events = receiver.receive(datagrams[1], "h:1")
    assert events[0] == Late("ana", "n1", 1)
    assert isinstance(events[1], Received) and events[1].message.data == "m1"
    assert kinds(receiver.receive(datagrams[3], "h:1")) == [Received]


def test_losses_minus_late_arrivals_is_what_never_came_in_any_order() -> None:
    datagrams = numbered(40)
    never = {3, 17, 18, 39}
    order = [i for i in range(40) if i not in never]
    order[5], order[9] = order[9], order[5]  # overtaken
    order[20:24] = reversed(order[20:24])
    order.append(order[7])  # duplicated
    receiver = ReceiverSession()
    events = [e for i in order for e in receiver.receive(datagrams[i], "h:1")]
    lost = sum(e.count for e in events if isinstance(e, Lost))
    late = sum(e.count for e in events if isinstance(e, Late))
    shown = [e.message.data for e in events if isinstance(e, Received)]
    # 39 is the last: nothing after it shows it was lost (a sender's sair would).
    assert lost - late == len(never) - 1
    assert sorted(shown) == sorted(f"m{i}" for i in range(40) if i not in never)
    assert receiver.duplicates == 1


def test_messages_from_before_the_receiver_started_are_shown_without_a_correction() -> None:
    receiver = ReceiverSession()
    datagrams = numbered(5)
    receiver.receive(datagrams[3], "h:1")  # the first one heard
    assert kinds(receiver.receive(datagrams[1], "h:1")) == [Received]
    assert kinds(receiver.receive(datagrams[2], "h:1")) == [Received]
    assert kinds(receiver.receive(datagrams[4], "h:1")) == [Received]


def test_sequence_tracker_drops_numbers_older_than_its_window() -> None:
    tracker = SequenceTracker(window=8)
    tracker.classify("a", 1)
    assert tracker.classify("a", 20) == SequenceVerdict(missing=18)
    assert tracker.classify("a", 13) == SequenceVerdict(late=True)
    assert tracker.classify("a", 12) == SequenceVerdict(duplicate=True)  # 8+ behind
    assert tracker.classify("a", 20) == SequenceVerdict(duplicate=True)
    assert SEQUENCE_WINDOW >= 64


def test_a_machine_flooding_from_new_ports_is_said_once_and_again_when_it_calms_down() -> None:
    from papo.protocol.ratelimit import SourceRateLimiter

    now = [0.0]
    limiter = SourceRateLimiter(host_rate=10, host_burst=3)
    session = ReceiverSession(rate_limit=limiter, clock=lambda: now[0])
    payload = json.dumps({"user": "spam", "data": "x"}).encode()
    events = [e for port in range(100) for e in session.receive(payload, f"10.0.0.9:{port}")]
    rejected = [e for e in events if isinstance(e, Rejected)]
    assert [e.error.code for e in rejected] == ["rate_limited_host"]
    assert sum(isinstance(e, Received) for e in events) == 3
    now[0] = 10.0
    later = session.receive(payload, "10.0.0.9:7000")
    assert [type(e).__name__ for e in later] == ["Rejected", "Received"]
    assert later[0].error.code == "rate_limit_ended_host"
    assert later[0].error.details["count"] == 97
