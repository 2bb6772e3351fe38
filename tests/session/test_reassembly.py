"""Split messages are shown whole; incomplete ones are shown as they came, in time."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.codec import split_text
from papo.protocol.message import ChatMessage
from papo.session.chat import ChatLine, ChatSession
from papo.session.reassembly import MAX_PENDING_SPLITS, SPLIT_TIMEOUT, Reassembler
from papo.transport.base import Delivered


def split(text: str, first_seq: int = 1, node: str = "n1") -> list[ChatMessage]:
    def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
        seq = first_seq + (part or 1) - 1
        return ChatMessage(user="bob", data=chunk, node=node, seq=seq, part=part, parts=parts)

    return split_text(text, build)


def test_parts_in_any_order_come_back_as_one_message() -> None:
    text = "ção " * 1000
    parts = split(text)
    assert len(parts) > 3
    joiner = Reassembler()
    shown = [m for part in reversed(parts) for m in joiner.add(part, 0.0)]
    assert [(m.data, m.part, m.parts) for m in shown] == [(text, None, None)]
    assert len(joiner) == 0


def test_a_message_that_fits_passes_straight_through() -> None:
    message = ChatMessage(user="bob", data="oi", node="n1", seq=4)
    assert Reassembler().add(message, 0.0) == [message]


def test_duplicate_parts_are_ignored() -> None:
    first, second = split("x" * 1500)
    joiner = Reassembler()
    assert joiner.add(first, 0.0) == [] and joiner.add(first, 0.0) == []
    assert [m.data for m in joiner.add(second, 0.0)] == ["x" * 1500]


def test_incomplete_split_is_shown_part_by_part_after_the_timeout() -> None:
    first, _lost, third = split("y" * 2500)
    joiner = Reassembler()
    assert joiner.add(first, 0.0) == [] and joiner.add(third, 1.0) == []
    assert joiner.expire(SPLIT_TIMEOUT) == []
    assert joiner.expire(SPLIT_TIMEOUT + 0.1) == [first, third]


def test_too_many_waiting_splits_show_the_oldest_as_they_are() -> None:
    joiner = Reassembler()
    firsts = [split("z" * 1500, first_seq=10 * n)[0] for n in range(MAX_PENDING_SPLITS + 1)]
    shown = [m for part in firsts for m in joiner.add(part, 0.0)]
    assert shown == [firsts[0]] and len(joiner) == MAX_PENDING_SPLITS


def test_a_split_longer_than_papo_ever_sends_is_not_assembled() -> None:
    joiner = Reassembler(max_chars=2000)
    parts = split("w" * 3000)
    shown = [m for part in parts for m in joiner.add(part, 0.0)]
    assert shown == parts[:3] and all(m.parts == len(parts) for m in shown)


def test_parts_of_two_senders_do_not_mix() -> None:
    joiner = Reassembler()
    ana = [replace(m, user="ana") for m in split("a" * 1500, node="na")]
    bob = split("b" * 1500, node="nb")
    shown = [m for pair in zip(ana, bob, strict=True) for part in pair for m in joiner.add(part, 0)]
    assert [(m.user, m.data) for m in shown] == [("ana", "a" * 1500), ("bob", "b" * 1500)]


def test_session_shows_a_long_line_once_and_a_broken_one_on_tick() -> None:
    now = [100.0]
    chat = ChatSession("ana", clock=lambda: now[0])
    shown = [e for part in split("ana " + "q" * 3000) for e in chat.handle_event(Delivered(part))]
    (line,) = shown
    assert isinstance(line, ChatLine) and line.message.data == "ana " + "q" * 3000
    assert line.mention
    first, *_rest = split("r" * 3000, first_seq=50)
    assert chat.handle_event(Delivered(first)) == [] and chat.tick() == []
    now[0] += SPLIT_TIMEOUT + 1
    (late,) = chat.tick()
    assert isinstance(late, ChatLine) and late.message.part == 1


@given(st.text(min_size=1, max_size=3000), st.randoms())
def test_any_text_survives_splitting_shuffling_and_joining(text: str, random) -> None:
    parts = split(text)
    random.shuffle(parts)
    joiner = Reassembler()
    shown = [m for part in parts for m in joiner.add(part, 0.0)]
    assert [m.data for m in shown] == [text]
