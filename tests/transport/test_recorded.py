"""RecordedTransport keeps the conversation in the local history and changes nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from papo.protocol.message import ChatMessage
from papo.store.history import HistoryStore
from papo.transport.base import (
    ChatTransport,
    Delivered,
    NickChanged,
    RosterChanged,
    StatusChanged,
)
from papo.transport.catch_up import CaughtUp
from papo.transport.recorded import RecordedTransport


class ScriptedTransport:
    """Delivers a fixed list of events; records what is sent."""

    def __init__(self, events: list[object], with_take_sent: bool = False) -> None:
        self.script = events
        self.sent: list[ChatMessage] = []
        self._pending: list[ChatMessage] = []
        if with_take_sent:
            self.take_sent = self._take_sent

    async def open(self) -> None:
        pass

    async def send(self, message: ChatMessage) -> None:
        self.sent.append(message)
        self._pending.append(ChatMessage(user="ana", data=message.data, node="me", seq=9, ts=5.0))

    def _take_sent(self) -> list[ChatMessage]:
        taken, self._pending = self._pending, []
        return taken

    async def events(self) -> AsyncIterator[object]:
        for event in self.script:
            yield event

    async def close(self) -> None:
        pass


def remote(text: str, seq: int, kind: str = "chat") -> Delivered:
    return Delivered(ChatMessage(user="bia", data=text, type=kind, node="b", seq=seq, ts=seq))


def run(transport: RecordedTransport, *sends: str) -> list[object]:
    async def scenario() -> list[object]:
        await transport.open()
        for text in sends:
            await transport.send(ChatMessage(user="ana", data=text))
        seen = [event async for event in transport.events()]
        await transport.close()
        return seen

    return asyncio.run(scenario())


def test_delivered_conversation_is_kept_once_and_every_event_passes_through(
    tmp_path: Path,
) -> None:
    script = [
        remote("entrou", 1, "join"),
        remote("oi", 2),
        RosterChanged(("ana", "bia")),
        remote("oi", 2),  # a replay of a message already kept
    ]
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        recorded = RecordedTransport(ScriptedTransport(script), store, "geral", "ana")
        assert isinstance(recorded, ChatTransport)
        assert run(recorded) == script
        assert [m.data for m in store.last("geral", 10)] == ["oi"]


def test_sent_lines_are_kept_with_the_envelope_the_transport_really_sent(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        inner = ScriptedTransport([], with_take_sent=True)
        run(RecordedTransport(inner, store, "geral", "ana"), "meu texto")
        (kept,) = store.last("geral", 10)
        assert (kept.user, kept.data, kept.node, kept.seq) == ("ana", "meu texto", "me", 9)
        plain = ScriptedTransport([])
        run(RecordedTransport(plain, store, "outra", "ana", clock=lambda: 7.0), "sem ids")
        (kept,) = store.last("outra", 10)
        assert (kept.user, kept.data, kept.ts) == ("ana", "sem ids", 7.0)


def test_a_failing_history_is_reported_once_and_the_chat_goes_on(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.close()  # every write now fails
    script = [remote("um", 1), remote("dois", 2)]
    seen = run(RecordedTransport(ScriptedTransport(script), store, "geral", "ana"))
    statuses = [event for event in seen if isinstance(event, StatusChanged)]
    assert [event.code for event in statuses] == ["history_write_failed"]
    assert [event for event in seen if isinstance(event, Delivered)] == script


class ServerlessTransport(ScriptedTransport):
    """A scripted transport that, like the multicast room, accepts a history keeper."""

    def __init__(self, events: list[object]) -> None:
        super().__init__(events)
        self.keeper: object = None

    def share_history(self, keeper: object) -> None:
        self.keeper = keeper


def test_a_serverless_transport_is_given_the_recorder_as_its_history_keeper(
    tmp_path: Path,
) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        inner = ServerlessTransport([])
        recorded = RecordedTransport(inner, store, "geral", "ana")
        assert inner.keeper is recorded
        assert recorded.newest_time() is None
        store.merge(
            "geral",
            [
                ChatMessage(user="bia", data="um", node="b", seq=1, ts=1.0),
                ChatMessage(user="bia", data="psiu", type="private", to="ana", node="b", ts=2.0),
                ChatMessage(user="bia", data="tres", node="b", seq=3, ts=3.0),
                ChatMessage(user="bia", data="[sistema]", type="system", ts=0.5),
            ],
        )
        store.append("outra", ChatMessage(user="bia", data="x", node="b", seq=9, ts=9.0))
        assert recorded.newest_time() == 3.0
        # Private messages stay with the people who exchanged them: never shared.
        assert [m.data for m in recorded.shared_since(0.0)] == ["[sistema]", "um", "tres"]
        assert [m.data for m in recorded.shared_since(1.0)] == ["tres"]
        assert [m.data for m in recorded.recent(2)] == ["psiu", "tres"]


def test_caught_up_messages_are_merged_into_the_store_without_duplicates(tmp_path: Path) -> None:
    first = ChatMessage(user="bia", data="um", node="b", seq=1, ts=1.0)
    second = ChatMessage(user="caio", data="dois", node="c", seq=1, ts=2.0)
    script = [remote("um", 1), CaughtUp((first, second))]
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        seen = run(RecordedTransport(ServerlessTransport(script), store, "geral", "ana"))
        assert seen == script  # the event goes on to the window
        assert [m.data for m in store.last("geral", 10)] == ["um", "dois"]
        assert store.count("geral") == 2


def test_lines_sent_after_a_nick_change_are_kept_under_the_new_nick(tmp_path: Path) -> None:
    async def scenario(recorded: RecordedTransport) -> None:
        await recorded.open()
        assert [event async for event in recorded.events()] == [NickChanged("ana2")]
        assert recorded.nick == "ana2"
        await recorded.send(ChatMessage(user="ana2", data="\udcff sou ana2"))
        await recorded.close()

    with HistoryStore(tmp_path / "h.sqlite3") as store:
        inner = ScriptedTransport([NickChanged("ana2")])
        asyncio.run(scenario(RecordedTransport(inner, store, "geral", "ana", clock=lambda: 1.0)))
        (kept,) = store.last("geral", 10)
        assert (kept.user, kept.data) == ("ana2", "\ufffd sou ana2")
