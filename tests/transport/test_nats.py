"""The NATS transport against a real 3-node nats-server cluster with JetStream."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nats_cluster import NatsCluster, require_nats_server

from papo.errors import ConfigError, NetworkError
from papo.protocol.message import ChatMessage, MessageType
from papo.transport.base import ChatTransport, Delivered, RosterChanged, StatusChanged
from papo.transport.nats import (
    NatsTransport,
    check_room,
    dedup_key,
    presence_subject,
    room_subject,
    stream_name,
)

#: Seconds any one expectation of these tests may take.
WAIT = 15.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(require_nats_server(), tmp_path)
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


class Watcher:
    """Collects a transport's events in a task so the test can wait for some."""

    def __init__(self, transport: NatsTransport) -> None:
        self.transport = transport
        self.events: list[object] = []
        self.task = asyncio.get_running_loop().create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.transport.events():
            self.events.append(event)

    def texts(self, kind: str = MessageType.CHAT) -> list[str]:
        return [
            event.message.data
            for event in self.events
            if isinstance(event, Delivered) and event.message.type == kind
        ]

    def statuses(self) -> list[str]:
        return [event.code for event in self.events if isinstance(event, StatusChanged)]

    def roster(self) -> tuple[str, ...]:
        rosters = [event.nicks for event in self.events if isinstance(event, RosterChanged)]
        return rosters[-1] if rosters else ()

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = asyncio.get_running_loop().time() + WAIT
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{what}: not in {WAIT}s; events: {self.events!r}")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.transport.close()
        await asyncio.wait_for(self.task, WAIT)


async def joined(servers: list[str], nick: str, **options: object) -> Watcher:
    transport = NatsTransport(servers, nick, **options)  # type: ignore[arg-type]
    await transport.open()
    return Watcher(transport)


def say(text: str) -> ChatMessage:
    return ChatMessage(user="-", data=text)


def test_rooms_map_to_subjects_and_streams() -> None:
    assert room_subject("geral") == "papo.room.geral"
    assert presence_subject("geral") == "papo.presence.geral"
    assert stream_name("sala-2") == "PAPO_ROOM_sala-2"
    assert dedup_key(ChatMessage(user="a", data="b", node="n", seq=3)) == "n:3"
    assert dedup_key(ChatMessage(user="a", data="b")) is None
    for bad in ("", "a.b", "a b", "*", ">", "x" * 65, "sala/1", "ção"):
        with pytest.raises(ConfigError):
            check_room(bad)


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        NatsTransport([], "ana")
    with pytest.raises(ConfigError):
        NatsTransport(["http://x:1"], "ana")
    with pytest.raises(ConfigError):
        NatsTransport(["nats://127.0.0.1:4222"], "a b")
    assert isinstance(NatsTransport(["nats://127.0.0.1:4222"], "ana"), ChatTransport)


def test_missing_nats_extra_is_explained_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nats", None)
    transport = NatsTransport(["nats://127.0.0.1:4222"], "ana")
    with pytest.raises(ConfigError) as info:
        asyncio.run(transport.open())
    assert info.value.code == "nats_missing_extra"


def test_no_server_listening_is_a_network_error() -> None:
    from conftest import free_tcp_port

    transport = NatsTransport([f"nats://127.0.0.1:{free_tcp_port()}"], "ana", connect_seconds=1)
    with pytest.raises(NetworkError) as info:
        asyncio.run(transport.open())
    assert info.value.code == "nats_connect_failed"


def test_clients_on_different_nodes_chat_once_each(cluster: NatsCluster) -> None:
    async def scenario() -> None:
        ana = await joined(cluster.urls("n1"), "ana")
        bia = await joined(cluster.urls("n2"), "bia")
        caio = await joined(cluster.urls("n3"), "caio")
        servers = {ana.transport.server, bia.transport.server, caio.transport.server}
        assert len(servers) == 3
        await ana.transport.send(say("oi de ana"))
        await bia.transport.send(say("oi de bia"))
        await caio.transport.send(ChatMessage(user="-", data="só bia", type="private", to="bia"))
        await bia.until(lambda: "só bia" in bia.texts("private"), "private reaches bia")
        await caio.until(lambda: caio.texts() == ["oi de ana", "oi de bia"], "caio reads both")
        await bia.until(lambda: bia.texts() == ["oi de ana"], "bia reads ana")
        for watcher in (ana, bia, caio):
            await watcher.until(
                lambda w=watcher: w.roster() == ("ana", "bia", "caio"), "roster complete"
            )
        assert ana.texts() == ["oi de bia"]  # never its own line back
        assert ana.texts("private") == []  # not addressed to ana
        await caio.transport.send(ChatMessage(user="-", data="sair", type="leave"))
        await caio.close()
        await ana.until(lambda: ana.roster() == ("ana", "bia"), "caio left the roster")
        await ana.close()
        await bia.close()

    asyncio.run(scenario())


def test_late_joiner_gets_the_last_messages_then_live_ones(cluster: NatsCluster) -> None:
    async def scenario() -> None:
        ana = await joined(cluster.urls("n1"), "ana", room="hist")
        for index in range(1, 8):
            await ana.transport.send(say(f"m{index}"))
        late = await joined(cluster.urls("n3"), "leo", room="hist", replay=4)
        await late.until(lambda: len(late.events) >= 3, "replay arrives")
        await ana.transport.send(say("ao vivo"))
        await late.until(lambda: "ao vivo" in late.texts(), "live message")
        # The stream holds ana's join and m1..m7: the last 4 are m4..m7, then the live one.
        assert late.texts() == ["m4", "m5", "m6", "m7", "ao vivo"]
        await ana.close()
        await late.close()

    asyncio.run(scenario())


def test_failover_loses_nothing_jetstream_stored_and_history_survives_restart(
    cluster: NatsCluster,
) -> None:
    async def scenario() -> None:
        ana = await joined(cluster.urls("n1"), "ana", room="fo")
        bia = await joined(cluster.urls("n2"), "bia", room="fo")
        assert ana.transport.server.endswith(str(cluster.node("n1").client_port))
        await ana.transport.send(say("antes"))
        await bia.until(lambda: bia.texts() == ["antes"], "before the failure")

        sent = [f"durante {index}" for index in range(20)]
        for index, text in enumerate(sent):
            if index == 5:  # ana's server dies mid-conversation; the stream keeps 2 of 3 copies
                cluster.kill("n1")
            await ana.transport.send(say(text))  # returns only once the stream stored it
            await bia.transport.send(say(f"resposta {text}"))
        await ana.until(lambda: "nats_reconnected" in ana.statuses(), "ana fails over")
        assert "nats_disconnected" in ana.statuses()
        assert not ana.transport.server.endswith(str(cluster.node("n1").client_port))
        await bia.until(lambda: bia.texts() == ["antes", *sent], "bia gets every message")
        answers = [f"resposta {text}" for text in sent]
        await ana.until(lambda: ana.texts() == answers, "ana gets every answer")

        cluster.start("n1")  # the node comes back with its JetStream directory
        late = await joined([cluster.node("n1").url()], "leo", room="fo", replay=100)
        await late.until(lambda: len(late.texts()) == 41, "history through the restarted node")
        assert late.texts()[0] == "antes"
        assert sorted(late.texts()) == sorted(["antes", *sent, *answers])
        for watcher in (ana, bia, late):
            await watcher.close()

    asyncio.run(scenario())


def test_shipped_cluster_configs_are_valid_and_describe_three_jetstream_nodes() -> None:
    import subprocess

    from conftest import ROOT

    binary = require_nats_server()
    configs = sorted((ROOT / "deploy" / "nats").glob("n*.conf"))
    assert [config.name for config in configs] == ["n1.conf", "n2.conf", "n3.conf"]
    for config in configs:
        text = config.read_text()
        assert "jetstream" in text and text.count("nats-route://") == 3
        result = subprocess.run(
            [binary, "-c", str(config), "-t"], capture_output=True, text=True, timeout=10
        )
        assert result.returncode == 0, result.stderr


def test_a_server_without_jetstream_is_refused_in_one_line(tmp_path: Path) -> None:
    import subprocess

    from conftest import free_tcp_port

    port = free_tcp_port()
    server = subprocess.Popen(
        [require_nats_server(), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        transport = NatsTransport([f"nats://127.0.0.1:{port}"], "ana", connect_seconds=5)

        async def attempt() -> None:
            deadline = asyncio.get_running_loop().time() + WAIT
            while True:  # the server may still be starting: retry the connection only
                try:
                    await transport.open()
                    return
                except NetworkError:
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.05)

        with pytest.raises(ConfigError) as info:
            asyncio.run(asyncio.wait_for(attempt(), WAIT))
        assert info.value.code == "nats_no_jetstream"
    finally:
        server.kill()
        server.wait(10)
