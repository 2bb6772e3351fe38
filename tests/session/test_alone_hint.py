"""A user left alone in a serverless room is told, once, how others could be found."""

from __future__ import annotations

import argparse

from papo.cli.chat import alone_hint
from papo.protocol.message import ChatMessage
from papo.session.chat import ALONE_HINT_SECONDS, ChatSession, Notice
from papo.transport.base import Delivered, RosterChanged


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hints(session: ChatSession) -> list[str]:
    return [event.code for event in session.tick() if isinstance(event, Notice)]


def test_alone_past_the_named_time_the_hint_is_shown_once() -> None:
    clock = Clock()
    session = ChatSession("ana", clock=clock, alone_hint="chat_alone_multicast")
    clock.now += ALONE_HINT_SECONDS - 1
    assert hints(session) == []
    clock.now += 1
    assert hints(session) == ["chat_alone_multicast"]
    clock.now += 100
    assert hints(session) == []


def test_someone_arriving_first_means_no_hint_even_after_they_leave() -> None:
    clock = Clock()
    session = ChatSession("ana", clock=clock, alone_hint="chat_alone_p2p")
    session.handle_event(RosterChanged(("ana", "bia")))
    session.handle_event(RosterChanged(("ana",)))
    clock.now += 10 * ALONE_HINT_SECONDS
    assert hints(session) == []


def test_a_message_from_a_handout_sender_without_presence_means_no_hint() -> None:
    clock = Clock()
    session = ChatSession("ana", clock=clock, alone_hint="chat_alone_multicast")
    session.handle_event(Delivered(ChatMessage(user="prof", data="oi", plain=False)))
    clock.now += 10 * ALONE_HINT_SECONDS
    assert hints(session) == []


def test_without_a_hint_code_nothing_is_said() -> None:
    clock = Clock()
    session = ChatSession("ana", clock=clock)
    clock.now += 10 * ALONE_HINT_SECONDS
    assert hints(session) == []


def test_only_serverless_rooms_get_a_hint() -> None:
    def args(**given: object) -> argparse.Namespace:
        return argparse.Namespace(**{"server": None, "nats": None, "p2p": False, **given})

    assert alone_hint(args()) == "chat_alone_multicast"
    assert alone_hint(args(p2p=True)) == "chat_alone_p2p"
    assert alone_hint(args(server="127.0.0.1")) is None
    assert alone_hint(args(nats=["nats://127.0.0.1:4222"])) is None


def test_undelivered_lines_and_a_lost_link_are_warnings_and_a_reconnect_is_not() -> None:
    from papo.transport.base import StatusChanged

    session = ChatSession("ana", clock=Clock())
    undelivered = StatusChanged("room_undelivered", {"count": 1, "texts": '"x"'})
    (warned,) = session.handle_event(undelivered)
    (plain,) = session.handle_event(StatusChanged("connected", {"where": "x", "nick": "ana"}))
    assert isinstance(warned, Notice) and warned.warning
    assert isinstance(plain, Notice) and not plain.warning
