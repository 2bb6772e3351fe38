"""The catch-up window shared by the serverless rooms: collect, merge, hand over once."""

from __future__ import annotations

import asyncio

from papo.protocol.history import history_answers
from papo.protocol.limits import DEFAULT_LIMITS
from papo.protocol.message import ChatMessage
from papo.transport.catch_up import CatchUpWindow, CaughtUp


def said(text: str, ts: float, seq: int) -> ChatMessage:
    return ChatMessage(user="bia", data=text, type="chat", node="bianode", seq=seq, ts=ts)


def answers_for(node: str, *messages: ChatMessage) -> list[ChatMessage]:
    return history_answers(list(messages), node, nick="bia", node="bianode", first_seq=100, ts=50.0)


def test_answers_are_handed_over_once_oldest_first_without_what_was_seen_live() -> None:
    got: list[CaughtUp] = []
    window = CatchUpWindow("ananode", DEFAULT_LIMITS, got.append)
    window.start()
    old, older, live = said("b", 20.0, 2), said("a", 10.0, 1), said("c", 30.0, 3)
    window.known(live)
    for answer in answers_for("ananode", old, older, live) + answers_for("other", old):
        window.receive(answer)
    window.close()
    window.close()
    assert [[m.data for m in event.messages] for event in got] == [["a", "b"]]
    assert not window.open


def test_an_abandoned_window_hands_over_nothing_and_a_late_answer_is_ignored() -> None:
    got: list[CaughtUp] = []
    window = CatchUpWindow("ananode", DEFAULT_LIMITS, got.append)
    window.start()
    for answer in answers_for("ananode", said("a", 10.0, 1)):
        window.receive(answer)
    window.abandon()
    for answer in answers_for("ananode", said("b", 11.0, 2)):
        window.receive(answer)
    window.close()
    assert got == []


def test_the_window_closes_by_itself_after_its_seconds() -> None:
    async def body() -> list[CaughtUp]:
        got: list[CaughtUp] = []
        closed = asyncio.Event()

        def emit(event: CaughtUp) -> None:
            got.append(event)
            closed.set()

        window = CatchUpWindow("ananode", DEFAULT_LIMITS, emit)
        window.start()
        for answer in answers_for("ananode", said("a", 10.0, 1)):
            window.receive(answer)
        window.close_after(asyncio.get_running_loop(), 0.01)
        await asyncio.wait_for(closed.wait(), 5)
        return got

    assert [m.data for m in asyncio.run(body())[0].messages] == ["a"]


def test_the_event_queue_drops_and_counts_past_its_bound_and_always_ends() -> None:
    from papo.transport.base import EventQueue

    async def body() -> tuple[list[int], int]:
        queue: EventQueue[int] = EventQueue(3)
        for number in range(5):
            queue.put(number)
        queue.end()  # the end gets through a full queue
        return [event async for event in queue.events()], queue.overflowed

    assert asyncio.run(body()) == ([0, 1, 2], 2)


def test_a_history_request_is_answered_with_shared_messages_once_per_requester() -> None:
    from papo.errors import DecodeError
    from papo.protocol.history import history_request
    from papo.transport.catch_up import AnswerGate, history_to_share

    class Keeper:
        def newest_time(self) -> float | None:
            return 12.0

        def shared_since(self, since: float) -> list[ChatMessage]:
            private = ChatMessage(user="bia", data="p", type="private", to="cid", ts=11.0)
            return [
                m for m in (said("a", 10.0, 1), said("b", 12.0, 2), private) if (m.ts or 0) > since
            ]

    gate = AnswerGate(limit=10, window=60.0, capacity=8)
    request = history_request("ana", "ananode", 0, 10.5, 50.0)
    shared = history_to_share(request, Keeper(), gate, 0.0)
    assert isinstance(shared, list) and [m.data for m in shared] == ["b"]
    assert history_to_share(request, Keeper(), gate, 1.0) is None  # asked already
    assert history_to_share(request, None, AnswerGate(10, 60.0, 8), 0.0) is None
    bad = history_to_share(
        ChatMessage(user="x", data="soon", type=request.type), Keeper(), gate, 0.0
    )
    assert isinstance(bad, DecodeError) and bad.code == "decode_bad_value"
